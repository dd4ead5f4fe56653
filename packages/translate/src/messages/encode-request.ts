// Hub request → Anthropic Messages body, for an Anthropic backend (OpenAI Chat/Responses clients, or an
// Anthropic client whose `passthrough.messages` fields are merged back).

import type { LlmRequest, ToolChoice, Translated, TranslationWarning } from "../ir.js";
import { isRecord, type JsonObject } from "../shared/guards.js";
import { convertToMessagesPrompt } from "./encode-conversation.js";
import { planMessagesThinking } from "./plan-thinking.js";
import { encodeMessagesWebSearchTool } from "./web-search.js";

export interface EncodeMessagesRequestOptions {
  /** The upstream model id. */
  model: string;
  /** `max_tokens` when the client gave none (Anthropic requires it). Default 4096. */
  defaultMaxTokens?: number;
}

export const DEFAULT_MESSAGES_MAX_TOKENS = 4096;

type Warnings = TranslationWarning[];

function encodeToolChoice(choice: ToolChoice | undefined, warnings: Warnings): JsonObject | undefined {
  if (choice === undefined) return undefined;
  switch (choice.type) {
    case "auto":
      return { type: "auto" };
    case "none":
      return { type: "none" };
    case "required":
      return { type: "any" };
    case "tool":
      return { type: "tool", name: choice.name };
    case "allowed":
      warnings.push({ code: "value_adjusted", path: "tool_choice", message: "allowed_tools approximated by sending only the allowed tools" });
      return { type: choice.mode === "required" ? "any" : "auto" };
    default: {
      const exhaustive: never = choice;
      return exhaustive;
    }
  }
}

function encodeTools(req: LlmRequest, warnings: Warnings): JsonObject[] {
  const allowed = req.toolChoice?.type === "allowed" ? new Set(req.toolChoice.names) : undefined;
  let strictCount = 0;
  const tools = (req.tools ?? [])
    .filter((tool) => allowed === undefined || allowed.has(tool.name))
    .map((tool) => {
      if (tool.strict === true) strictCount += 1;
      const schema = tool.parameters.type === undefined ? { type: "object", ...tool.parameters } : tool.parameters;
      const encoded: JsonObject = { name: tool.name };
      if (tool.description !== undefined) encoded.description = tool.description;
      encoded.input_schema = schema;
      if (tool.cacheControl !== undefined && tool.cacheControl !== null) encoded.cache_control = tool.cacheControl;
      return encoded;
    });
  if (strictCount > 0) {
    const message = `strict schema mode dropped on ${strictCount} tool(s): Anthropic would reject schemas it cannot enforce`;
    warnings.push({ code: "field_dropped", path: "tools", message });
  }
  if (req.webSearch) tools.push(encodeMessagesWebSearchTool(req.webSearch, req.maxToolCalls, warnings));
  const serverTools = req.passthrough?.messages?.tools;
  if (Array.isArray(serverTools)) tools.push(...serverTools.filter(isRecord));
  return tools;
}

/** Hub fields Anthropic has no counterpart for; each one set becomes a warning. */
const UNSUPPORTED_FIELDS: [keyof LlmRequest, string][] = [
  ["seed", "seed"],
  ["frequencyPenalty", "frequency_penalty"],
  ["presencePenalty", "presence_penalty"],
  ["logprobs", "logprobs"],
  ["topLogprobs", "top_logprobs"],
  ["verbosity", "verbosity"],
  ["promptCacheKey", "prompt_cache_key"],
  ["safetyIdentifier", "safety_identifier"],
  ["maxToolCalls", "max_tool_calls"],
];

/**
 * Anthropic: "when `thinking` is enabled, a final `assistant` message must start with a thinking block" when the
 * request answers its tool use (the last turn holds `tool_result` blocks).
 */
function toolLoopLacksThinking(messages: { role: string; content: JsonObject[] }[]): boolean {
  const last = messages[messages.length - 1];
  const assistant = messages[messages.length - 2];
  if (last?.role !== "user" || assistant?.role !== "assistant") return false;
  if (!last.content.some((block) => block.type === "tool_result")) return false;
  const first = assistant.content[0]?.type;
  return first !== "thinking" && first !== "redacted_thinking";
}

/** Temperature, top_p and top_k: dropped with thinking on (Anthropic refuses them), temperature clamped to 1. */
function encodeSamplers(req: LlmRequest, thinkingOn: boolean, body: JsonObject, warnings: Warnings): void {
  const samplers: [number | undefined, string][] = [
    [req.temperature, "temperature"],
    [req.topP, "top_p"],
    [req.topK, "top_k"],
  ];
  for (const [value, field] of samplers) {
    if (value === undefined) continue;
    if (thinkingOn) {
      warnings.push({ code: "field_dropped", path: field, message: `\`${field}\` dropped: Anthropic does not accept it with thinking on` });
    } else if (field === "temperature" && value > 1) {
      warnings.push({ code: "value_adjusted", path: field, message: `temperature ${value} clamped to 1 (Anthropic's maximum)` });
      body.temperature = 1;
    } else {
      body[field] = value;
    }
  }
}

/** `metadata.user_id` (the only metadata Anthropic carries) and `service_tier`. */
function encodeMetadata(req: LlmRequest, body: JsonObject, warnings: Warnings): void {
  const metadata: JsonObject = {};
  const passthroughMetadata = req.passthrough?.messages?.metadata;
  if (isRecord(passthroughMetadata)) Object.assign(metadata, passthroughMetadata);
  if (req.user !== undefined) metadata.user_id = req.user;
  if (Object.keys(metadata).length > 0) body.metadata = metadata;
  if (req.metadata !== undefined && Object.keys(req.metadata).length > 0) {
    warnings.push({ code: "field_dropped", path: "metadata", message: "Anthropic metadata only carries user_id; other metadata keys were dropped" });
  }

  if (req.serviceTier === "auto" || req.serviceTier === "standard_only") body.service_tier = req.serviceTier;
  else if (req.serviceTier !== undefined) {
    warnings.push({ code: "field_dropped", path: "service_tier", message: `service tier \`${req.serviceTier}\` has no Anthropic equivalent; dropped` });
  }
}

export function encodeMessagesRequest(req: LlmRequest, opts: EncodeMessagesRequestOptions): Translated<Record<string, unknown>> {
  const warnings: Warnings = [];
  const { system, messages } = convertToMessagesPrompt(req.messages, warnings);
  const requestedMax = req.maxOutputTokens ?? opts.defaultMaxTokens ?? DEFAULT_MESSAGES_MAX_TOKENS;
  const plan = planMessagesThinking(req, requestedMax, warnings);
  let thinkingOn = plan.thinking?.type === "enabled" || plan.thinking?.type === "adaptive";

  const body: JsonObject = { model: opts.model, max_tokens: requestedMax };
  if (system.length > 0) body.system = system;
  body.messages = messages;

  const tools = encodeTools(req, warnings);
  let toolChoice = encodeToolChoice(req.toolChoice, warnings);
  if (req.parallelToolCalls === false && toolChoice?.type !== "none") {
    toolChoice = { ...(toolChoice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  if (tools.length > 0) {
    body.tools = tools;
    if (toolChoice !== undefined) body.tool_choice = toolChoice;
  } else if (toolChoice !== undefined && (toolChoice.type === "any" || toolChoice.type === "tool")) {
    warnings.push({ code: "tool_dropped", path: "tool_choice", message: "a forced tool choice without tools was dropped" });
  }

  if (thinkingOn && (toolChoice?.type === "any" || toolChoice?.type === "tool") && tools.length > 0) {
    warnings.push({ code: "reasoning_dropped", path: "reasoning", message: "Anthropic cannot think while a tool call is forced; thinking turned off" });
    thinkingOn = false;
  } else if (thinkingOn && toolLoopLacksThinking(messages)) {
    // Chat clients cannot carry thinking signatures, so their tool-use turns come back without the signed
    // block Anthropic then requires; thinking off is the only request Anthropic accepts (LiteLLM does the same).
    warnings.push({
      code: "reasoning_dropped",
      path: "reasoning",
      message: "the assistant tool-use turn being answered has no signed thinking block to replay; thinking turned off for this request",
    });
    thinkingOn = false;
  } else if (plan.thinking !== undefined) {
    body.thinking = plan.thinking;
    body.max_tokens = plan.maxTokens;
  }

  encodeSamplers(req, thinkingOn, body, warnings);

  const outputConfig: JsonObject = {};
  const passthroughConfig = req.passthrough?.messages?.output_config;
  if (isRecord(passthroughConfig)) {
    for (const [key, value] of Object.entries(passthroughConfig)) if (key !== "effort") outputConfig[key] = value;
  }
  // Effort is sent with the thinking it came with; it is dropped only when forced tool use turned thinking off.
  if (plan.effort !== undefined && (thinkingOn || (plan.thinking?.type !== "enabled" && plan.thinking?.type !== "adaptive"))) {
    outputConfig.effort = plan.effort;
  }
  const format = req.responseFormat;
  if (format?.type === "json_schema") outputConfig.format = { type: "json_schema", schema: format.schema };
  else if (format?.type === "json_object") {
    warnings.push({ code: "field_dropped", path: "response_format", message: "JSON mode without a schema has no Anthropic equivalent; dropped" });
  }
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;

  if (req.stop !== undefined && req.stop.length > 0) body.stop_sequences = req.stop;
  body.stream = req.stream;

  encodeMetadata(req, body, warnings);

  if (req.n !== undefined && req.n > 1) warnings.push({ code: "choice_dropped", path: "n", message: `Anthropic returns one answer; n=${req.n} ignored` });
  for (const [key, field] of UNSUPPORTED_FIELDS) {
    if (req[key] !== undefined) warnings.push({ code: "field_dropped", path: field, message: `\`${field}\` has no Anthropic equivalent; dropped` });
  }

  for (const [key, value] of Object.entries(req.passthrough?.messages ?? {})) {
    if (!["thinking", "output_config", "metadata", "tools"].includes(key) && !(key in body)) body[key] = value;
  }
  return { value: body, warnings };
}
