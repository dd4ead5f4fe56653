// Small readers for untyped JSON that either return the typed value or throw a TranslateError naming the
// offending field, so a bad client body becomes a 400 that points at the exact `param`.

import { TranslateError } from "../codec.js";

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(param: string, expected: string, status: number): never {
  throw new TranslateError(`\`${param}\`: expected ${expected}`, { status, param });
}

/** Readers bound to an HTTP status: 400 for client bodies, 502 for upstream bodies. */
function jsonReaders(status: number) {
  return {
    record(value: unknown, param: string): JsonObject {
      return isRecord(value) ? value : fail(param, "an object", status);
    },
    array(value: unknown, param: string): unknown[] {
      return Array.isArray(value) ? value : fail(param, "an array", status);
    },
    string(value: unknown, param: string): string {
      return typeof value === "string" ? value : fail(param, "a string", status);
    },
    optionalString(value: unknown, param: string): string | undefined {
      return value === undefined || value === null ? undefined : typeof value === "string" ? value : fail(param, "a string", status);
    },
    optionalNumber(value: unknown, param: string): number | undefined {
      if (value === undefined || value === null) return undefined;
      return typeof value === "number" && Number.isFinite(value) ? value : fail(param, "a number", status);
    },
    optionalBoolean(value: unknown, param: string): boolean | undefined {
      if (value === undefined || value === null) return undefined;
      return typeof value === "boolean" ? value : fail(param, "a boolean", status);
    },
    optionalStringArray(value: unknown, param: string): string[] | undefined {
      if (value === undefined || value === null) return undefined;
      if (!Array.isArray(value)) return fail(param, "an array of strings", status);
      return value.map((item, i) => (typeof item === "string" ? item : fail(`${param}[${i}]`, "a string", status)));
    },
    fail(param: string, expected: string): never {
      return fail(param, expected, status);
    },
  };
}

export const requestFields = jsonReaders(400);
export const upstreamFields = jsonReaders(502);

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
