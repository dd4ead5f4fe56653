// The Usage page's figures, from the ledger's rows (key × model × backend per period): totals, the
// same per key, model and backend, and stacked series per period. Pure, so it is tested alone.

import type { UsageRow } from "../../api/types";

export type Dimension = "key" | "model" | "backend";
export const DIMENSIONS: readonly Dimension[] = ["key", "model", "backend"];

export interface Totals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** USD of the priced requests only. */
  costUsd: number;
  /** Requests whose model has no price: their cost is unknown, not zero. */
  unpricedRequests: number;
  toolCalls: number;
  latencyMsSum: number;
  stopReasons: Record<string, number>;
}

export interface GroupTotals extends Totals {
  name: string;
}

interface StackSeries {
  name: string;
  /** Per bucket: USD of priced requests, and tokens (input + output). */
  cost: number[];
  tokens: number[];
  totals: Totals;
}

export interface UsageStats {
  /** Bucket starts (ms), oldest first. */
  buckets: number[];
  stepMs: number;
  totals: Totals;
  groups: Record<Dimension, GroupTotals[]>;
  series: Record<Dimension, StackSeries[]>;
}

const HOUR = 3600_000;
/** Series drawn one by one in a stacked chart; the rest are summed as "other". */
const MAX_SERIES = 6;

export function emptyTotals(): Totals {
  return {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    unpricedRequests: 0,
    toolCalls: 0,
    latencyMsSum: 0,
    stopReasons: {},
  };
}

function addRow(t: Totals, r: UsageRow): void {
  t.requests += r.requests;
  t.errors += r.errors;
  t.inputTokens += r.input_tokens;
  t.outputTokens += r.output_tokens;
  t.cachedTokens += r.cached_tokens;
  t.reasoningTokens += r.reasoning_tokens;
  t.costUsd += r.cost_usd;
  t.unpricedRequests += r.unpriced_requests;
  t.toolCalls += r.tool_calls;
  t.latencyMsSum += (r.avg_latency_ms ?? 0) * r.requests;
  for (const [reason, n] of Object.entries(r.stop_reasons)) t.stopReasons[reason] = (t.stopReasons[reason] ?? 0) + n;
}

function addTotals(t: Totals, o: Totals): void {
  t.requests += o.requests;
  t.errors += o.errors;
  t.inputTokens += o.inputTokens;
  t.outputTokens += o.outputTokens;
  t.cachedTokens += o.cachedTokens;
  t.reasoningTokens += o.reasoningTokens;
  t.costUsd += o.costUsd;
  t.unpricedRequests += o.unpricedRequests;
  t.toolCalls += o.toolCalls;
  t.latencyMsSum += o.latencyMsSum;
  for (const [reason, n] of Object.entries(o.stopReasons)) t.stopReasons[reason] = (t.stopReasons[reason] ?? 0) + n;
}

/** How a row's dimension is shown: requests without a key or a backend that answered have none. */
function groupName(r: UsageRow, d: Dimension): string {
  const v = r[d];
  if (v === null || v === undefined || v === "") return d === "key" ? "(no key)" : d === "backend" ? "(no backend)" : "(unknown)";
  return v;
}

/** Start of the bucket holding `ms`: the UTC hour or day. */
function bucketStart(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs;
}

export function computeUsageStats(rows: readonly UsageRow[], from: string, to: string, granularity: "hour" | "day"): UsageStats {
  const stepMs = granularity === "day" ? 24 * HOUR : HOUR;
  const first = bucketStart(Date.parse(from), stepMs);
  const last = bucketStart(Date.parse(to), stepMs);
  const buckets: number[] = [];
  for (let b = first; b <= last; b += stepMs) buckets.push(b);
  const totals = emptyTotals();
  const groups = { key: new Map<string, GroupTotals>(), model: new Map<string, GroupTotals>(), backend: new Map<string, GroupTotals>() };
  const series = { key: new Map<string, StackSeries>(), model: new Map<string, StackSeries>(), backend: new Map<string, StackSeries>() };
  for (const r of rows) {
    addRow(totals, r);
    const i = Math.round((bucketStart(Date.parse(r.period), stepMs) - first) / stepMs);
    for (const d of DIMENSIONS) {
      const name = groupName(r, d);
      let g = groups[d].get(name);
      if (!g) groups[d].set(name, (g = { name, ...emptyTotals() }));
      addRow(g, r);
      let s = series[d].get(name);
      if (!s) series[d].set(name, (s = { name, cost: buckets.map(() => 0), tokens: buckets.map(() => 0), totals: g }));
      if (i >= 0 && i < buckets.length) {
        s.cost[i]! += r.cost_usd;
        s.tokens[i]! += r.input_tokens + r.output_tokens;
      }
    }
  }
  const sortGroups = (m: Map<string, GroupTotals>) => [...m.values()].sort((a, b) => tokensOf(b) - tokensOf(a));
  const sortSeries = (m: Map<string, StackSeries>) => capSeries([...m.values()].sort((a, b) => tokensOf(b.totals) - tokensOf(a.totals)));
  return {
    buckets,
    stepMs,
    totals,
    groups: { key: sortGroups(groups.key), model: sortGroups(groups.model), backend: sortGroups(groups.backend) },
    series: { key: sortSeries(series.key), model: sortSeries(series.model), backend: sortSeries(series.backend) },
  };
}

const tokensOf = (t: Totals) => t.inputTokens + t.outputTokens;

/** The largest MAX_SERIES series, and the rest summed as one "other". */
function capSeries(sorted: StackSeries[]): StackSeries[] {
  if (sorted.length <= MAX_SERIES + 1) return sorted;
  const kept = sorted.slice(0, MAX_SERIES);
  const rest = sorted.slice(MAX_SERIES);
  const other: StackSeries = { name: `other (${rest.length})`, cost: rest[0]!.cost.map(() => 0), tokens: rest[0]!.tokens.map(() => 0), totals: emptyTotals() };
  for (const s of rest) {
    s.cost.forEach((v, i) => (other.cost[i]! += v));
    s.tokens.forEach((v, i) => (other.tokens[i]! += v));
    addTotals(other.totals, s.totals);
  }
  return [...kept, other];
}

/** Errors per request, in percent; null with no requests. */
export const errorRate = (t: Totals): number | null => (t.requests ? (t.errors / t.requests) * 100 : null);

/** Tool calls per successful request. */
export const toolCallRate = (t: Totals): number | null => (t.requests - t.errors > 0 ? t.toolCalls / (t.requests - t.errors) : null);

/** Output tokens per second of request time. */
export const tokensPerSecond = (t: Totals): number | null => (t.latencyMsSum > 0 ? t.outputTokens / (t.latencyMsSum / 1000) : null);

/** A cost that never shows an unpriced model as free: "unpriced", or the priced part and how many were not. */
export function formatCost(t: Pick<Totals, "costUsd" | "unpricedRequests" | "requests">): string {
  if (t.requests > 0 && t.unpricedRequests >= t.requests) return "unpriced";
  const usd = formatUsd(t.costUsd);
  return t.unpricedRequests > 0 ? `${usd} + ${t.unpricedRequests} unpriced` : usd;
}

export function formatUsd(v: number): string {
  if (v === 0) return "$0.00";
  if (Math.abs(v) < 0.01) return `$${v.toPrecision(2)}`;
  return `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
