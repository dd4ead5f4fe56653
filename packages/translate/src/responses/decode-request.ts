// A Responses request body -> hub request. `instructions` becomes a leading system message; fields
// with no hub meaning (store, include, truncation, previous_response_id, …) go to
// `passthrough.responses`, so the Response can echo them and a Responses backend gets them back.

import type { FunctionTool, LlmRequest, Translated, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { REASONING_EFFORTS } from "../shared/reasoning.js";
import { requestFields as f } from "../shared/validate.js";
import { decodeResponsesInput } from "./decode-conversation.js";
import { ToolNames } from "./client-tools.js";
import type { ResponsesItemResolver } from "./responses-api.js";
import { decodeResponsesTextFormat, decodeResponsesToolChoice, decodeResponsesTools } from "./tools.js";
import { decodeResponsesWebSearch } from "./web-search.js";

export interface DecodeResponsesRequestOptions {
  /** Looks up `item_reference` ids; without it (or when it returns nothing) a reference is a 400. */
  resolveItem?: ResponsesItemResolver;
}

const KNOWN_FIELDS = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "text",
  "reasoning",
  "max_output_tokens",
  "parallel_tool_calls",
  "max_tool_calls",
  "temperature",
  "top_p",
  "top_logprobs",
  "presence_penalty",
  "frequency_penalty",
  "user",
  "safety_identifier",
  "prompt_cache_key",
  "service_tier",
  "metadata",
  "stream",
  "n",
]);

export function decodeResponsesRequest(body: unknown, opts: DecodeResponsesRequestOptions = {}): Translated<LlmRequest> {
  const warnings: TranslationWarning[] = [];
  const b = f.record(body, "body");
  const instructions = f.optionalString(b["instructions"], "instructions");
  const names = new ToolNames();
  const tools = decodeResponsesTools(b["tools"], names, warnings);
  const webSearch = decodeResponsesWebSearch(b["tools"], warnings);
  const loaded: FunctionTool[] = [];
  const messages = decodeResponsesInput(b["input"], { resolveItem: opts.resolveItem, names, loaded }, warnings);
  if (instructions !== undefined && instructions !== "") messages.unshift({ role: "system", content: [{ type: "text", text: instructions }] });

  const req: LlmRequest = {
    model: f.string(b["model"], "model"),
    messages,
    stream: f.optionalBoolean(b["stream"], "stream") ?? false,
  };
  const set = <K extends keyof LlmRequest>(key: K, value: LlmRequest[K] | undefined): void => {
    if (value !== undefined) req[key] = value;
  };

  if (tools !== undefined || loaded.length > 0) {
    const given = tools ?? [];
    req.tools = [...given, ...loaded.filter((t) => !given.some((g) => g.name === t.name))];
  }
  set("webSearch", webSearch);
  set("toolChoice", decodeResponsesToolChoice(b["tool_choice"], names, warnings));
  set("parallelToolCalls", f.optionalBoolean(b["parallel_tool_calls"], "parallel_tool_calls"));
  set("maxToolCalls", f.optionalInteger(b["max_tool_calls"], "max_tool_calls"));
  set("maxOutputTokens", f.optionalInteger(b["max_output_tokens"], "max_output_tokens"));
  set("temperature", f.optionalNumber(b["temperature"], "temperature"));
  set("topP", f.optionalNumber(b["top_p"], "top_p"));
  set("topLogprobs", f.optionalInteger(b["top_logprobs"], "top_logprobs"));
  set("presencePenalty", f.optionalNumber(b["presence_penalty"], "presence_penalty"));
  set("frequencyPenalty", f.optionalNumber(b["frequency_penalty"], "frequency_penalty"));
  set("user", f.optionalString(b["user"], "user"));
  set("safetyIdentifier", f.optionalString(b["safety_identifier"], "safety_identifier"));
  set("promptCacheKey", f.optionalString(b["prompt_cache_key"], "prompt_cache_key"));
  set("serviceTier", f.optionalString(b["service_tier"], "service_tier"));
  set("metadata", f.optionalStringMap(b["metadata"], "metadata"));
  set("n", f.optionalInteger(b["n"], "n"));

  const text = f.optionalRecord(b["text"], "text");
  if (text) {
    set("responseFormat", decodeResponsesTextFormat(text["format"]));
    set("verbosity", f.optionalEnum(text["verbosity"], "text.verbosity", ["low", "medium", "high"] as const));
  }

  const reasoning = f.optionalRecord(b["reasoning"], "reasoning");
  if (reasoning) {
    const effort = f.optionalEnum(reasoning["effort"], "reasoning.effort", REASONING_EFFORTS);
    const rawSummary =
      f.optionalString(reasoning["summary"], "reasoning.summary") ?? f.optionalString(reasoning["generate_summary"], "reasoning.generate_summary");
    const config: NonNullable<LlmRequest["reasoning"]> = {};
    if (effort !== undefined) config.effort = effort;
    if (effort === "none") config.disabled = true;
    if (rawSummary === "auto" || rawSummary === "concise" || rawSummary === "detailed") config.summary = rawSummary;
    else if (rawSummary !== undefined)
      warnings.push({ code: "reasoning_dropped", path: "reasoning.summary", message: `summary '${rawSummary}' is not supported and was ignored` });
    if (Object.keys(config).length > 0) req.reasoning = config;
  }

  const include = f.optionalArray(b["include"], "include");
  if (include?.includes("message.output_text.logprobs")) req.logprobs = true;

  const passthrough: JsonObject = {};
  for (const [k, v] of Object.entries(b)) if (!KNOWN_FIELDS.has(k) && v !== undefined) passthrough[k] = v;
  // Kept only so the Response can echo it; the system message above is what gets sent.
  if (instructions !== undefined) passthrough["instructions"] = instructions;
  if (Object.keys(passthrough).length > 0) req.passthrough = { responses: passthrough };
  return { value: req, warnings };
}
