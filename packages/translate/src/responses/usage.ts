// Responses usage <-> hub Usage (docs/protocol.md §4.7).

import type { Usage } from "../ir.js";
import { getNumber, getRecord, isRecord, type JsonObject } from "../shared/guards.js";

export function decodeResponsesUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const input = getNumber(value, "input_tokens") ?? 0;
  const output = getNumber(value, "output_tokens") ?? 0;
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: getNumber(value, "total_tokens") ?? input + output };
  const inDetails = getRecord(value, "input_tokens_details");
  const outDetails = getRecord(value, "output_tokens_details");
  const cached = inDetails ? getNumber(inDetails, "cached_tokens") : undefined;
  const cacheWrite = inDetails ? getNumber(inDetails, "cache_write_tokens") : undefined;
  const reasoning = outDetails ? getNumber(outDetails, "reasoning_tokens") : undefined;
  if (cached !== undefined) usage.cachedInputTokens = cached;
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

export function encodeResponsesUsage(usage: Usage): JsonObject {
  const inputDetails: JsonObject = { cached_tokens: usage.cachedInputTokens ?? 0 };
  if (usage.cacheWriteTokens !== undefined) inputDetails["cache_write_tokens"] = usage.cacheWriteTokens;
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: inputDetails,
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
}
