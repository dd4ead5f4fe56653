// The fast price path (rates found once per model) against the price database's own answer.

import { calcPrice } from "@pydantic/genai-prices";
import { describe, expect, it } from "vitest";
import { costOf } from "./pricing.js";

const MODELS = [
  ["gpt-4o-mini", "https://api.openai.com/v1"],
  ["gpt-5", "https://api.openai.com/v1"],
  ["claude-sonnet-4-5", "https://api.anthropic.com/v1"],
  ["claude-3-5-haiku-latest", "http://127.0.0.1:9/v1"],
  ["gemini-2.5-pro", "http://127.0.0.1:9/v1"],
] as const;

describe("costOf", () => {
  it("matches the price database for every kind of token, below and above long-context tiers", () => {
    for (const [model, base] of MODELS) {
      for (const u of [
        { inputTokens: 1200, outputTokens: 300, cachedTokens: 0, cacheWriteTokens: 0 },
        { inputTokens: 5000, outputTokens: 10, cachedTokens: 4000, cacheWriteTokens: 0 },
        { inputTokens: 9000, outputTokens: 700, cachedTokens: 1000, cacheWriteTokens: 2500 },
        { inputTokens: 300_000, outputTokens: 2000, cachedTokens: 100_000, cacheWriteTokens: 10_000 },
      ]) {
        const usage = { input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_read_tokens: u.cachedTokens, cache_write_tokens: u.cacheWriteTokens };
        const want = (calcPrice(usage, model, { providerApiUrl: base }) ?? calcPrice(usage, model))?.total_price;
        expect(want, model).toBeDefined();
        expect(costOf(u, model, base, undefined), `${model} ${JSON.stringify(u)}`).toBeCloseTo(want!, 12);
      }
    }
  });

  it("uses the configured pricing over the database, and marks an unknown model unpriced", () => {
    const u = { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedTokens: 500_000, cacheWriteTokens: 100_000 };
    expect(costOf(u, "gpt-4o-mini", "https://api.openai.com/v1", { input: 2, output: 8, cachedInput: 0.5, cacheWrite: undefined })).toBeCloseTo(
      0.8 + 0.25 + 0.2 + 8,
      12,
    );
    expect(costOf(u, "a-house-model-nobody-prices", "http://127.0.0.1:9/v1", undefined)).toBeUndefined();
  });
});
