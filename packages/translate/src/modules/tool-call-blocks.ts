// Whole tool-call blocks found in a model's text (the part between the open and close tags) read
// as a call: GLM's `name<arg_key>k</arg_key><arg_value>v</arg_value>`, Qwen's `<function=name>`
// with `<parameter=k>v</parameter>` (or a JSON object), and Kimi K2's `name<sep>{json}`.
// A block that does not read as a call gives undefined: the caller keeps it as text.

/** A parsed call; `arguments` is the JSON text of an object. */
export interface ParsedToolCall {
  name: string;
  arguments: string;
}

export type ToolBlockParser = (block: string) => ParsedToolCall | undefined;

const ARG_PAIR = /<arg_key>([\s\S]*?)<\/arg_key>\s*<arg_value>([\s\S]*?)<\/arg_value>/g;
const PARAMETER = /<parameter\s*=\s*([^>\s]+)\s*>([\s\S]*?)<\/parameter>/g;
const FUNCTION_EQUALS = /^<function\s*=\s*([A-Za-z_][\w.-]*)\s*>([\s\S]*?)<\/function>$/;
const FUNCTION_TAG = /^<function>([\s\S]*?)<\/function>([\s\S]*)$/;
const FUNCTION_OPEN_ANYWHERE = /<function\s*=\s*([A-Za-z_][\w.-]*)\s*>/;
const FUNCTION_OPEN_AT_START = /^\s*<function\s*=\s*([A-Za-z_][\w.-]*)\s*>/;

/** A value parsed as JSON when it is JSON (`5`, `true`, `{…}`), else the text itself. */
function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** A function name: no spaces and no markup or JSON (a half-parsed block must not become a call). */
function validName(name: string): boolean {
  return /^[^\s<>{}[\]"'`]+$/.test(name);
}

/** Key/value pairs of one tag pattern covering the whole text (only whitespace between), or undefined. */
function pairs(text: string, pattern: RegExp): Record<string, unknown> | undefined {
  const args: Record<string, unknown> = {};
  let last = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (text.slice(last, m.index).trim() !== "") return undefined;
    const key = (m[1] ?? "").trim();
    if (key !== "") args[key] = jsonOrText((m[2] ?? "").trim());
    last = m.index + m[0].length;
  }
  return text.slice(last).trim() === "" ? args : undefined;
}

function call(name: string, args: unknown): ParsedToolCall {
  return { name, arguments: JSON.stringify(args) };
}

function functionForm(stripped: string): ParsedToolCall | undefined {
  const m = FUNCTION_EQUALS.exec(stripped) ?? FUNCTION_TAG.exec(stripped);
  if (!m) return undefined;
  const name = (m[1] ?? "").trim();
  if (!validName(name)) return undefined;
  const body = (m[2] ?? "").trim();
  if (body === "") return call(name, {});
  const args = pairs(body, ARG_PAIR) ?? pairs(body, PARAMETER);
  return args ? call(name, args) : undefined;
}

/** GLM-style blocks (`name<arg_key>…`) and the `<function=…>` / `<function>…</function>` forms. */
export function parseXmlToolBlock(block: string): ParsedToolCall | undefined {
  const stripped = block.trim();
  if (stripped === "") return undefined;
  const fn = functionForm(stripped);
  if (fn) return fn;
  const argStart = stripped.indexOf("<arg_key>");
  const name = (argStart === -1 ? stripped : stripped.slice(0, argStart)).trim();
  if (!validName(name)) return undefined;
  if (argStart === -1) return call(name, {});
  const args = pairs(stripped.slice(argStart), ARG_PAIR);
  return args ? call(name, args) : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `{"name": …, "parameters"|"arguments": {…}}`, also nested under `function`. */
function jsonForm(stripped: string): ParsedToolCall | undefined {
  const payload = jsonOrText(stripped);
  if (!isObject(payload)) return undefined;
  const fn = isObject(payload.function) ? payload.function : undefined;
  const rawName = typeof payload.name === "string" ? payload.name : typeof fn?.name === "string" ? fn.name : undefined;
  const name = rawName?.trim();
  if (name === undefined || !validName(name)) return undefined;
  let args: unknown = payload.parameters ?? payload.arguments ?? fn?.parameters ?? fn?.arguments ?? {};
  if (typeof args === "string") args = jsonOrText(args);
  return isObject(args) ? call(name, args) : undefined;
}

/** Qwen3's blocks: a JSON object, the XML forms, or a `<function=…>` body with repeated opens repaired. */
export function parseQwenToolBlock(block: string): ParsedToolCall | undefined {
  const stripped = block.trim();
  const fromJson = jsonForm(stripped);
  if (fromJson) return fromJson;
  const xml = parseXmlToolBlock(block);
  if (xml) return xml;
  const open = FUNCTION_OPEN_ANYWHERE.exec(stripped);
  if (!open) return undefined;
  const name = (open[1] ?? "").trim();
  const start = open.index + open[0].length;
  let end = stripped.lastIndexOf("</function>");
  if (end < start) end = stripped.length;
  let body = stripped.slice(start, end).trim();
  // Qwen sometimes repeats the opening tag; the same name again is dropped.
  for (let dup = FUNCTION_OPEN_AT_START.exec(body); dup && dup[1] === name; dup = FUNCTION_OPEN_AT_START.exec(body)) {
    body = body.slice(dup[0].length).trim();
  }
  if (body === "") return call(name, {});
  const args = pairs(body, PARAMETER) ?? pairs(body, ARG_PAIR);
  return args ? call(name, args) : undefined;
}

/** Kimi K2 blocks: `name<separator>{json}`; arguments that are not a JSON object make the block text. */
export function jsonToolBlockParser(separator: string): ToolBlockParser {
  return (block) => {
    const stripped = block.trim();
    if (stripped === "") return undefined;
    const at = separator === "" ? -1 : stripped.indexOf(separator);
    const name = (at === -1 ? stripped : stripped.slice(0, at)).trim();
    if (!validName(name)) return undefined;
    const argsText = at === -1 ? "" : stripped.slice(at + separator.length).trim();
    if (argsText === "") return call(name, {});
    const args = jsonOrText(argsText);
    return isObject(args) ? call(name, args) : undefined;
  };
}
