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
  const id = opts.id ?? ctx.newId("chatcmpl-");
  const created = opts.created ?? ctx.now();
  let closed = false;
  /** Held until the end: the usage chunk is the last one before [DONE], whatever order usage came in. */
  let usage: JsonObject | undefined;
  /** Choices that got their role chunk, and whether they finished. */
  const choices = new Map<number, { finished: boolean }>();

  const chunk = (choicesPayload: JsonObject[], extra?: JsonObject): string => {
    const body: JsonObject = { id, object: "chat.completion.chunk", created, model: opts.model, choices: choicesPayload };
    return formatSseData(extra ? { ...body, ...extra } : body);
  };

  const deltaChunk = (choice: number, delta: JsonObject, finishReason: string | null = null): string =>
    chunk([{ index: choice, delta, logprobs: null, finish_reason: finishReason }]);

  /** Opens a choice with its role chunk when needed; returns the SSE text to send first. */
  const open = (choice: number): string => {
    if (choices.has(choice)) return "";
    choices.set(choice, { finished: false });
    return deltaChunk(choice, { role: "assistant", content: "" });
  };

  const live = (choice: number): boolean => choices.get(choice)?.finished !== true;

  const finishAll = (): string => {
    let out = "";
    for (const [choice, state] of choices) {
      if (!state.finished) {
        state.finished = true;
        out += deltaChunk(choice, {}, "stop");
      }
    }
    return out;
  };

  const finish = (): string => {
    if (closed) return "";
    closed = true;
    const usageChunk = opts.includeUsage && usage ? chunk([], { usage }) : "";
    return finishAll() + usageChunk + SSE_DONE;
  };

  return {
    push(event: StreamEvent): string {
      if (closed) return "";
      switch (event.type) {
        case "start":
          return open(0);
        case "text_delta": {
          if (!live(event.choice)) return "";
          const delta: JsonObject = { content: event.delta };
          if (event.annotations && event.annotations.length > 0) {
            const converted = toChatAnnotations(event.annotations).value;
            if (converted.length > 0) delta["annotations"] = converted;
          }
          return open(event.choice) + deltaChunk(event.choice, delta);
        }
        case "refusal_delta":
          if (!live(event.choice)) return "";
          return open(event.choice) + deltaChunk(event.choice, { refusal: event.delta });
        case "reasoning_delta":
          if (!live(event.choice)) return "";
          return open(event.choice) + deltaChunk(event.choice, { reasoning_content: event.delta });
        case "tool_call_start":
          if (!live(event.choice)) return "";
          return (
            open(event.choice) +
            deltaChunk(event.choice, {
              tool_calls: [{ index: event.index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }],
            })
          );
        case "tool_call_delta":
          if (!live(event.choice) || event.argumentsDelta === "") return "";
          return (
            open(event.choice) +
            deltaChunk(event.choice, { tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] })
          );
        case "audio_delta": {
          if (!live(event.choice)) return "";
          const audio: JsonObject = {};
          if (event.id !== undefined) audio["id"] = event.id;
          if (event.data !== undefined) audio["data"] = event.data;
          if (event.transcript !== undefined) audio["transcript"] = event.transcript;
          if (event.expiresAt !== undefined) audio["expires_at"] = event.expiresAt;
          return open(event.choice) + deltaChunk(event.choice, { audio });
        }
        case "finish": {
          if (!live(event.choice)) return "";
          const prefix = open(event.choice);
          const state = choices.get(event.choice);
          if (state) state.finished = true;
          return prefix + deltaChunk(event.choice, {}, toChatFinishReason(event.reason));
        }
        case "usage":
          usage = encodeChatUsage(event.usage);
          return "";
        case "error":
          closed = true;
          return formatSseData({
            error: { message: event.error.message, type: event.error.type, code: event.error.code ?? null, param: null },
          });
        case "end":
          return finish();
        case "reasoning_signature":
        case "reasoning_encrypted":
        case "reasoning_redacted":
        case "reasoning_end":
        case "tool_call_end":
          return "";
        default: {
          const never: never = event;
          return never;
        }
      }
    },
    end(): string {
      return finish();
    },
  };
}
