// The one family of throwing readers for untyped JSON: each returns the typed value or throws a
// TranslateError naming the offending field in OpenAI's style (`messages[2].content`), with the status
// the caller's side implies — 400 for a client's body, 502 for an upstream's.

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

const absent = (value: unknown): value is undefined | null => value === undefined || value === null;

/** The errors a reader throws, bound to an HTTP status. */
function fieldErrors(status: number) {
  const invalidType = (param: string, expected: string, got: unknown): TranslateError =>
    new TranslateError(`Invalid type for '${param}': expected ${expected}, but got ${describe(got)} instead.`, { status, param, code: "invalid_type" });
  const invalidValue = (param: string, value: unknown, allowed?: readonly string[]): TranslateError => {
    const shown = typeof value === "string" ? `'${value}'` : JSON.stringify(value);
    const tail = allowed ? ` Supported values are: ${allowed.map((a) => `'${a}'`).join(", ")}.` : "";
    return new TranslateError(`Invalid value for '${param}': ${shown}.${tail}`, { status, param, code: "invalid_value" });
  };
  const missingParam = (param: string): TranslateError =>
    new TranslateError(`Missing required parameter: '${param}'.`, { status, param, code: "missing_required_parameter" });
  return {
    invalidType,
    invalidValue,
    missingParam,
    /** A value that is the right type but not one this field takes; `expected` says what would be. */
    fail(param: string, expected: string): never {
      throw new TranslateError(`Invalid value for '${param}': expected ${expected}.`, { status, param, code: "invalid_value" });
    },
  };
}

type FieldErrors = ReturnType<typeof fieldErrors>;

/** Readers of one scalar or object value. */
function scalarReaders({ invalidType, invalidValue, missingParam }: FieldErrors) {
  const optionalString = (value: unknown, param: string): string | undefined => {
    if (absent(value)) return undefined;
    if (typeof value !== "string") throw invalidType(param, "a string", value);
    return value;
  };
  return {
    record(value: unknown, param: string): JsonObject {
      if (value === undefined) throw missingParam(param);
      if (!isRecord(value)) throw invalidType(param, "an object", value);
      return value;
    },
    optionalRecord(value: unknown, param: string): JsonObject | undefined {
      if (absent(value)) return undefined;
      if (!isRecord(value)) throw invalidType(param, "an object", value);
      return value;
    },
    string(value: unknown, param: string): string {
      if (absent(value)) throw missingParam(param);
      if (typeof value !== "string") throw invalidType(param, "a string", value);
      return value;
    },
    optionalString,
    optionalNumber(value: unknown, param: string): number | undefined {
      if (absent(value)) return undefined;
      if (typeof value !== "number" || !Number.isFinite(value)) throw invalidType(param, "a number", value);
      return value;
    },
    optionalInteger(value: unknown, param: string): number | undefined {
      if (absent(value)) return undefined;
      if (typeof value !== "number" || !Number.isInteger(value)) throw invalidType(param, "an integer", value);
      return value;
    },
    optionalBoolean(value: unknown, param: string): boolean | undefined {
      if (absent(value)) return undefined;
      if (typeof value !== "boolean") throw invalidType(param, "a boolean", value);
      return value;
    },
    optionalEnum<T extends string>(value: unknown, param: string, allowed: readonly T[]): T | undefined {
      const s = optionalString(value, param);
      if (s === undefined) return undefined;
      if (!(allowed as readonly string[]).includes(s)) throw invalidValue(param, s, allowed);
      return s as T;
    },
  };
}

/** Readers of arrays and maps, checking each element. */
function collectionReaders({ invalidType, missingParam }: FieldErrors) {
  return {
    array(value: unknown, param: string): unknown[] {
      if (absent(value)) throw missingParam(param);
      if (!Array.isArray(value)) throw invalidType(param, "an array", value);
      return value;
    },
    optionalArray(value: unknown, param: string): unknown[] | undefined {
      if (absent(value)) return undefined;
      if (!Array.isArray(value)) throw invalidType(param, "an array", value);
      return value;
    },
    optionalStringArray(value: unknown, param: string): string[] | undefined {
      if (absent(value)) return undefined;
      if (!Array.isArray(value)) throw invalidType(param, "an array of strings", value);
      return value.map((item, i) => {
        if (typeof item !== "string") throw invalidType(`${param}[${i}]`, "a string", item);
        return item;
      });
    },
    /** OpenAI `metadata`: a map of string to string. */
    optionalStringMap(value: unknown, param: string): Record<string, string> | undefined {
      if (absent(value)) return undefined;
      if (!isRecord(value)) throw invalidType(param, "an object", value);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") throw invalidType(`${param}.${k}`, "a string", v);
        out[k] = v;
      }
      return out;
    },
  };
}

/** Readers bound to an HTTP status. */
function fieldReaders(status: number) {
  const errors = fieldErrors(status);
  return { ...errors, ...scalarReaders(errors), ...collectionReaders(errors) };
}

/** For a client's request body: a 400 naming the field. */
export const requestFields = fieldReaders(400);
/** For an upstream's answer: a 502 (the caller words it as the upstream's fault). */
export const upstreamFields = fieldReaders(502);
