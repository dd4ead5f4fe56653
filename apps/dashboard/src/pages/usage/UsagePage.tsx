// The Usage page's data: the ledger's report over the chosen window, and each key's limits left.

import { useQueries, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { keysQuery } from "../../api/queries/keys";
import { type UsageGranularity, type UsageRange, keyUsageQuery, usageReportQuery } from "../../api/queries/usage";
import { usageCsvUrl } from "../../api/client";
import { type Dimension, computeUsageStats } from "./usage-stats";
import { UsagePageView } from "./UsagePageView";

/** Keys whose limits the page asks for. */
const MAX_KEYS = 50;

export function UsagePage() {
  const [range, setRange] = useState<UsageRange>("24h");
  const [granularity, setGranularity] = useState<UsageGranularity>("hour");
  const [by, setBy] = useState<Dimension>("model");
  // The window ends here; it moves to now when the range changes or on refresh.
  const [anchor, setAnchor] = useState(() => Date.now());
  const report = useQuery(usageReportQuery(range, granularity, anchor));
  const keys = useQuery(keysQuery());
  const allKeys = keys.data?.data.length ?? 0;
  // One request per key: past MAX_KEYS the table would cost more than it tells.
  const keyIds = useMemo(() => keys.data?.data.slice(0, MAX_KEYS).map((k) => k.keyId) ?? [], [keys.data]);
  const keyUsage = useQueries({ queries: keyIds.map((id) => keyUsageQuery(id, range, anchor)) });
  const data = report.data;
  const stats = useMemo(() => (data ? computeUsageStats(data.data, data.from, data.to, data.granularity === "day" ? "day" : "hour") : undefined), [data]);
  const csvUrl = data ? usageCsvUrl({ from: data.from, to: data.to, granularity: granularity, group_by: "key,model,backend" }) : undefined;
  return (
    <UsagePageView
      range={range}
      onRangeChange={(r) => {
        setRange(r);
        // Hourly bars over a month are too thin to read; a day each is the useful default there.
        setGranularity(r === "24h" ? "hour" : "day");
        setAnchor(Date.now());
      }}
      granularity={granularity}
      onGranularityChange={setGranularity}
      by={by}
      onByChange={setBy}
      onRefresh={() => setAnchor(Date.now())}
      refreshing={report.isFetching}
      stats={stats}
      error={report.error}
      onRetry={() => void report.refetch()}
      csvUrl={csvUrl}
      keysLeftOut={allKeys - keyIds.length}
      keyLimits={keyIds.map((id, i) => ({ keyId: id, usage: keyUsage[i]?.data, error: keyUsage[i]?.error ?? null }))}
    />
  );
}
