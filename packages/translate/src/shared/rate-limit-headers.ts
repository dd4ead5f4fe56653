// The rate-limit headers each client family reads: OpenAI's `x-ratelimit-*` (Chat and Responses
// clients) and Anthropic's `anthropic-ratelimit-*`. Values of the tightest limit the request met.

/** One kind of limit as it stands after this request. */
export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface RateLimitState {
  requests?: RateLimitWindow;
  tokens?: RateLimitWindow;
  /** The clock, for Anthropic's absolute reset times. */
  nowMs: number;
}

/** OpenAI's duration style: `1s`, `6m0s`, `1h2m3s`, `250ms`. */
function openAIDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}

export function openAIRateLimitHeaders(state: RateLimitState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, w] of [
    ["requests", state.requests],
    ["tokens", state.tokens],
  ] as const) {
    if (!w) continue;
    out[`x-ratelimit-limit-${kind}`] = String(w.limit);
    out[`x-ratelimit-remaining-${kind}`] = String(Math.max(0, w.remaining));
    out[`x-ratelimit-reset-${kind}`] = openAIDuration(w.resetMs);
  }
  return out;
}

export function anthropicRateLimitHeaders(state: RateLimitState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [kind, w] of [
    ["requests", state.requests],
    ["tokens", state.tokens],
  ] as const) {
    if (!w) continue;
    out[`anthropic-ratelimit-${kind}-limit`] = String(w.limit);
    out[`anthropic-ratelimit-${kind}-remaining`] = String(Math.max(0, w.remaining));
    // RFC 3339, to the second, as Anthropic sends it.
    out[`anthropic-ratelimit-${kind}-reset`] = new Date(Math.ceil((state.nowMs + w.resetMs) / 1000) * 1000).toISOString().replace(".000Z", "Z");
  }
  return out;
}
