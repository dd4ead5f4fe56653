// Responses tools and `tool_choice` <-> hub. Function tools are flat here; the tools the client
// runs itself (`custom`, client `tool_search`, `namespace` functions) become hub functions through
// client-tools.ts. Hosted tools (web_search, file_search, code_interpreter, mcp, …) cannot run on a
// translated route: they are dropped with a warning, and a `tool_choice` that forces one is a 400.

import { TranslateError } from "../codec.js";
import type { FunctionTool, ResponseFormat, ToolChoice, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";
import { isWebSearchTool } from "./web-search.js";
import { ToolNames, decodeCustomTool, decodeNamespaceTool, decodeToolSearchTool, echoClientTools } from "./client-tools.js";

function decodeFunctionTool(tool: JsonObject, param: string, names: ToolNames): FunctionTool {
  const out: FunctionTool = {
    type: "function",
    name: names.keep(f.string(tool["name"], `${param}.name`)),
    parameters: f.optionalRecord(tool["parameters"], `${param}.parameters`) ?? { type: "object", properties: {} },
  };
  const description = f.optionalString(tool["description"], `${param}.description`);
  const strict = f.optionalBoolean(tool["strict"], `${param}.strict`);
  if (description !== undefined) out.description = description;
  if (strict !== undefined) out.strict = strict;
  return out;
}

/** One Responses tool (of `tools`, or loaded by a `tool_search_output`) as hub functions; hosted ones are dropped. */
export function decodeResponsesTool(raw: unknown, param: string, names: ToolNames, warnings: TranslationWarning[]): FunctionTool[] {
  const tool = f.record(raw, param);
  const type = f.string(tool["type"], `${param}.type`);
  switch (type) {
    case "function":
      return [decodeFunctionTool(tool, param, names)];
    case "custom":
      return [decodeCustomTool(tool, param, names)];
    case "namespace":
      return decodeNamespaceTool(tool, param, names, warnings);
    case "tool_search":
      if (tool["execution"] === "client") return [decodeToolSearchTool(tool, param, names)];
      break;
    default:
      break;
  }
  const name = typeof tool["name"] === "string" ? ` '${tool["name"]}'` : "";
  warnings.push({ code: "tool_dropped", path: param, message: `hosted tool '${type}'${name} runs on OpenAI's servers, not on this backend, and was dropped` });
  return [];
}

export function decodeResponsesTools(value: unknown, names: ToolNames, warnings: TranslationWarning[]): FunctionTool[] | undefined {
  if (value === undefined || value === null) return undefined;
  // Web search tools are read by decodeResponsesWebSearch: a backend with a hosted search may run them.
  return f.array(value, "tools").flatMap((raw, i) => (isWebSearchTool(raw) ? [] : decodeResponsesTool(raw, `tools[${i}]`, names, warnings)));
}

function forcesHostedTool(what: string): TranslateError {
  return new TranslateError(`tool_choice forces the hosted tool '${what}', which this backend cannot run.`, {
    param: "tool_choice",
    code: "unsupported_value",
  });
}

/** A named tool in `tool_choice`, by its hub name (a namespace's function by its flattened one). */
function chosenName(t: JsonObject, param: string, names: ToolNames): string {
  const name = f.string(t["name"], `${param}.name`);
  const namespace = f.optionalString(t["namespace"], `${param}.namespace`);
  return namespace === undefined ? name : names.namespaced(namespace, name);
}

export function decodeResponsesToolChoice(value: unknown, names: ToolNames, warnings: TranslationWarning[]): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    if (value === "auto" || value === "none" || value === "required") return { type: value };
    throw f.invalidValue("tool_choice", value, ["none", "auto", "required"]);
  }
  const choice = f.record(value, "tool_choice");
  const type = f.string(choice["type"], "tool_choice.type");
  if (type === "function" || type === "custom") return { type: "tool", name: chosenName(choice, "tool_choice", names) };
  if (type === "allowed_tools") {
    const mode = f.string(choice["mode"], "tool_choice.mode");
    if (mode !== "auto" && mode !== "required") throw f.invalidValue("tool_choice.mode", mode, ["auto", "required"]);
    const allowed: string[] = [];
    f.array(choice["tools"], "tool_choice.tools").forEach((raw, i) => {
      const param = `tool_choice.tools[${i}]`;
      const t = f.record(raw, param);
      const tType = f.string(t["type"], `${param}.type`);
      if (tType === "function" || tType === "custom") allowed.push(chosenName(t, param, names));
      else warnings.push({ code: "value_adjusted", path: param, message: `hosted tool '${tType}' was removed from the allowed tools` });
    });
    if (allowed.length === 0) {
      if (mode === "required") throw forcesHostedTool("allowed_tools");
      return { type: "none" };
    }
    return { type: "allowed", mode, names: allowed };
  }
  const label = choice["name"] ?? choice["server_label"];
  throw forcesHostedTool(typeof label === "string" ? `${type}:${label}` : type);
}

/**
 * Hub tools in Responses' shape, client tools as the client sent them. `strict` is always explicit:
 * Responses turns strict mode on when it is omitted, which would rewrite schemas a Chat or Anthropic
 * client wrote for non-strict use. `description` is null when there is none, as the Response object has it.
 */
export function encodeResponsesTools(tools: readonly FunctionTool[], opts: { echo: boolean }): JsonObject[] {
  return echoClientTools(tools, (t) => {
    const out: JsonObject = { type: "function", name: t.name };
    if (t.description !== undefined || opts.echo) out["description"] = t.description ?? null;
    out["parameters"] = t.parameters;
    out["strict"] = t.strict ?? false;
    return out;
  });
}

/** A named tool as `tool_choice` names it: custom tools as custom, a namespace's function with its namespace. */
function namedChoice(name: string, tools: readonly FunctionTool[]): JsonObject {
  const client = tools.find((t) => t.name === name)?.client;
  if (client?.type === "custom") return { type: "custom", name };
  if (client?.type === "namespaced") return { type: "function", name: client.name, namespace: client.namespace };
  return { type: "function", name };
}

export function encodeResponsesToolChoice(choice: ToolChoice, tools: readonly FunctionTool[] = []): string | JsonObject {
  switch (choice.type) {
    case "auto":
    case "none":
    case "required":
      return choice.type;
    case "tool":
      return namedChoice(choice.name, tools);
    case "allowed":
      return { type: "allowed_tools", mode: choice.mode, tools: choice.names.map((name) => namedChoice(name, tools)) };
    default: {
      const never: never = choice;
      return never;
    }
  }
}

export function decodeResponsesTextFormat(value: unknown): ResponseFormat | undefined {
  const format = f.optionalRecord(value, "text.format");
  if (!format) return undefined;
  const type = f.string(format["type"], "text.format.type");
  switch (type) {
    case "text":
    case "json_object":
      return { type };
    case "json_schema": {
      const out: ResponseFormat = {
        type: "json_schema",
        name: f.string(format["name"], "text.format.name"),
        schema: f.record(format["schema"], "text.format.schema"),
      };
      const strict = f.optionalBoolean(format["strict"], "text.format.strict");
      const description = f.optionalString(format["description"], "text.format.description");
      if (strict !== undefined) out.strict = strict;
      if (description !== undefined) out.description = description;
      return out;
    }
    default:
      throw f.invalidValue("text.format.type", type, ["text", "json_object", "json_schema"]);
  }
}

export function encodeResponsesTextFormat(format: ResponseFormat): JsonObject {
  switch (format.type) {
    case "text":
    case "json_object":
      return { type: format.type };
    case "json_schema": {
      const out: JsonObject = { type: "json_schema", name: format.name };
      if (format.description !== undefined) out["description"] = format.description;
      out["schema"] = format.schema;
      if (format.strict !== undefined) out["strict"] = format.strict;
      return out;
    }
    default: {
      const never: never = format;
      return never;
    }
  }
}
