// One structural pass over a JSON body's bytes, without decoding or parsing it: nesting depth, the
// grammar outside string contents, the top-level keys and where their values lie, and (on request)
// the long string literals found at paths the caller names. String contents are skipped with native
// searches, so the cost grows with the number of tokens, not with the bytes.

import { Invalid, literal, numberEnd, skipSpace, stringEnd } from "./json-lex.js";
import { type JsonShape, KIND_ARRAY, KIND_BOOLEAN, KIND_INTEGER, KIND_NULL, KIND_NUMBER, KIND_OBJECT, KIND_STRING, inEnum, propertyAt } from "./json-shape.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

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

/**
 * Checks that `json` is one JSON value nesting at most `maxDepth` objects and arrays, and whether it
 * fits `shape`. What is not checked: the bytes inside strings (control characters, escapes, UTF-8);
 * callers that relay the bytes leave those to the receiver, and JSON.parse checks them elsewhere.
 */
export function scanJson(json: Buffer, opts: JsonScanOptions): JsonScan {
  // One scanner's per-depth arrays serve every scan: a short body costs its bytes, not allocations.
  // A scan started from inside another (a `longStringAt` that scans) gets its own.
  let scanner = idle.pop();
  if (!scanner || scanner.size < opts.maxDepth + 2) scanner = new Scanner(opts.maxDepth + 2);
  try {
    return scanner.run(json, opts);
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: "invalid", at: err.at };
    throw err;
  } finally {
    scanner.release();
    idle.push(scanner);
  }
}

const idle: Scanner[] = [];

class TooDeep {
  constructor(readonly at: number) {}
}

/** The state of one scan; its per-depth arrays are kept for the next. */
class Scanner {
  // Per depth: 1 object, 2 array; the span of the current key, for paths of long strings; the
  // container's shape, the required keys it has shown and the items it has held.
  readonly kinds: Uint8Array;
  readonly keyStart: Int32Array;
  readonly keyEnd: Int32Array;
  readonly shapes: Array<JsonShape | undefined>;
  readonly seen: Int32Array;
  readonly count: Int32Array;
  private json: Buffer = EMPTY;
  private opts: JsonScanOptions = { maxDepth: 0 };
  private minLong = Infinity;
  private top: TopLevelEntry[] = [];
  private longStrings: number[] = [];
  private fits = false;
  private vshape: JsonShape | undefined | null;
  private depth = 0;
  private deepest = 0;
  private rootKind: JsonValueKind | undefined;
  private topEntry: TopLevelEntry | undefined;
  private scalarKind: JsonValueKind = "null";

  constructor(readonly size: number) {
    this.kinds = new Uint8Array(size);
    this.keyStart = new Int32Array(size);
    this.keyEnd = new Int32Array(size);
    this.shapes = new Array<JsonShape | undefined>(size);
    this.seen = new Int32Array(size);
    this.count = new Int32Array(size);
  }

  release(): void {
    this.json = EMPTY;
    this.opts = NO_OPTS;
    this.shapes.fill(undefined, 0, this.deepest + 1);
    this.vshape = undefined;
    this.topEntry = undefined;
  }

  run(json: Buffer, opts: JsonScanOptions): JsonScan {
    this.json = json;
    this.opts = opts;
    this.minLong = opts.longStringAt ? (opts.longStringBytes ?? Infinity) : Infinity;
    this.top = [];
    this.longStrings = [];
    this.fits = opts.shape !== undefined;
    this.vshape = opts.shape;
    this.depth = 0;
    this.deepest = 0;
    this.rootKind = undefined;
    this.topEntry = undefined;
    const n = json.length;
    let i = skipSpace(json, 0);
    try {
      // Expecting a value at `i` (of shape `vshape`); after it, a comma, a close or the end.
      for (;;) {
        if (i >= n) throw new Invalid(i);
        const c = json[i]!;
        let kind: JsonValueKind;
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          const next = this.open(c === OPEN_BRACE, i);
          if (next >= 0) {
            i = next;
            continue;
          }
          i = -next;
          kind = c === OPEN_BRACE ? "object" : "array";
        } else {
          const valueStart = i;
          i = this.scalar(c, i);
          kind = this.scalarKind;
          if (this.fits && this.vshape && !scalarFits(this.vshape, kind, json, valueStart, i)) this.fits = false;
        }
        if (this.depth === 0) this.rootKind ??= kind;
        i = this.closeValues(i, kind);
        if (i < 0) return { ok: true, top: this.top, kind: this.rootKind!, longStrings: this.longStrings, fits: this.fits };
      }
    } catch (err) {
      if (err instanceof TooDeep) return { ok: false, reason: "too_deep", at: err.at };
      throw err;
    }
  }

  /** Opens a container at `i`: the index of its first value, or minus the index past it when empty. */
  private open(isObject: boolean, i: number): number {
    const { json } = this;
    const depth = ++this.depth;
    if (depth > this.opts.maxDepth) throw new TooDeep(i);
    if (depth > this.deepest) this.deepest = depth;
    this.kinds[depth] = isObject ? 1 : 2;
    const vshape = this.vshape;
    if (this.fits) {
      if (vshape && (vshape.kinds & (isObject ? KIND_OBJECT : KIND_ARRAY)) === 0) this.fits = false;
      this.shapes[depth] = vshape ?? undefined;
      this.seen[depth] = 0;
      this.count[depth] = 0;
    }
    if (depth === 1) this.rootKind = isObject ? "object" : "array";
    i = skipSpace(json, i + 1);
    if (json[i] === (isObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
      if (this.fits && vshape && !closes(vshape, isObject, 0, 0)) this.fits = false;
      this.depth--;
      return -(i + 1);
    }
    if (isObject) return this.key(i);
    if (this.fits && vshape) {
      this.count[depth] = 1;
      this.vshape = vshape.items;
    } else this.vshape = undefined;
    return i;
  }

  /** Reads the key at `i` of the object at the current depth; the index of its value. */
  private key(i: number): number {
    const { json, depth } = this;
    i = readKey(json, i, depth, this.keyStart, this.keyEnd);
    if (depth === 1) this.top.push((this.topEntry = topEntryAt(json, this.keyStart[1]!, this.keyEnd[1]!, i)));
    if (this.fits) {
      this.vshape = shapeAfterKey(this.shapes[depth], json, this.keyStart[depth]!, this.keyEnd[depth]!, this.seen, depth);
      if (this.vshape === null) this.fits = false;
    } else this.vshape = undefined;
    return i;
  }

  /** The end of the scalar at `i` (its kind in `scalarKind`); long strings are noted. */
  private scalar(c: number, i: number): number {
    const { json } = this;
    if (c === QUOTE) {
      const end = stringEnd(json, i);
      if (end < 0) throw new Invalid(i);
      if (end - i - 1 >= this.minLong && this.opts.longStringAt!(pathAt(json, this.depth, this.kinds, this.keyStart, this.keyEnd)))
        this.longStrings.push(i + 1, end);
      this.scalarKind = "string";
      return end + 1;
    }
    if (c === 0x74) return this.word(i, "true");
    if (c === 0x66) return this.word(i, "false");
    if (c === 0x6e) return this.word(i, "null");
    this.scalarKind = "number";
    return numberEnd(json, i);
  }

  private word(i: number, word: "true" | "false" | "null"): number {
    this.scalarKind = word;
    return literal(this.json, i, word);
  }

  /**
   * A value of `kind` ended at `i`: closes what ends with it; the index of the next value, or -1 at
   * the end of the document.
   */
  private closeValues(i: number, kind: JsonValueKind): number {
    const { json } = this;
    for (;;) {
      const depth = this.depth;
      if (depth === 1 && this.topEntry) {
        this.topEntry.kind = kind;
        this.topEntry.end = i;
        this.topEntry = undefined;
      }
      i = skipSpace(json, i);
      if (depth === 0) {
        if (i !== json.length) throw new Invalid(i);
        return -1;
      }
      const d = json[i];
      const isObject = this.kinds[depth] === 1;
      if (d === COMMA) {
        i = skipSpace(json, i + 1);
        if (isObject) return this.key(i);
        const container = this.fits ? this.shapes[depth] : undefined;
        if (container) this.count[depth]!++;
        this.vshape = container?.items;
        return i;
      }
      if (d !== (isObject ? CLOSE_BRACE : CLOSE_BRACKET)) throw new Invalid(i);
      if (this.fits) {
        const container = this.shapes[depth];
        if (container && !closes(container, isObject, this.seen[depth]!, this.count[depth]!)) this.fits = false;
      }
      kind = isObject ? "object" : "array";
      this.depth--;
      i++;
    }
  }
}

const EMPTY = Buffer.alloc(0);
const NO_OPTS: JsonScanOptions = { maxDepth: 0 };

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

function topEntryAt(json: Buffer, start: number, end: number, value: number): TopLevelEntry {
  let escaped = false;
  for (let k = start; k < end; k++) if (json[k] === BACKSLASH) escaped = true;
  return { key: keyText(json, start, end, escaped), escaped, kind: "null", start: value, end: value };
}

function keyText(json: Buffer, start: number, end: number, escaped: boolean): string {
  const text = json.toString("utf8", start, end);
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
