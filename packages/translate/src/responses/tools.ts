// Responses tools and `tool_choice` <-> hub. Function tools are flat here. Hosted tools
// (web_search, file_search, mcp, custom, namespace, …) cannot run on a translated route: they are
// dropped with a warning, and a `tool_choice` that forces one of them is a 400.

import { TranslateError } from "../codec.js";
import type { FunctionTool, ResponseFormat, ToolChoice, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";

export function decodeResponsesTools(value: unknown, warnings: TranslationWarning[]): FunctionTool[] | undefined {
  if (value === undefined || value === null) return undefined;
  const tools: FunctionTool[] = [];
  f.array(value, "tools").forEach((raw, i) => {
    const param = `tools[${i}]`;
    const tool = f.record(raw, param);
    const type = f.string(tool["type"], `${param}.type`);
    if (type !== "function") {
      const name = typeof tool["name"] === "string" ? ` '${tool["name"]}'` : "";
      warnings.push({ code: "tool_dropped", path: param, message: `hosted tool '${type}'${name} cannot run on this backend and was dropped` });
      return;
    }
    const out: FunctionTool = {
      type: "function",
      name: f.string(tool["name"], `${param}.name`),
      parameters: f.optionalRecord(tool["parameters"], `${param}.parameters`) ?? { type: "object", properties: {} },
    };
    const description = f.optionalString(tool["description"], `${param}.description`);
    const strict = f.optionalBoolean(tool["strict"], `${param}.strict`);
    if (description !== undefined) out.description = description;
    if (strict !== undefined) out.strict = strict;
    tools.push(out);
  });
  return tools;
}

function forcesHostedTool(what: string): TranslateError {
  return new TranslateError(`tool_choice forces the hosted tool '${what}', which this backend cannot run.`, {
    param: "tool_choice",
    code: "unsupported_value",
  });
}

export function decodeResponsesToolChoice(value: unknown, warnings: TranslationWarning[]): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    if (value === "auto" || value === "none" || value === "required") return { type: value };
    throw f.invalidValue("tool_choice", value, ["none", "auto", "required"]);
  }
  const choice = f.record(value, "tool_choice");
  const type = f.string(choice["type"], "tool_choice.type");
  if (type === "function") return { type: "tool", name: f.string(choice["name"], "tool_choice.name") };
  if (type === "allowed_tools") {
    const mode = f.string(choice["mode"], "tool_choice.mode");
    if (mode !== "auto" && mode !== "required") throw f.invalidValue("tool_choice.mode", mode, ["auto", "required"]);
    const names: string[] = [];
    f.array(choice["tools"], "tool_choice.tools").forEach((raw, i) => {
      const param = `tool_choice.tools[${i}]`;
      const t = f.record(raw, param);
      const tType = f.string(t["type"], `${param}.type`);
      if (tType === "function") names.push(f.string(t["name"], `${param}.name`));
      else warnings.push({ code: "value_adjusted", path: param, message: `hosted tool '${tType}' was removed from the allowed tools` });
    });
    if (names.length === 0) {
      if (mode === "required") throw forcesHostedTool("allowed_tools");
      return { type: "none" };
    }
    return { type: "allowed", mode, names };
  }
  const label = choice["name"] ?? choice["server_label"];
  throw forcesHostedTool(typeof label === "string" ? `${type}:${label}` : type);
}

/**
 * Hub tools in Responses' flat shape. `strict` is always explicit: Responses turns strict mode on
 * when it is omitted, which would rewrite schemas a Chat or Anthropic client wrote for non-strict use.
 */
export function encodeResponsesTools(tools: readonly FunctionTool[]): JsonObject[] {
  return tools.map((t) => {
    const out: JsonObject = { type: "function", name: t.name };
    if (t.description !== undefined) out["description"] = t.description;
    out["parameters"] = t.parameters;
    out["strict"] = t.strict ?? false;
    return out;
  });
}

export function encodeResponsesToolChoice(choice: ToolChoice): string | JsonObject {
  switch (choice.type) {
    case "auto":
    case "none":
    case "required":
      return choice.type;
    case "tool":
      return { type: "function", name: choice.name };
    case "allowed":
      return { type: "allowed_tools", mode: choice.mode, tools: choice.names.map((name) => ({ type: "function", name })) };
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
