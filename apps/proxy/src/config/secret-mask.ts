// Secrets in the config text as the admin API shows it: literal secrets become `***`, and a `***`
// sent back untouched is the running value again.

import { isMap, isScalar, isSeq, parseDocument, type Document, type Scalar } from "yaml";
import { isCredentialField } from "../ops/redact.js";
import { replaceScalars } from "./yaml-edit.js";

export const MASK = "***";
/** A value that only names variables (`${OPENAI_API_KEY}`, `Bearer ${TOKEN}`) shows no secret. */
export const ONLY_REFERENCES = /^\s*(?:\w+\s+)?(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)\s*$/;

/**
 * Identity of a list item across edits: models by name (deployments of one name by their id, or
 * else by their place among that name's entries), keys by key_id.
 */
function itemKey(node: unknown, seen: Map<string, number>): string | undefined {
  if (!isMap(node)) return undefined;
  const name = node.get("model_name") ?? node.get("key_id");
  if (typeof name !== "string") return undefined;
  const info = node.get("model_info");
  const id = node.get("id") ?? (isMap(info) ? info.get("id") : undefined);
  if (typeof id === "string") return `${name}@${id}`;
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  return n === 1 ? name : `${name}#${n}`;
}

/**
 * Walks every secret scalar, giving its logical path (list items by name): fields named like a
 * credential (`api_key`, `secret`, `password`, `*_token`, …) and every upstream header value.
 */
function eachSecret(node: unknown, path: string[], visit: (path: string, scalar: Scalar) => void, underHeaders = false): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if ((underHeaders || isCredentialField(key)) && isScalar(pair.value)) visit([...path, key].join("/"), pair.value);
      else eachSecret(pair.value, [...path, key], visit, key === "headers" && path[path.length - 1] === "model_params");
    }
  } else if (isSeq(node)) {
    const seen = new Map<string, number>();
    node.items.forEach((item, i) => eachSecret(item, [...path, itemKey(item, seen) ?? String(i)], visit));
  }
}

/** The config text with literal secrets shown as `***` (`${VAR}` references stay visible); nothing else changes. */
export function maskSecrets(text: string): string {
  if (!text.trim()) return text;
  const doc = parseDocument(text);
  if (doc.errors.length) return text;
  const edits: Array<{ node: Scalar; value: string }> = [];
  eachSecret(doc.contents, [], (_path, scalar) => {
    const v = scalar.value;
    if (typeof v === "string" && v !== "" && v !== MASK && !ONLY_REFERENCES.test(v)) edits.push({ node: scalar, value: MASK });
  });
  return replaceScalars(text, edits);
}

/** Puts back the running value of every `***` the operator left untouched; nothing else changes. */
export function unmaskSecrets(submitted: string, current: string): string {
  if (!submitted.includes(MASK)) return submitted;
  const known = new Map<string, unknown>();
  eachSecret(parseDocument(current).contents, [], (path, scalar) => known.set(path, scalar.value));
  const doc = parseDocument(submitted);
  if (doc.errors.length) return submitted;
  const edits: Array<{ node: Scalar; value: string }> = [];
  eachSecret(doc.contents, [], (path, scalar) => {
    const was = known.get(path);
    if (scalar.value === MASK && typeof was === "string") edits.push({ node: scalar, value: was });
  });
  return replaceScalars(submitted, edits);
}

/** Secrets still reading `***` after unmasking (moved or renamed): saving them would store the mask itself. */
export function unresolvedMasks(text: string, running: string): Array<{ path: string; message: string }> {
  if (!text.includes(MASK)) return [];
  const masked = new Set<string>();
  eachSecret(parseDocument(running).contents, [], (path, scalar) => scalar.value === MASK && masked.add(path));
  const out: Array<{ path: string; message: string }> = [];
  const doc = parseDocument(text);
  eachSecret(doc.contents, [], (path, scalar) => {
    if (scalar.value !== MASK || masked.has(path)) return;
    const at = doc.contents && scalar.range ? pathOfNode(doc, scalar) : undefined;
    out.push({
      path: at ?? path.replace(/\//g, "."),
      message: `"${MASK}" stands for a secret that is not at this place in the running config; enter the value (or a \${VAR})`,
    });
  });
  return out;
}

/** The dotted path (`model_list[0].model_params.api_key`) of a node in a document. */
function pathOfNode(doc: Document, target: unknown): string | undefined {
  let found: string | undefined;
  const walk = (node: unknown, path: string): void => {
    if (found !== undefined) return;
    if (node === target) {
      found = path;
      return;
    }
    if (isMap(node))
      for (const pair of node.items) walk(pair.value, `${path ? `${path}.` : ""}${isScalar(pair.key) ? String(pair.key.value) : String(pair.key)}`);
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, `${path}[${i}]`));
  };
  walk(doc.contents, "");
  return found;
}
