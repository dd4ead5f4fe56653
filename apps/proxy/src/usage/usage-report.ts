// The usage APIs' shared part: their query read and bounded, the ledger asked, rows shaped as the
// API answers them, and the same rows as CSV.

import type { UsageQuery, UsageRow } from "@yallmproxy/api";
import { type UsageDimension, UsageStore, type UsageTotals } from "@yallmproxy/db";
import { Errors } from "../errors.js";
import type { ProxyRuntime } from "../runtime.js";

const HOUR_MS = 3600 * 1000;
const DIMENSIONS: readonly UsageDimension[] = ["key", "model", "backend"];
/** Longest period one answer covers, per granularity (hourly rows add up fast). */
const MAX_HOURS = { hour: 31 * 24, day: 800 * 24, total: 800 * 24 } as const;

export interface UsageRequest {
  from: Date;
  to: Date;
  groupBy: UsageDimension[];
  granularity: "hour" | "day" | "total";
  csv: boolean;
  keyId: string | undefined;
}

function dateOf(name: "from" | "to", raw: string | undefined, fallback: number): Date {
  if (raw === undefined || raw === "") return new Date(fallback);
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw Errors.invalidField(name, `${name} must be an ISO date-time.`);
  return d;
}

/** The query's values, checked; a bad one is a 400 naming it. */
export function readUsageQuery(q: UsageQuery, granularities: ReadonlyArray<UsageRequest["granularity"]> = ["hour", "day"]): UsageRequest {
  const now = Date.now();
  const to = dateOf("to", q.to, now);
  const from = dateOf("from", q.from, to.getTime() - 24 * HOUR_MS);
  if (from > to) throw Errors.invalidField("from", "from must not be after to.");
  const granularity = (q.granularity ?? granularities[0]) as UsageRequest["granularity"];
  if (!granularities.includes(granularity)) throw Errors.invalidField("granularity", `granularity must be one of ${granularities.join(", ")}.`);
  if ((to.getTime() - from.getTime()) / HOUR_MS > MAX_HOURS[granularity]) {
    throw Errors.invalidField(
      "from",
      `A ${granularity} report covers at most ${MAX_HOURS[granularity] / 24} days; ask for a shorter period or granularity=day.`,
    );
  }
  const groupBy: UsageDimension[] = [];
  for (const part of (q.group_by ?? DIMENSIONS.join(",")).split(",")) {
    const d = part.trim();
    if (d === "") continue;
    if (!DIMENSIONS.includes(d as UsageDimension)) throw Errors.invalidField("group_by", "group_by takes key, model and backend, comma-separated.");
    if (!groupBy.includes(d as UsageDimension)) groupBy.push(d as UsageDimension);
  }
  const format = q.format ?? "json";
  if (format !== "json" && format !== "csv") throw Errors.invalidField("format", "format must be json or csv.");
  return { from, to, groupBy, granularity, csv: format === "csv", keyId: q.key || undefined };
}

/** The ledger's rows for the request, flushed first so the caller's own last requests are in. */
export async function usageRows(runtime: ProxyRuntime, r: UsageRequest): Promise<UsageRow[]> {
  if (!runtime.database) throw Errors.adminNoDatabase();
  await runtime.ops.ledger?.flush();
  const totals = await new UsageStore(runtime.database).query({
    fromHour: Math.floor(r.from.getTime() / HOUR_MS),
    toHour: Math.floor(r.to.getTime() / HOUR_MS),
    groupBy: r.groupBy,
    granularity: r.granularity,
    ...(r.keyId !== undefined ? { keyId: r.keyId } : {}),
  });
  return totals.map((t) => rowOf(t, r.groupBy));
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function rowOf(t: UsageTotals, groupBy: readonly UsageDimension[]): UsageRow {
  const row: UsageRow = {
    period: new Date(t.hour * HOUR_MS).toISOString(),
    requests: t.requests,
    errors: t.errors,
    input_tokens: t.inputTokens,
    output_tokens: t.outputTokens,
    cached_tokens: t.cachedTokens,
    cache_write_tokens: t.cacheWriteTokens,
    reasoning_tokens: t.reasoningTokens,
    cost_usd: round(t.costUsd, 9),
    unpriced_requests: t.unpricedRequests,
    tool_calls: t.toolCalls,
    stop_reasons: t.finishReasons,
    avg_latency_ms: t.requests ? round(t.latencyMsSum / t.requests, 2) : null,
    avg_ttft_ms: t.ttftCount ? round(t.ttftMsSum / t.ttftCount, 2) : null,
    tokens_per_second: t.latencyMsSum > 0 ? round(t.outputTokens / (t.latencyMsSum / 1000), 2) : null,
  };
  if (groupBy.includes("key")) row.key = t.keyId || null;
  if (groupBy.includes("model")) row.model = t.model ?? "";
  if (groupBy.includes("backend")) row.backend = t.backend || null;
  return row;
}

const CSV_COUNTERS = [
  "requests",
  "errors",
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_usd",
  "unpriced_requests",
  "tool_calls",
  "avg_latency_ms",
  "avg_ttft_ms",
  "tokens_per_second",
] as const;

function csvField(v: unknown): string {
  const text = v === null || v === undefined ? "" : String(v);
  // Quoted when needed; a leading = + - @ is neutralised so a spreadsheet does not run it.
  const safe = /^[=+\-@]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function usageCsv(rows: readonly UsageRow[], groupBy: readonly UsageDimension[]): string {
  const head = ["period", ...groupBy, ...CSV_COUNTERS, "stop_reasons"];
  const lines = [head.join(",")];
  for (const r of rows) {
    const stops = Object.entries(r.stop_reasons)
      .map(([k, n]) => `${k}:${n}`)
      .join(";");
    lines.push([r.period, ...groupBy.map((d) => r[d]), ...CSV_COUNTERS.map((c) => r[c]), stops].map(csvField).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}
