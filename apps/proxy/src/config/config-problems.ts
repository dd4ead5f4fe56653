// What is wrong with a config text, by path and line, and what a change made through the admin API
// may not do although the loader would accept it.

import { LineCounter, parse as parseYaml, parseDocument, type Document } from "yaml";
import { ConfigError, type LoadedConfig } from "./load-config.js";

export interface ConfigProblem {
  path: string;
  message: string;
  line?: number;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  }
}

/** `model_list[1].model_params.api_base` → ["model_list", 1, "model_params", "api_base"]. */
function splitPath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

function lineOf(doc: Document, counter: LineCounter, path: Array<string | number>): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Problems of a config text, each with the line it points at. */
export function problemsOf(err: ConfigError, text: string): ConfigProblem[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length) {
    return doc.errors.map((e) => ({ path: "(yaml)", message: e.message.split("\n")[0] ?? "YAML syntax error", line: e.linePos?.[0]?.line }));
  }
  return withLines(
    err.problems.map((p) => {
      const at = p.indexOf(": ");
      return at > 0 ? { path: p.slice(0, at), message: p.slice(at + 2) } : { path: "(root)", message: p };
    }),
    text,
    doc,
    counter,
  );
}

/** Each problem with the line its path points at. */
export function withLines(problems: Array<{ path: string; message: string }>, text: string, doc?: Document, counter?: LineCounter): ConfigProblem[] {
  const lines = counter ?? new LineCounter();
  const parsed = doc ?? parseDocument(text, { lineCounter: lines });
  return problems.map(({ path, message }) => {
    const line = lineOf(parsed, lines, splitPath(path));
    return { path, message, ...(line !== undefined ? { line } : {}) };
  });
}

/**
 * Model entries as written (before variables), by name, as canonical JSON of the entry and every
 * entry it `extends`: a change to a parent changes the model too.
 */
function entriesByName(text: string): Map<string, { json: string; inherited: string; index: number; protected: boolean }> {
  const out = new Map<string, { json: string; inherited: string; index: number; protected: boolean }>();
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return out;
  }
  const list = (doc as { model_list?: unknown } | null)?.model_list;
  if (!Array.isArray(list)) return out;
  const byName = new Map<string, { entry: unknown; index: number }>();
  list.forEach((entry, index) => {
    const name = (entry as { model_name?: unknown } | null)?.model_name;
    if (typeof name === "string" && !byName.has(name)) byName.set(name, { entry, index });
  });
  for (const [name, { entry, index }] of byName) {
    const chain: unknown[] = [entry];
    const seen = new Set([name]);
    for (let parent = (entry as { extends?: unknown } | null)?.extends; typeof parent === "string" && !seen.has(parent);) {
      seen.add(parent);
      const found = byName.get(parent)?.entry;
      chain.push(found ?? null);
      parent = (found as { extends?: unknown } | null)?.extends;
    }
    out.set(name, {
      json: canonicalJson(entry),
      inherited: canonicalJson(chain.slice(1)),
      index,
      protected: (entry as { protected?: unknown } | null)?.protected === true,
    });
  }
  return out;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Why a change made through the admin API is refused although the loader would accept it. */
export function adminChangeProblems(
  before: { text: string; mistakes: LoadedConfig["mistakes"] },
  after: { text: string; mistakes: LoadedConfig["mistakes"] },
): Array<{ path: string; message: string }> {
  const known = new Set(before.mistakes.map((m) => m.message));
  const problems = after.mistakes.filter((m) => !known.has(m.message));
  const was = entriesByName(before.text);
  const now = entriesByName(after.text);
  for (const [name, entry] of was) {
    if (!entry.protected) continue;
    const next = now.get(name);
    if (!next)
      problems.push({ path: "model_list", message: `model "${name}" is protected: it cannot be deleted through the admin API (edit the config file)` });
    else if (next.json !== entry.json)
      problems.push({
        path: `model_list[${next.index}]`,
        message: `model "${name}" is protected: it cannot be changed through the admin API (edit the config file)`,
      });
    else if (next.inherited !== entry.inherited)
      problems.push({
        path: `model_list[${next.index}]`,
        message: `model "${name}" is protected: what it extends cannot be changed through the admin API (edit the config file)`,
      });
  }
  return problems;
}
