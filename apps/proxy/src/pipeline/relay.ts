// Writing upstream answers to the client: byte-for-byte stream relay with backpressure, JSON bodies
// held until they end (so a broken one still gets an error status), and the error frame each wire
// format expects when a stream breaks or ends without its terminal event.

import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { createParser } from "eventsource-parser";
import { parseUpstreamJson } from "@yallmproxy/translate";
import type { ClientFormat } from "../errors.js";
import type { Cancel } from "../cancel.js";
import { type DirectBody, UpstreamError } from "../upstream/types.js";

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;

/** Writes and waits for `drain` when the socket is full; false when the client went away. */
export async function writeWithBackpressure(raw: ServerResponse, data: string | Buffer, signal: AbortSignal): Promise<boolean> {
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
}

const TERMINAL_MARKERS: Record<ClientFormat, string[]> = {
  chat: ["data: [DONE]"],
  responses: ["event: response.completed", "event: response.incomplete", "event: response.failed"],
  messages: ["event: message_stop"],
};

/** Whether a chunk carries the format's last event: a client leaving after it was answered. */
function carriesTerminal(format: ClientFormat, buf: Buffer): boolean {
  return TERMINAL_MARKERS[format].some((m) => buf.includes(m));
}

/**
 * How a finished stream may end, looked for in its last bytes once it ended without a terminal
 * marker seen: a chat server may omit `[DONE]` after the last finish_reason, and the format's own
 * error event ends a stream too.
 */
const COMPLETE_ENDINGS: Record<ClientFormat, RegExp> = {
  chat: /data: ?\[DONE\]|"finish_reason": ?"|data: ?\{ ?"error"/,
  responses: /"type": ?"response\.(completed|incomplete|failed)"/,
  messages: /event: ?(message_stop|error)\b|"type": ?"message_stop"/,
};

const TERMINAL_NAME: Record<ClientFormat, string> = { chat: "data: [DONE]", responses: "response.completed", messages: "message_stop" };

/**
 * Pipes an upstream event stream to the client unchanged: each chunk is written as it arrives, and
 * the upstream pauses while the client's socket is full. A stream that breaks, or ends without its
 * terminal event (looked for in the chunks as they pass, and in the last bytes at the end), ends
 * with the format's error frame.
 */
export function relayDirect(body: DirectBody, raw: ServerResponse, format: ClientFormat, cancel: Cancel, tap: RelayTap | undefined): Promise<StreamRelayResult> {
  return new Promise((resolve) => {
    let prev: Buffer = EMPTY;
    let last: Buffer = EMPTY;
    let first: Buffer = EMPTY;
    let bytes = 0;
    let firstChunkAt: number | undefined;
    let delivered = false;
    let pendingTerminal = false;
    let waiting = false;
    let finished = false;
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
      resolve({ tail, clientGone: false, bytes, ...(firstChunkAt ? { firstChunkAt } : {}), ...extra });
    };
    const fail = (message: string, tail: Buffer, code?: string) => {
      const needsBoundary = last.length > 0 && !last.toString("latin1").endsWith("\n\n");
      const frame = (needsBoundary ? "\n\n" : "") + midStreamErrorFrame(format, message, format === "responses" ? responsesFailureContext(first, tail) : undefined, code);
      tap?.client(frame);
      raw.write(frame);
      finish({ upstreamError: message }, tail);
    };
    cancel.onAbort(onCancel);
    body.pipe({
      data(chunk) {
        if (finished) return false;
        if (firstChunkAt === undefined) {
          firstChunkAt = performance.now();
          // A Responses stream's response.created: what a response.failed it may need is made from.
          if (format === "responses") first = chunk;
        }
        bytes += chunk.length;
        prev = last;
        last = chunk;
        if (tap) {
          tap.upstream(chunk);
          tap.client(chunk);
        }
        if (raw.destroyed || cancel.aborted) {
          body.abort();
          finish({ clientGone: !delivered });
          return false;
        }
        const ok = raw.write(chunk);
        const terminal = !delivered && carriesTerminal(format, chunk);
        if (ok) {
          if (terminal) delivered = true;
          return true;
        }
        // Chunks that arrived before the relay began are written in one go: one wait covers them all.
        pendingTerminal ||= terminal;
        if (!waiting) {
          waiting = true;
          raw.once("drain", onDrain);
        }
        return false;
      },
      end() {
        if (delivered || pendingTerminal) return finish({});
        const tail = tailNow();
        if (COMPLETE_ENDINGS[format].test(tail.toString("latin1"))) return finish({}, tail);
        fail(`upstream stream ended before its ${TERMINAL_NAME[format]} event`, tail);
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
export function relayJson(body: DirectBody, raw: ServerResponse, cancel: Cancel, tap: RelayTap | undefined, holdLimit: number, start: () => void): Promise<JsonRelayResult> {
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

const TERMINAL_RESPONSE_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"]);

/**
 * Relays a native Responses stream event by event, holding back only the terminal event until
 * `onFinal` has stored its Response, so the id resolves as soon as the client holds it.
 */
export async function relayResponsesCapturing(
  body: Readable,
  raw: ServerResponse,
  signal: AbortSignal,
  onFinal: (response: Record<string, unknown>) => Promise<void>,
  tap?: RelayTap,
): Promise<StreamRelayResult> {
  let out = "";
  let terminal: { frame: string; response: Record<string, unknown> } | undefined;
  let bytes = 0;
  let firstChunkAt: number | undefined;
  let delivered = false;
  let sawTerminal = false;
  // The first event's data and the last two chunks: what an error the stream may need to end with is
  // numbered after and shaped from.
  let firstData: string | undefined;
  let prevChunk: Buffer = EMPTY;
  let lastChunk: Buffer = EMPTY;
  const failureContext = () => responsesFailureContextOf(firstData, prevChunk.toString("latin1") + lastChunk.toString("latin1"));
  const parser = createParser({
    onEvent: (e) => {
      firstData ??= e.data;
      const frame = `${e.event ? `event: ${e.event}\n` : ""}data: ${e.data}\n\n`;
      if (e.event && TERMINAL_RESPONSE_EVENTS.has(e.event)) {
        try {
          const parsed = parseUpstreamJson(e.data) as { response?: Record<string, unknown> };
          if (parsed.response) {
            terminal = { frame, response: parsed.response };
            sawTerminal = true;
            return;
          }
        } catch {
          // An unparseable terminal event is relayed as it is.
        }
      }
      out += frame;
    },
  });
  const utf8 = new TextDecoder();
  const result = (extra: Partial<StreamRelayResult>): StreamRelayResult => ({
    tail: Buffer.from(out),
    clientGone: false,
    bytes,
    ...(firstChunkAt ? { firstChunkAt } : {}),
    ...extra,
  });
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      firstChunkAt ??= performance.now();
      bytes += buf.length;
      prevChunk = lastChunk;
      lastChunk = buf;
      tap?.upstream(buf);
      parser.feed(utf8.decode(buf, { stream: true }));
      let last = false;
      if (terminal) {
        await onFinal(terminal.response);
        out += terminal.frame;
        terminal = undefined;
        last = true;
      }
      if (out) {
        const text = out;
        out = "";
        tap?.client(text);
        if (!(await writeWithBackpressure(raw, text, signal))) {
          body.destroy();
          return result({ clientGone: !delivered });
        }
        if (last) delivered = true;
      }
    }
  } catch (err) {
    if (signal.aborted || raw.destroyed) return result({ clientGone: !delivered });
    const message = err instanceof UpstreamError ? err.message : `upstream stream broke: ${(err as Error).message}`;
    if (delivered) return result({ upstreamError: message });
    raw.write(out + midStreamErrorFrame("responses", message, failureContext(), streamErrorCode(err)));
    return result({ upstreamError: message });
  }
  if (!sawTerminal) {
    const message = `upstream stream ended before its ${TERMINAL_NAME.responses} event`;
    raw.write(out + midStreamErrorFrame("responses", message, failureContext()));
    return result({ upstreamError: message });
  }
  return result({});
}

/** Where a Responses error event goes in its stream: the next sequence number, and the Response it fails. */
interface ResponsesFailureContext {
  sequenceNumber: number;
  response: Record<string, unknown>;
}

/** The context from a relayed stream's first chunk (its `response.created`) and last bytes. */
function responsesFailureContext(first: Buffer, tail: Buffer): ResponsesFailureContext {
  const text = first.toString("utf8");
  const at = text.indexOf("data:");
  const line = at < 0 ? undefined : text.slice(at + 5, text.indexOf("\n", at) < 0 ? undefined : text.indexOf("\n", at));
  return responsesFailureContextOf(line, tail.toString("latin1"));
}

const SEQUENCE = /"sequence_number": ?(\d+)/g;

/** The context from the first event's data and the text the stream ended with. */
function responsesFailureContextOf(firstData: string | undefined, lastText: string): ResponsesFailureContext {
  let last: number | undefined;
  for (const m of lastText.matchAll(SEQUENCE)) last = Number(m[1]);
  let response: Record<string, unknown> | undefined;
  try {
    const parsed = firstData === undefined ? undefined : (JSON.parse(firstData) as { response?: unknown });
    if (parsed && typeof parsed.response === "object" && parsed.response !== null) response = parsed.response as Record<string, unknown>;
  } catch {
    // A first event that is not JSON: the failed Response gets an id of its own.
  }
  return {
    sequenceNumber: last === undefined ? 0 : last + 1,
    response: response ?? { id: `resp_${randomUUID().replaceAll("-", "")}`, object: "response", created_at: Math.floor(Date.now() / 1000), output: [] },
  };
}

/** The code of a stream's error frame when it is not the upstream's fault: the proxy is stopping. */
export function streamErrorCode(err: unknown): string | undefined {
  return err instanceof UpstreamError && err.kind === "shutdown" ? "shutting_down" : undefined;
}

/** `code` replaces the upstream fault's code (`shutting_down`; Anthropic clients then get `overloaded_error`). */
function midStreamErrorFrame(format: ClientFormat, message: string, responses?: ResponsesFailureContext, code?: string): string {
  switch (format) {
    case "chat":
      return `data: ${JSON.stringify({ error: { message, type: "server_error", param: null, code: code ?? "upstream_stream_error" } })}\n\n`;
    case "responses": {
      // Responses streams end in exactly one terminal event: an error is followed by response.failed.
      const seq = responses?.sequenceNumber ?? 0;
      const error = { code: code ?? "server_error", message };
      const failed = { ...responses?.response, status: "failed", error, incomplete_details: null };
      return (
        `event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: seq, code: error.code, message, param: null })}\n\n` +
        `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", sequence_number: seq + 1, response: failed })}\n\n`
      );
    }
    case "messages":
      return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: code ? "overloaded_error" : "api_error", message } })}\n\n`;
  }
}

export function readAll(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    body.on("data", (chunk: Buffer) => parts.push(chunk));
    body.once("end", () => resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)));
    body.once("error", reject);
  });
}

export interface TokenUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

/** Usage from an OpenAI-style or Anthropic-style JSON object. */
export function usageOf(obj: unknown): TokenUsage | undefined {
  return usageFields((obj as { usage?: unknown } | null)?.usage);
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** Token counts of a `usage` object (OpenAI's or Anthropic's names). */
function usageFields(value: unknown): TokenUsage | undefined {
  if (!value || typeof value !== "object") return undefined;
  const u = value as Record<string, unknown>;
  const prompt = num(u.prompt_tokens) ?? num(u.input_tokens);
  const completion = num(u.completion_tokens) ?? num(u.output_tokens);
  const total = num(u.total_tokens) ?? (prompt !== undefined && completion !== undefined ? prompt + completion : undefined);
  const out: TokenUsage = {};
  if (prompt !== undefined) out.promptTokens = prompt;
  if (completion !== undefined) out.completionTokens = completion;
  if (total !== undefined) out.totalTokens = total;
  return out;
}

const USAGE_KEY = Buffer.from('"usage"');
const USAGE_CHUNK = Buffer.from('"usage":{');

/** The `usage` object of a JSON body, found in its last bytes (where OpenAI and Anthropic put it). */
export function usageFromJsonTail(tail: Buffer): TokenUsage | undefined {
  // Searched in the bytes; only what follows `"usage"` is decoded.
  const from = tail.lastIndexOf(USAGE_KEY);
  if (from < 0) return undefined;
  const text = tail.toString("utf8", from);
  const open = text.indexOf("{");
  if (open < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) {
      try {
        return usageFields(JSON.parse(text.slice(open, i + 1)));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The usage of a chat stream, read from its last `data:` lines only. */
export function usageFromChatTail(tail: Buffer): TokenUsage | undefined {
  const usageAt = tail.lastIndexOf(USAGE_CHUNK);
  if (usageAt < 0) return undefined;
  // Decoded from the start of that line only.
  const lineAt = tail.lastIndexOf("data:", usageAt);
  if (lineAt < 0) return undefined;
  const lineEnd = tail.indexOf("\n", usageAt);
  try {
    return usageOf(JSON.parse(tail.toString("utf8", lineAt + 5, lineEnd < 0 ? undefined : lineEnd)));
  } catch {
    return undefined;
  }
}
