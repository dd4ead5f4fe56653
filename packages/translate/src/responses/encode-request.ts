// Hub request -> the body for a native Responses backend (e.g. a Chat client routed to OpenAI
// Responses). Chat-only knobs with no Responses field are dropped with a warning.

import type { LlmRequest, Translated, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { openAIEffort } from "../shared/reasoning.js";
import { openAIUser } from "../shared/openai-user.js";
import { encodeResponsesInput } from "./encode-conversation.js";
import { encodeResponsesTextFormat, encodeResponsesToolChoice, encodeResponsesTools } from "./tools.js";

export interface EncodeResponsesRequestOptions {
  /** The backend's model name. */
  model: string;
  /**
   * Ask for `reasoning.encrypted_content` so reasoning can be replayed on the next turn
   * (only for reasoning models: others reject it). Added when storing is off.
   */
  includeEncryptedReasoning?: boolean;
}

/** Passthrough keys the encoder sets itself or that are echo-only. */
const OWN_KEYS = new Set(["instructions", "n"]);

export function encodeResponsesRequest(req: LlmRequest, opts: EncodeResponsesRequestOptions): Translated<JsonObject> {
  const warnings: TranslationWarning[] = [];
  const passthrough = req.passthrough?.responses ?? {};
  const store = passthrough["store"] === true;
  const { instructions, input } = encodeResponsesInput(req.messages, { store }, warnings);

  const body: JsonObject = { model: opts.model };
  if (instructions !== undefined) body["instructions"] = instructions;
  body["input"] = input;
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) body[key] = value;
  };

  const tools = [...encodeResponsesTools(req.tools ?? [], { echo: false }), ...(req.webSearch ? [req.webSearch.raw] : [])];
  if (tools.length > 0) body["tools"] = tools;
  if (req.toolChoice !== undefined) body["tool_choice"] = encodeResponsesToolChoice(req.toolChoice, req.tools);
  put("parallel_tool_calls", req.parallelToolCalls);
  put("max_tool_calls", req.maxToolCalls);
  put("max_output_tokens", req.maxOutputTokens);
  put("temperature", req.temperature);
  put("top_p", req.topP);
  put("top_logprobs", req.topLogprobs);

  const text: JsonObject = {};
  if (req.responseFormat !== undefined) text["format"] = encodeResponsesTextFormat(req.responseFormat);
  if (req.verbosity !== undefined) text["verbosity"] = req.verbosity;
  if (Object.keys(text).length > 0) body["text"] = text;

  const reasoning: JsonObject = {};
  const effort = openAIEffort(req.reasoning, "reasoning.effort", warnings);
  if (effort !== undefined) reasoning["effort"] = effort;
  if (req.reasoning?.summary !== undefined) reasoning["summary"] = req.reasoning.summary;
  if (Object.keys(reasoning).length > 0) body["reasoning"] = reasoning;

  put("user", openAIUser(req.user, warnings));
  put("safety_identifier", req.safetyIdentifier);
  put("prompt_cache_key", req.promptCacheKey);
  put("service_tier", req.serviceTier);
  put("metadata", req.metadata);

  const dropped: [string, boolean][] = [
    ["n", req.n !== undefined && req.n > 1],
    ["stop", req.stop !== undefined && req.stop.length > 0],
    ["seed", req.seed !== undefined],
    ["frequency_penalty", req.frequencyPenalty !== undefined],
    ["presence_penalty", req.presencePenalty !== undefined],
    ["top_k", req.topK !== undefined],
    ["logprobs", req.logprobs === true && !Array.isArray(passthrough["include"])],
  ];
  for (const [path, present] of dropped) {
    if (present) warnings.push({ code: "field_dropped", path, message: `Responses has no '${path}'; it was dropped` });
  }
  for (const key of Object.keys(req.passthrough?.chat ?? {})) {
    warnings.push({ code: "field_dropped", path: key, message: `Chat field '${key}' has no Responses equivalent and was dropped` });
  }

  for (const [k, v] of Object.entries(passthrough)) if (!OWN_KEYS.has(k) && !(k in body)) body[k] = v;
  body["store"] = store;
  if (!store && opts.includeEncryptedReasoning) {
    const include = Array.isArray(body["include"]) ? body["include"] : [];
    if (!include.includes("reasoning.encrypted_content")) body["include"] = [...include, "reasoning.encrypted_content"];
  }
  body["stream"] = req.stream;
  return { value: body, warnings };
}
