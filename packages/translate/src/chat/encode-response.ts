// Hub response -> a `chat.completion` body for a Chat client.

import type { AssistantPart, Choice, LlmResponse, TranslateContext, Translated, TranslationWarning } from "../ir.js";
import { toChatAnnotations } from "../shared/annotations.js";
import type { JsonObject } from "../shared/guards.js";
import { encodeChatUsage } from "./usage.js";
import { toChatFinishReason } from "./finish-reason.js";

export interface EncodeChatResponseOptions {
  /** The model name the client asked for (default: the upstream's). */
  model?: string;
}

export function encodeChatResponse(res: LlmResponse, ctx: TranslateContext, opts: EncodeChatResponseOptions = {}): Translated<JsonObject> {
  const warnings: TranslationWarning[] = [];
  const body: JsonObject = {
    id: res.id !== "" ? res.id : ctx.newId("chatcmpl-"),
    object: "chat.completion",
    created: res.created > 0 ? res.created : ctx.now(),
    model: opts.model ?? res.model,
    choices: res.choices.map((choice, i) => encodeChoice(choice, `choices[${i}]`, warnings)),
  };
  if (res.usage) body["usage"] = encodeChatUsage(res.usage);
  if (res.serviceTier !== undefined) body["service_tier"] = res.serviceTier;
  if (res.systemFingerprint !== undefined) body["system_fingerprint"] = res.systemFingerprint;
  return { value: body, warnings };
}

function encodeChoice(choice: Choice, path: string, warnings: TranslationWarning[]): JsonObject {
  return {
    index: choice.index,
    message: encodeChatAssistantMessage(choice.content, `${path}.content`, warnings),
    logprobs: null,
    finish_reason: toChatFinishReason(choice.finishReason),
  };
}

/** Hub assistant parts as a Chat response message; texts are joined and their citations shifted to match. */
function encodeChatAssistantMessage(parts: readonly AssistantPart[], path: string, warnings: TranslationWarning[]): JsonObject {
  let text: string | null = null;
  const annotations: JsonObject[] = [];
  const refusals: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: JsonObject[] = [];
  let audio: JsonObject | undefined;
  parts.forEach((part, j) => {
    switch (part.type) {
      case "text": {
        const converted = toChatAnnotations(part.annotations, text?.length ?? 0, part.text.length);
        annotations.push(...converted.value);
        if (converted.dropped > 0) {
          warnings.push({
            code: "content_dropped",
            path: `${path}[${j}].annotations`,
            message: `${converted.dropped} annotation(s) with no Chat form were dropped`,
          });
        }
        text = (text ?? "") + part.text;
        return;
      }
      case "refusal":
        refusals.push(part.text);
        return;
      case "reasoning":
        if (part.text !== "") reasoning.push(part.text);
        return;
      case "tool_call":
        toolCalls.push({ id: part.id, type: "function", function: { name: part.name, arguments: part.arguments } });
        return;
      case "audio_output": {
        audio = {};
        if (part.id !== undefined) audio["id"] = part.id;
        if (part.data !== undefined) audio["data"] = part.data;
        if (part.transcript !== undefined) audio["transcript"] = part.transcript;
        if (part.expiresAt !== undefined) audio["expires_at"] = part.expiresAt;
        return;
      }
      case "web_search_call":
        warnings.push({ code: "content_dropped", path: `${path}[${j}]`, message: "Chat has no hosted web search; the backend's search was dropped" });
        return;
      default: {
        const never: never = part;
        return never;
      }
    }
  });
  const message: JsonObject = { role: "assistant", content: text, refusal: refusals.length > 0 ? refusals.join("") : null };
  if (reasoning.length > 0) message["reasoning_content"] = reasoning.join("\n\n");
  if (toolCalls.length > 0) message["tool_calls"] = toolCalls;
  if (annotations.length > 0) message["annotations"] = annotations;
  if (audio) message["audio"] = audio;
  return message;
}
