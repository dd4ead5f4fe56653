// Turns the live trace rows into chart series: equal time buckets over a recent window, with
// throughput, latency percentiles and error rate per bucket, and totals for the window.

import type { TraceSummary } from "../../api/types";

export interface LiveStats {
  bucketMs: number;
  windowMs: number;
  /** Requests started per second, per bucket. */
  throughput: number[];
  /** Completion tokens per second, per bucket. */
  tokensPerSecond: number[];
  p50: Array<number | null>;
  p95: Array<number | null>;
  ttftP50: Array<number | null>;
  /** Percent of finished requests with status ≥ 400, per bucket. */
  errorRate: Array<number | null>;
  /** Over the whole window; `errorRate` is the percent of finished requests with status ≥ 400. */
  totals: { requests: number; running: number; errors: number; finished: number; errorRate: number | null; p95: number | null; completionTokens: number };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

const ascending = (a: number, b: number) => a - b;

export function computeLiveStats(traces: TraceSummary[], now: number, windowMs = 5 * 60_000, buckets = 30): LiveStats {
  const bucketMs = windowMs / buckets;
  const start = now - windowMs;
  const started = Array.from({ length: buckets }, () => 0);
  const tokens = Array.from({ length: buckets }, () => 0);
  const durations: number[][] = Array.from({ length: buckets }, () => []);
  const ttfts: number[][] = Array.from({ length: buckets }, () => []);
  const finished = Array.from({ length: buckets }, () => 0);
  const errors = Array.from({ length: buckets }, () => 0);
  const allDurations: number[] = [];
  const totals = { requests: 0, running: 0, errors: 0, finished: 0, errorRate: null as number | null, p95: null as number | null, completionTokens: 0 };

  for (const t of traces) {
    const at = new Date(t.startedAt).getTime();
    if (Number.isNaN(at) || at < start || at > now + 5_000) continue;
    const i = Math.min(buckets - 1, Math.floor((at - start) / bucketMs));
    started[i]! += 1;
    totals.requests += 1;
    if (t.state === "running") {
      totals.running += 1;
      continue;
    }
    finished[i]! += 1;
    totals.finished += 1;
    if (t.status !== null && t.status >= 400) {
      errors[i]! += 1;
      totals.errors += 1;
    }
    if (t.durationMs !== null) {
      durations[i]!.push(t.durationMs);
      allDurations.push(t.durationMs);
    }
    if (t.ttftMs !== null) ttfts[i]!.push(t.ttftMs);
    if (t.completionTokens !== null) {
      tokens[i]! += t.completionTokens;
      totals.completionTokens += t.completionTokens;
    }
  }

  const perSecond = (n: number) => n / (bucketMs / 1000);
  for (const list of [...durations, ...ttfts]) list.sort(ascending);
  totals.p95 = percentile(allDurations.sort(ascending), 95);
  totals.errorRate = totals.finished === 0 ? null : (totals.errors / totals.finished) * 100;
  return {
    bucketMs,
    windowMs,
    throughput: started.map(perSecond),
    tokensPerSecond: tokens.map(perSecond),
    p50: durations.map((d) => percentile(d, 50)),
    p95: durations.map((d) => percentile(d, 95)),
    ttftP50: ttfts.map((d) => percentile(d, 50)),
    errorRate: finished.map((f, i) => (f === 0 ? null : (errors[i]! / f) * 100)),
    totals,
  };
}
