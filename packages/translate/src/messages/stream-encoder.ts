// Hub stream events (from any upstream) → the Anthropic SSE an Anthropic client expects: `message_start`,
// strictly sequential content blocks, one held-back `message_delta`, `message_stop`. Never throws.

import type { StreamEncoder } from "../codec.js";
import type { FinishReason, StreamEvent, TranslateContext, Usage } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { encodeMessagesUsage } from "./usage.js";
import { mapFinishReasonToMessages } from "./finish-reason.js";
import { formatMessagesSse, isMessagesCitation } from "./messages-api.js";
import { encodeMessagesErrorEvent } from "./error-body.js";
import { packReasoningSignature } from "./reasoning-signature.js";

export interface MessagesStreamEncoderArgs {
  ctx: TranslateContext;
  /** The model name the client asked for. */
  model: string;
  /** The message id; default: the upstream's if it is a `msg_` id, else a fresh one. */
  id?: string;
  /** Prompt size for `message_start` when the upstream reports usage only at the end (chat). */
  inputTokens?: number;
}

type OpenBlock = { kind: "thinking"; index: number } | { kind: "text"; index: number } | { kind: "tool_use"; index: number; toolIndex: number };

interface PendingFinish {
  reason: FinishReason;
  raw?: string;
  stopSequence?: string;
}

/**
 * Blocks open on the first delta of a kind and close before the next kind opens, so indices are 0, 1, 2…
 * Tool-call fragments are streamed for the open tool_use block only: Anthropic cannot interleave blocks, and
 * upstreams that send one call after another (all known ones) lose nothing.
 * The `message_delta` waits for both the finish and the usage (chat sends usage after the finish); `end`
 * or `end()` flush it with whatever usage is known.
 */
export function createMessagesStreamEncoder(args: MessagesStreamEncoderArgs): StreamEncoder {
  return new MessagesStreamEncoder(args);
}

class MessagesStreamEncoder implements StreamEncoder {
  private started = false;
  private done = false;
  private nextIndex = 0;
  private open: OpenBlock | undefined;
  private startUsage: Usage | undefined;
  private usage: Usage | undefined;
  private finish: PendingFinish | undefined;
  private sawToolUse = false;

  constructor(private readonly args: MessagesStreamEncoderArgs) {}

  private ensureStarted(event?: Extract<StreamEvent, { type: "start" }>): string {
    if (this.started) return "";
    this.started = true;
    this.startUsage = event?.usage;
    const id = this.args.id ?? (event?.id.startsWith("msg_") === true ? event.id : this.args.ctx.newId("msg_"));
    const initialUsage = encodeMessagesUsage(this.startUsage, this.args.inputTokens ?? 0);
    return formatMessagesSse("message_start", {
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model: this.args.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: initialUsage,
      },
    });
  }

  private closeOpen(): string {
    if (this.open === undefined) return "";
    const frame = formatMessagesSse("content_block_stop", { type: "content_block_stop", index: this.open.index });
    this.open = undefined;
    return frame;
  }

  private startBlock(contentBlock: JsonObject): { frames: string; index: number } {
    const frames = this.ensureStarted() + this.closeOpen();
    const index = this.nextIndex++;
    return { frames: frames + formatMessagesSse("content_block_start", { type: "content_block_start", index, content_block: contentBlock }), index };
  }

  private delta(index: number, payload: JsonObject): string {
    return formatMessagesSse("content_block_delta", { type: "content_block_delta", index, delta: payload });
  }

  private inThinking(): { frames: string; index: number } {
    if (this.open?.kind === "thinking") return { frames: "", index: this.open.index };
    const block = this.startBlock({ type: "thinking", thinking: "", signature: "" });
    this.open = { kind: "thinking", index: block.index };
    return block;
  }

  private inText(): { frames: string; index: number } {
    if (this.open?.kind === "text") return { frames: "", index: this.open.index };
    const block = this.startBlock({ type: "text", text: "" });
    this.open = { kind: "text", index: block.index };
    return block;
  }

  private text(textDelta: string, annotations: unknown[] = []): string {
    const citations = annotations.filter(isMessagesCitation);
    if (textDelta === "" && citations.length === 0) return "";
    const { frames, index } = this.inText();
    let out = frames;
    if (textDelta !== "") out += this.delta(index, { type: "text_delta", text: textDelta });
    for (const citation of citations) out += this.delta(index, { type: "citations_delta", citation });
    return out;
  }

  private signature(value: string): string {
    const { frames, index } = this.inThinking();
    return frames + this.delta(index, { type: "signature_delta", signature: value });
  }

  private tail(): string {
    const pending = this.finish ?? { reason: "stop" };
    const stop = mapFinishReasonToMessages({ ...pending, hasToolCalls: this.sawToolUse });
    this.done = true;
    return (
      this.ensureStarted() +
      this.closeOpen() +
      formatMessagesSse("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stop.stopReason, stop_sequence: stop.stopSequence },
        usage: encodeMessagesUsage(this.usage ?? this.startUsage, this.args.inputTokens ?? 0),
      }) +
      formatMessagesSse("message_stop", { type: "message_stop" })
    );
  }

  private encode(event: StreamEvent): string {
    switch (event.type) {
      case "start":
        return this.ensureStarted(event);
      case "reasoning_delta": {
        if (event.delta === "") return "";
        const { frames, index } = this.inThinking();
        return frames + this.delta(index, { type: "thinking_delta", thinking: event.delta });
      }
      case "reasoning_signature":
        return event.signature === "" ? "" : this.signature(event.signature);
      case "reasoning_encrypted": {
        const item = event.id === undefined ? { encryptedContent: event.encryptedContent } : { encryptedContent: event.encryptedContent, id: event.id };
        return this.signature(packReasoningSignature(item));
      }
      case "reasoning_redacted": {
        const { frames, index } = this.startBlock({ type: "redacted_thinking", data: event.data });
        return frames + formatMessagesSse("content_block_stop", { type: "content_block_stop", index });
      }
      case "reasoning_end":
        return this.open?.kind === "thinking" ? this.closeOpen() : "";
      case "text_delta":
        return this.text(event.delta, event.annotations);
      case "refusal_delta":
        return this.text(event.delta);
      case "audio_delta":
        return this.text(event.transcript ?? "");
      case "web_search_call":
        // Without Anthropic's encrypted results a search block could not be sent back; it is left out.
        return "";
      case "tool_call_start": {
        this.sawToolUse = true;
        const block = this.startBlock({ type: "tool_use", id: event.id, name: event.name, input: {} });
        this.open = { kind: "tool_use", index: block.index, toolIndex: event.index };
        return block.frames;
      }
      case "tool_call_delta":
        if (this.open?.kind !== "tool_use" || this.open.toolIndex !== event.index || event.argumentsDelta === "") return "";
        return this.delta(this.open.index, { type: "input_json_delta", partial_json: event.argumentsDelta });
      case "tool_call_end":
        return this.open?.kind === "tool_use" && this.open.toolIndex === event.index ? this.closeOpen() : "";
      case "finish": {
        if (this.finish !== undefined) return "";
        this.finish = { reason: event.reason };
        if (event.raw !== undefined) this.finish.raw = event.raw;
        if (event.stopSequence !== undefined) this.finish.stopSequence = event.stopSequence;
        const frames = this.ensureStarted() + this.closeOpen();
        return this.usage === undefined ? frames : frames + this.tail();
      }
      case "usage":
        this.usage = event.usage;
        return this.finish === undefined ? "" : this.tail();
      case "error":
        this.done = true;
        return encodeMessagesErrorEvent(event.error);
      case "end":
        // The upstream ended cleanly by its own protocol; a missing finish reason counts as a normal stop.
        return this.tail();
      default: {
        const exhaustive: never = event;
        return exhaustive;
      }
    }
  }

  push(event: StreamEvent): string {
    if (this.done) return "";
    if ("choice" in event && event.choice !== 0) return "";
    try {
      return this.encode(event);
    } catch (error) {
      this.done = true;
      return encodeMessagesErrorEvent({ type: "api_error", message: error instanceof Error ? error.message : String(error) });
    }
  }

  end(): string {
    if (this.done) return "";
    if (this.finish !== undefined) return this.tail();
    this.done = true;
    return encodeMessagesErrorEvent({ type: "api_error", message: "upstream stream ended early" });
  }
}
