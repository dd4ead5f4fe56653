// The start of a 200 event stream, held until its first event: some upstreams (MiniMax) send their
// error as the event of a 200 stream. An error there is retried or failed over like an HTTP error;
// anything else, 4 KiB without a whole event, the stream's end, or 100 ms of silence lets the answer
// through, its held bytes replayed to whoever reads it. (yaLLMproxy held the first 4 KiB whatever
// came: here a stream's first token and keep-alive pings are not delayed.)

import { Readable } from "node:stream";
import type { BodySink, DirectBody, UpstreamResponse } from "../upstream/types.js";
import { directFrom } from "./relay.js";
import { contentTypeOf, wrongContentType } from "./upstream-answer.js";

const STREAM_START_LIMIT = 4096;
const STREAM_START_WAIT_MS = 100;

type Obj = Record<string, unknown>;

/** The upstream's message when an event's JSON is an error (`{"type":"error"}` or `{"error":{…}}`), as yaLLMproxy read it. */
function errorOf(json: unknown): string | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const o = json as Obj;
  const err = o.error;
  if (o.type !== "error" && (typeof err !== "object" || err === null)) return undefined;
  const message = typeof err === "object" && err !== null ? (err as Obj).message : undefined;
  return typeof message === "string" && message ? message : JSON.stringify(err ?? o).slice(0, 200);
}

type Verdict = { error: string } | { error?: undefined };

/** Holds a stream's first bytes and replays them to the one consumer that reads the answer. */
class HeldStart implements UpstreamResponse, DirectBody, BodySink {
  readonly status: number;
  readonly headers: UpstreamResponse["headers"];
  private held: Buffer[] = [];
  private heldBytes = 0;
  private sink: BodySink | undefined;
  private ended = false;
  private failure: Error | undefined;
  private decide: ((v: Verdict) => void) | undefined;
  private readable: Readable | undefined;

  constructor(
    private readonly inner: DirectBody,
    response: UpstreamResponse,
  ) {
    this.status = response.status;
    this.headers = response.headers;
  }

  verdict(): Promise<Verdict> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle({}), STREAM_START_WAIT_MS);
      this.decide = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.inner.pipe(this);
    });
  }

  data(chunk: Buffer): boolean {
    if (this.sink) return this.sink.data(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.decide) this.scan(false);
    // Decided and nobody reading yet: wait for the reader.
    return this.decide !== undefined;
  }

  end(): void {
    this.ended = true;
    if (this.sink) return this.sink.end();
    if (this.decide) this.scan(true);
  }

  error(err: Error): void {
    this.failure = err;
    if (this.sink) return this.sink.error(err);
    this.settle({});
  }

  private scan(ended: boolean): void {
    const text = Buffer.concat(this.held).toString("utf8");
    const events = text.split(/\r?\n\r?\n/);
    if (!ended) events.pop();
    for (const event of events) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trim())
        .join("\n");
      if (!data || data === "[DONE]") continue;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        continue;
      }
      const error = errorOf(json);
      return this.settle(error !== undefined ? { error } : {});
    }
    if (ended || this.heldBytes >= STREAM_START_LIMIT) this.settle({});
  }

  private settle(v: Verdict): void {
    const decide = this.decide;
    this.decide = undefined;
    decide?.(v);
  }

  get direct(): DirectBody {
    return this;
  }

  get body(): Readable {
    if (this.readable) return this.readable;
    const readable = new Readable({ read: () => this.resume(), destroy: (err, cb) => (this.ended ? cb(err) : (this.abort(), cb(err))) });
    this.readable = readable;
    this.pipe({ data: (c) => readable.push(c), end: () => readable.push(null), error: (e) => readable.destroy(e) });
    return readable;
  }

  pipe(sink: BodySink): void {
    this.sink = sink;
    const held = this.held;
    this.held = [];
    let more = true;
    for (const chunk of held) if (!sink.data(chunk)) more = false;
    if (this.failure) sink.error(this.failure);
    else if (this.ended) sink.end();
    else if (more) this.inner.resume();
  }

  resume(): void {
    this.inner.resume();
  }

  abort(reason?: Parameters<DirectBody["abort"]>[0]): void {
    this.inner.abort(reason);
  }
}

/**
 * A 200 event stream checked at its start: `{ error }` (the stream aborted) when its first events
 * report a failure, else the response to read, its first bytes replayed.
 */
export async function checkStreamStart(response: UpstreamResponse): Promise<{ response: UpstreamResponse } | { error: string }> {
  // Not an event stream: the answer's own checks say what it is.
  if (wrongContentType(contentTypeOf(response.headers), true)) return { response };
  const held = new HeldStart(response.direct ?? directFrom(response.body), response);
  const v = await held.verdict();
  if (v.error !== undefined) {
    held.abort();
    return { error: v.error };
  }
  return { response: held };
}
