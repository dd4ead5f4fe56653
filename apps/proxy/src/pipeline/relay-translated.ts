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
export function relayTranslatedStream(args: TranslatedRelayArgs): Promise<TranslatedRelayResult> {
  return new TranslatedRelay(args).run();
}

/** One translated stream's state: what it has seen of the answer, and the client text not yet written. */
class TranslatedRelay {
  private usage: LlmResponse["usage"];
  private finish: FinishReason | undefined;
  private toolCalls = 0;
  private pending = "";
  private ended = false;
  /** Where the held terminal event starts in `pending`: what comes before it is written at once. */
  private heldFrom: number | undefined;
  private lastWrite = Date.now();
  private wroteAny = false;

  constructor(private readonly args: TranslatedRelayArgs) {}

  async run(): Promise<TranslatedRelayResult> {
    const { decoder, encoder, signal } = this.args;
    const parser = createParser({ onEvent: (e) => this.onEvents(decoder.push({ ...(e.event ? { event: e.event } : {}), data: e.data })) });
    const utf8 = new TextDecoder();
    const pinger = this.startPinger();
    let upstreamError: string | undefined;
    try {
      for await (const chunk of this.args.body) {
        this.args.tap?.upstream(chunk as Buffer);
        parser.feed(utf8.decode(chunk as Buffer, { stream: true }));
        if (!(await this.flush())) {
          this.args.body.destroy();
          return this.result(true);
        }
      }
      parser.feed(utf8.decode());
      if (!this.ended) this.onEvents(decoder.end());
    } catch (err) {
      if (signal.aborted || this.args.raw.destroyed) return this.result(true);
      upstreamError = err instanceof UpstreamError ? err.message : `upstream stream broke: ${(err as Error).message}`;
      const broken = brokenStreamEvent(err, upstreamError);
      this.onEvents(decoder.broke ? decoder.broke(broken) : [broken]);
    } finally {
      if (pinger) clearInterval(pinger);
    }
    this.append(encoder.end(), this.pending.length, this.args.holdsFinal?.() ?? false);
    const ok = await this.flush();
    return { ...this.result(!ok), ...(upstreamError ? { upstreamError } : {}) };
  }

  private result(clientGone: boolean): TranslatedRelayResult {
    return { usage: this.usage, finish: this.finish, toolCalls: this.toolCalls, clientGone };
  }

  private append(text: string, before: number, wasHolding: boolean): void {
    this.pending += text;
    if (!wasHolding && this.args.holdsFinal?.()) this.heldFrom ??= before;
  }

  private onEvents(events: StreamEvent[]): void {
    for (const ev of events) {
      if (ev.type === "usage") this.usage = ev.usage;
      else if (ev.type === "end") this.ended = true;
      else if (ev.type === "tool_call_start") this.toolCalls++;
      else if (ev.type === "finish" && this.finish === undefined) this.finish = ev.reason;
      const before = this.pending.length;
      const wasHolding = this.args.holdsFinal?.() ?? false;
      this.append(this.args.encoder.push(ev), before, wasHolding);
    }
  }

  private write(out: string): Promise<boolean> {
    this.args.tap?.client(out);
    this.lastWrite = Date.now();
    this.wroteAny = true;
    return writeWithBackpressure(this.args.raw, out, this.args.signal);
  }

  private async flush(): Promise<boolean> {
    if (!this.pending) return true;
    if (this.heldFrom !== undefined && this.heldFrom > 0) {
      const head = this.pending.slice(0, this.heldFrom);
      this.pending = this.pending.slice(this.heldFrom);
      this.heldFrom = 0;
      if (!(await this.write(head))) return false;
      // Node sends a write on the next tick; let it go out before the store write runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.args.beforeWrite) await this.args.beforeWrite();
    this.heldFrom = undefined;
    const out = this.pending;
    this.pending = "";
    return this.write(out);
  }

  private startPinger(): NodeJS.Timeout | undefined {
    const { ping, raw, encoder } = this.args;
    if (!ping) return undefined;
    return keepAlive(ping, () => {
      if (Date.now() - this.lastWrite < ping.intervalMs || raw.destroyed) return;
      // A stream opens with its start event (Anthropic: `message_start`), never with a ping.
      const opening = this.wroteAny ? "" : encoder.push({ type: "start", id: "", model: "", created: 0 });
      raw.write(opening + ping.frame);
      this.lastWrite = Date.now();
      this.wroteAny = true;
    });
  }
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
