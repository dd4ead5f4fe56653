// A Chat Completions request body -> hub request. Every field the hub reads is validated (a wrong
// type is a 400 naming the field); fields the hub has no meaning for go to `passthrough.chat`.

import type { LlmRequest, ResponseFormat, Translated, TranslationWarning } from "../ir.js";
import { type JsonObject } from "../shared/guards.js";
import { REASONING_EFFORTS } from "../shared/reasoning.js";
import { requestFields as f } from "../shared/validate.js";
import { decodeChatMessages } from "./decode-conversation.js";
import { decodeChatToolChoice, decodeChatTools } from "./tools.js";

/** Fields this decoder maps onto the hub; anything else is passthrough. */
const KNOWN_FIELDS = new Set([
  "model",
  "messages",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_completion_tokens",
  "max_tokens",
  "stop",
  "n",
  "seed",
  "temperature",
  "top_p",
  "frequency_penalty",
  "presence_penalty",
  "logprobs",
  "top_logprobs",
  "response_format",
  "reasoning_effort",
  "verbosity",
  "stream",
  "stream_options",
  "user",
  "safety_identifier",
  "metadata",
  "service_tier",
  "prompt_cache_key",
]);

export function decodeChatRequest(body: unknown): Translated<LlmRequest> {
  const warnings: TranslationWarning[] = [];
  const b = f.record(body, "body");
  const req: LlmRequest = {
    model: f.string(b["model"], "model"),
    messages: decodeChatMessages(b["messages"], warnings),
    stream: f.optionalBoolean(b["stream"], "stream") ?? false,
  };

  const tools = decodeChatTools(b["tools"], warnings);
  if (tools !== undefined) req.tools = tools;
  const toolChoice = decodeChatToolChoice(b["tool_choice"]);
  if (toolChoice !== undefined) req.toolChoice = toolChoice;

  const set = <K extends keyof LlmRequest>(key: K, value: LlmRequest[K] | undefined): void => {
    if (value !== undefined) req[key] = value;
  };
  set("parallelToolCalls", f.optionalBoolean(b["parallel_tool_calls"], "parallel_tool_calls"));
  set("maxOutputTokens", f.optionalInteger(b["max_completion_tokens"], "max_completion_tokens") ?? f.optionalInteger(b["max_tokens"], "max_tokens"));
  set("stop", decodeStop(b["stop"]));
  set("n", f.optionalInteger(b["n"], "n"));
  set("seed", f.optionalInteger(b["seed"], "seed"));
  set("temperature", f.optionalNumber(b["temperature"], "temperature"));
  set("topP", f.optionalNumber(b["top_p"], "top_p"));
  set("frequencyPenalty", f.optionalNumber(b["frequency_penalty"], "frequency_penalty"));
  set("presencePenalty", f.optionalNumber(b["presence_penalty"], "presence_penalty"));
  set("logprobs", f.optionalBoolean(b["logprobs"], "logprobs"));
  set("topLogprobs", f.optionalInteger(b["top_logprobs"], "top_logprobs"));
  set("responseFormat", decodeChatResponseFormat(b["response_format"]));
  set("verbosity", f.optionalEnum(b["verbosity"], "verbosity", ["low", "medium", "high"] as const));
  const effort = f.optionalEnum(b["reasoning_effort"], "reasoning_effort", REASONING_EFFORTS);
  if (effort !== undefined) req.reasoning = effort === "none" ? { effort, disabled: true } : { effort };
  set("user", f.optionalString(b["user"], "user"));
  set("safetyIdentifier", f.optionalString(b["safety_identifier"], "safety_identifier"));
  set("metadata", f.optionalStringMap(b["metadata"], "metadata"));
  set("serviceTier", f.optionalString(b["service_tier"], "service_tier"));
  set("promptCacheKey", f.optionalString(b["prompt_cache_key"], "prompt_cache_key"));

  const passthrough: JsonObject = {};
  const streamOptions = f.optionalRecord(b["stream_options"], "stream_options");
  if (streamOptions) {
    const { include_usage: includeUsage, ...rest } = streamOptions;
    const flag = f.optionalBoolean(includeUsage, "stream_options.include_usage");
    if (flag !== undefined) req.streamIncludeUsage = flag;
    if (Object.keys(rest).length > 0) passthrough["stream_options"] = rest;
  }
  for (const [k, v] of Object.entries(b)) if (!KNOWN_FIELDS.has(k) && v !== undefined) passthrough[k] = v;
  if (Object.keys(passthrough).length > 0) req.passthrough = { chat: passthrough };
  return { value: req, warnings };
}

function decodeStop(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) throw f.invalidType("stop", "a string or an array of strings", value);
  return value.map((s, i) => f.string(s, `stop[${i}]`));
}

export function decodeChatResponseFormat(value: unknown): ResponseFormat | undefined {
  const rf = f.optionalRecord(value, "response_format");
  if (!rf) return undefined;
  const type = f.string(rf["type"], "response_format.type");
  switch (type) {
    case "text":
    case "json_object":
      return { type };
    case "json_schema": {
      const js = f.record(rf["json_schema"], "response_format.json_schema");
      const out: ResponseFormat = {
        type: "json_schema",
        name: f.string(js["name"], "response_format.json_schema.name"),
        schema: f.optionalRecord(js["schema"], "response_format.json_schema.schema") ?? {},
      };
      const strict = f.optionalBoolean(js["strict"], "response_format.json_schema.strict");
      const description = f.optionalString(js["description"], "response_format.json_schema.description");
      if (strict !== undefined) out.strict = strict;
      if (description !== undefined) out.description = description;
      return out;
    }
    default:
      throw f.invalidValue("response_format.type", type, ["text", "json_object", "json_schema"]);
  }
}
