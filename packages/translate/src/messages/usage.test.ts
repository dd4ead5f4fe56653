import { describe, expect, it } from "vitest";
import { decodeMessagesUsage, encodeMessagesUsage } from "./usage.js";

describe("decodeMessagesUsage", () => {
  it("counts cache reads and writes into the prompt size", () => {
    const usage = decodeMessagesUsage({
      input_tokens: 10,
      cache_read_input_tokens: 200,
      cache_creation_input_tokens: 30,
      output_tokens: 55,
      output_tokens_details: { thinking_tokens: 40 },
      service_tier: "standard",
    });
    expect(usage).toEqual({
      inputTokens: 240,
      outputTokens: 55,
      totalTokens: 295,
      cachedInputTokens: 200,
      cacheWriteTokens: 30,
      reasoningTokens: 40,
      raw: { service_tier: "standard" },
    });
  });

  it("fills what a partial message_delta usage leaves out from the earlier usage", () => {
    const start = decodeMessagesUsage({ input_tokens: 377, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens: 1 });
    const final = decodeMessagesUsage({ output_tokens: 65 }, start);
    expect(final).toMatchObject({ inputTokens: 377, outputTokens: 65, totalTokens: 442, cachedInputTokens: 0 });
  });
});

describe("encodeMessagesUsage", () => {
  it("subtracts cached and cache-write tokens from input_tokens", () => {
    expect(encodeMessagesUsage({ inputTokens: 240, outputTokens: 55, totalTokens: 295, cachedInputTokens: 200, cacheWriteTokens: 30 })).toEqual({
      input_tokens: 10,
      cache_creation_input_tokens: 30,
      cache_read_input_tokens: 200,
      output_tokens: 55,
    });
  });

  it("never reports negative input tokens", () => {
    expect(encodeMessagesUsage({ inputTokens: 5, outputTokens: 1, totalTokens: 6, cachedInputTokens: 9 }).input_tokens).toBe(0);
  });

  it("falls back to the estimated prompt size when there is no usage", () => {
    expect(encodeMessagesUsage(undefined, 123)).toEqual({ input_tokens: 123, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 });
  });
});
