// Throwing validators for client request bodies. Each names the offending field in OpenAI's
// style (`messages[2].content`) so the route can answer with a precise 400.

import { TranslateError } from "../codec.js";
import { isRecord, type JsonObject } from "./guards.js";

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  if (typeof value === "boolean") return "a boolean";
  if (typeof value === "object") return "an object";
  return typeof value;
}

export function invalidType(param: string, expected: string, got: unknown): TranslateError {
  return new TranslateError(`Invalid type for '${param}': expected ${expected}, but got ${describe(got)} instead.`, {
    param,
    code: "invalid_type",
  });
}

export function invalidValue(param: string, value: unknown, allowed?: readonly string[]): TranslateError {
  const shown = typeof value === "string" ? `'${value}'` : JSON.stringify(value);
  const tail = allowed ? ` Supported values are: ${allowed.map((a) => `'${a}'`).join(", ")}.` : "";
  return new TranslateError(`Invalid value for '${param}': ${shown}.${tail}`, { param, code: "invalid_value" });
}

function missingParam(param: string): TranslateError {
  return new TranslateError(`Missing required parameter: '${param}'.`, { param, code: "missing_required_parameter" });
}

export function requireRecord(value: unknown, param: string): JsonObject {
  if (value === undefined) throw missingParam(param);
  if (!isRecord(value)) throw invalidType(param, "an object", value);
  return value;
}

export function optionalRecord(value: unknown, param: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalidType(param, "an object", value);
  return value;
}

export function requireString(value: unknown, param: string): string {
  if (value === undefined || value === null) throw missingParam(param);
  if (typeof value !== "string") throw invalidType(param, "a string", value);
  return value;
}

export function optionalString(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidType(param, "a string", value);
  return value;
}

export function optionalNumber(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalidType(param, "a number", value);
  return value;
}

export function optionalInteger(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw invalidType(param, "an integer", value);
  return value;
}

export function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidType(param, "a boolean", value);
  return value;
}

export function requireArray(value: unknown, param: string): unknown[] {
  if (value === undefined || value === null) throw missingParam(param);
  if (!Array.isArray(value)) throw invalidType(param, "an array", value);
  return value;
}

export function optionalArray(value: unknown, param: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidType(param, "an array", value);
  return value;
}

export function optionalEnum<T extends string>(value: unknown, param: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidType(param, "a string", value);
  if (!(allowed as readonly string[]).includes(value)) throw invalidValue(param, value, allowed);
  return value as T;
}

/** OpenAI `metadata`: a map of string to string. */
export function optionalStringMap(value: unknown, param: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalidType(param, "an object", value);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw invalidType(`${param}.${k}`, "a string", v);
    out[k] = v;
  }
  return out;
}
