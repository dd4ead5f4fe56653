// Anthropic Messages request body (what Claude Code sends) → hub request. Fields with no hub meaning go to
// `passthrough.messages`, so an Anthropic backend gets them back unchanged.

import type { FunctionTool, LlmRequest, Message, ResponseFormat, ToolChoice, Translated, TranslationWarning } from "../ir.js";
import { TranslateError } from "../codec.js";
import { isRecord, type JsonObject } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";
import { decodeAssistantTurn, decodeSystemContent, decodeUserTurn } from "./decode-conversation.js";
import { decodeMessagesThinking } from "./decode-thinking.js";
import { isMessagesServerTool } from "./messages-api.js";

/** Top-level fields this decoder maps; everything else is kept in `passthrough.messages`. */
const MAPPED_FIELDS = new Set([
  "model",
  "messages",
  "max_tokens",
  "system",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "metadata",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
  "output_format",
  "service_tier",
]);

function required(body: JsonObject, field: string): unknown {
  const value = body[field];
  if (value === undefined || value === null) throw new TranslateError(`\`${field}\` is required`, { param: field });
  return value;
}

function decodeMessages(value: unknown, warnings: TranslationWarning[]): Message[] {
  const messages: Message[] = [];
  f.array(value, "messages").forEach((item, i) => {
    const path = `messages[${i}]`;
    const message = f.record(item, path);
    const role = f.string(message.role, `${path}.role`);
    const content = message.content;
    if (typeof content !== "string" && !Array.isArray(content)) f.fail(`${path}.content`, "a string or an array of content blocks");
    if (role === "user") messages.push(...decodeUserTurn(content, path, warnings));
    else if (role === "assistant") messages.push(decodeAssistantTurn(content, path, warnings));
    else if (role === "system") messages.push({ role: "system", content: decodeSystemContent(content, `${path}.content`) });
    else f.fail(`${path}.role`, "`user` or `assistant`");
  });
  return messages;
}

function decodeTools(value: unknown): { tools: FunctionTool[]; serverTools: JsonObject[] } {
  const tools: FunctionTool[] = [];
  const serverTools: JsonObject[] = [];
  f.array(value, "tools").forEach((item, i) => {
    const path = `tools[${i}]`;
    const tool = f.record(item, path);
    if (isMessagesServerTool(tool)) {
      serverTools.push(tool);
      return;
    }
    const decoded: FunctionTool = {
      type: "function",
      name: f.string(tool.name, `${path}.name`),
      parameters: f.record(tool.input_schema, `${path}.input_schema`),
    };
    const description = f.optionalString(tool.description, `${path}.description`);
    if (description !== undefined) decoded.description = description;
    const strict = f.optionalBoolean(tool.strict, `${path}.strict`);
    if (strict !== undefined) decoded.strict = strict;
    if (tool.cache_control !== undefined && tool.cache_control !== null) decoded.cacheControl = tool.cache_control;
    tools.push(decoded);
  });
  return { tools, serverTools };
}

function decodeToolChoice(value: unknown): { toolChoice: ToolChoice; parallelToolCalls?: boolean } {
  const choice = f.record(value, "tool_choice");
  const type = f.string(choice.type, "tool_choice.type");
  const disableParallel = f.optionalBoolean(choice.disable_parallel_tool_use, "tool_choice.disable_parallel_tool_use");
  const parallel = disableParallel === undefined ? {} : { parallelToolCalls: !disableParallel };
  switch (type) {
    case "auto":
      return { toolChoice: { type: "auto" }, ...parallel };
    case "any":
      return { toolChoice: { type: "required" }, ...parallel };
    case "tool":
      return { toolChoice: { type: "tool", name: f.string(choice.name, "tool_choice.name") }, ...parallel };
    case "none":
      return { toolChoice: { type: "none" } };
    default:
      return f.fail("tool_choice.type", "one of auto, any, tool, none");
  }
}

function decodeFormat(value: unknown, param: string): ResponseFormat {
  const format = f.record(value, param);
  if (format.type !== "json_schema") f.fail(`${param}.type`, "`json_schema`");
  return { type: "json_schema", name: "structured_output", schema: f.record(format.schema, `${param}.schema`) };
}

function withoutKeys(value: JsonObject, keys: string[]): JsonObject | undefined {
  const rest = Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

export function decodeMessagesRequest(body: unknown): Translated<LlmRequest> {
  if (!isRecord(body)) throw new TranslateError("The request body must be a JSON object");
  const warnings: TranslationWarning[] = [];
  const passthrough: JsonObject = {};

  const model = f.string(required(body, "model"), "model");
  const maxTokens = f.optionalNumber(required(body, "max_tokens"), "max_tokens");
  if (maxTokens === undefined || !Number.isInteger(maxTokens) || maxTokens < 1) f.fail("max_tokens", "a positive integer");
  const messages = decodeMessages(required(body, "messages"), warnings);

  const request: LlmRequest = { model, messages, maxOutputTokens: maxTokens, stream: f.optionalBoolean(body.stream, "stream") ?? false };

  if (body.system !== undefined && body.system !== null) {
    const system = decodeSystemContent(body.system, "system");
    if (system.length > 0) request.messages = [{ role: "system", content: system }, ...messages];
  }

  const temperature = f.optionalNumber(body.temperature, "temperature");
  if (temperature !== undefined) request.temperature = temperature;
  const topP = f.optionalNumber(body.top_p, "top_p");
  if (topP !== undefined) request.topP = topP;
  const topK = f.optionalNumber(body.top_k, "top_k");
  if (topK !== undefined) request.topK = topK;
  const stop = f.optionalStringArray(body.stop_sequences, "stop_sequences");
  if (stop !== undefined) request.stop = stop;
  const serviceTier = f.optionalString(body.service_tier, "service_tier");
  if (serviceTier !== undefined) request.serviceTier = serviceTier;

  if (body.metadata !== undefined && body.metadata !== null) {
    const metadata = f.record(body.metadata, "metadata");
    const user = f.optionalString(metadata.user_id, "metadata.user_id");
    if (user !== undefined) request.user = user;
    const rest = withoutKeys(metadata, ["user_id"]);
    if (rest !== undefined) passthrough.metadata = rest;
  }

  if (body.tools !== undefined && body.tools !== null) {
    const { tools, serverTools } = decodeTools(body.tools);
    if (tools.length > 0) request.tools = tools;
    if (serverTools.length > 0) passthrough.tools = serverTools;
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null) {
    const { toolChoice, parallelToolCalls } = decodeToolChoice(body.tool_choice);
    request.toolChoice = toolChoice;
    if (parallelToolCalls !== undefined) request.parallelToolCalls = parallelToolCalls;
  }

  const outputConfig = body.output_config === undefined || body.output_config === null ? undefined : f.record(body.output_config, "output_config");
  const reasoning = decodeMessagesThinking(body.thinking, outputConfig);
  if (reasoning !== undefined) request.reasoning = reasoning;
  // The raw form is kept so an Anthropic backend gets `adaptive`, `display` and the exact effort back.
  if (body.thinking !== undefined && body.thinking !== null) passthrough.thinking = body.thinking;
  if (outputConfig !== undefined) {
    if (outputConfig.format !== undefined && outputConfig.format !== null) {
      request.responseFormat = decodeFormat(outputConfig.format, "output_config.format");
    }
    const rest = withoutKeys(outputConfig, ["format"]);
    if (rest !== undefined) passthrough.output_config = rest;
  }
  if (body.output_format !== undefined && body.output_format !== null && request.responseFormat === undefined) {
    request.responseFormat = decodeFormat(body.output_format, "output_format");
  }

  for (const [key, value] of Object.entries(body)) {
    if (!MAPPED_FIELDS.has(key) && value !== undefined) passthrough[key] = value;
  }
  if (Object.keys(passthrough).length > 0) request.passthrough = { messages: passthrough };

  return { value: request, warnings };
}
