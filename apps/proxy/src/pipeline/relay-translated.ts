// Upstream SSE → hub events → client SSE, written with backpressure: the stream half of a
// cross-format answer. Formats enter only as the decoder and encoder it is handed.

import type { Readable } from "node:stream";
import { createParser } from "eventsource-parser";
import type { FinishReason, LlmResponse, StreamDecoder, StreamEncoder, StreamEvent } from "@yallmproxy/translate";
import { UpstreamError } from "../upstream/types.js";
import type { ClientSink } from "./client.js";
import { type RelayTap, streamErrorCode, writeWithBackpressure } from "./relay.js";

export interface TranslatedRelayResult {
  usage: LlmResponse["usage"];
  /** The first choice's finish reason, and the tool calls the answer made (for the usage ledger). */
  finish: FinishReason | undefined;
  toolCalls: number;
  upstreamError?: string;
  clientGone: boolean;
}

export interface TranslatedRelayArgs {
  body: Readable;
  decoder: StreamDecoder;
  encoder: StreamEncoder;
  raw: ClientSink;
  signal: AbortSignal;
  ping?: { intervalMs: number; frame: string };
  beforeWrite?: () => Promise<void>;
  /** Whether a terminal event is waiting for `beforeWrite` (only it is held back). */
  holdsFinal?: () => boolean;
  tap?: RelayTap;
}

/**
 * Upstream SSE → hub events → client SSE, written with backpressure. An upstream that breaks or
 * ends early becomes the client format's own error/terminal events (the encoder's `end()`).
 */
export async function relayTranslatedStream(args: TranslatedRelayArgs): Promise<TranslatedRelayResult> {
  const { decoder, encoder, raw, signal } = args;
  let usage: LlmResponse["usage"];
  let finish: FinishReason | undefined;
  let toolCalls = 0;
  let pending = "";
  let ended = false;
  // Where the held terminal event starts in `pending`: what comes before it is written at once.
  let heldFrom: number | undefined;
  const append = (text: string, before: number, wasHolding: boolean) => {
    pending += text;
    if (!wasHolding && args.holdsFinal?.()) heldFrom ??= before;
  };
  const onEvents = (events: StreamEvent[]) => {
    for (const ev of events) {
      if (ev.type === "usage") usage = ev.usage;
      else if (ev.type === "end") ended = true;
      else if (ev.type === "tool_call_start") toolCalls++;
      else if (ev.type === "finish" && finish === undefined) finish = ev.reason;
      const before = pending.length;
      const wasHolding = args.holdsFinal?.() ?? false;
      append(encoder.push(ev), before, wasHolding);
    }
  };
  const parser = createParser({ onEvent: (e) => onEvents(decoder.push({ ...(e.event ? { event: e.event } : {}), data: e.data })) });
  const utf8 = new TextDecoder();
  let lastWrite = Date.now();
  let wroteAny = false;
  const write = (out: string): Promise<boolean> => {
    args.tap?.client(out);
    lastWrite = Date.now();
    wroteAny = true;
    return writeWithBackpressure(raw, out, signal);
  };
  const flush = async (): Promise<boolean> => {
    if (!pending) return true;
    if (heldFrom !== undefined && heldFrom > 0) {
      const head = pending.slice(0, heldFrom);
      pending = pending.slice(heldFrom);
      heldFrom = 0;
      if (!(await write(head))) return false;
      // Node sends a write on the next tick; let it go out before the store write runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (args.beforeWrite) await args.beforeWrite();
    heldFrom = undefined;
    const out = pending;
    pending = "";
    return write(out);
  };
  const pinger = args.ping
    ? keepAlive(args.ping, () => {
        if (Date.now() - lastWrite < args.ping!.intervalMs || raw.destroyed) return;
        // A stream opens with its start event (Anthropic: `message_start`), never with a ping.
        const opening = wroteAny ? "" : encoder.push({ type: "start", id: "", model: "", created: 0 });
        raw.write(opening + args.ping!.frame);
        lastWrite = Date.now();
        wroteAny = true;
      })
    : undefined;
  let upstreamError: string | undefined;
  try {
    for await (const chunk of args.body) {
      args.tap?.upstream(chunk as Buffer);
      parser.feed(utf8.decode(chunk as Buffer, { stream: true }));
      if (!(await flush())) {
        args.body.destroy();
        return { usage, finish, toolCalls, clientGone: true };
      }
    }
    parser.feed(utf8.decode());
    if (!ended) onEvents(decoder.end());
  } catch (err) {
    if (signal.aborted || raw.destroyed) return { usage, finish, toolCalls, clientGone: true };
    upstreamError = err instanceof UpstreamError ? err.message : `upstream stream broke: ${(err as Error).message}`;
    const broken = brokenStreamEvent(err, upstreamError);
    onEvents(decoder.broke ? decoder.broke(broken) : [broken]);
  } finally {
    if (pinger) clearInterval(pinger);
  }
  const beforeEnd = pending.length;
  append(encoder.end(), beforeEnd, args.holdsFinal?.() ?? false);
  const ok = await flush();
  return { usage, finish, toolCalls, clientGone: !ok, ...(upstreamError ? { upstreamError } : {}) };
}

/** Checks for silence at half the interval, so a ping goes out at most `intervalMs` after the last write. */
function keepAlive(ping: { intervalMs: number }, check: () => void): NodeJS.Timeout {
  return setInterval(check, Math.max(50, Math.floor(ping.intervalMs / 2)));
}

/** The hub error for an upstream body that broke (503 `shutting_down` when the proxy is stopping). */
function brokenStreamEvent(err: unknown, message: string): Extract<StreamEvent, { type: "error" }> {
  const code = streamErrorCode(err);
  return { type: "error", error: code ? { type: "server_error", code, status: 503, message } : { type: "server_error", message } };
}
