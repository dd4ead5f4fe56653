// One turn of a Responses WebSocket as the pipeline sees it: a reply whose stream is cut into its SSE
// events, each sent as one text frame holding the event's JSON (the same events an HTTP stream
// carries), and whose refusals (a status and an error body) become the `error` frame OpenAI sends on
// a socket: `{"type":"error","status":N,"error":{type,code,message,param}}`.

import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createParser } from "eventsource-parser";
import { Errors, ProxyError, errorBodyFor } from "../errors.js";
import type { ClientReply, ClientSink } from "../pipeline/client.js";

/** What a turn writes to: the `ws` socket (only these members). */
export interface FrameSocket {
  send(data: string, cb?: (err?: Error) => void): void;
  readonly bufferedAmount: number;
  readonly readyState: number;
}

const OPEN = 1;
/** Bytes queued on the socket past which a write waits for them to go out (backpressure). */
const HIGH_WATER = 256 * 1024;
const TERMINAL_TYPES = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** The frame of an error answer on a socket, from the proxy's own error. */
export function errorFrame(err: ProxyError): string {
  return JSON.stringify({ type: "error", status: err.status, error: errorObject(err) });
}

function errorObject(err: ProxyError): unknown {
  const body = errorBodyFor("responses", err);
  return isRecord(body) ? body.error : body;
}

/** The frame of an error answer on a socket, from a status and the JSON body an upstream refused with. */
function refusalFrame(status: number, body: string): string {
  let error: unknown;
  try {
    error = (JSON.parse(body) as { error?: unknown }).error;
  } catch {
    error = undefined;
  }
  // An upstream's refusal without an OpenAI error object keeps its status, with a message of ours.
  if (typeof error !== "object" || error === null)
    return JSON.stringify({
      type: "error",
      status,
      error: errorObject(Errors.upstreamSaid(status, `The upstream refused the request with status ${status}.`)),
    });
  return JSON.stringify({ type: "error", status, error });
}

/** The SSE text a turn's pipeline writes, sent on as one frame per event. */
export class SocketTurnSink extends Writable implements ClientSink {
  statusCode = 200;
  headersSent = false;
  /** The Response of the turn's terminal event (completed, incomplete or failed), once sent. */
  terminal: Record<string, unknown> | undefined;
  private readonly text = new StringDecoder("utf8");
  private readonly frames: string[] = [];
  private readonly parser = createParser({ onEvent: (e) => this.onEvent(e.data) });

  constructor(private readonly socket: FrameSocket) {
    super({ decodeStrings: false });
    // A write after the client left is dropped: the relay hears `destroyed` and stops.
    this.on("error", () => undefined);
  }

  /** A socket's frames have no headers (rate-limit headers are an HTTP answer's). */
  setHeader(): this {
    return this;
  }

  writeHead(status: number): this {
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.parser.feed(typeof chunk === "string" ? chunk : this.text.write(chunk));
    this.flush(done);
  }

  override _final(done: (err?: Error | null) => void): void {
    const rest = this.text.end();
    // A stream ends on an event's blank line; an unterminated last event is sent too.
    this.parser.feed(rest + "\n\n");
    this.flush(done);
  }

  private onEvent(data: string): void {
    if (data === "[DONE]" || data === "") return;
    this.frames.push(data);
    // Only the terminal event is parsed (a quote inside a text delta is escaped, so deltas never match).
    if (data.includes('"response.completed"') || data.includes('"response.incomplete"') || data.includes('"response.failed"')) this.noteTerminal(data);
  }

  /** The terminal event's Response, kept for the socket's chain. */
  private noteTerminal(data: string): void {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof event !== "object" || event === null) return;
    const { type, response } = event as { type?: unknown; response?: unknown };
    if (typeof type === "string" && TERMINAL_TYPES.has(type) && isRecord(response)) this.terminal = response;
  }

  private flush(done: (err?: Error | null) => void): void {
    if (this.socket.readyState !== OPEN) {
      this.frames.length = 0;
      return done();
    }
    const last = this.frames.length - 1;
    if (last < 0) return done();
    for (let i = 0; i < last; i++) this.socket.send(this.frames[i]!);
    const final = this.frames[last]!;
    this.frames.length = 0;
    if (this.socket.bufferedAmount < HIGH_WATER) {
      this.socket.send(final);
      return done();
    }
    this.socket.send(final, () => done());
  }
}

/** The reply of one turn: streams go to its sink; an answer sent whole is an error frame. */
export class SocketTurnReply implements ClientReply {
  readonly raw: SocketTurnSink;
  sent = false;
  /** Whether the turn was answered with an error frame (a refusal sent whole). */
  refused = false;
  private status = 200;

  constructor(private readonly socket: FrameSocket) {
    this.raw = new SocketTurnSink(socket);
  }

  code(status: number): this {
    this.status = status;
    this.raw.statusCode = status;
    return this;
  }

  header(): this {
    return this;
  }

  send(payload?: string | Buffer): this {
    this.sent = true;
    // A client that left (499) hears nothing more.
    if (this.status === 499 || this.socket.readyState !== OPEN) return this;
    const body = payload === undefined ? "" : payload.toString();
    this.refused = this.status >= 400;
    this.socket.send(this.refused ? refusalFrame(this.status, body) : body);
    return this;
  }

  hijack(): this {
    return this;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
