// One structural pass over a JSON body's bytes, without decoding or parsing it: nesting depth, the
// grammar outside string contents, the top-level keys and where their values lie, and (on request)
// the long string literals found at paths the caller names. String contents are skipped with native
// searches, so the cost grows with the number of tokens, not with the bytes.

import { type JsonShape, KIND_ARRAY, KIND_BOOLEAN, KIND_INTEGER, KIND_NULL, KIND_NUMBER, KIND_OBJECT, KIND_STRING, inEnum, propertyAt } from "./json-shape.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Strings up to this length are walked in JavaScript: cheaper than a native call. */
const SHORT_STRING = 32;

type JsonValueKind = "string" | "number" | "true" | "false" | "null" | "object" | "array";

/** A key of the top-level object and the byte span [start, end) of its value (quotes included). */
interface TopLevelEntry {
  key: string;
  /** The key is written with escapes (`key` is its decoded text). */
  escaped: boolean;
  kind: JsonValueKind;
  start: number;
  end: number;
}

/** Where a string literal lies: object keys, or -1 for an array element, from the top down. */
export type JsonPath = ReadonlyArray<string | -1>;

export interface JsonScanOptions {
  maxDepth: number;
  /** Report string literals of at least this many bytes (contents, quotes excluded) ... */
  longStringBytes?: number;
  /** ... found where this says yes. */
  longStringAt?: (path: JsonPath) => boolean;
  /** Checks the route's schema can make on the bytes (`fits` in the answer). */
  shape?: JsonShape;
}

export type JsonScan =
  | {
      ok: true;
      /** The top-level keys in order, when the body is an object (empty otherwise). */
      top: TopLevelEntry[];
      kind: JsonValueKind;
      /** Long strings as flat [start, end) pairs of their contents (inside the quotes). */
      longStrings: number[];
      /** Whether the value fits `shape` (false without one). */
      fits: boolean;
    }
  | { ok: false; reason: "too_deep" | "invalid"; at: number };

class Invalid {
  constructor(readonly at: number) {}
}

/**
 * Checks that `json` is one JSON value nesting at most `maxDepth` objects and arrays, and whether it
 * fits `shape`. What is not checked: the bytes inside strings (control characters, escapes, UTF-8);
 * callers that relay the bytes leave those to the receiver, and JSON.parse checks them elsewhere.
 */
export function scanJson(json: Buffer, opts: JsonScanOptions): JsonScan {
  const n = json.length;
  const minLong = opts.longStringAt ? (opts.longStringBytes ?? Infinity) : Infinity;
  const top: TopLevelEntry[] = [];
  const longStrings: number[] = [];
  // Per depth: 1 object, 2 array; the span of the current key, for paths of long strings; the
  // container's shape, the required keys it has shown and the items it has held.
  const size = opts.maxDepth + 2;
  const kinds = new Uint8Array(size);
  const keyStart = new Int32Array(size);
  const keyEnd = new Int32Array(size);
  const shapes: Array<JsonShape | undefined> = opts.shape ? new Array<JsonShape | undefined>(size) : [];
  const seen = new Int32Array(opts.shape ? size : 0);
  const count = new Int32Array(opts.shape ? size : 0);
  let fits = opts.shape !== undefined;
  let vshape: JsonShape | undefined | null = opts.shape;
  let depth = 0;
  let i = skipSpace(json, 0);
  let rootKind: JsonValueKind | undefined;
  let topEntry: TopLevelEntry | undefined;
  try {
    // Expecting a value at `i` (of shape `vshape`); after it, a comma, a close or the end.
    for (;;) {
      if (i >= n) throw new Invalid(i);
      const c = json[i]!;
      const valueStart = i;
      let kind: JsonValueKind;
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++depth > opts.maxDepth) return { ok: false, reason: "too_deep", at: i };
        const isObject = c === OPEN_BRACE;
        kinds[depth] = isObject ? 1 : 2;
        if (fits) {
          if (vshape && (vshape.kinds & (isObject ? KIND_OBJECT : KIND_ARRAY)) === 0) fits = false;
          shapes[depth] = vshape ?? undefined;
          seen[depth] = 0;
          count[depth] = 0;
        }
        if (depth === 1) rootKind = isObject ? "object" : "array";
        i = skipSpace(json, i + 1);
        if (json[i] === (isObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
          if (fits && vshape && !closes(vshape, isObject, 0, 0)) fits = false;
          depth--;
          i++;
          kind = isObject ? "object" : "array";
        } else {
          if (isObject) {
            i = readKey(json, i, depth, keyStart, keyEnd);
            if (depth === 1) top.push((topEntry = topEntryAt(json, keyStart[1]!, keyEnd[1]!, i)));
            if (fits) {
              vshape = shapeAfterKey(shapes[depth], json, keyStart[depth]!, keyEnd[depth]!, seen, depth);
              if (vshape === null) fits = false;
            } else vshape = undefined;
          } else if (fits && vshape) {
            count[depth] = 1;
            vshape = vshape.items;
          } else vshape = undefined;
          continue;
        }
      } else {
        if (c === QUOTE) {
          const end = stringEnd(json, i);
          if (end < 0) throw new Invalid(i);
          if (end - i - 1 >= minLong && opts.longStringAt!(pathAt(json, depth, kinds, keyStart, keyEnd))) longStrings.push(i + 1, end);
          i = end + 1;
          kind = "string";
        } else if (c === 0x74) {
          i = literal(json, i, "true");
          kind = "true";
        } else if (c === 0x66) {
          i = literal(json, i, "false");
          kind = "false";
        } else if (c === 0x6e) {
          i = literal(json, i, "null");
          kind = "null";
        } else {
          i = numberEnd(json, i);
          kind = "number";
        }
        if (fits && vshape && !scalarFits(vshape, kind, json, valueStart, i)) fits = false;
      }
      if (depth === 0) rootKind ??= kind;
      // A value has ended (or a container closed): close what ends here, then expect the next.
      for (;;) {
        if (depth === 1 && topEntry) {
          topEntry.kind = kind;
          topEntry.end = i;
          topEntry = undefined;
        }
        i = skipSpace(json, i);
        if (depth === 0) {
          if (i !== n) throw new Invalid(i);
          return { ok: true, top, kind: rootKind!, longStrings, fits };
        }
        const d = json[i];
        const isObject = kinds[depth] === 1;
        if (d === COMMA) {
          i = skipSpace(json, i + 1);
          if (isObject) {
            i = readKey(json, i, depth, keyStart, keyEnd);
            if (depth === 1) top.push((topEntry = topEntryAt(json, keyStart[1]!, keyEnd[1]!, i)));
            if (fits) {
              vshape = shapeAfterKey(shapes[depth], json, keyStart[depth]!, keyEnd[depth]!, seen, depth);
              if (vshape === null) fits = false;
            } else vshape = undefined;
          } else {
            const container = fits ? shapes[depth] : undefined;
            if (container) count[depth]!++;
            vshape = container?.items;
          }
          break;
        }
        if (d !== (isObject ? CLOSE_BRACE : CLOSE_BRACKET)) throw new Invalid(i);
        if (fits) {
          const container = shapes[depth];
          if (container && !closes(container, isObject, seen[depth]!, count[depth]!)) fits = false;
        }
        kind = isObject ? "object" : "array";
        depth--;
        i++;
      }
    }
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: "invalid", at: err.at };
    throw err;
  }
}

/**
 * The shape of the value after the key [start, end) of an object of shape `container` (its required
 * bit noted in `seen`); undefined when unchecked, null when the key is written with escapes.
 */
function shapeAfterKey(
  container: JsonShape | undefined,
  json: Buffer,
  start: number,
  end: number,
  seen: Int32Array,
  depth: number,
): JsonShape | undefined | null {
  if (!container?.properties) return undefined;
  for (let k = start; k < end; k++) if (json[k] === BACKSLASH) return null;
  const p = propertyAt(container, json, start, end);
  if (!p) return undefined;
  seen[depth]! |= p.bit;
  return p.shape;
}

/** Whether a closing container has its required keys (objects) or enough items (arrays). */
function closes(shape: JsonShape, isObject: boolean, seenMask: number, items: number): boolean {
  return isObject ? (seenMask & shape.requiredMask) === shape.requiredMask : shape.minItems === undefined || items >= shape.minItems;
}

/** Whether the scalar at [start, end) passes the shape's checks. */
function scalarFits(shape: JsonShape, kind: JsonValueKind, json: Buffer, start: number, end: number): boolean {
  let bits: number;
  let number = NaN;
  if (kind === "number") {
    number = Number(json.toString("latin1", start, end));
    bits = Number.isInteger(number) ? KIND_INTEGER : KIND_NUMBER;
  } else bits = kind === "string" ? KIND_STRING : kind === "null" ? KIND_NULL : KIND_BOOLEAN;
  if ((shape.kinds & bits) === 0) return false;
  if (shape.enumBytes && !inEnum(shape.enumBytes, json, start, end)) return false;
  if (kind === "number" && ((shape.minimum !== undefined && number < shape.minimum) || (shape.maximum !== undefined && number > shape.maximum))) return false;
  if (kind === "string" && shape.minLength !== undefined && end - start - 2 < 6 * shape.minLength) {
    // A character takes at most six bytes as written (`\uXXXX`); shorter strings are decoded.
    try {
      if ((JSON.parse(json.toString("utf8", start, end)) as string).length < shape.minLength) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Reads `"key" :` at `at` in the object at `depth` (its span kept per depth); the index of its value. */
function readKey(json: Uint8Array, at: number, depth: number, keyStart: Int32Array, keyEnd: Int32Array): number {
  if (json[at] !== QUOTE) throw new Invalid(at);
  const end = stringEnd(json, at);
  if (end < 0) throw new Invalid(at);
  keyStart[depth] = at + 1;
  keyEnd[depth] = end;
  let v = skipSpace(json, end + 1);
  if (json[v] !== COLON) throw new Invalid(v);
  v = skipSpace(json, v + 1);
  return v;
}

function topEntryAt(json: Uint8Array, start: number, end: number, value: number): TopLevelEntry {
  let escaped = false;
  for (let k = start; k < end; k++) if (json[k] === BACKSLASH) escaped = true;
  return { key: keyText(json, start, end, escaped), escaped, kind: "null", start: value, end: value };
}

function keyText(json: Uint8Array, start: number, end: number, escaped: boolean): string {
  const text = Buffer.from(json.buffer, json.byteOffset + start, end - start).toString("utf8");
  if (!escaped) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    throw new Invalid(start);
  }
}

/** The path of a value at `depth`, keys decoded only now (long strings are few). */
function pathAt(json: Buffer, depth: number, kinds: Uint8Array, keyStart: Int32Array, keyEnd: Int32Array): JsonPath {
  const path: Array<string | -1> = [];
  for (let d = 1; d <= depth; d++) {
    if (kinds[d] === 2) {
      path.push(-1);
      continue;
    }
    const s = keyStart[d]!;
    const e = keyEnd[d]!;
    let escaped = false;
    for (let k = s; k < e; k++) if (json[k] === BACKSLASH) escaped = true;
    // A key with escapes matches no path: it is not what the caller names.
    path.push(escaped ? "\\" : json.toString("latin1", s, e));
  }
  return path;
}

/** The index of the quote closing the string opening at `start`, or -1. */
export function stringEnd(json: Uint8Array, start: number): number {
  const n = json.length;
  let j = start + 1;
  const stop = Math.min(n, j + SHORT_STRING);
  while (j < stop) {
    const c = json[j]!;
    if (c === QUOTE) return j;
    j += c === BACKSLASH ? 2 : 1;
  }
  // `j` is never an escaped byte here, so a backslash run from `j` on pairs up from its start.
  for (;;) {
    if (j >= n) return -1;
    const q = json.indexOf(QUOTE, j);
    if (q < 0) return -1;
    let b = q - 1;
    while (b >= j && json[b] === BACKSLASH) b--;
    if (((q - 1 - b) & 1) === 0) return q;
    j = q + 1;
  }
}

function skipSpace(json: Uint8Array, i: number): number {
  for (;;) {
    const c = json[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

function literal(json: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (json[i + k] !== word.charCodeAt(k)) throw new Invalid(i + k);
  return i + word.length;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** The end of the number at `i` (JSON's grammar: no leading zeros, no `+`, no bare `.`). */
function numberEnd(json: Uint8Array, i: number): number {
  if (json[i] === 0x2d) i++;
  if (json[i] === 0x30) i++;
  else if (isDigit(json[i])) while (isDigit(json[i])) i++;
  else throw new Invalid(i);
  if (json[i] === 0x2e) {
    i++;
    if (!isDigit(json[i])) throw new Invalid(i);
    while (isDigit(json[i])) i++;
  }
  if (json[i] === 0x65 || json[i] === 0x45) {
    i++;
    if (json[i] === 0x2b || json[i] === 0x2d) i++;
    if (!isDigit(json[i])) throw new Invalid(i);
    while (isDigit(json[i])) i++;
  }
  return i;
}
