// Chat finish reasons and usage, both directions.

import { describe, expect, it } from "vitest";
import type { FinishReason } from "../ir.js";
import { decodeChatUsage, encodeChatUsage } from "./usage.js";
import { mapChatFinishReason, toChatFinishReason } from "./finish-reason.js";

describe("mapChatFinishReason", () => {
  it.each([
    ["stop", "stop"],
    ["length", "length"],
    ["tool_calls", "tool_calls"],
    ["function_call", "tool_calls"],
    ["content_filter", "content_filter"],
    ["error", "error"],
    ["eos_token", "other"],
    [null, "other"],
    [undefined, "other"],
  ] as const)("%s -> %s", (raw, expected) => {
    expect(mapChatFinishReason(raw)).toBe(expected);
  });
});

describe("toChatFinishReason", () => {
  it.each([
    ["stop", "stop"],
    ["length", "length"],
    ["tool_calls", "tool_calls"],
    ["content_filter", "content_filter"],
    ["refusal", "content_filter"],
    ["error", "stop"],
    ["other", "stop"],
  ] as [FinishReason, string][])("%s -> %s", (reason, expected) => {
    expect(toChatFinishReason(reason)).toBe(expected);
  });
});

describe("chat usage", () => {
  it("decodes details and keeps unknown ones in raw", () => {
    expect(
      decodeChatUsage({
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 40, cache_write_tokens: 10, audio_tokens: 2 },
        completion_tokens_details: { reasoning_tokens: 20, accepted_prediction_tokens: 0 },
      }),
    ).toEqual({
      inputTokens: 100,
      outputTokens: 50,
      totalTokens: 150,
      cachedInputTokens: 40,
      cacheWriteTokens: 10,
      reasoningTokens: 20,
      raw: { prompt_tokens_details: { audio_tokens: 2 }, completion_tokens_details: { accepted_prediction_tokens: 0 } },
    });
  });

  it("fills a missing total and rejects non-objects", () => {
    expect(decodeChatUsage({ prompt_tokens: 1, completion_tokens: 2 })).toEqual({ inputTokens: 1, outputTokens: 2, totalTokens: 3 });
    expect(decodeChatUsage(null)).toBeUndefined();
  });

  it("encodes with zeroed details like OpenAI", () => {
    expect(encodeChatUsage({ inputTokens: 5, outputTokens: 6, totalTokens: 11 })).toEqual({
      prompt_tokens: 5,
      completion_tokens: 6,
      total_tokens: 11,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(encodeChatUsage({ inputTokens: 5, outputTokens: 6, totalTokens: 11, cachedInputTokens: 2, cacheWriteTokens: 1, reasoningTokens: 3 })).toEqual({
      prompt_tokens: 5,
      completion_tokens: 6,
      total_tokens: 11,
      prompt_tokens_details: { cached_tokens: 2, cache_write_tokens: 1 },
      completion_tokens_details: { reasoning_tokens: 3 },
    });
  });
});
