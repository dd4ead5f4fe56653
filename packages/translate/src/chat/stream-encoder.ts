// Hub stream events -> Chat Completions SSE (`data: {chunk}` ... `data: [DONE]`) for a Chat client.
// A role chunk opens every choice, tool calls carry id/type/name on their first delta, each choice
// gets its own finish chunk, and the usage chunk (`choices: []`, right before [DONE]) comes only
// when the client asked.

import type { StreamEncoder } from "../codec.js";
import type { StreamEvent, TranslateContext } from "../ir.js";
import { toChatAnnotations } from "../shared/annotations.js";
import type { JsonObject } from "../shared/guards.js";
import { formatSseData, SSE_DONE } from "../shared/sse.js";
import { encodeChatUsage } from "./usage.js";
import { toChatFinishReason } from "./finish-reason.js";

export interface ChatStreamEncoderOptions {
  id?: string;
  /** The model name the client asked for. */
  model: string;
  created?: number;
  /** The client sent `stream_options.include_usage: true`. */
  includeUsage: boolean;
}

export function createChatStreamEncoder(ctx: TranslateContext, opts: ChatStreamEncoderOptions): StreamEncoder {
  return new ChatStreamEncoder(ctx, opts);
}

class ChatStreamEncoder implements StreamEncoder {
  private readonly id: string;
  private readonly created: number;
  private readonly model: string;
  private readonly includeUsage: boolean;
  private closed = false;
  /** Held until the end: the usage chunk is the last one before [DONE], whatever order usage came in. */
  private usage: JsonObject | undefined;
  /** Choices that got their role chunk, and whether they finished. */
  /** Each choice's state, with its content's length so far (where a block's citation starts). */
  private readonly choices = new Map<number, { finished: boolean; textLength: number }>();

  constructor(ctx: TranslateContext, opts: ChatStreamEncoderOptions) {
    this.id = opts.id ?? ctx.newId("chatcmpl-");
    this.created = opts.created ?? ctx.now();
    this.model = opts.model;
    this.includeUsage = opts.includeUsage;
  }

  private chunk(choicesPayload: JsonObject[], extra?: JsonObject): string {
    const body: JsonObject = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: choicesPayload,
    };
    return formatSseData(extra ? { ...body, ...extra } : body);
  }

  private deltaChunk(choice: number, delta: JsonObject, finishReason: string | null = null): string {
    return this.chunk([{ index: choice, delta, logprobs: null, finish_reason: finishReason }]);
  }

  /** Opens a choice with its role chunk when needed; returns the SSE text to send first. */
  private open(choice: number): string {
    if (this.choices.has(choice)) return "";
    this.choices.set(choice, { finished: false, textLength: 0 });
    return this.deltaChunk(choice, { role: "assistant", content: "" });
  }

  private live(choice: number): boolean {
    return this.choices.get(choice)?.finished !== true;
  }

  private finishAll(): string {
    let out = "";
    for (const [choice, state] of this.choices) {
      if (!state.finished) {
        state.finished = true;
        out += this.deltaChunk(choice, {}, "stop");
      }
    }
    return out;
  }

  private finish(): string {
    if (this.closed) return "";
    this.closed = true;
    const usageChunk = this.includeUsage && this.usage ? this.chunk([], { usage: this.usage }) : "";
    return this.finishAll() + usageChunk + SSE_DONE;
  }

  private audioDelta(event: Extract<StreamEvent, { type: "audio_delta" }>): string {
    const audio: JsonObject = {};
    if (event.id !== undefined) audio["id"] = event.id;
    if (event.data !== undefined) audio["data"] = event.data;
    if (event.transcript !== undefined) audio["transcript"] = event.transcript;
    if (event.expiresAt !== undefined) audio["expires_at"] = event.expiresAt;
    return this.open(event.choice) + this.deltaChunk(event.choice, { audio });
  }

  push(event: StreamEvent): string {
    if (this.closed) return "";
    switch (event.type) {
      case "start":
        return this.open(0);
      case "text_delta": {
        if (!this.live(event.choice)) return "";
        const opened = this.open(event.choice);
        const state = this.choices.get(event.choice)!;
        state.textLength += event.delta.length;
        const delta: JsonObject = { content: event.delta };
        if (event.annotations && event.annotations.length > 0) {
          const span = event.annotated;
          const converted = toChatAnnotations(event.annotations, span === undefined ? 0 : Math.max(0, state.textLength - span), span).value;
          if (converted.length > 0) delta["annotations"] = converted;
        }
        return opened + this.deltaChunk(event.choice, delta);
      }
      case "refusal_delta":
        if (!this.live(event.choice)) return "";
        return this.open(event.choice) + this.deltaChunk(event.choice, { refusal: event.delta });
      case "reasoning_delta":
        if (!this.live(event.choice)) return "";
        return this.open(event.choice) + this.deltaChunk(event.choice, { reasoning_content: event.delta });
      case "tool_call_start":
        if (!this.live(event.choice)) return "";
        return (
          this.open(event.choice) +
          this.deltaChunk(event.choice, {
            tool_calls: [{ index: event.index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }],
          })
        );
      case "tool_call_delta":
        if (!this.live(event.choice) || event.argumentsDelta === "") return "";
        return this.open(event.choice) + this.deltaChunk(event.choice, { tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] });
      case "audio_delta":
        if (!this.live(event.choice)) return "";
        return this.audioDelta(event);
      case "finish": {
        if (!this.live(event.choice)) return "";
        const prefix = this.open(event.choice);
        const state = this.choices.get(event.choice);
        if (state) state.finished = true;
        return prefix + this.deltaChunk(event.choice, {}, toChatFinishReason(event.reason));
      }
      case "usage":
        this.usage = encodeChatUsage(event.usage);
        return "";
      case "error":
        this.closed = true;
        return formatSseData({
          error: { message: event.error.message, type: event.error.type, code: event.error.code ?? null, param: null },
        });
      case "end":
        return this.finish();
      case "reasoning_signature":
      case "reasoning_encrypted":
      case "reasoning_redacted":
      case "reasoning_end":
      case "tool_call_end":
      case "web_search_call":
        return "";
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  end(): string {
    return this.finish();
  }
}
