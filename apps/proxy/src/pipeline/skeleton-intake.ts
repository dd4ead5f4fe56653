// Translated requests on a skeleton: each long string the translators carry as it is (an agent's
// tool results, prompts, file contents) is stood in for by a short placeholder while the body is
// parsed, decoded and encoded for the backend, and its original bytes go back into the serialized
// upstream body. Escapes are context-free, so a literal's inner bytes are valid inside any JSON
// string: concatenation by a translator stays correct. A placeholder carries a random per-request
// nonce, so client text can never forge one, and only characters JSON.stringify never escapes.

import { randomBytes } from "node:crypto";
import { isAscii, isUtf8 } from "node:buffer";
import type { FastifyRequest } from "fastify";
import { type JsonPath, type JsonScan, isOpaqueTextPath } from "@yallmproxy/translate";
import { Errors, type ProxyError } from "../errors.js";
import { routesForModel, stripProviderPrefix } from "../model-chain.js";
import { type BodyBytes, piecewise } from "../upstream/body-bytes.js";
import type { Backend } from "../upstream/types.js";
import type { ProxyRuntime } from "../runtime.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set when the body was parsed as a skeleton: its long strings are placeholders. */
    skeleton?: Skeleton;
  }
}

export interface Skeleton {
  raw: Buffer;
  /** The placeholder's fixed part; then the literal's index and `q`. */
  marker: string;
  /** Flat [start, end) pairs: the contents of each stood-in literal in `raw`. */
  spans: number[];
}

/** Strings shorter than this are parsed as they are: a placeholder would save little. */
export const SKELETON_MIN_STRING = 128;

/** Routes whose bodies may be translated on a skeleton, with their wire format. */
export const SKELETON_ROUTES: Record<string, "messages" | "responses"> = { "/v1/messages": "messages", "/v1/responses": "responses" };

export function opaqueTextAt(format: "messages" | "responses"): (path: JsonPath) => boolean {
  return format === "messages" ? (path) => isOpaqueTextPath("messages", path) : (path) => isOpaqueTextPath("responses", path);
}

/**
 * The body parsed as a skeleton, when its model is served by translation to Chat backends only and
 * nothing on the way keeps the client's text (a stored response, a previous one to chain, trace
 * capture `full`); undefined otherwise (the caller parses it in full).
 */
export function skeletonBody(
  req: FastifyRequest,
  scan: Extract<JsonScan, { ok: true }>,
  raw: Buffer,
  runtime: ProxyRuntime,
  format: "messages" | "responses",
): unknown {
  if (scan.kind !== "object" || scan.longStrings.length === 0) return undefined;
  let model: unknown;
  const seen = new Set<string>();
  for (const e of scan.top) {
    if (e.escaped || seen.has(e.key)) return undefined;
    seen.add(e.key);
    const small = e.kind !== "object" && e.kind !== "array" && e.end - e.start < 4096;
    const value: unknown = small ? JSON.parse(raw.toString("utf8", e.start, e.end)) : undefined;
    if (e.key === "model") model = value;
    // Responses: only `store: false` keeps nothing, and chains and background runs need the text.
    if (format === "responses" && e.key === "store" && value !== false) return undefined;
    if (format === "responses" && (e.key === "previous_response_id" || e.key === "background") && value !== null && value !== false) return undefined;
    // A compaction on create summarizes the text itself.
    if (format === "responses" && e.key === "context_management" && value !== null) return undefined;
  }
  if (format === "responses" && !seen.has("store")) return undefined;
  if (typeof model !== "string") return undefined;
  if (!isUtf8(raw)) return undefined;
  const name = stripProviderPrefix(model);
  if (runtime.ops.captureFor(name) === "full") return undefined;
  const { config, backends } = runtime.generation;
  const routes = routesForModel(config, name);
  if (routes.length === 0) return undefined;
  for (const route of routes) if (route.apiType === "mock" || backends.get(route.id)?.format !== "chat") return undefined;

  const built = parseSkeleton(raw, scan.longStrings);
  if (!built) return undefined;
  req.skeleton = built.skeleton;
  return built.parsed;
}

/** `raw` parsed with a placeholder for each literal whose contents `spans` names. */
export function parseSkeleton(raw: Buffer, spans: number[]): { parsed: unknown; skeleton: Skeleton } | undefined {
  const marker = `yLp${randomBytes(9).toString("hex")}x`;
  let text = "";
  let prev = 0;
  for (let k = 0; k < spans.length; k += 2) {
    text += `${raw.toString("utf8", prev, spans[k])}${marker}${k / 2}q`;
    prev = spans[k + 1]!;
  }
  text += raw.toString("utf8", prev);
  try {
    return { parsed: JSON.parse(text), skeleton: { raw, marker, spans } };
  } catch {
    // A short string broke the parse: the full parse words the error.
    return undefined;
  }
}

/**
 * The upstream body for a translated skeleton: `body` serialized, each placeholder replaced by its
 * literal's bytes. Undefined when a placeholder sits where it was escaped once more (serialized
 * twice) or is not one of this request's: the caller then restores the strings in `body` instead.
 */
export function restoredBytes(sk: Skeleton, body: unknown): BodyBytes | undefined {
  const out = Buffer.from(JSON.stringify(body));
  const marker = Buffer.from(sk.marker);
  const pieces: Buffer[] = [];
  let prev = 0;
  for (let at = out.indexOf(marker); at >= 0; at = out.indexOf(marker, prev)) {
    let end = at + marker.length;
    let k = 0;
    const digits = end;
    while (out[end]! >= 0x30 && out[end]! <= 0x39 && end - digits < 9) k = k * 10 + out[end++]! - 0x30;
    if (end === digits || out[end] !== 0x71 || 2 * k + 1 >= sk.spans.length) return undefined;
    end++;
    // `\"` right before or after: the placeholder was a whole string inside a serialized value.
    if ((out[at - 1] === 0x22 && out[at - 2] === 0x5c) || (out[end] === 0x5c && out[end + 1] === 0x22)) return undefined;
    pieces.push(out.subarray(prev, at), sk.raw.subarray(sk.spans[2 * k], sk.spans[2 * k + 1]));
    prev = end;
  }
  if (prev === 0) return out;
  pieces.push(out.subarray(prev));
  return piecewise(pieces);
}

/** `value` with every placeholder in its strings replaced by the decoded literal (a copy). */
export function restoredValue(sk: Skeleton, value: unknown): unknown {
  if (typeof value === "string") {
    if (!value.includes(sk.marker)) return value;
    const pattern = new RegExp(`${sk.marker}(\\d+)q`, "g");
    return value.replace(pattern, (_m, k: string) => literalText(sk, Number(k)));
  }
  if (Array.isArray(value)) return value.map((v) => restoredValue(sk, v));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = restoredValue(sk, v);
    return out;
  }
  return value;
}

function literalText(sk: Skeleton, k: number): string {
  const start = sk.spans[2 * k];
  const end = sk.spans[2 * k + 1];
  // The marker and index come from this request; an index out of range is left as written.
  if (start === undefined || end === undefined) return `${sk.marker}${k}q`;
  return JSON.parse(`"${sk.raw.toString("utf8", start, end)}"`) as string;
}

/** The client's body in full, in place of the skeleton, for a same-format backend. */
export function materializeSkeleton(req: { skeleton?: Skeleton | undefined }, stub: Record<string, unknown>): ProxyError | undefined {
  const sk = req.skeleton;
  if (!sk) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(sk.raw.toString("utf8")) as Record<string, unknown>;
  } catch (err) {
    return Errors.invalidJson((err as Error).message);
  }
  for (const key of Object.keys(stub)) delete stub[key];
  Object.assign(stub, parsed);
  return undefined;
}

/** A translated upstream request with the skeleton's strings back: as bytes, or in its body. */
export function restoreSkeleton<T extends { body: Record<string, unknown>; rawBody?: BodyBytes }>(sk: Skeleton, out: T, backend: Backend): T | ProxyError {
  try {
    // The mock backend reads the body itself.
    const bytes = backend.route.apiType === "mock" ? undefined : restoredBytes(sk, out.body);
    if (bytes) return { ...out, rawBody: bytes };
    return { ...out, body: restoredValue(sk, out.body) as Record<string, unknown> };
  } catch (err) {
    // A long string with a bad escape: what the full parse would have said.
    return Errors.invalidJson((err as Error).message);
  }
}

/**
 * The length a string of the decoded skeleton has with its stood-in text back, without decoding
 * that text: a streamed Messages answer opens with an input-token estimate from the text's length.
 */
export function realTextLength(sk: Skeleton): (s: string) => number {
  const lengths = new Map<number, number>();
  return (s) => {
    let n = s.length;
    for (let at = s.indexOf(sk.marker); at >= 0; at = s.indexOf(sk.marker, at + 1)) {
      let end = at + sk.marker.length;
      let k = 0;
      while (end < s.length && s.charCodeAt(end) >= 0x30 && s.charCodeAt(end) <= 0x39 && end - at < sk.marker.length + 9)
        k = k * 10 + s.charCodeAt(end++) - 0x30;
      if (s.charCodeAt(end) !== 0x71 || 2 * k + 1 >= sk.spans.length) continue;
      let len = lengths.get(k);
      if (len === undefined) lengths.set(k, (len = literalLength(sk, k)));
      n += len - (end + 1 - at);
    }
    return n;
  };
}

/**
 * A literal's length as written, in UTF-16 units: its escapes count as the characters they are
 * written with (a `\n` as two), so the estimate errs a few percent high, never low, and costs no
 * walk over the text.
 */
function literalLength(sk: Skeleton, k: number): number {
  const start = sk.spans[2 * k]!;
  const end = sk.spans[2 * k + 1]!;
  return isAscii(sk.raw.subarray(start, end)) ? end - start : sk.raw.toString("utf8", start, end).length;
}
