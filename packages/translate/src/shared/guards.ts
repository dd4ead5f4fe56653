// Non-throwing readers for untrusted JSON (upstream bodies and stream chunks): each returns the value
// when it has the expected type and `undefined` otherwise, so decoders can stay total.
import { parseUpstreamJson } from "./json-depth.js";

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function getString(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === "string" ? v : undefined;
}

export function getNumber(obj: JsonObject, key: string): number | undefined {
  const v = obj[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function getRecord(obj: JsonObject, key: string): JsonObject | undefined {
  const v = obj[key];
  return isRecord(v) ? v : undefined;
}

export function getArray(obj: JsonObject, key: string): unknown[] | undefined {
  const v = obj[key];
  return Array.isArray(v) ? v : undefined;
}

/** `JSON.parse` that reports failure (or nesting past the upstream bound) instead of throwing. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: parseUpstreamJson(text) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** A non-negative count, or undefined when the field is absent, null or not a number. */
export function readCount(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Parses tool-call arguments into the object Anthropic wants; anything but a JSON object is reported. */
export function parseToolArguments(args: string): { input: JsonObject; ok: boolean } {
  if (args.trim() === "") return { input: {}, ok: true };
  try {
    const parsed: unknown = JSON.parse(args);
    return isRecord(parsed) ? { input: parsed, ok: true } : { input: {}, ok: false };
  } catch {
    return { input: {}, ok: false };
  }
}
