// Writing upstream answers to the client: byte-for-byte stream relay with backpressure, whole-body
// relay, and the error frame each wire format expects when an upstream breaks mid-stream.

import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { createParser } from "eventsource-parser";
import type { ClientFormat } from "../errors.js";
import type { Cancel } from "../cancel.js";
import type { DirectBody } from "../upstream/types.js";

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
 * Pipes an upstream body to the client unchanged: each chunk is written as it arrives, and the
 * upstream pauses while the client's socket is full. A break mid-stream ends with the format's error
 * frame (a JSON body cut short cannot get one: the connection is closed instead).
 */
export function relayDirect(
  body: DirectBody,
  raw: ServerResponse,
  format: ClientFormat,
  cancel: Cancel,
  tap: RelayTap | undefined,
  kind: "sse" | "json" = "sse",
): Promise<StreamRelayResult> {
  return new Promise((resolve) => {
    let prev: Buffer = EMPTY;
    let last: Buffer = EMPTY;
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
    const finish = (extra: Partial<StreamRelayResult>) => {
      if (finished) return;
      finished = true;
      raw.removeListener("drain", onDrain);
      cancel.offAbort(onCancel);
      const tail = prev.length ? Buffer.concat([prev, last]) : last;
      resolve({ tail, clientGone: false, bytes, ...(firstChunkAt ? { firstChunkAt } : {}), ...extra });
    };
    cancel.onAbort(onCancel);
    body.pipe({
      data(chunk) {
        if (finished) return false;
        firstChunkAt ??= performance.now();
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
        const terminal = kind === "sse" && !delivered && carriesTerminal(format, chunk);
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
        finish({});
      },
      error(err) {
        if (cancel.aborted || raw.destroyed) return finish({ clientGone: !delivered });
        const message = `upstream stream broke: ${err.message}`;
        if (kind === "json") {
          raw.destroy();
          return finish({ upstreamError: message });
        }
        const needsBoundary = last.length > 0 && !last.toString("latin1").endsWith("\n\n");
        const frame = (needsBoundary ? "\n\n" : "") + midStreamErrorFrame(format, message);
        tap?.client(frame);
        raw.write(frame);
        finish({ upstreamError: message });
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
    abort: () => readable.destroy(),
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
  const parser = createParser({
    onEvent: (e) => {
      const frame = `${e.event ? `event: ${e.event}\n` : ""}data: ${e.data}\n\n`;
      if (e.event && TERMINAL_RESPONSE_EVENTS.has(e.event)) {
        try {
          const parsed = JSON.parse(e.data) as { response?: Record<string, unknown> };
          if (parsed.response) {
            terminal = { frame, response: parsed.response };
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
    const message = `upstream stream broke: ${(err as Error).message}`;
    raw.write(out + midStreamErrorFrame("responses", message));
    return result({ upstreamError: message });
  }
  return result({});
}

export function midStreamErrorFrame(format: ClientFormat, message: string): string {
  switch (format) {
    case "chat":
      return `data: ${JSON.stringify({ error: { message, type: "server_error", param: null, code: "upstream_stream_error" } })}\n\n`;
    case "responses":
      return `event: error\ndata: ${JSON.stringify({ type: "error", code: "server_error", message, param: null })}\n\n`;
    case "messages":
      return `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: "api_error", message } })}\n\n`;
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
