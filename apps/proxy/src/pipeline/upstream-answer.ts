// Whether an upstream's 200 is the answer it claims to be, cheaply: its content type once per request,
// and for a JSON body its first and last bytes (pass-through bodies are never parsed for this). A body
// that fails, or a body that reports a failure in its own format (the backend codec says how), becomes
// the client's 502.

import { codecs } from "@yallmproxy/translate";
import { Errors, ProxyError } from "../errors.js";
import { readLimited } from "../router.js";
import type { Backend, BackendFormat, UpstreamError, UpstreamResponse } from "../upstream/types.js";

export function contentTypeOf(headers: UpstreamResponse["headers"]): string | undefined {
  const v = headers["content-type"];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Why a 200's content type cannot be the answer asked for (`text/html instead of an event stream`);
 * undefined when it can. A missing or unusual type is given the benefit of the doubt: the body decides.
 */
export function wrongContentType(contentType: string | undefined, stream: boolean): string | undefined {
  if (!contentType) return undefined;
  // What nearly every upstream sends, decided without making a string.
  if (contentType.startsWith(stream ? "text/event-stream" : "application/json")) return undefined;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (stream) {
    if (type === "text/event-stream") return undefined;
    return type.includes("json") || type.includes("html") || type.includes("xml") ? `${type} instead of an event stream` : undefined;
  }
  return type === "text/event-stream" || type.includes("html") || type.includes("xml") ? `${type} instead of JSON` : undefined;
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** What is wrong with a whole JSON body, from its first and last bytes only; undefined when it looks whole. */
export function badJsonBody(body: Buffer): string | undefined {
  let start = 0;
  while (start < body.length && isSpace(body[start]!)) start++;
  if (start === body.length) return "an empty body";
  if (body[start] !== 0x7b) return `a body that is not JSON (${snippet(body)})`;
  let end = body.length - 1;
  while (isSpace(body[end]!)) end--;
  if (body[end] !== 0x7d)
    return isJsonPrefix(body, start) ? `a JSON body that was cut short after ${body.length} bytes` : `a body that is not valid JSON (${snippet(body)})`;
  return undefined;
}

// What the prefix scan expects next.
const VALUE = 0;
const VALUE_OR_CLOSE = 1;
const KEY = 2;
const KEY_OR_CLOSE = 3;
const COLON = 4;
const COMMA_OR_CLOSE = 5;

const NUMBER_CHAR = /[0-9+\-.eE]/;
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const NUMBER_START = /^-?(0|[1-9]\d*)?(\.\d*)?([eE][+-]?\d*)?$/;
const LITERALS = ["true", "false", "null"];

/**
 * Whether `body` (from `from`) is how some JSON text begins: a body that ended early, not one that is
 * wrong. Only run on a body whose last byte already failed; iterative, so nesting costs no stack.
 */
function isJsonPrefix(body: Buffer, from = 0): boolean {
  const open: number[] = [];
  let want: number = VALUE;
  let i = from;
  const n = body.length;
  for (;;) {
    i = skipSpace(body, i);
    if (i >= n) return true;
    const b = body[i]!;
    if (want === COLON) {
      if (b !== 0x3a) return false;
      want = VALUE;
      i++;
      continue;
    }
    if (want === COMMA_OR_CLOSE) {
      const top = open.at(-1);
      if (top === undefined) return false; // something after the whole value
      if (b === 0x2c) want = top === 0x7b ? KEY : VALUE;
      else if (b === (top === 0x7b ? 0x7d : 0x5d)) open.pop();
      else return false;
      i++;
      continue;
    }
    if ((want === KEY_OR_CLOSE && b === 0x7d) || (want === VALUE_OR_CLOSE && b === 0x5d)) {
      open.pop();
      want = COMMA_OR_CLOSE;
      i++;
      continue;
    }
    if (want === KEY || want === KEY_OR_CLOSE) {
      if (b !== 0x22) return false;
      const after = skipString(body, i + 1);
      if (after < 0) return after === -1;
      i = after;
      want = COLON;
      continue;
    }
    // A value.
    if (b === 0x7b || b === 0x5b) {
      open.push(b);
      want = b === 0x7b ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
      i++;
      continue;
    }
    if (b === 0x22) {
      const after = skipString(body, i + 1);
      if (after < 0) return after === -1;
      i = after;
    } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
      let j = i;
      while (j < n && NUMBER_CHAR.test(String.fromCharCode(body[j]!))) j++;
      const text = body.toString("latin1", i, j);
      if (j >= n) return NUMBER_START.test(text);
      if (!NUMBER.test(text)) return false;
      i = j;
    } else {
      const word = LITERALS.find((w) => w.charCodeAt(0) === b);
      if (!word) return false;
      for (let k = 0; k < word.length; k++, i++) {
        if (i >= n) return true;
        if (body[i] !== word.charCodeAt(k)) return false;
      }
    }
    want = COMMA_OR_CLOSE;
  }
}

/** Past a string's closing quote; -1 if the body ends inside it, -2 if it is not a JSON string. */
function skipString(body: Buffer, from: number): number {
  let i = from;
  while (i < body.length) {
    const b = body[i]!;
    if (b === 0x22) return i + 1;
    if (b < 0x20) return -2;
    if (b === 0x5c) {
      const e = body[i + 1];
      if (e === undefined) return -1;
      if (e === 0x75) {
        for (let k = 2; k < 6; k++) {
          const h = body[i + k];
          if (h === undefined) return -1;
          if (!((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) return -2;
        }
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) return -2;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

/** The first bytes of a body as readable text, for a message. */
export function snippet(body: Buffer): string {
  const text = body.toString("utf8", 0, Math.min(body.length, 120)).replace(/\s+/g, " ").trim();
  return body.length > 120 ? `${text}…` : text;
}

function skipSpace(body: Buffer, from: number): number {
  let i = from;
  while (i < body.length && isSpace(body[i]!)) i++;
  return i;
}

/** The client's error for a 200 JSON body that is not a usable answer; undefined when it is one. */
export function checkJsonAnswer(format: BackendFormat, backend: string, body: Buffer): ProxyError | undefined {
  const bad = badJsonBody(body);
  if (bad) return Errors.upstreamBadResponse(backend, bad);
  const codec = codecs[format];
  if (!codec.opensLikeError(body)) return undefined;
  try {
    const failure = codec.reportedFailure(JSON.parse(body.toString("utf8")));
    return failure === undefined ? undefined : Errors.upstreamReportedError(backend, failure);
  } catch {
    return Errors.upstreamBadResponse(backend, `a body that is not JSON (${snippet(body)})`);
  }
}

/**
 * The client's error for a streaming request answered with something else: the upstream's own message
 * when its body is an error object of its format, else what it sent (`wrong`).
 */
export async function notAnEventStream(response: UpstreamResponse, backend: Backend, wrong: string): Promise<ProxyError> {
  const body = await readLimited(response.body, 64 * 1024);
  const bad = badJsonBody(body);
  if (bad) return Errors.upstreamBadResponse(backend.route.name, body.length === 0 ? bad : `${wrong}: ${bad}`);
  try {
    const failure = codecs[backend.format].reportedFailure(JSON.parse(body.toString("utf8")));
    if (failure !== undefined) return Errors.upstreamReportedError(backend.route.name, failure);
  } catch {
    // Not JSON after all: what it is is all there is to say.
  }
  return Errors.upstreamBadResponse(backend.route.name, wrong);
}

/** The client's error for a body that broke after its headers: 504 if it stalled, 499 if the client left, 503 at shutdown, else 502. */
export function bodyFailure(err: unknown, backend: string): ProxyError {
  if (err instanceof ProxyError) return err;
  const e = err as Partial<UpstreamError> & Error;
  if (e.kind === "aborted") return Errors.clientGone();
  if (e.kind === "shutdown") return Errors.shuttingDown();
  if (e.kind === "timeout") return Errors.upstreamStalled(backend, e.message);
  const how = e.kind === "closed" || e.kind === "connect" ? "closed the connection" : `broke off (${e.message})`;
  return Errors.upstreamBodyBroke(backend, how);
}
