// Responses tools the client runs itself but does not call plain functions — `custom` (freeform
// input, e.g. Codex's apply_patch), `tool_search` with client execution, and the functions of a
// `namespace` (an MCP server's) — as hub function tools a Chat or Anthropic backend can call, and
// the hub names mapped back to the client's own items.

import { createHash } from "node:crypto";
import type { ClientToolKind, FunctionTool, LlmRequest, ToolCallPart, TranslationWarning } from "../ir.js";
import type { JsonObject } from "../shared/guards.js";
import { isRecord } from "../shared/guards.js";
import { requestFields as f } from "../shared/validate.js";

/** The one parameter a custom tool's function takes. */
const CUSTOM_INPUT_KEY = "input";

/** Chat and Anthropic both accept names of at most 64 characters from `[a-zA-Z0-9_-]`. */
const MAX_NAME = 64;
const NAME_CHARS = /[^a-zA-Z0-9_-]/g;

/**
 * The hub name of a namespace's function: namespace and name joined by `__` (once, when one side
 * already has the underscores), made safe for every backend and cut with a hash when too long.
 */
export function flatToolName(namespace: string, name: string): string {
  const joined = namespace.endsWith("_") || name.startsWith("_") ? `${namespace}${name}` : `${namespace}__${name}`;
  const safe = joined.replace(NAME_CHARS, "_");
  if (safe === joined && safe.length <= MAX_NAME) return safe;
  const hash = createHash("sha256").update(`${namespace}\u0000${name}`).digest("hex").slice(0, 8);
  return `${safe.slice(0, MAX_NAME - 9)}_${hash}`;
}

/**
 * Hub names taken so far. The client's own names (functions, custom tools, tool_search) are kept
 * as they are, so calls come back under them; a flattened namespace function never takes a name
 * already in use.
 */
export class ToolNames {
  private readonly byNamespace = new Map<string, string>();
  private readonly taken = new Set<string>();

  /** Records a name the client gave; returns it unchanged. */
  keep(name: string): string {
    this.taken.add(name);
    return name;
  }

  /** The hub name of `namespace`'s function `name`: the one given before, or a new, unused one. */
  namespaced(namespace: string, name: string): string {
    const key = `${namespace}\u0000${name}`;
    let flat = this.byNamespace.get(key);
    if (flat === undefined) {
      const base = flatToolName(namespace, name);
      flat = base;
      for (let k = 2; this.taken.has(flat); k++) flat = `${base.slice(0, MAX_NAME - 4)}_${k}`;
      this.taken.add(flat);
      this.byNamespace.set(key, flat);
    }
    return flat;
  }
}

function customDescription(description: string | undefined, format: JsonObject | undefined): string {
  const lines = [description ?? ""];
  lines.push(`Put the tool's raw input text in the \`${CUSTOM_INPUT_KEY}\` string; it is not JSON.`);
  if (format && format["type"] === "grammar") {
    const syntax = typeof format["syntax"] === "string" ? format["syntax"] : "grammar";
    const definition = typeof format["definition"] === "string" ? format["definition"] : "";
    lines.push(`The input must match this ${syntax} grammar:\n${definition}`);
  }
  return lines.filter((l) => l !== "").join("\n\n");
}

export function decodeCustomTool(tool: JsonObject, param: string, names: ToolNames): FunctionTool {
  const name = f.string(tool["name"], `${param}.name`);
  const description = f.optionalString(tool["description"], `${param}.description`);
  const format = f.optionalRecord(tool["format"], `${param}.format`);
  const client: ClientToolKind = { type: "custom" };
  if (description !== undefined) client.description = description;
  if (format !== undefined) client.format = format;
  return {
    type: "function",
    name: names.keep(name),
    description: customDescription(description, format),
    parameters: { type: "object", properties: { [CUSTOM_INPUT_KEY]: { type: "string" } }, required: [CUSTOM_INPUT_KEY], additionalProperties: false },
    client,
  };
}

export function decodeToolSearchTool(tool: JsonObject, param: string, names: ToolNames): FunctionTool {
  const description = f.optionalString(tool["description"], `${param}.description`);
  const parameters = f.optionalRecord(tool["parameters"], `${param}.parameters`);
  const client: ClientToolKind = { type: "tool_search", execution: "client" };
  if (description !== undefined) client.description = description;
  return {
    type: "function",
    name: names.keep("tool_search"),
    description: description ?? "Search for more tools by what they do; the ones found become callable.",
    parameters: parameters ?? { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
    client,
  };
}

/** A `namespace` tool's functions, each under its hub name. */
export function decodeNamespaceTool(tool: JsonObject, param: string, names: ToolNames, warnings: TranslationWarning[]): FunctionTool[] {
  const namespace = f.string(tool["name"], `${param}.name`);
  const namespaceDescription = f.optionalString(tool["description"], `${param}.description`);
  return f.array(tool["tools"], `${param}.tools`).flatMap((raw, j): FunctionTool[] => {
    const p = `${param}.tools[${j}]`;
    const child = f.record(raw, p);
    const type = f.optionalString(child["type"], `${p}.type`) ?? "function";
    if (type !== "function") {
      warnings.push({ code: "tool_dropped", path: p, message: `a namespace member of type '${type}' cannot be offered to this backend and was dropped` });
      return [];
    }
    const name = f.string(child["name"], `${p}.name`);
    const description = f.optionalString(child["description"], `${p}.description`);
    const client: ClientToolKind = { type: "namespaced", namespace, name };
    if (description !== undefined) client.description = description;
    if (namespaceDescription !== undefined) client.namespaceDescription = namespaceDescription;
    const out: FunctionTool = {
      type: "function",
      name: names.namespaced(namespace, name),
      parameters: f.optionalRecord(child["parameters"], `${p}.parameters`) ?? { type: "object", properties: {} },
      client,
    };
    const joined = [namespaceDescription, description].filter((d) => d !== undefined && d !== "").join("\n\n");
    if (joined !== "") out.description = joined;
    const strict = f.optionalBoolean(child["strict"], `${p}.strict`);
    if (strict !== undefined) out.strict = strict;
    return [out];
  });
}

/** The client tool a call of this hub name belongs to: from the call itself, else the request's tools. */
export function clientKindOf(request: LlmRequest, part: ToolCallPart): ClientToolKind | undefined {
  return part.client ?? request.tools?.find((t) => t.name === part.name)?.client;
}

/** A custom tool call's freeform input, out of the function arguments the backend wrote. */
export function customInputOf(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (isRecord(parsed)) {
      const input = parsed[CUSTOM_INPUT_KEY];
      if (typeof input === "string") return input;
      const strings = Object.values(parsed).filter((v): v is string => typeof v === "string");
      if (strings.length === 1 && strings[0] !== undefined) return strings[0];
    }
    if (typeof parsed === "string") return parsed;
  } catch {
    // Not JSON: the model wrote the input itself.
  }
  return args;
}

/** The JSON arguments a backend expects for a custom tool call whose input is `input`. */
export function customArguments(input: string): string {
  return JSON.stringify({ [CUSTOM_INPUT_KEY]: input });
}

/** A tool_search call's arguments as the object Responses carries them in. */
export function toolSearchArgumentsOf(args: string): unknown {
  try {
    const parsed: unknown = JSON.parse(args);
    if (isRecord(parsed)) return parsed;
  } catch {
    // Unparsable: passed on as the query text.
  }
  return args === "" ? {} : { query: args };
}

/** The hub tools in the shape the client sent them: custom and tool_search restored, namespaces regrouped. */
export function echoClientTools(tools: readonly FunctionTool[], renderFunction: (t: FunctionTool) => JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  const namespaces = new Map<string, JsonObject[]>();
  for (const t of tools) {
    if (t.loaded) continue;
    const client = t.client;
    if (!client) out.push(renderFunction(t));
    else if (client.type === "custom") out.push({ type: "custom", name: t.name, description: client.description ?? null, format: client.format ?? null });
    else if (client.type === "tool_search")
      out.push({ type: "tool_search", execution: client.execution, description: client.description ?? null, parameters: t.parameters });
    else {
      let children = namespaces.get(client.namespace);
      if (!children) {
        children = [];
        namespaces.set(client.namespace, children);
        out.push({ type: "namespace", name: client.namespace, description: client.namespaceDescription ?? null, tools: children });
      }
      const { description: _flatDescription, ...rest } = t;
      children.push(renderFunction({ ...rest, name: client.name, ...(client.description !== undefined ? { description: client.description } : {}) }));
    }
  }
  return out;
}
