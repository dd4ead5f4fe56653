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

// Fixed names, one window at a time: this runs on every limited request, and the loop over
// [kind, window] pairs with built names it replaced cost more than the counting itself.
export function openAIRateLimitHeaders(state: RateLimitState): Record<string, string> {
  const out: Record<string, string> = {};
  const r = state.requests;
  if (r) {
    out["x-ratelimit-limit-requests"] = String(r.limit);
    out["x-ratelimit-remaining-requests"] = String(Math.max(0, r.remaining));
    out["x-ratelimit-reset-requests"] = openAIDuration(r.resetMs);
  }
  const t = state.tokens;
  if (t) {
    out["x-ratelimit-limit-tokens"] = String(t.limit);
    out["x-ratelimit-remaining-tokens"] = String(Math.max(0, t.remaining));
    out["x-ratelimit-reset-tokens"] = openAIDuration(t.resetMs);
  }
  return out;
}

/** RFC 3339, to the second, as Anthropic sends it. */
function anthropicReset(nowMs: number, resetMs: number): string {
  return new Date(Math.ceil((nowMs + resetMs) / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function anthropicRateLimitHeaders(state: RateLimitState): Record<string, string> {
  const out: Record<string, string> = {};
  const r = state.requests;
  if (r) {
    out["anthropic-ratelimit-requests-limit"] = String(r.limit);
    out["anthropic-ratelimit-requests-remaining"] = String(Math.max(0, r.remaining));
    out["anthropic-ratelimit-requests-reset"] = anthropicReset(state.nowMs, r.resetMs);
  }
  const t = state.tokens;
  if (t) {
    out["anthropic-ratelimit-tokens-limit"] = String(t.limit);
    out["anthropic-ratelimit-tokens-remaining"] = String(Math.max(0, t.remaining));
    out["anthropic-ratelimit-tokens-reset"] = anthropicReset(state.nowMs, t.resetMs);
  }
  return out;
}
