// Chat tool definitions and `tool_choice` <-> hub. Only function tools exist on the hub; other
// tool types are dropped with a warning, and forcing one of them is a 400.

import { TranslateError } from "../codec.js";
import type { FunctionTool, ToolChoice, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";

export function decodeChatTools(value: unknown, warnings: TranslationWarning[]): FunctionTool[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = f.array(value, "tools");
  const tools: FunctionTool[] = [];
  list.forEach((raw, i) => {
    const param = `tools[${i}]`;
    const tool = f.record(raw, param);
    const type = f.string(tool["type"], `${param}.type`);
    if (type !== "function") {
      warnings.push({ code: "tool_dropped", path: param, message: `tool type '${type}' is not supported by this route and was dropped` });
      return;
    }
    const fn = f.record(tool["function"], `${param}.function`);
    const out: FunctionTool = {
      type: "function",
      name: f.string(fn["name"], `${param}.function.name`),
      parameters: f.optionalRecord(fn["parameters"], `${param}.function.parameters`) ?? { type: "object", properties: {} },
    };
    const description = f.optionalString(fn["description"], `${param}.function.description`);
    const strict = f.optionalBoolean(fn["strict"], `${param}.function.strict`);
    if (description !== undefined) out.description = description;
    if (strict !== undefined) out.strict = strict;
    tools.push(out);
  });
  return tools;
}

function forcedUnsupported(name: string): TranslateError {
  return new TranslateError(`tool_choice forces '${name}', a tool this route cannot run.`, {
    param: "tool_choice",
    code: "unsupported_value",
  });
}

export function decodeChatToolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    if (value === "auto" || value === "none" || value === "required") return { type: value };
    throw f.invalidValue("tool_choice", value, ["none", "auto", "required"]);
  }
  const choice = f.record(value, "tool_choice");
  const type = f.string(choice["type"], "tool_choice.type");
  if (type === "function") {
    const fn = f.record(choice["function"], "tool_choice.function");
    return { type: "tool", name: f.string(fn["name"], "tool_choice.function.name") };
  }
  if (type === "allowed_tools") {
    const allowed = f.record(choice["allowed_tools"], "tool_choice.allowed_tools");
    const mode = f.string(allowed["mode"], "tool_choice.allowed_tools.mode");
    if (mode !== "auto" && mode !== "required") {
      throw f.invalidValue("tool_choice.allowed_tools.mode", mode, ["auto", "required"]);
    }
    const names: string[] = [];
    f.array(allowed["tools"], "tool_choice.allowed_tools.tools").forEach((raw, i) => {
      const param = `tool_choice.allowed_tools.tools[${i}]`;
      const t = f.record(raw, param);
      const tType = f.string(t["type"], `${param}.type`);
      if (tType !== "function") return; // a non-function tool was dropped from `tools` too
      names.push(f.string(f.record(t["function"], `${param}.function`)["name"], `${param}.function.name`));
    });
    if (names.length === 0) {
      if (mode === "required") throw forcedUnsupported("allowed_tools");
      return { type: "none" };
    }
    return { type: "allowed", mode, names };
  }
  if (type === "custom") {
    const custom = f.optionalRecord(choice["custom"], "tool_choice.custom");
    throw forcedUnsupported(typeof custom?.["name"] === "string" ? custom["name"] : "custom");
  }
  throw f.invalidValue("tool_choice.type", type, ["function", "allowed_tools"]);
}

export function encodeChatTools(tools: readonly FunctionTool[]): JsonObject[] {
  return tools.map((t) => {
    const fn: JsonObject = { name: t.name };
    if (t.description !== undefined) fn["description"] = t.description;
    fn["parameters"] = t.parameters;
    if (t.strict !== undefined) fn["strict"] = t.strict;
    return { type: "function", function: fn };
  });
}

export function encodeChatToolChoice(choice: ToolChoice): string | JsonObject {
  switch (choice.type) {
    case "auto":
    case "none":
    case "required":
      return choice.type;
    case "tool":
      return { type: "function", function: { name: choice.name } };
    case "allowed":
      return {
        type: "allowed_tools",
        allowed_tools: { mode: choice.mode, tools: choice.names.map((name) => ({ type: "function", function: { name } })) },
      };
    default: {
      const never: never = choice;
      throw f.invalidType("tool_choice", "a known tool choice", never);
    }
  }
}
