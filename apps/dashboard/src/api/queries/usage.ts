// Usage queries: the ledger's report over a window (key × model × backend per period), and each
// key's usage with what is left of its limits and budget.

import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { getKeyUsage, getUsage } from "../client";

export type UsageRange = "24h" | "7d" | "30d";
export type UsageGranularity = "hour" | "day";

const RANGE_MS: Record<UsageRange, number> = { "24h": 24 * 3600_000, "7d": 7 * 24 * 3600_000, "30d": 30 * 24 * 3600_000 };

const usageKeys = {
  all: ["usage"] as const,
  report: (range: UsageRange, granularity: UsageGranularity, anchor: number) => [...usageKeys.all, "report", range, granularity, anchor] as const,
  key: (id: string, range: UsageRange, anchor: number) => [...usageKeys.all, "key", id, range, anchor] as const,
};

/** The window ending at `anchor` (ms): fixed per query key, so a refetch asks for the same period. */
function windowOf(range: UsageRange, anchor: number): { from: string; to: string } {
  return { from: new Date(anchor - RANGE_MS[range]).toISOString(), to: new Date(anchor).toISOString() };
}

export const usageReportQuery = (range: UsageRange, granularity: UsageGranularity, anchor: number) =>
  queryOptions({
    queryKey: usageKeys.report(range, granularity, anchor),
    queryFn: () => getUsage({ ...windowOf(range, anchor), granularity, group_by: "key,model,backend" }),
    placeholderData: keepPreviousData,
  });

export const keyUsageQuery = (id: string, range: UsageRange, anchor: number) =>
  queryOptions({ queryKey: usageKeys.key(id, range, anchor), queryFn: () => getKeyUsage(id, windowOf(range, anchor)) });
