// Token counts of answers relayed unchanged, read from the last bytes only (where OpenAI and
// Anthropic put usage): a pass-through body is never parsed whole for this.

/** Token counts; `promptTokens` is the whole prompt, cache reads and writes included (as OpenAI counts it). */
export interface TokenUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
  cachedTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

/** Usage from an OpenAI-style or Anthropic-style JSON object. */
export function usageOf(obj: unknown): TokenUsage | undefined {
  return usageFields((obj as { usage?: unknown } | null)?.usage);
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

const detail = (v: unknown, name: string): number | undefined => (v && typeof v === "object" ? num((v as Record<string, unknown>)[name]) : undefined);

/**
 * Token counts of a `usage` object: Chat's, Responses' or Anthropic's names. Anthropic's
 * `input_tokens` leaves cache reads and writes out; they are added back so every format counts the
 * whole prompt.
 */
function usageFields(value: unknown): TokenUsage | undefined {
  if (!value || typeof value !== "object") return undefined;
  const u = value as Record<string, unknown>;
  const cacheRead = num(u.cache_read_input_tokens);
  const cacheWrite = num(u.cache_creation_input_tokens);
  const anthropicInput = num(u.input_tokens) !== undefined && (cacheRead !== undefined || cacheWrite !== undefined);
  const input = num(u.input_tokens);
  const prompt = num(u.prompt_tokens) ?? (anthropicInput && input !== undefined ? input + (cacheRead ?? 0) + (cacheWrite ?? 0) : input);
  const completion = num(u.completion_tokens) ?? num(u.output_tokens);
  const total = prompt !== undefined && completion !== undefined ? prompt + completion : num(u.total_tokens);
  const cached = cacheRead ?? detail(u.prompt_tokens_details, "cached_tokens") ?? detail(u.input_tokens_details, "cached_tokens");
  const reasoning = detail(u.completion_tokens_details, "reasoning_tokens") ?? detail(u.output_tokens_details, "reasoning_tokens");
  const out: TokenUsage = {};
  if (prompt !== undefined) out.promptTokens = prompt;
  if (completion !== undefined) out.completionTokens = completion;
  if (total !== undefined) out.totalTokens = total;
  if (cached !== undefined) out.cachedTokens = cached;
  if (cacheWrite !== undefined) out.cacheWriteTokens = cacheWrite;
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  return out;
}

const USAGE_KEY = Buffer.from('"usage"');
const USAGE_CHUNK = Buffer.from('"usage":{');

/** The `usage` object of a JSON body, found in its last bytes (where OpenAI and Anthropic put it). */
export function usageFromJsonTail(tail: Buffer): TokenUsage | undefined {
  // Searched in the bytes; only what follows `"usage"` is decoded.
  const from = tail.lastIndexOf(USAGE_KEY);
  if (from < 0) return undefined;
  const text = tail.toString("utf8", from);
  // Only `"usage": {` counts: `"usage": null` is not followed by another object's brace.
  const open = /^"usage"\s*:\s*\{/.exec(text)?.[0].length;
  if (open === undefined) return undefined;
  return usageObjectAt(text, open - 1);
}

/** The last `"usage":{…}` object of `buf`. */
function lastUsageObject(buf: Buffer): TokenUsage | undefined {
  const at = buf.lastIndexOf(USAGE_CHUNK);
  return at < 0 ? undefined : usageObjectAt(buf.toString("utf8", at), USAGE_CHUNK.length - 1);
}

/** The first `"usage":{…}` object of `buf`. */
function firstUsageObject(buf: Buffer): TokenUsage | undefined {
  const at = buf.indexOf(USAGE_CHUNK);
  return at < 0 ? undefined : usageObjectAt(buf.toString("utf8", at), USAGE_CHUNK.length - 1);
}

/** The usage of the balanced JSON object opening at `open` in `text`. */
function usageObjectAt(text: string, open: number): TokenUsage | undefined {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) {
      try {
        return usageFields(JSON.parse(text.slice(open, i + 1)));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * The usage of a stream relayed unchanged: the last `usage` object of its last bytes (Chat's usage
 * chunk, Anthropic's `message_delta`, Responses' terminal event), with what its first chunk says
 * (Anthropic's `message_start` holds the input counts) filling what the tail leaves out.
 */
export function usageOfRelayedStream(head: Buffer | undefined, tail: Buffer): TokenUsage | undefined {
  const last = lastUsageObject(tail);
  if (last?.promptTokens !== undefined || !head) return last;
  // The first: a stream that came in one chunk has its closing usage in the head as well.
  const first = firstUsageObject(head);
  if (!first) return last;
  const merged: TokenUsage = { ...first, ...last };
  if (merged.promptTokens !== undefined && merged.completionTokens !== undefined) merged.totalTokens = merged.promptTokens + merged.completionTokens;
  return merged;
}
