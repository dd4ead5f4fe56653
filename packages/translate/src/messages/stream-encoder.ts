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
  let started = false;
  let done = false;
  let nextIndex = 0;
  let open: OpenBlock | undefined;
  let startUsage: Usage | undefined;
  let usage: Usage | undefined;
  let finish: PendingFinish | undefined;
  let sawToolUse = false;

  function ensureStarted(event?: Extract<StreamEvent, { type: "start" }>): string {
    if (started) return "";
    started = true;
    startUsage = event?.usage;
    const id = args.id ?? (event?.id.startsWith("msg_") === true ? event.id : args.ctx.newId("msg_"));
    const initialUsage = encodeMessagesUsage(startUsage, args.inputTokens ?? 0);
    return formatMessagesSse("message_start", {
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model: args.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: initialUsage,
      },
    });
  }

  function closeOpen(): string {
    if (open === undefined) return "";
    const frame = formatMessagesSse("content_block_stop", { type: "content_block_stop", index: open.index });
    open = undefined;
    return frame;
  }

  function startBlock(contentBlock: JsonObject): { frames: string; index: number } {
    const frames = ensureStarted() + closeOpen();
    const index = nextIndex++;
    return { frames: frames + formatMessagesSse("content_block_start", { type: "content_block_start", index, content_block: contentBlock }), index };
  }

  function delta(index: number, payload: JsonObject): string {
    return formatMessagesSse("content_block_delta", { type: "content_block_delta", index, delta: payload });
  }

  function inThinking(): { frames: string; index: number } {
    if (open?.kind === "thinking") return { frames: "", index: open.index };
    const block = startBlock({ type: "thinking", thinking: "", signature: "" });
    open = { kind: "thinking", index: block.index };
    return block;
  }

  function inText(): { frames: string; index: number } {
    if (open?.kind === "text") return { frames: "", index: open.index };
    const block = startBlock({ type: "text", text: "" });
    open = { kind: "text", index: block.index };
    return block;
  }

  function text(textDelta: string, annotations: unknown[] = []): string {
    const citations = annotations.filter(isMessagesCitation);
    if (textDelta === "" && citations.length === 0) return "";
    const { frames, index } = inText();
    let out = frames;
    if (textDelta !== "") out += delta(index, { type: "text_delta", text: textDelta });
    for (const citation of citations) out += delta(index, { type: "citations_delta", citation });
    return out;
  }

  function signature(value: string): string {
    const { frames, index } = inThinking();
    return frames + delta(index, { type: "signature_delta", signature: value });
  }

  function tail(): string {
    const pending = finish ?? { reason: "stop" };
    const stop = mapFinishReasonToMessages({ ...pending, hasToolCalls: sawToolUse });
    done = true;
    return (
      ensureStarted() +
      closeOpen() +
      formatMessagesSse("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stop.stopReason, stop_sequence: stop.stopSequence },
        usage: encodeMessagesUsage(usage ?? startUsage, args.inputTokens ?? 0),
      }) +
      formatMessagesSse("message_stop", { type: "message_stop" })
    );
  }

  function encode(event: StreamEvent): string {
    switch (event.type) {
      case "start":
        return ensureStarted(event);
      case "reasoning_delta": {
        if (event.delta === "") return "";
        const { frames, index } = inThinking();
        return frames + delta(index, { type: "thinking_delta", thinking: event.delta });
      }
      case "reasoning_signature":
        return event.signature === "" ? "" : signature(event.signature);
      case "reasoning_encrypted": {
        const item = event.id === undefined ? { encryptedContent: event.encryptedContent } : { encryptedContent: event.encryptedContent, id: event.id };
        return signature(packReasoningSignature(item));
      }
      case "reasoning_redacted": {
        const { frames, index } = startBlock({ type: "redacted_thinking", data: event.data });
        return frames + formatMessagesSse("content_block_stop", { type: "content_block_stop", index });
      }
      case "reasoning_end":
        return open?.kind === "thinking" ? closeOpen() : "";
      case "text_delta":
        return text(event.delta, event.annotations);
      case "refusal_delta":
        return text(event.delta);
      case "audio_delta":
        return text(event.transcript ?? "");
      case "tool_call_start": {
        sawToolUse = true;
        const block = startBlock({ type: "tool_use", id: event.id, name: event.name, input: {} });
        open = { kind: "tool_use", index: block.index, toolIndex: event.index };
        return block.frames;
      }
      case "tool_call_delta":
        if (open?.kind !== "tool_use" || open.toolIndex !== event.index || event.argumentsDelta === "") return "";
        return delta(open.index, { type: "input_json_delta", partial_json: event.argumentsDelta });
      case "tool_call_end":
        return open?.kind === "tool_use" && open.toolIndex === event.index ? closeOpen() : "";
      case "finish": {
        if (finish !== undefined) return "";
        finish = { reason: event.reason };
        if (event.raw !== undefined) finish.raw = event.raw;
        if (event.stopSequence !== undefined) finish.stopSequence = event.stopSequence;
        const frames = ensureStarted() + closeOpen();
        return usage === undefined ? frames : frames + tail();
      }
      case "usage":
        usage = event.usage;
        return finish === undefined ? "" : tail();
      case "error":
        done = true;
        return encodeMessagesErrorEvent(event.error);
      case "end":
        // The upstream ended cleanly by its own protocol; a missing finish reason counts as a normal stop.
        return tail();
      default: {
        const exhaustive: never = event;
        return exhaustive;
      }
    }
  }

  return {
    push(event) {
      if (done) return "";
      if ("choice" in event && event.choice !== 0) return "";
      try {
        return encode(event);
      } catch (error) {
        done = true;
        return encodeMessagesErrorEvent({ type: "api_error", message: error instanceof Error ? error.message : String(error) });
      }
    },
    end() {
      if (done) return "";
      if (finish !== undefined) return tail();
      done = true;
      return encodeMessagesErrorEvent({ type: "api_error", message: "upstream stream ended early" });
    },
  };
}
