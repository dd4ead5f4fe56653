// The live window at a glance: totals, then throughput, latency percentiles and error rate.

import { TimeSeriesChart } from "../../components/TimeSeriesChart";
import { formatCount, formatMs } from "../../lib/format";
import type { LiveStats } from "./live-stats";

const rate = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
const percent = (v: number) => `${v.toFixed(0)}%`;

export function LiveCharts({ stats }: { stats: LiveStats }) {
  const { totals } = stats;
  const minutes = Math.round(stats.windowMs / 60_000);
  const xLabels: [string, string] = [`−${minutes} min`, "now"];
  // The tile and the chart's legend show the same figure: the whole window's.
  const errorPct = totals.errorRate;
  const windowLabel = `${minutes} min`;
  return (
    <section aria-label="Traffic" className="live-stats">
      <dl className="tiles">
        <div className="tile">
          <dt>Requests ({windowLabel})</dt>
          <dd>{formatCount(totals.requests)}</dd>
        </div>
        <div className="tile">
          <dt>In flight</dt>
          <dd>{formatCount(totals.running)}</dd>
        </div>
        <div className="tile">
          <dt>Error rate ({windowLabel})</dt>
          <dd className={errorPct !== null && errorPct > 0 ? "text-error" : undefined}>{errorPct === null ? "–" : percent(errorPct)}</dd>
        </div>
        <div className="tile">
          <dt>p95 duration ({windowLabel})</dt>
          <dd>{formatMs(totals.p95)}</dd>
        </div>
        <div className="tile">
          <dt>Tokens out</dt>
          <dd>{formatCount(totals.completionTokens)}</dd>
        </div>
      </dl>
      <div className="charts">
        <TimeSeriesChart
          title="Throughput (per second)"
          xLabels={xLabels}
          format={rate}
          minMax={0.1}
          series={[
            { name: "requests/s", color: "#2563eb", values: stats.throughput },
            { name: "tokens/s", color: "#7c3aed", values: stats.tokensPerSecond },
          ]}
        />
        <TimeSeriesChart
          title="Latency"
          xLabels={xLabels}
          format={formatMs}
          minMax={100}
          series={[
            { name: "p50", color: "#0d9488", values: stats.p50 },
            { name: "p95", color: "#d97706", values: stats.p95 },
            { name: "TTFT p50", color: "#64748b", values: stats.ttftP50 },
          ]}
        />
        <TimeSeriesChart
          title="Error rate"
          xLabels={xLabels}
          format={percent}
          minMax={10}
          series={[{ name: `errors (${windowLabel})`, color: "#dc2626", values: stats.errorRate, summary: errorPct }]}
        />
      </div>
    </section>
  );
}
