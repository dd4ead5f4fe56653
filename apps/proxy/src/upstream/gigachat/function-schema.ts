// A tool's JSON schema in the form GigaChat accepts: `$ref`s to `$defs`/`definitions` inlined and a
// nullable union (`anyOf: [X, {type: null}]`, `type: [X, "null"]`) reduced to X, as yaLLMproxy sends it.

import { type JsonObject, isObject } from "./gigachat-api.js";

/** Deeper schemas are cut off (a recursive `$ref` would never end): a tool's parameters are never that deep. */
const MAX_DEPTH = 32;
/** Nodes an inlined schema may have, so that refs used many times cannot blow it up. */
const MAX_NODES = 20_000;

export function gigachatFunctionSchema(schema: JsonObject): JsonObject {
  const defs = isObject(schema.$defs) ? schema.$defs : isObject(schema.definitions) ? schema.definitions : {};
  const out = normalize(inline(schema, defs, 0, { left: MAX_NODES }));
  return isObject(out) ? out : schema;
}

function inline(node: unknown, defs: JsonObject, depth: number, budget: { left: number }): unknown {
  if (depth > MAX_DEPTH || --budget.left < 0) return {};
  if (Array.isArray(node)) return node.map((item) => inline(item, defs, depth + 1, budget));
  if (!isObject(node)) return node;
  const ref = node.$ref;
  if (typeof ref === "string") {
    const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
    if (name !== undefined) {
      const { $ref: _ref, ...rest } = node;
      const target = isObject(defs[name]) ? defs[name] : {};
      return inline({ ...target, ...rest }, defs, depth + 1, budget);
    }
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) if (k !== "$defs" && k !== "definitions") out[k] = inline(v, defs, depth + 1, budget);
  return out;
}

function normalize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalize);
  if (!isObject(node)) return node;
  let out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) out[k] = normalize(v);
  for (const key of ["anyOf", "oneOf"]) {
    const variants = out[key];
    if (!Array.isArray(variants)) continue;
    const kept = variants.filter((v) => !(isObject(v) && v.type === "null"));
    if (kept.length !== 1 || kept.length === variants.length || !isObject(kept[0])) continue;
    const merged: JsonObject = { ...kept[0] };
    for (const [k, v] of Object.entries(out)) if (k !== key && !(k === "default" && v === null)) merged[k] = v;
    out = merged;
    break;
  }
  if (Array.isArray(out.type)) {
    const types = out.type.filter((t) => t !== "null");
    if (types.length === 1) {
      out.type = types[0];
      if (out.default === null) delete out.default;
    }
  }
  return out;
}
