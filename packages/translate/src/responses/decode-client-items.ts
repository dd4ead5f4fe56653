// Input items of the tools the client runs itself (client-tools.ts) -> hub parts: a custom tool's
// call and output, a client tool search's call and output (whose tools become callable), and a
// namespace function's call under its hub name.

import type { FunctionTool, Message, ToolCallPart, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";
import { type ToolNames, customArguments } from "./client-tools.js";
import { decodeResponsesTool } from "./tools.js";

export interface ClientItemContext {
  names: ToolNames;
  /** Tools loaded by tool searches so far, added to the request's tools. */
  loaded: FunctionTool[];
}

function withItemId(part: ToolCallPart, item: JsonObject, param: string): ToolCallPart {
  const itemId = f.optionalString(item["id"], `${param}.id`);
  if (itemId !== undefined) part.itemId = itemId;
  return part;
}

/** A `function_call` item; one with a `namespace` is called by its hub name. */
export function decodeFunctionCallItem(item: JsonObject, param: string, cx: ClientItemContext): ToolCallPart {
  const name = f.string(item["name"], `${param}.name`);
  const namespace = f.optionalString(item["namespace"], `${param}.namespace`);
  const part: ToolCallPart = {
    type: "tool_call",
    id: f.string(item["call_id"], `${param}.call_id`),
    name: namespace === undefined ? name : cx.names.namespaced(namespace, name),
    arguments: f.optionalString(item["arguments"], `${param}.arguments`) ?? "",
  };
  if (namespace !== undefined) part.client = { type: "namespaced", namespace, name };
  return withItemId(part, item, param);
}

export function decodeCustomToolCallItem(item: JsonObject, param: string): ToolCallPart {
  const part: ToolCallPart = {
    type: "tool_call",
    id: f.string(item["call_id"], `${param}.call_id`),
    name: f.string(item["name"], `${param}.name`),
    arguments: customArguments(f.string(item["input"], `${param}.input`)),
    client: { type: "custom" },
  };
  return withItemId(part, item, param);
}

export function decodeToolSearchCallItem(item: JsonObject, param: string): ToolCallPart {
  const args = item["arguments"];
  const part: ToolCallPart = {
    type: "tool_call",
    id: f.string(item["call_id"], `${param}.call_id`),
    name: "tool_search",
    arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
    client: { type: "tool_search", execution: f.optionalString(item["execution"], `${param}.execution`) ?? "client" },
  };
  return withItemId(part, item, param);
}

/** A tool search's result: the tools it found become callable, and the model reads their definitions. */
export function decodeToolSearchOutputItem(item: JsonObject, param: string, cx: ClientItemContext, warnings: TranslationWarning[]): Message {
  const raw = f.array(item["tools"], `${param}.tools`);
  raw.forEach((tool, j) => {
    for (const t of decodeResponsesTool(tool, `${param}.tools[${j}]`, cx.names, warnings)) {
      if (!cx.loaded.some((l) => l.name === t.name)) cx.loaded.push({ ...t, loaded: true });
    }
  });
  return { role: "tool", toolCallId: f.string(item["call_id"], `${param}.call_id`), content: [{ type: "text", text: JSON.stringify(raw) }] };
}
