import { describe, expect, it } from "vitest";
import { codecs } from "./codecs.js";
import { WIRE_FORMATS } from "./ir.js";
import { createTestContext } from "./shared/testing/test-context.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const err = { status: 429, message: "slow down", type: "rate_limit_error", code: "rate_limited", param: null };

describe("codecs registry", () => {
  it("has one codec per wire format, each filed under its own format", () => {
    expect(Object.keys(codecs).sort()).toEqual([...WIRE_FORMATS].sort());
    for (const f of WIRE_FORMATS) expect(codecs[f].format).toBe(f);
    expect(WIRE_FORMATS.map((f) => codecs[f].path)).toEqual(["/chat/completions", "/responses", "/messages"]);
  });

  it("renders error bodies in each format's own shape", () => {
    expect(codecs.chat.errorBody(err)).toEqual({ error: { message: "slow down", type: "rate_limit_error", param: null, code: "rate_limited" } });
    expect(codecs.responses.errorBody(err)).toEqual(codecs.chat.errorBody(err));
    expect(codecs.messages.errorBody(err)).toEqual({ type: "error", error: { type: "rate_limit_error", message: "slow down" } });
  });

  it("ends a broken chat or Anthropic stream with the format's error frame", () => {
    const args = { message: "gone", relayed: { firstData: undefined, tail: "" }, ctx: createTestContext() };
    expect(codecs.chat.streamErrorFrame(args)).toBe('data: {"error":{"message":"gone","type":"server_error","param":null,"code":"upstream_stream_error"}}\n\n');
    expect(codecs.messages.streamErrorFrame(args)).toBe('event: error\ndata: {"type":"error","error":{"type":"api_error","message":"gone"}}\n\n');
    expect(codecs.messages.streamErrorFrame({ ...args, code: "shutting_down" })).toContain('"type":"overloaded_error"');
  });

  it("numbers a Responses error after the stream's last event and fails the Response it announced", () => {
    const frame = codecs.responses.streamErrorFrame({
      message: "gone",
      relayed: { firstData: '{"type":"response.created","response":{"id":"resp_1","object":"response"}}', tail: '"sequence_number":6}\n\n' },
      ctx: createTestContext(),
    });
    const events = frame
      .trim()
      .split("\n\n")
      .map((f) => JSON.parse(f.split("data: ")[1]!));
    expect(events[0]).toEqual({ type: "error", sequence_number: 7, code: "server_error", message: "gone", param: null });
    expect(events[1]).toMatchObject({
      type: "response.failed",
      sequence_number: 8,
      response: { id: "resp_1", status: "failed", error: { code: "server_error", message: "gone" } },
    });
    const orphan = codecs.responses.streamErrorFrame({ message: "gone", relayed: { firstData: "not json", tail: "" }, ctx: createTestContext() });
    expect(orphan).toContain('"sequence_number":0');
    expect(orphan).toContain('"id":"resp_test001"');
  });

  it("tells a 200 body that reports a failure from an answer", () => {
    expect(codecs.chat.opensLikeError(bytes(' { "error": {}}'))).toBe(true);
    expect(codecs.messages.opensLikeError(bytes('{"type":"message"}'))).toBe(false);
    expect(codecs.chat.reportedFailure({ error: "boom" })).toBe("boom");
    expect(codecs.chat.reportedFailure({ error: { message: "x" }, choices: [] })).toBeUndefined();
    expect(codecs.messages.reportedFailure({ type: "error", error: {} })).toBe("the upstream reported an error");
    expect(codecs.responses.reportedFailure({ status: "failed" })).toBe("the response failed");
  });

  it("calls each backend kind with its own auth scheme", () => {
    expect(codecs.chat.backendHeaders("sk-1")).toEqual({ authorization: "Bearer sk-1" });
    expect(codecs.responses.backendHeaders(undefined)).toEqual({});
    expect(codecs.messages.backendHeaders("sk-2")).toEqual({ "x-api-key": "sk-2", "anthropic-version": "2023-06-01" });
    expect(codecs.messages.backendHeaders(undefined)).toEqual({ "anthropic-version": "2023-06-01" });
  });

  it("knows each format's terminal event", () => {
    expect(codecs.chat.terminal.completeEnding.test('data: {"choices":[{"finish_reason":"stop"}]}\n\n')).toBe(true);
    expect(codecs.messages.terminal.completeEnding.test("event: content_block_delta\n")).toBe(false);
    expect(codecs.responses.terminal.markers).toContain("event: response.failed");
  });
});
