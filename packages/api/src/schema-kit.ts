// Small builders over TypeBox that keep the JSON Schema the proxy has always sent to ajv: a
// nullable field is `type: [T, "null"]` and a set of strings an `enum`, not an `anyOf`, so that a
// validation error names the field itself and says what it must be.

import { type ObjectOptions, type Static, type TObject, type TProperties, type TSchema, type TUnsafe, Type, type UnsafeOptions } from "@sinclair/typebox";

type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

/** A value of one of several JSON types, as a single `type` keyword. */
export function Types<T>(types: JsonType[], options: UnsafeOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, type: types });
}

/** `schema`, or null. */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const { type, enum: values } = schema as { type?: JsonType | JsonType[]; enum?: unknown[] };
  if (type === undefined) return Type.Unsafe<Static<T> | null>({ anyOf: [schema, { type: "null" }] });
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [...(Array.isArray(type) ? type : [type]), "null"], ...(values ? { enum: [...values, null] } : {}) });
}

/** One of a fixed set of strings. */
export function StringEnum<const T extends readonly string[]>(values: T, options: UnsafeOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: "string", enum: values });
}

/** An object whose other fields are kept as they are (the proxy relays or stores them). */
export function OpenObject<T extends TProperties>(properties: T, options: ObjectOptions = {}): TUnsafe<Static<TObject<T>> & { [field: string]: unknown }> {
  return Type.Unsafe(Type.Object(properties, { ...options, additionalProperties: true }));
}

/** Any JSON value. */
export const Json = Type.Unknown();

/** Any JSON object (its fields are checked where it is used). */
export const AnyObject = Type.Unsafe<Record<string, unknown>>({ type: "object" });
