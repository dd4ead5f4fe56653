// Token counts of answers relayed unchanged, read from the last bytes only (where OpenAI and
// Anthropic put usage): a pass-through body is never parsed whole for this.

export interface TokenUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

/** Usage from an OpenAI-style or Anthropic-style JSON object. */
export function usageOf(obj: unknown): TokenUsage | undefined {
  return usageFields((obj as { usage?: unknown } | null)?.usage);
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** Token counts of a `usage` object (OpenAI's or Anthropic's names). */
function usageFields(value: unknown): TokenUsage | undefined {
  if (!value || typeof value !== "object") return undefined;
  const u = value as Record<string, unknown>;
  const prompt = num(u.prompt_tokens) ?? num(u.input_tokens);
  const completion = num(u.completion_tokens) ?? num(u.output_tokens);
  const total = num(u.total_tokens) ?? (prompt !== undefined && completion !== undefined ? prompt + completion : undefined);
  const out: TokenUsage = {};
  if (prompt !== undefined) out.promptTokens = prompt;
  if (completion !== undefined) out.completionTokens = completion;
  if (total !== undefined) out.totalTokens = total;
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
  const open = text.indexOf("{");
  if (open < 0) return undefined;
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

/** The usage of a chat stream, read from its last `data:` lines only. */
export function usageFromChatTail(tail: Buffer): TokenUsage | undefined {
  const usageAt = tail.lastIndexOf(USAGE_CHUNK);
  if (usageAt < 0) return undefined;
  // Decoded from the start of that line only.
  const lineAt = tail.lastIndexOf("data:", usageAt);
  if (lineAt < 0) return undefined;
  const lineEnd = tail.indexOf("\n", usageAt);
  try {
    return usageOf(JSON.parse(tail.toString("utf8", lineAt + 5, lineEnd < 0 ? undefined : lineEnd)));
  } catch {
    return undefined;
  }
}
