// Chat `CompletionUsage` <-> hub Usage (docs/protocol.md §4.7). Details with no hub field stay in `raw`.

import type { Usage } from "../ir.js";
import { getNumber, getRecord, isRecord, type JsonObject } from "../shared/guards.js";

export function decodeChatUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const input = getNumber(value, "prompt_tokens") ?? 0;
  const output = getNumber(value, "completion_tokens") ?? 0;
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: getNumber(value, "total_tokens") ?? input + output };
  const prompt = getRecord(value, "prompt_tokens_details");
  const completion = getRecord(value, "completion_tokens_details");
  const cached = prompt ? getNumber(prompt, "cached_tokens") : undefined;
  const cacheWrite = prompt ? getNumber(prompt, "cache_write_tokens") : undefined;
  const reasoning = completion ? getNumber(completion, "reasoning_tokens") : undefined;
  if (cached !== undefined) usage.cachedInputTokens = cached;
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  const raw: JsonObject = {};
  const restPrompt = prompt ? without(prompt, ["cached_tokens", "cache_write_tokens"]) : undefined;
  const restCompletion = completion ? without(completion, ["reasoning_tokens"]) : undefined;
  if (restPrompt) raw["prompt_tokens_details"] = restPrompt;
  if (restCompletion) raw["completion_tokens_details"] = restCompletion;
  if (Object.keys(raw).length > 0) usage.raw = raw;
  return usage;
}

function without(obj: JsonObject, keys: string[]): JsonObject | undefined {
  const rest: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (!keys.includes(k)) rest[k] = v;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

export function encodeChatUsage(usage: Usage): JsonObject {
  const promptDetails: JsonObject = { cached_tokens: usage.cachedInputTokens ?? 0 };
  if (usage.cacheWriteTokens !== undefined) promptDetails["cache_write_tokens"] = usage.cacheWriteTokens;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: promptDetails,
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}
