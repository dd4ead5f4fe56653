import { describe, expect, it } from "vitest";
import type { UsageRow } from "../../api/types";
import { computeUsageStats, errorRate, formatCost, tokensPerSecond } from "./usage-stats";

function row(period: string, key: string | null, model: string, over: Partial<UsageRow> = {}): UsageRow {
  return {
    period,
    key,
    model,
    backend: model,
    requests: 2,
    errors: 0,
    input_tokens: 10,
    output_tokens: 5,
    cached_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: 0.5,
    unpriced_requests: 0,
    tool_calls: 0,
    stop_reasons: { stop: 2 },
    avg_latency_ms: 500,
    avg_ttft_ms: null,
    tokens_per_second: 5,
    ...over,
  };
}

describe("usage stats", () => {
  const rows = [
    row("2026-12-01T10:00:00.000Z", "alice", "gpt"),
    row("2026-12-01T12:00:00.000Z", "alice", "local", { cost_usd: 0, unpriced_requests: 2, errors: 1, stop_reasons: { length: 1 } }),
    row("2026-12-01T12:00:00.000Z", null, "gpt", { tool_calls: 3, stop_reasons: { tool_calls: 2 } }),
  ];
  const stats = computeUsageStats(rows, "2026-12-01T09:30:00Z", "2026-12-01T12:10:00Z", "hour");

  it("fills every hour of the window and stacks each key's tokens in its hour", () => {
    expect(stats.buckets.length).toBe(4);
    const alice = stats.series.key.find((s) => s.name === "alice")!;
    expect(alice.tokens).toEqual([0, 15, 0, 15]);
    expect(stats.series.key.map((s) => s.name).sort()).toEqual(["(no key)", "alice"]);
  });

  it("adds up totals, rates and stop reasons", () => {
    expect(stats.totals).toMatchObject({ requests: 6, errors: 1, inputTokens: 30, outputTokens: 15, toolCalls: 3 });
    expect(stats.totals.stopReasons).toEqual({ stop: 2, length: 1, tool_calls: 2 });
    expect(errorRate(stats.totals)).toBeCloseTo(100 / 6);
    expect(tokensPerSecond(stats.totals)).toBeCloseTo(15 / 3);
  });

  it("never shows an unpriced model's cost as $0", () => {
    const local = stats.groups.model.find((g) => g.name === "local")!;
    expect(formatCost(local)).toBe("unpriced");
    expect(formatCost(stats.totals)).toBe("$1.00 + 2 unpriced");
    expect(formatCost(stats.groups.model.find((g) => g.name === "gpt")!)).toBe("$1.00");
  });
});
