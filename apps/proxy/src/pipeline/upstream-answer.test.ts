import { describe, expect, it } from "vitest";
import { codecs } from "@yallmproxy/translate";
import { badJsonBody, checkJsonAnswer, wrongContentType } from "./upstream-answer.js";

const buf = (s: string) => Buffer.from(s);

describe("a 200's content type", () => {
  it("must be an event stream for a stream, and anything but a stream or a page for JSON", () => {
    expect(wrongContentType("text/event-stream; charset=utf-8", true)).toBeUndefined();
    expect(wrongContentType("application/json", true)).toBe("application/json instead of an event stream");
    expect(wrongContentType("text/html; charset=utf-8", true)).toBe("text/html instead of an event stream");
    expect(wrongContentType("application/json; charset=utf-8", false)).toBeUndefined();
    expect(wrongContentType("text/plain", false)).toBeUndefined();
    expect(wrongContentType("text/event-stream", false)).toBe("text/event-stream instead of JSON");
    // No content type: the body decides.
    expect(wrongContentType(undefined, true)).toBeUndefined();
    expect(wrongContentType(undefined, false)).toBeUndefined();
  });
});

describe("a JSON body checked by its first and last bytes", () => {
  it("names what is wrong: empty, not JSON, cut short", () => {
    expect(badJsonBody(buf(" \n"))).toBe("an empty body");
    expect(badJsonBody(buf("Internal Server Error"))).toBe("a body that is not JSON (Internal Server Error)");
    expect(badJsonBody(buf('["a"]'))).toMatch(/^a body that is not JSON/);
    expect(badJsonBody(buf('{"id":"x","choices":[{"mess'))).toBe("a JSON body that was cut short after 27 bytes");
    expect(badJsonBody(buf(' {"id":"x"}\n'))).toBeUndefined();
  });

  it("says cut short only of a body that is how some JSON begins, and not valid JSON of any other", () => {
    expect(badJsonBody(buf("{not json"))).toBe("a body that is not valid JSON ({not json)");
    expect(badJsonBody(buf('{"a":1} trailing'))).toBe('a body that is not valid JSON ({"a":1} trailing)');
    expect(badJsonBody(buf('{"a":[1,2,]'))).toMatch(/^a body that is not valid JSON/);
    expect(badJsonBody(buf('{"a" 1'))).toMatch(/^a body that is not valid JSON/);
    expect(badJsonBody(buf('{"a":01'))).toMatch(/^a body that is not valid JSON/);
    expect(badJsonBody(buf('{"a":"\\x"'))).toMatch(/^a body that is not valid JSON/);
    for (const cut of [
      "{",
      "{ ",
      '{"a',
      '{"a"',
      '{"a":',
      '{"a":tr',
      '{"a":-',
      '{"a":1.',
      '{"a":1e',
      '{"a":"x\\',
      '{"a":"\\u00',
      '{"a":[{"b":null},',
      '{"a":{"b":[true,false]',
    ]) {
      expect(badJsonBody(buf(cut)), cut).toBe(`a JSON body that was cut short after ${cut.length} bytes`);
    }
    // Nesting costs no stack.
    const deep = `{"a":${"[".repeat(200_000)}`;
    expect(badJsonBody(buf(deep))).toBe(`a JSON body that was cut short after ${deep.length} bytes`);
  });

  it("finds the format's own error object at the head, and only there", () => {
    expect(codecs.chat.opensLikeError(buf('{ "error": {"message": "boom"}}'))).toBe(true);
    expect(codecs.chat.opensLikeError(buf('{"id":"x","error":null}'))).toBe(false);
    expect(codecs.messages.opensLikeError(buf('{"type" : "error","error":{"message":"boom"}}'))).toBe(true);
    expect(codecs.messages.opensLikeError(buf('{"type":"message","content":[]}'))).toBe(false);
    expect(codecs.responses.opensLikeError(buf('{"error":{}}'))).toBe(false);
  });

  it("turns a reported failure into a 502 upstream_error with its message, and a good body into nothing", () => {
    expect(checkJsonAnswer("chat", "m", buf('{"error":{"message":"boom"}}'))).toMatchObject({
      status: 502,
      code: "upstream_error",
      message: "The upstream for `m` reported an error: boom",
    });
    expect(checkJsonAnswer("messages", "m", buf('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'))).toMatchObject({
      status: 502,
      code: "upstream_error",
    });
    expect(checkJsonAnswer("chat", "m", buf("<html></html>"))).toMatchObject({ status: 502, code: "upstream_bad_response" });
    expect(checkJsonAnswer("chat", "m", buf('{"id":"x","choices":[]}'))).toBeUndefined();
  });

  it("reads a Responses status failed as a failure, and incomplete as an answer", () => {
    expect(codecs.responses.reportedFailure({ status: "failed", error: { code: "server_error", message: "crashed" } })).toBe("crashed");
    expect(codecs.responses.reportedFailure({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } })).toBeUndefined();
  });
});
