// Hub request -> the body for an OpenAI-compatible `/chat/completions` backend.

import type { LlmRequest, ResponseFormat, Translated, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { effectiveEffort, openAIEffort } from "../shared/reasoning.js";
import { openAIUser } from "../shared/openai-user.js";
import { encodeChatMessages } from "./encode-conversation.js";
import { encodeChatToolChoice, encodeChatTools } from "./tools.js";
import { webSearchDroppedWarning } from "../responses/web-search.js";

export interface EncodeChatRequestOptions {
  /** The backend's model name. */
  model: string;
  /** The backend takes `reasoning_effort` and `reasoning_content` in history. */
  supportsReasoning?: boolean;
  /** Hub `developer` messages are sent as `system` unless this says `developer` (default `system`). */
  developerRole?: "developer" | "system";
  /** `max_completion_tokens` (default) or the deprecated `max_tokens` that older servers need. */
  maxTokensField?: "max_completion_tokens" | "max_tokens";
}

export function encodeChatRequest(req: LlmRequest, opts: EncodeChatRequestOptions): Translated<JsonObject> {
  const warnings: TranslationWarning[] = [];
  const supportsReasoning = opts.supportsReasoning ?? false;
  const body: JsonObject = {
    model: opts.model,
    messages: encodeChatMessages(req.messages, { supportsReasoning, developerRole: opts.developerRole ?? "system" }, warnings),
  };
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) body[key] = value;
  };

  if (req.tools !== undefined && req.tools.length > 0) body["tools"] = encodeChatTools(req.tools);
  if (req.webSearch) warnings.push(webSearchDroppedWarning(req.webSearch));
  if (req.toolChoice !== undefined) body["tool_choice"] = encodeChatToolChoice(req.toolChoice);
  put("parallel_tool_calls", req.parallelToolCalls);
  put(opts.maxTokensField ?? "max_completion_tokens", req.maxOutputTokens);
  put("temperature", req.temperature);
  put("top_p", req.topP);
  put("stop", req.stop !== undefined && req.stop.length > 0 ? req.stop : undefined);
  put("n", req.n);
  put("seed", req.seed);
  put("frequency_penalty", req.frequencyPenalty);
  put("presence_penalty", req.presencePenalty);
  put("logprobs", req.logprobs);
  // OpenAI rejects top_logprobs without logprobs.
  if (req.topLogprobs !== undefined && req.logprobs === true) body["top_logprobs"] = req.topLogprobs;
  if (req.responseFormat !== undefined) body["response_format"] = encodeChatResponseFormat(req.responseFormat);
  put("verbosity", req.verbosity);

  const effort = supportsReasoning ? openAIEffort(req.reasoning, "reasoning.effort", warnings) : effectiveEffort(req.reasoning);
  if (effort !== undefined) {
    if (supportsReasoning) body["reasoning_effort"] = effort;
    else
      warnings.push({ code: "reasoning_dropped", path: "reasoning.effort", message: "the backend does not support reasoning; reasoning_effort was not sent" });
  }
  if (req.reasoning?.summary !== undefined) {
    warnings.push({ code: "reasoning_dropped", path: "reasoning.summary", message: "Chat has no reasoning summary setting; it was dropped" });
  }
  if (req.topK !== undefined) warnings.push({ code: "field_dropped", path: "top_k", message: "Chat has no top_k; it was dropped" });
  if (req.maxToolCalls !== undefined) warnings.push({ code: "field_dropped", path: "max_tool_calls", message: "Chat has no max_tool_calls; it was dropped" });

  put("user", openAIUser(req.user, warnings));
  put("safety_identifier", req.safetyIdentifier);
  put("metadata", req.metadata);
  put("service_tier", req.serviceTier);
  put("prompt_cache_key", req.promptCacheKey);

  const passthrough = req.passthrough?.chat ?? {};
  for (const [k, v] of Object.entries(passthrough)) if (!(k in body) && k !== "stream_options") body[k] = v;

  body["stream"] = req.stream;
  if (req.stream) {
    // Always ask for usage: the proxy meters every stream, whatever the client asked for.
    const extra = passthrough["stream_options"];
    body["stream_options"] = { ...(typeof extra === "object" && extra !== null ? extra : {}), include_usage: true };
  }
  return { value: body, warnings };
}

export function encodeChatResponseFormat(format: ResponseFormat): JsonObject {
  switch (format.type) {
    case "text":
    case "json_object":
      return { type: format.type };
    case "json_schema": {
      const js: JsonObject = { name: format.name };
      if (format.description !== undefined) js["description"] = format.description;
      js["schema"] = format.schema;
      if (format.strict !== undefined) js["strict"] = format.strict;
      return { type: "json_schema", json_schema: js };
    }
    default: {
      const never: never = format;
      return never;
    }
  }
}
