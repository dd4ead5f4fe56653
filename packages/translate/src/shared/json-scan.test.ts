import { describe, expect, it } from "vitest";
import { stringEnd } from "./json-lex.js";
import { type JsonPath, scanJson } from "./json-scan.js";

const scan = (text: string, maxDepth = 128) => scanJson(Buffer.from(text), { maxDepth });
const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Deterministic pseudo-random numbers for the generated cases. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomValue(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 4 || r < 0.3) {
    const pick = Math.floor(next() * 6);
    return [0, -1.5e3, 'text with {braces} [and] "quotes", commas: colons', true, false, null][pick];
  }
  if (r < 0.65) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}`, randomValue(next, depth + 1)]));
}

describe("scanJson", () => {
  it("accepts what JSON.parse accepts and refuses what it refuses, outside string contents", () => {
    const cases = [
      '{"a":1}',
      " [ 1 , 2 ] ",
      '"s"',
      "0",
      "-0.5e+10",
      "true",
      "null",
      "{}",
      "[]",
      '{"a":{"b":[{}]}}',
      "",
      "{",
      "[",
      '{"model":',
      '{"model":"mock",}',
      "{'model':'mock'}",
      "nul",
      "NaN",
      '{"a":1}{"b":2}',
      '{"a":1}}',
      '{"model":"mock"\u0000}',
      '"just a string"',
      "42",
      "[1,2,3]",
      '{"model":"mock',
      "01",
      "1.",
      ".5",
      "+1",
      "1e",
      "[1,]",
      "[,1]",
      '{"a" 1}',
      "{1:2}",
      '{"a":1,}',
      "tru",
      "truex",
      "[true false]",
      '{"a":"b" "c":1}',
      "[1 2]",
      "{,}",
      '"\\"',
      '"\\\\"',
      '"a\\"b"',
      "\u00a0{}",
      "{}\u00a0",
    ];
    for (const text of cases) expect({ text, ok: scan(text).ok }).toEqual({ text, ok: parses(text) });
  });

  it("agrees with JSON.parse on thousands of mutated documents", () => {
    const next = rng(7);
    const alphabet = '{}[],:" 0123456789-.eEtrufalsn';
    let checked = 0;
    for (let round = 0; round < 3000; round++) {
      let text = JSON.stringify(randomValue(next, 0));
      // Strings here hold no backslash, so their contents are always valid: only structure differs.
      text = text.replace(/\\"/g, "'");
      for (let m = Math.floor(next() * 3); m > 0; m--) {
        const at = Math.floor(next() * (text.length + 1));
        const op = next();
        const ch = alphabet[Math.floor(next() * alphabet.length)]!;
        text =
          op < 0.4 ? text.slice(0, at) + text.slice(at + 1) : op < 0.8 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + ch + text.slice(at + 1);
      }
      expect({ text, ok: scan(text).ok }).toEqual({ text, ok: parses(text) });
      checked++;
    }
    expect(checked).toBe(3000);
  });

  it("bounds nesting like the limit says, brackets inside strings not counted", () => {
    const nested = (d: number) => `${"[".repeat(d)}1${"]".repeat(d)}`;
    expect(scan(nested(128)).ok).toBe(true);
    expect(scan(nested(129))).toMatchObject({ ok: false, reason: "too_deep" });
    expect(scan(`{"a":{"b":{"c":[1]}}}`, 4).ok).toBe(true);
    expect(scan(`{"a":{"b":{"c":[1]}}}`, 3)).toMatchObject({ ok: false, reason: "too_deep" });
    expect(scan(`["[[[[[[", "\\"[[[[[[["]`, 1).ok).toBe(true);
  });

  it("names the top-level keys, decoded, with the spans and kinds of their values", () => {
    const text = ' { "model" : "gpt\\u0021" , "stream":true, "messages":[{"role":"user"}], "n": -2, "mod\\u0065l": {} } ';
    const r = scan(text);
    if (!r.ok) throw new Error("not ok");
    expect(r.kind).toBe("object");
    expect(r.top.map((e) => [e.key, e.escaped, e.kind, text.slice(e.start, e.end)])).toEqual([
      ["model", false, "string", '"gpt\\u0021"'],
      ["stream", false, "true", "true"],
      ["messages", false, "array", '[{"role":"user"}]'],
      ["n", false, "number", "-2"],
      ["model", true, "object", "{}"],
    ]);
    expect(scan("[1]")).toMatchObject({ ok: true, kind: "array", top: [] });
  });

  it("reports long strings at the paths asked for, and only there", () => {
    const long = "x".repeat(40);
    const body = { system: long, messages: [{ content: long }, { content: [{ text: long, other: long }] }], tools: [{ description: long }] };
    const text = JSON.stringify(body);
    const seen: JsonPath[] = [];
    const r = scanJson(Buffer.from(text), {
      maxDepth: 10,
      longStringBytes: 40,
      longStringAt: (path) => {
        seen.push(path);
        return path[0] !== "tools" && path[path.length - 1] !== "other";
      },
    });
    if (!r.ok) throw new Error("not ok");
    expect(seen).toEqual([
      ["system"],
      ["messages", -1, "content"],
      ["messages", -1, "content", -1, "text"],
      ["messages", -1, "content", -1, "other"],
      ["tools", -1, "description"],
    ]);
    const spans = [];
    for (let k = 0; k < r.longStrings.length; k += 2) spans.push(text.slice(r.longStrings[k], r.longStrings[k + 1]));
    expect(spans).toEqual([long, long, long]);
  });
});

describe("stringEnd", () => {
  it("finds the closing quote past escaped quotes and backslash runs, short and long", () => {
    for (const pad of ["", "y".repeat(100)]) {
      for (const inner of ['a\\"b', "a\\\\", '\\\\\\"', "\\\\\\\\", 'q\\\\\\\\\\"r']) {
        const text = `"${pad}${inner}${pad}" tail`;
        expect(stringEnd(Buffer.from(text), 0)).toBe(text.indexOf('" tail'));
        expect(JSON.parse(text.slice(0, text.indexOf(" tail")))).toBeTypeOf("string");
      }
      expect(stringEnd(Buffer.from(`"${pad}\\"`), 0)).toBe(-1);
    }
  });
});
