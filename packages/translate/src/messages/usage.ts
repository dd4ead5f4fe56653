// Anthropic usage ↔ hub usage. Anthropic's `input_tokens` excludes cache reads and writes; the hub's
// `inputTokens` is the whole prompt, as in OpenAI's `prompt_tokens`.

import type { Usage } from "../ir.js";
import { isRecord, readCount, type JsonObject } from "../shared/guards.js";

const COUNTED_FIELDS = new Set(["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens_details"]);

/** `previous` fills fields a later, partial usage object (old `message_delta`s) leaves out. */
export function decodeMessagesUsage(usage: JsonObject, previous?: Usage): Usage {
  const cacheRead = readCount(usage.cache_read_input_tokens) ?? previous?.cachedInputTokens;
  const cacheWrite = readCount(usage.cache_creation_input_tokens) ?? previous?.cacheWriteTokens;
  const uncachedInput = readCount(usage.input_tokens);
  const inputTokens = uncachedInput !== undefined ? uncachedInput + (cacheRead ?? 0) + (cacheWrite ?? 0) : (previous?.inputTokens ?? 0);
  const outputTokens = readCount(usage.output_tokens) ?? previous?.outputTokens ?? 0;
  const details = usage.output_tokens_details;
  const reasoningTokens = (isRecord(details) ? readCount(details.thinking_tokens) : undefined) ?? previous?.reasoningTokens;

  const raw: JsonObject = { ...previous?.raw };
  for (const [key, value] of Object.entries(usage)) {
    if (!COUNTED_FIELDS.has(key) && value !== null && value !== undefined) raw[key] = value;
  }

  const result: Usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  if (cacheRead !== undefined) result.cachedInputTokens = cacheRead;
  if (cacheWrite !== undefined) result.cacheWriteTokens = cacheWrite;
  if (reasoningTokens !== undefined) result.reasoningTokens = reasoningTokens;
  if (Object.keys(raw).length > 0) result.raw = raw;
  return result;
}

export interface MessagesUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

export function encodeMessagesUsage(usage: Usage | undefined, fallbackInputTokens = 0): MessagesUsage {
  if (usage === undefined) {
    return { input_tokens: fallbackInputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
  }
  const cacheRead = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(usage.inputTokens - cacheRead - cacheWrite, 0),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: usage.outputTokens,
  };
}
