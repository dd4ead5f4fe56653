import { describe, expect, it } from "vitest";
import { codecs } from "../codecs.js";

const state = {
  nowMs: Date.UTC(2026, 0, 1, 12, 0, 0),
  requests: { limit: 10, remaining: 3, resetMs: 42_500 },
  tokens: { limit: 1000, remaining: -5, resetMs: 400 },
};

describe("rate-limit headers", () => {
  it("are OpenAI's x-ratelimit-* for Chat and Responses clients", () => {
    for (const format of ["chat", "responses"] as const) {
      expect(codecs[format].rateLimitHeaders(state)).toEqual({
        "x-ratelimit-limit-requests": "10",
        "x-ratelimit-remaining-requests": "3",
        "x-ratelimit-reset-requests": "43s",
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "400ms",
      });
    }
    expect(codecs.chat.rateLimitHeaders({ nowMs: 0, requests: { limit: 1, remaining: 0, resetMs: 3_723_000 } })["x-ratelimit-reset-requests"]).toBe("1h2m3s");
  });

  it("are Anthropic's anthropic-ratelimit-* with RFC 3339 reset times for Messages clients", () => {
    expect(codecs.messages.rateLimitHeaders(state)).toEqual({
      "anthropic-ratelimit-requests-limit": "10",
      "anthropic-ratelimit-requests-remaining": "3",
      "anthropic-ratelimit-requests-reset": "2026-01-01T12:00:43Z",
      "anthropic-ratelimit-tokens-limit": "1000",
      "anthropic-ratelimit-tokens-remaining": "0",
      "anthropic-ratelimit-tokens-reset": "2026-01-01T12:00:01Z",
    });
    expect(codecs.messages.rateLimitHeaders({ nowMs: 0 })).toEqual({});
  });
});

describe("finishFromTail", () => {
  it("reads each format's last finish field", () => {
    expect(codecs.chat.finishFromTail('data: {"choices":[{"delta":{},"finish_reason": "tool_calls"}]}\n\ndata: [DONE]\n\n')).toBe("tool_calls");
    expect(codecs.chat.finishFromTail('{"choices":[{"finish_reason":null}]}')).toBeUndefined();
    expect(codecs.messages.finishFromTail('event: message_delta\ndata: {"delta":{"stop_reason":"max_tokens"}}\n\n')).toBe("length");
    expect(codecs.responses.finishFromTail('{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}')).toBe("length");
    expect(codecs.responses.finishFromTail('{"output":[{"type":"function_call","status":"completed"}]}')).toBe("tool_calls");
    expect(codecs.responses.finishFromTail("nothing here")).toBeUndefined();
  });
});
