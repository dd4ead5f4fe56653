// The checks of a JSON schema that a byte scan can make without parsing (types, enums, bounds,
// required keys, item counts), compiled from the subset of JSON Schema the routes declare. A body
// the scan passes is one the schema passes; a doubt fails it, and the caller then parses and validates.

export const KIND_STRING = 1;
export const KIND_NUMBER = 2;
export const KIND_INTEGER = 4;
export const KIND_BOOLEAN = 8;
export const KIND_NULL = 16;
export const KIND_OBJECT = 32;
export const KIND_ARRAY = 64;
const ANY = 127;

const TYPE_BITS: Record<string, number> = {
  string: KIND_STRING,
  number: KIND_NUMBER | KIND_INTEGER,
  integer: KIND_INTEGER,
  boolean: KIND_BOOLEAN,
  null: KIND_NULL,
  object: KIND_OBJECT,
  array: KIND_ARRAY,
};
const KNOWN = new Set(["type", "enum", "minimum", "maximum", "minLength", "minItems", "required", "properties", "items"]);

interface ShapeProperty {
  /** The key's bytes (keys are ASCII here). */
  name: Uint8Array;
  shape: JsonShape;
  /** Bit in the object's required mask, or 0. */
  bit: number;
}

export interface JsonShape {
  /** Allowed kinds (KIND_* bits); a number that is not an integer needs KIND_NUMBER. */
  kinds: number;
  /** The JSON text of each allowed value, compared with the bytes as written. */
  enumBytes?: Uint8Array[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  /** Properties by key length. */
  properties?: Map<number, ShapeProperty[]>;
  requiredMask: number;
  items?: JsonShape;
}

/** What a schema says nothing about: anything goes. */
const ANY_SHAPE: JsonShape = { kinds: ANY, requiredMask: 0 };

/** The shape of a JSON schema, or undefined when it uses a keyword a scan cannot check. */
export function compileShape(schema: unknown): JsonShape | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  const s = schema as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!KNOWN.has(key)) return undefined;
  let kinds = ANY;
  if (s.type !== undefined) {
    const types = typeof s.type === "string" ? [s.type] : Array.isArray(s.type) ? (s.type as unknown[]) : undefined;
    if (!types) return undefined;
    kinds = 0;
    for (const t of types) {
      const bits = typeof t === "string" ? TYPE_BITS[t] : undefined;
      if (bits === undefined) return undefined;
      kinds |= bits;
    }
  }
  const shape: JsonShape = { kinds, requiredMask: 0 };
  if (s.enum !== undefined) {
    if (!Array.isArray(s.enum) || s.enum.some((v) => v !== null && typeof v === "object")) return undefined;
    shape.enumBytes = s.enum.map((v) => Buffer.from(JSON.stringify(v)));
  }
  for (const k of ["minimum", "maximum", "minLength", "minItems"] as const) {
    if (s[k] === undefined) continue;
    if (typeof s[k] !== "number") return undefined;
    shape[k] = s[k];
  }
  const required = s.required ?? [];
  if (
    !Array.isArray(required) ||
    required.length > 30 ||
    required.some((r) => typeof r !== "string" || !/^[\x20-\x7e]*$/.test(r) || r.includes("\\") || r.includes('"'))
  )
    return undefined;
  const props = new Map<string, JsonShape>();
  if (s.properties !== undefined) {
    if (typeof s.properties !== "object" || s.properties === null) return undefined;
    for (const [name, sub] of Object.entries(s.properties)) {
      const compiled = compileShape(sub);
      if (!compiled) return undefined;
      props.set(name, compiled);
    }
  }
  for (const r of required as string[]) if (!props.has(r)) props.set(r, ANY_SHAPE);
  if (props.size > 0) {
    shape.properties = new Map();
    for (const [name, sub] of props) {
      // Keys with escapes or outside ASCII are left to the full validation.
      if (!/^[\x20-\x7e]*$/.test(name) || name.includes("\\") || name.includes('"')) return undefined;
      const index = (required as string[]).indexOf(name);
      const bit = index < 0 ? 0 : 1 << index;
      shape.requiredMask |= bit;
      const list = shape.properties.get(name.length) ?? [];
      list.push({ name: Buffer.from(name), shape: sub, bit });
      shape.properties.set(name.length, list);
    }
  }
  if (s.items !== undefined) {
    const items = compileShape(s.items);
    if (!items) return undefined;
    shape.items = items;
  }
  return shape;
}

/** The property of `shape` whose key is the bytes [start, end) of `json`, if any. */
export function propertyAt(shape: JsonShape, json: Uint8Array, start: number, end: number): ShapeProperty | undefined {
  const list = shape.properties?.get(end - start);
  if (!list) return undefined;
  outer: for (const p of list) {
    for (let k = 0; k < p.name.length; k++) if (json[start + k] !== p.name[k]) continue outer;
    return p;
  }
  return undefined;
}

/** Whether the bytes [start, end) spell one of the shape's enum values exactly. */
export function inEnum(enumBytes: Uint8Array[], json: Uint8Array, start: number, end: number): boolean {
  outer: for (const e of enumBytes) {
    if (e.length !== end - start) continue;
    for (let k = 0; k < e.length; k++) if (json[start + k] !== e[k]) continue outer;
    return true;
  }
  return false;
}
