import { describe, expect, it } from "vitest";
import { MAX_UPSTREAM_JSON_DEPTH, jsonDeeperThan, parseUpstreamJson } from "./json-depth.js";
import { parseJson } from "./guards.js";

const nested = (d: number) => `${"[".repeat(d)}1${"]".repeat(d)}`;

/** Depth of a parsed value, the reference the scan must agree with. */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v && typeof v === "object") return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe("jsonDeeperThan", () => {
  it("counts arrays and objects up to the limit, inclusive", () => {
    expect(jsonDeeperThan(nested(128), 128)).toBe(false);
    expect(jsonDeeperThan(nested(129), 128)).toBe(true);
    expect(jsonDeeperThan(`{"a":{"b":{"c":[1]}}}`, 4)).toBe(false);
    expect(jsonDeeperThan(`{"a":{"b":{"c":[1]}}}`, 3)).toBe(true);
    expect(jsonDeeperThan("1", 0)).toBe(false);
    expect(jsonDeeperThan("[]", 0)).toBe(true);
  });

  it("skips brackets inside strings", () => {
    expect(jsonDeeperThan(`{"text":"${"[{".repeat(500)}"}`, 1)).toBe(false);
    expect(jsonDeeperThan(`["${"[".repeat(10)}", ${nested(2)}]`, 3)).toBe(false);
  });

  it("does not end a string at an escaped quote, and does at a quote after an escaped backslash", () => {
    // "\"[[[" is one string: nothing nested.
    expect(jsonDeeperThan(`["\\"[[[[", 1]`, 1)).toBe(false);
    // "\\" ends, then the brackets are real.
    expect(jsonDeeperThan(`["\\\\", [[[1]]]]`, 3)).toBe(true);
    expect(jsonDeeperThan(`["\\\\\\"[[", 1]`, 1)).toBe(false);
    expect(jsonDeeperThan(`["a\\\\\\\\", [[1]]]`, 3)).toBe(false);
    expect(jsonDeeperThan(`["a\\\\\\\\", [[1]]]`, 2)).toBe(true);
  });

  it("leaves malformed text to the parser", () => {
    expect(jsonDeeperThan(`["unterminated [[[[[[`, 2)).toBe(false);
    expect(jsonDeeperThan(`]]]]]][[`, 2)).toBe(false);
    expect(jsonDeeperThan("", 0)).toBe(false);
  });

  it("agrees with the parsed depth on generated documents", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pieces = ['"', "\\", "[", "]", "{", "}", "a", "é", "\u2028"];
    const str = () => {
      let s = "";
      for (let i = 0; i < 6; i++) s += pieces[Math.floor(rnd() * pieces.length)];
      return s;
    };
    const gen = (d: number): unknown => {
      const r = rnd();
      if (d > 12 || r < 0.3) return r < 0.15 ? str() : Math.floor(r * 100);
      if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(d + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [str(), gen(d + 1)]));
    };
    for (let n = 0; n < 500; n++) {
      const text = JSON.stringify(gen(0));
      const depth = depthOf(JSON.parse(text));
      expect(jsonDeeperThan(text, depth)).toBe(false);
      if (depth > 0) expect(jsonDeeperThan(text, depth - 1)).toBe(true);
    }
  });
});

describe("parseUpstreamJson", () => {
  it("parses upstream JSON up to its bound and refuses deeper nesting as malformed", () => {
    expect(parseUpstreamJson(nested(MAX_UPSTREAM_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(() => parseUpstreamJson(nested(MAX_UPSTREAM_JSON_DEPTH + 1))).toThrow(SyntaxError);
    expect(parseJson(`{"choices":[${nested(5000)}]}`)).toMatchObject({ ok: false, error: expect.stringContaining("512") });
    expect(parseJson('{"ok":true}')).toEqual({ ok: true, value: { ok: true } });
  });
});
