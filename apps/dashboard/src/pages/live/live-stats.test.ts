import { describe, expect, it } from "vitest";
import type { TraceSummary } from "../../api/types";
import { computeLiveStats } from "./live-stats";

const NOW = Date.parse("2026-12-01T12:00:00Z");

function trace(secondsAgo: number, status: number | null, state: TraceSummary["state"] = "finished"): TraceSummary {
  return {
    id: `t${secondsAgo}-${status}`,
    startedAt: new Date(NOW - secondsAgo * 1000).toISOString(),
    model: "m",
    keyId: null,
    clientFormat: "chat",
    backend: "m",
    backendFormat: "chat",
    stream: false,
    status,
    state,
    attempts: 1,
    ttftMs: null,
    durationMs: 10,
    promptTokens: null,
    completionTokens: null,
    error: null,
    warnings: 0,
    finishReason: null,
    toolCalls: 0,
  };
}

describe("live stats", () => {
  it("the window's error rate is over the same requests the chart's buckets count", () => {
    const traces = [trace(5, 200), trace(5, 502), trace(100, 200), trace(100, 200), trace(200, 404), trace(3, null, "running"), trace(400, 500)];
    const stats = computeLiveStats(traces, NOW);
    // The 500 from 400 s ago is outside the 5-minute window, for the total and for every bucket.
    expect(stats.totals).toMatchObject({ requests: 6, running: 1, finished: 5, errors: 2, errorRate: 40 });
    const bucketed = stats.errorRate.filter((v): v is number => v !== null);
    expect(bucketed).toEqual([100, 0, 50]);
    expect(stats.errorRate.at(-1)).toBe(50);
  });

  it("has no error rate before anything finished", () => {
    expect(computeLiveStats([trace(1, null, "running")], NOW).totals.errorRate).toBeNull();
    expect(computeLiveStats([], NOW).totals.errorRate).toBeNull();
  });
});
