import { describe, expect, it } from "vitest";
import { compileShape } from "./json-shape.js";
import { scanJson } from "./json-scan.js";

const schema = {
  type: "object",
  required: ["name", "items"],
  properties: {
    name: { type: "string", minLength: 2 },
    kind: { type: ["string", "null"], enum: ["a", "b", null] },
    count: { type: "integer", minimum: 1, maximum: 9 },
    ratio: { type: "number" },
    items: { type: "array", minItems: 1, items: { type: "object", required: ["id"], properties: { id: { type: "string" } } } },
  },
};

const fits = (text: string): boolean => {
  const r = scanJson(Buffer.from(text), { maxDepth: 16, shape: compileShape(schema)! });
  if (!r.ok) throw new Error(`not JSON: ${text}`);
  return r.fits;
};

describe("compileShape", () => {
  it("checks types, enums, bounds, lengths, required keys and item counts on the bytes", () => {
    const ok = '{"name":"ab","kind":null,"count":3,"ratio":0.5,"items":[{"id":"x","extra":[1,{"deep":true}]}]}';
    expect(fits(ok)).toBe(true);
    for (const bad of [
      '{"name":"a","items":[{"id":"x"}]}',
      '{"name":"ab","kind":"c","items":[{"id":"x"}]}',
      '{"name":"ab","count":0,"items":[{"id":"x"}]}',
      '{"name":"ab","count":2.5,"items":[{"id":"x"}]}',
      '{"name":"ab","count":10,"items":[{"id":"x"}]}',
      '{"name":"ab","ratio":"1","items":[{"id":"x"}]}',
      '{"name":"ab","items":[]}',
      '{"name":"ab","items":[{}]}',
      '{"name":"ab","items":[{"id":1}]}',
      '{"name":"ab","items":[[]]}',
      '{"items":[{"id":"x"}]}',
      '{"name":"ab","items":{}}',
      "[]",
    ]) {
      expect({ bad, fits: fits(bad) }).toEqual({ bad, fits: false });
    }
    // Two characters written as escapes are still two characters.
    expect(fits('{"name":"\\u0061\\u0062","items":[{"id":"x"}]}')).toBe(true);
    expect(fits('{"name":"\\u0061","items":[{"id":"x"}]}')).toBe(false);
  });

  it("declines schemas with keywords a scan cannot check", () => {
    expect(compileShape(schema)).toBeDefined();
    expect(compileShape({ type: "object", properties: { a: { oneOf: [] } } })).toBeUndefined();
    expect(compileShape({ type: "object", additionalProperties: false })).toBeUndefined();
    expect(compileShape({ type: "strange" })).toBeUndefined();
  });
});
