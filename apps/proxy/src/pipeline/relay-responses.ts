// The native Responses stream relayed event by event for a client whose answer the proxy stores:
// only the terminal event is held back, until its Response is stored, so the id resolves as soon as
// the client holds it.

import type { Readable } from "node:stream";
import { createParser } from "eventsource-parser";
import { codecs, parseUpstreamJson } from "@yallmproxy/translate";
import { UpstreamError } from "../upstream/types.js";
import type { ClientSink } from "./client.js";
import { type RelayTap, type StreamRelayResult, streamErrorCode, streamErrorFrame, writeWithBackpressure } from "./relay.js";

const TERMINAL_RESPONSE_EVENTS = new Set(["response.completed", "response.incomplete", "response.failed"]);

const EMPTY = Buffer.alloc(0);

interface Capture {
  /** Frames parsed and not yet written. */
  out: string;
  /** The terminal event, held until its Response is stored. */
  terminal: { frame: string; response: Record<string, unknown> } | undefined;
  sawTerminal: boolean;
  /** The first event's data: what an error the stream may need to end with is shaped from. */
  firstData: string | undefined;
  /** The terminal event's frame once written: where the usage and the finish are read from. */
  terminalFrame: string | undefined;
}

/** An SSE parser that re-frames each event into `capture.out`, holding the terminal one aside. */
function captureParser(capture: Capture) {
  return createParser({
    onEvent: (e) => {
      capture.firstData ??= e.data;
      const frame = `${e.event ? `event: ${e.event}\n` : ""}data: ${e.data}\n\n`;
      if (e.event && TERMINAL_RESPONSE_EVENTS.has(e.event)) {
        try {
          const parsed = parseUpstreamJson(e.data);
          const response = typeof parsed === "object" && parsed !== null ? (parsed as { response?: unknown }).response : undefined;
          if (typeof response === "object" && response !== null) {
            capture.terminal = { frame, response: response as Record<string, unknown> };
            capture.sawTerminal = true;
            return;
          }
        } catch {
          // An unparseable terminal event is relayed as it is.
        }
      }
      capture.out += frame;
    },
  });
}

export async function relayResponsesCapturing(
  body: Readable,
  raw: ClientSink,
  signal: AbortSignal,
  onFinal: (response: Record<string, unknown>) => Promise<void>,
  tap?: RelayTap,
): Promise<StreamRelayResult> {
  const capture: Capture = { out: "", terminal: undefined, sawTerminal: false, firstData: undefined, terminalFrame: undefined };
  let bytes = 0;
  let firstChunkAt: number | undefined;
  let delivered = false;
  // The last two chunks: what an error frame is numbered after.
  let prevChunk: Buffer = EMPTY;
  let lastChunk: Buffer = EMPTY;
  const errorFrame = (message: string, code?: string) =>
    streamErrorFrame(codecs.responses, message, code, capture.firstData, prevChunk.toString("latin1") + lastChunk.toString("latin1"));
  const parser = captureParser(capture);
  const utf8 = new TextDecoder();
  const result = (extra: Partial<StreamRelayResult>): StreamRelayResult => ({
    tail: Buffer.from(capture.terminalFrame ?? capture.out),
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
      if (capture.terminal) {
        await onFinal(capture.terminal.response);
        capture.out += capture.terminal.frame;
        capture.terminalFrame = capture.terminal.frame;
        capture.terminal = undefined;
        last = true;
      }
      if (capture.out) {
        const text = capture.out;
        capture.out = "";
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
    raw.write(capture.out + errorFrame(message, streamErrorCode(err)));
    return result({ upstreamError: message });
  }
  if (!capture.sawTerminal) {
    const message = `upstream stream ended before its ${codecs.responses.terminal.name} event`;
    raw.write(capture.out + errorFrame(message));
    return result({ upstreamError: message });
  }
  return result({});
}
