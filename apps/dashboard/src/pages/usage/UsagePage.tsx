// The Usage page's data: the ledger's report over the chosen window, and each key's limits left.

import { useQueries, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { keysQuery } from "../../api/queries/keys";
import { type UsageGranularity, type UsageRange, keyUsageQuery, usageReportQuery } from "../../api/queries/usage";
import { usageCsvUrl } from "../../api/client";
import { type Dimension, computeUsageStats } from "./usage-stats";
import { UsagePageView } from "./UsagePageView";

export function UsagePage() {
  const [range, setRange] = useState<UsageRange>("24h");
  const [granularity, setGranularity] = useState<UsageGranularity>("hour");
  const [by, setBy] = useState<Dimension>("model");
  // The window ends here; it moves to now when the range changes or on refresh.
  const [anchor, setAnchor] = useState(() => Date.now());
  const report = useQuery(usageReportQuery(range, granularity, anchor));
  const keys = useQuery(keysQuery());
  const keyIds = useMemo(() => keys.data?.data.map((k) => k.keyId) ?? [], [keys.data]);
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
      keyLimits={keyIds.map((id, i) => ({ keyId: id, usage: keyUsage[i]?.data, error: keyUsage[i]?.error ?? null }))}
    />
  );
}
