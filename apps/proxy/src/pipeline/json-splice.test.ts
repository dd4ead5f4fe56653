import { describe, expect, it } from "vitest";
import { joinedBody } from "../upstream/body-bytes.js";
import { spliceTopLevelString, topLevelStringSpan } from "./json-splice.js";

const splice = (text: string, value = "up") => {
  const parsed = JSON.parse(text) as { model?: unknown };
  const out = spliceTopLevelString(Buffer.from(text), "model", value, parsed.model);
  return out && joinedBody(out).toString();
};

describe("spliceTopLevelString", () => {
  it("replaces the top-level model wherever it stands, keeping every other byte", () => {
    expect(splice('{"model":"a","messages":[{"role":"user","content":"hi"}]}')).toBe('{"model":"up","messages":[{"role":"user","content":"hi"}]}');
    expect(splice('{ "messages" : [ {"role":"user","content":"x \\" y"} ],\n  "model" : "a" , "n":1}')).toBe(
      '{ "messages" : [ {"role":"user","content":"x \\" y"} ],\n  "model" : "up" , "n":1}',
    );
    expect(splice('{"model":"a\\"b"}', 'new "name"')).toBe('{"model":"new \\"name\\""}');
  });

  it("refuses a body where the bytes and the parse could disagree", () => {
    // Duplicated key: JSON.parse keeps the last one.
    expect(splice('{"model":"a","model":"b"}')).toBeUndefined();
    // The same key spelled with an escape.
    expect(splice('{"model":"a","mod\\u0065l":"b"}')).toBeUndefined();
    expect(splice('{"mod\\u0065l":"b","tools":[{"model":"b"}]}')).toBeUndefined();
    // Only a nested key or a string value has the text.
    expect(splice('{"m":"a","tools":[{"model":"a"}]}')).toBeUndefined();
    expect(splice('{"m":"x \\"model","model":"a"}')).toBeUndefined();
    expect(splice('{"user":"model","model":"a"}')).toBeUndefined();
    // Not a string.
    expect(splice('{"model":7}')).toBeUndefined();
  });

  it("splices a large body without copying it: pieces around the new name", () => {
    const text = `{"model":"a","messages":[{"role":"user","content":"${"x".repeat(300_000)}"}]}`;
    const raw = Buffer.from(text);
    const out = spliceTopLevelString(raw, "model", "up", "a")!;
    expect(Buffer.isBuffer(out)).toBe(false);
    expect((out as Buffer[]).every((p) => p.length < 64 || p.buffer === raw.buffer)).toBe(true);
    expect(joinedBody(out).toString()).toBe(text.replace('"a"', '"up"'));
  });

  it("finds a model key that comes after nested objects and escaped quotes", () => {
    const text = '{"a":{"b":["}", "\\\\", {"c":"]"}]},"model":"m"}';
    const span = topLevelStringSpan(Buffer.from(text), "model");
    expect(span && text.slice(span[0], span[1])).toBe('"m"');
  });
});
