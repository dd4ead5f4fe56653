// The Usage page, rendered from props: the window and granularity, totals, stacked spend and token
// charts, how answers ended, the top keys and models, and each key's limits left (per model too).

import type { UsageGranularity, UsageRange } from "../../api/queries/usage";
import { EmptyState } from "../../components/EmptyState";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import { StackedBarChart } from "../../components/StackedBarChart";
import { formatCount } from "../../lib/format";
import { type KeyLimitsRow, KeyLimitsTable, ModelLimitsTable } from "./KeyLimitsTable";
import { GroupTable, StopReasons, UsageTiles } from "./UsageTables";
import { DIMENSIONS, type Dimension, type UsageStats, formatCost, formatUsd } from "./usage-stats";

export interface UsagePageViewProps {
  range: UsageRange;
  onRangeChange: (r: UsageRange) => void;
  granularity: UsageGranularity;
  onGranularityChange: (g: UsageGranularity) => void;
  by: Dimension;
  onByChange: (d: Dimension) => void;
  onRefresh: () => void;
  refreshing: boolean;
  stats: UsageStats | undefined;
  error: unknown;
  onRetry: () => void;
  csvUrl: string | undefined;
  keyLimits: KeyLimitsRow[];
  /** Keys past the ones whose limits were asked for. */
  keysLeftOut: number;
}

const RANGES: Array<{ value: UsageRange; label: string }> = [
  { value: "24h", label: "24 h" },
  { value: "7d", label: "7 d" },
  { value: "30d", label: "30 d" },
];
const GRANULARITIES: UsageGranularity[] = ["hour", "day"];
const SERIES_COLORS = ["#2563eb", "#7c3aed", "#0d9488", "#d97706", "#db2777", "#65a30d", "#64748b"];

function Segmented<T extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: Array<{ value: T; label: string }>;
  onChange: (v: T) => void;
}) {
  return (
    <div className="segmented" role="group" aria-label={label}>
      {options.map((o) => (
        <button key={o.value} type="button" aria-pressed={value === o.value} className={value === o.value ? "active" : ""} onClick={() => onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}

/** A bucket's label: its UTC hour or day (the ledger's buckets are UTC). */
function bucketLabel(ms: number, stepMs: number): string {
  const iso = new Date(ms).toISOString();
  return stepMs >= 24 * 3600_000 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

const compact = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : formatCount(Math.round(v)));

function UsageCharts({ stats, by }: { stats: UsageStats; by: Dimension }) {
  const labels = stats.buckets.map((b) => bucketLabel(b, stats.stepMs));
  const series = stats.series[by];
  return (
    <div className="grid-2">
      <StackedBarChart
        title={`Spend by ${by} (USD, priced requests)`}
        bucketLabels={labels}
        format={formatUsd}
        series={series.map((s, i) => ({ name: s.name, color: SERIES_COLORS[i % SERIES_COLORS.length]!, values: s.cost, summary: formatCost(s.totals) }))}
      />
      <StackedBarChart
        title={`Tokens by ${by} (input + output)`}
        bucketLabels={labels}
        format={compact}
        series={series.map((s, i) => ({
          name: s.name,
          color: SERIES_COLORS[i % SERIES_COLORS.length]!,
          values: s.tokens,
          summary: formatCount(s.totals.inputTokens + s.totals.outputTokens),
        }))}
      />
    </div>
  );
}

export function UsagePageView(props: UsagePageViewProps) {
  const { stats } = props;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Usage</h1>
        <span className="muted small">From the usage ledger; periods are UTC hours or days.</span>
      </div>
      <div className="toolbar">
        <Segmented label="Range" value={props.range} options={RANGES} onChange={props.onRangeChange} />
        <Segmented
          label="Granularity"
          value={props.granularity}
          options={GRANULARITIES.map((g) => ({ value: g, label: `per ${g}` }))}
          onChange={props.onGranularityChange}
        />
        <Segmented label="Break down by" value={props.by} options={DIMENSIONS.map((d) => ({ value: d, label: `by ${d}` }))} onChange={props.onByChange} />
        <span className="toolbar-spacer" />
        <button type="button" className="btn" onClick={props.onRefresh} disabled={props.refreshing}>
          {props.refreshing ? "Loading…" : "Refresh"}
        </button>
        {props.csvUrl ? (
          <a className="btn" href={props.csvUrl} download="usage.csv">
            Export CSV
          </a>
        ) : null}
      </div>
      {!stats ? (
        props.error ? (
          <ErrorState title="Could not load usage" error={props.error} onRetry={props.onRetry} />
        ) : (
          <LoadingState label="Loading usage…" />
        )
      ) : stats.totals.requests === 0 ? (
        <EmptyState title="No usage in this period">Requests through the proxy are counted here, by key, model and backend.</EmptyState>
      ) : (
        <>
          <UsageTiles totals={stats.totals} />
          <UsageCharts stats={stats} by={props.by} />
          <GroupTable title="Top keys" label="Top keys" rows={stats.groups.key} />
          <GroupTable title="Top models" label="Top models" rows={stats.groups.model} />
          <div className="grid-2">
            <StopReasons totals={stats.totals} />
            <GroupTable title="Backends" label="Backends" rows={stats.groups.backend} brief />
          </div>
        </>
      )}
      <KeyLimitsTable rows={props.keyLimits} leftOut={props.keysLeftOut} />
      <ModelLimitsTable rows={props.keyLimits} />
    </div>
  );
}
