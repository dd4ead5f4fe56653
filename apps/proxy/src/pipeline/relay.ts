// Writing upstream answers to the client: byte-for-byte stream relay with backpressure, JSON bodies
// held until they end (so a broken one still gets an error status), and the error frame of the
// client's codec when a stream breaks or ends without its terminal event.

import { once } from "node:events";
import type { Readable } from "node:stream";
import { type Codec, type FinishReason, type WireFormat, codecs } from "@yallmproxy/translate";
import type { Cancel } from "../cancel.js";
import type { ClientSink } from "./client.js";
import { type DirectBody, UpstreamError } from "../upstream/types.js";
import { createEndingWatch } from "./finish-watch.js";
import { translateContext } from "./translate-context.js";

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;

/** Writes and waits for `drain` when the socket is full; false when the client went away. */
export async function writeWithBackpressure(raw: ClientSink, data: string | Buffer, signal: AbortSignal): Promise<boolean> {
  if (raw.destroyed || signal.aborted) return false;
  if (raw.write(data)) return true;
  try {
    await once(raw, "drain", { signal });
    return true;
  } catch {
    return false;
  }
}

/** Where the trace sees a relay's traffic; every call is cheap (it keeps references only). */
export interface RelayTap {
  upstream(chunk: Buffer): void;
  client(data: Buffer | string): void;
}

export interface StreamRelayResult {
  /** The last bytes of the stream (usage lives there in chat streams). */
  tail: Buffer;
  /** Set when the upstream broke mid-stream. */
  upstreamError?: string;
  clientGone: boolean;
  firstChunkAt?: number;
  bytes: number;
  /** The first chunk (Anthropic's `message_start` carries the input token counts). */
  head?: Buffer;
  /** How the stream said it ended, heard as it passed (wherever in the stream that was). */
  finish?: FinishReason;
  /** The bytes from the stream's last `"usage":{` on, wherever in the stream it was. */
  lastUsage?: Buffer;
}

/** Whether a chunk carries the format's last event: a client leaving after it was answered. */
function carriesTerminal(codec: Codec, buf: Buffer): boolean {
  const markers = codec.terminal.markers;
  for (let i = 0; i < markers.length; i++) if (buf.includes(markers[i]!)) return true;
  return false;
}

function writeErrorFrame(raw: ClientSink, tap: RelayTap | undefined, frame: string): void {
  tap?.client(frame);
  raw.write(frame);
}

/** The blank line an error frame needs before it when the relayed bytes stopped mid-event. */
function boundaryAfter(last: Buffer): string {
  return last.length > 0 && !last.toString("latin1").endsWith("\n\n") ? "\n\n" : "";
}

/** The data of the first event in a stream's first chunk. */
function firstEventData(first: Buffer): string | undefined {
  const text = first.toString("utf8");
  const at = text.indexOf("data:");
  if (at < 0) return undefined;
  const end = text.indexOf("\n", at);
  return text.slice(at + 5, end < 0 ? undefined : end);
}

/** The client codec's frame for a relayed stream that broke, with the proxy's clock and ids. */
export function streamErrorFrame(codec: Codec, message: string, code: string | undefined, firstData: string | undefined, tail: string): string {
  return codec.streamErrorFrame({ message, code, relayed: { firstData, tail }, ctx: translateContext });
}

/**
 * Pipes an upstream event stream to the client unchanged: each chunk is written as it arrives, and
 * the upstream pauses while the client's socket is full. A stream that breaks, or ends without its
 * terminal event (looked for in the chunks as they pass, and in the last bytes at the end), ends
 * with the format's error frame.
 */
export function relayDirect(body: DirectBody, raw: ClientSink, format: WireFormat, cancel: Cancel, tap: RelayTap | undefined): Promise<StreamRelayResult> {
  const codec = codecs[format];
  return new Promise((resolve) => {
    let [prev, last, first]: [Buffer, Buffer, Buffer] = [EMPTY, EMPTY, EMPTY];
    let bytes = 0;
    let firstChunkAt: number | undefined;
    let delivered = false;
    let pendingTerminal = false;
    let waiting = false;
    let finished = false;
    const watch = createEndingWatch(format);
    const onDrain = () => {
      waiting = false;
      if (pendingTerminal) delivered = true;
      body.resume();
    };
    // A client that leaves while the upstream is paused or silent ends the relay at once.
    const onCancel = () => {
      body.abort();
      finish({ clientGone: !delivered });
    };
    const tailNow = () => (prev.length ? Buffer.concat([prev, last]) : last);
    const finish = (extra: Partial<StreamRelayResult>, tail = tailNow()) => {
      if (finished) return;
      finished = true;
      raw.removeListener("drain", onDrain);
      cancel.offAbort(onCancel);
      resolve({ tail, clientGone: false, bytes, head: first, ...(firstChunkAt ? { firstChunkAt } : {}), ...watch.heard(), ...extra });
    };
    const fail = (message: string, tail: Buffer, code?: string) => {
      writeErrorFrame(raw, tap, boundaryAfter(last) + streamErrorFrame(codec, message, code, firstEventData(first), tail.toString("latin1")));
      finish({ upstreamError: message }, tail);
    };
    cancel.onAbort(onCancel);
    body.pipe({
      data(chunk) {
        if (finished) return false;
        if (firstChunkAt === undefined) {
          firstChunkAt = performance.now();
          first = chunk; // its first event (a Responses stream's response.created) shapes an error frame
        }
        bytes += chunk.length;
        prev = last;
        last = chunk;
        watch.feed(chunk);
        tap?.upstream(chunk);
        tap?.client(chunk);
        if (raw.destroyed || cancel.aborted) {
          body.abort();
          finish({ clientGone: !delivered });
          return false;
        }
        const terminal = !delivered && carriesTerminal(codec, chunk);
        if (raw.write(chunk)) {
          if (terminal) delivered = true;
          return true;
        }
        // Chunks that arrived before the relay began are written in one go: one wait covers them all.
        pendingTerminal ||= terminal;
        if (!waiting) raw.once("drain", onDrain);
        waiting = true;
        return false;
      },
      end() {
        if (delivered || pendingTerminal) return finish({});
        const tail = tailNow();
        if (codec.terminal.completeEnding.test(tail.toString("latin1"))) return finish({}, tail);
        fail(`upstream stream ended before its ${codec.terminal.name} event`, tail);
      },
      error(err) {
        if (cancel.aborted || raw.destroyed) return finish({ clientGone: !delivered });
        const message = err instanceof UpstreamError ? err.message : `upstream stream broke: ${err.message}`;
        // The answer was complete; the connection closing after it changes nothing for the client.
        if (delivered || pendingTerminal) return finish({ upstreamError: message });
        fail(message, tailNow(), streamErrorCode(err));
      },
    });
  });
}

export interface JsonRelayResult {
  /** The whole body, held and not yet written: the caller checks it and answers. */
  held?: Buffer;
  /** Why the body broke while it was held (nothing was written). */
  failure?: Error;
  clientGone: boolean;
  /** The last bytes of a body too big to hold, relayed as it arrived. */
  tail?: Buffer;
  /** Set when a body relayed as it arrived broke (the connection was closed). */
  upstreamError?: string;
}

/**
 * Holds a pass-through JSON body until it ends, so that a body that breaks, stalls or is not JSON
 * still gets an error status. A body past `holdLimit` bytes is relayed as it arrives from then on
 * (`start` writes the headers first); if it breaks after that, the connection is closed.
 */
export function relayJson(
  body: DirectBody,
  raw: ClientSink,
  cancel: Cancel,
  tap: RelayTap | undefined,
  holdLimit: number,
  start: () => void,
): Promise<JsonRelayResult> {
  return new Promise((resolve) => {
    let held: Buffer[] | undefined = [];
    let heldBytes = 0;
    let prev: Buffer = EMPTY;
    let last: Buffer = EMPTY;
    let waiting = false;
    let finished = false;
    const onDrain = () => {
      waiting = false;
      body.resume();
    };
    const onCancel = () => {
      body.abort();
      finish({ clientGone: true });
    };
    const finish = (result: JsonRelayResult) => {
      if (finished) return;
      finished = true;
      raw.removeListener("drain", onDrain);
      cancel.offAbort(onCancel);
      resolve(result);
    };
    const write = (chunk: Buffer): boolean => {
      tap?.client(chunk);
      if (raw.write(chunk)) return true;
      if (!waiting) {
        waiting = true;
        raw.once("drain", onDrain);
      }
      return false;
    };
    const tail = () => (prev.length ? Buffer.concat([prev, last]) : last);
    cancel.onAbort(onCancel);
    body.pipe({
      data(chunk) {
        if (finished) return false;
        tap?.upstream(chunk);
        if (held) {
          held.push(chunk);
          heldBytes += chunk.length;
          if (heldBytes <= holdLimit) return true;
          const chunks = held;
          held = undefined;
          start();
          let ok = true;
          for (const c of chunks) ok = write(c) && ok;
          prev = chunks.length > 1 ? (chunks[chunks.length - 2] as Buffer) : EMPTY;
          last = chunk;
          return ok;
        }
        if (raw.destroyed || cancel.aborted) {
          body.abort();
          finish({ clientGone: true });
          return false;
        }
        prev = last;
        last = chunk;
        return write(chunk);
      },
      end() {
        if (held) finish({ clientGone: false, held: held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held, heldBytes) });
        else finish({ clientGone: false, tail: tail() });
      },
      error(err) {
        if (cancel.aborted || raw.destroyed) return finish({ clientGone: true });
        if (held) return finish({ clientGone: false, failure: err });
        raw.destroy();
        finish({ clientGone: false, tail: tail(), upstreamError: err.message });
      },
    });
  });
}

const EMPTY = Buffer.alloc(0);

/** A Node stream as a DirectBody, for backends that answer with one (the built-in mock). */
export function directFrom(readable: Readable): DirectBody {
  return {
    pipe(sink) {
      readable.on("data", (chunk: Buffer) => {
        if (!sink.data(chunk)) readable.pause();
      });
      readable.once("end", () => sink.end());
      readable.once("error", (err) => sink.error(err));
    },
    resume: () => readable.resume(),
    abort: (reason) => readable.destroy(reason),
  };
}

/** The code of a stream's error frame when it is not the upstream's fault: the proxy is stopping. */
export function streamErrorCode(err: unknown): string | undefined {
  return err instanceof UpstreamError && err.kind === "shutdown" ? "shutting_down" : undefined;
}

export function readAll(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    body.on("data", (chunk: Buffer) => parts.push(chunk));
    body.once("end", () => resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)));
    body.once("error", reject);
  });
}
