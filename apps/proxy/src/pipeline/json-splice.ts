// Edits one top-level string field of a JSON body in its bytes, so a large body (an agent's whole
// history) is relayed without being serialized again. Only text that JSON.parse already accepted is
// given here; anything unexpected answers undefined and the caller serializes the parsed body.

import { type BodyBytes, piecewise } from "../upstream/body-bytes.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The byte span [start, end) of the value of `key` in the top-level object of `json`, quotes
 * included; undefined when the key's text occurs anywhere else in the body (JSON.parse keeps the
 * last of duplicated keys, a byte edit would change the first), is written with escapes, is not at
 * the top level, or its value is not a string. The occurrences are counted with one native search;
 * only the bytes before the key are walked, and clients put the model first, so that walk is short.
 */
export function topLevelStringSpan(json: Buffer, key: string): [number, number] | undefined {
  const want = `"${key}"`;
  const at = json.indexOf(want);
  if (at < 0 || json.indexOf(want, at + want.length) >= 0) return undefined;
  // A second key spelled with escapes would be the one JSON.parse kept (`key` is letters a to o,
  // as `model` is: they escape as `\u006_`).
  if (json.indexOf("\\u006") >= 0) return undefined;
  if (!atTopLevelKey(json, at)) return undefined;
  let v = at + want.length;
  while (isSpace(json[v]!)) v++;
  if (json[v] !== 0x3a) return undefined; // ':'
  v++;
  while (isSpace(json[v]!)) v++;
  if (json[v] !== QUOTE) return undefined;
  const end = stringEnd(json, v);
  return end < 0 ? undefined : [v, end];
}

/** Whether the string opening at `at` is a key of the top-level object: the bytes before it are walked. */
function atTopLevelKey(json: Buffer, at: number): boolean {
  let depth = 0;
  // At depth 1, whether the next string is a key (after `{` or `,`) rather than a value.
  let expectKey = false;
  let i = 0;
  while (i < at) {
    const c = json[i]!;
    if (c === QUOTE) {
      const end = stringEnd(json, i);
      if (end < 0 || end > at) return false;
      if (depth === 1) expectKey = false;
      i = end;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      depth++;
      expectKey = depth === 1 && c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return depth === 1 && expectKey;
}

/** The index just past the closing quote of the string opening at `start`, or -1. */
function stringEnd(json: Buffer, start: number): number {
  let q = start;
  for (;;) {
    q = json.indexOf(QUOTE, q + 1);
    if (q < 0) return -1;
    // Escaped when preceded by an odd number of backslashes.
    let b = q - 1;
    while (json[b] === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * `json` with the top-level string `key` (now `expected`, as JSON.parse read it) set to `value`;
 * undefined where topLevelStringSpan is, or when the bytes say otherwise than the parse.
 */
export function spliceTopLevelString(json: Buffer, key: string, value: string, expected: unknown): BodyBytes | undefined {
  const span = topLevelStringSpan(json, key);
  if (!span || JSON.parse(json.toString("utf8", span[0], span[1])) !== expected) return undefined;
  return piecewise([json.subarray(0, span[0]), Buffer.from(JSON.stringify(value)), json.subarray(span[1])]);
}
