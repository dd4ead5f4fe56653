// The Usage page's figures as tiles and tables: the window's totals, a table per key, model or
// backend, and how successful answers ended.

import { formatCount, formatMs } from "../../lib/format";
import { type GroupTotals, type Totals, errorRate, formatCost, formatUsd, tokensPerSecond, toolCallRate } from "./usage-stats";

const percent = (v: number | null) => (v === null ? "–" : `${v < 10 && v > 0 ? v.toFixed(1) : v.toFixed(0)}%`);
const decimal = (v: number | null, digits = 1) => (v === null ? "–" : v.toFixed(digits));

function Tile({ label, value, note, className }: { label: string; value: string; note?: string; className?: string }) {
  return (
    <div className="tile">
      <dt>{label}</dt>
      <dd className={className}>
        {value}
        {note ? <span className="tile-note"> {note}</span> : null}
      </dd>
    </div>
  );
}

/** The spend tile: the priced part, and beside it how many requests have no price (never $0 for them). */
function spendParts(t: Totals): { value: string; note?: string } {
  if (t.requests > 0 && t.unpricedRequests >= t.requests) return { value: "unpriced" };
  return t.unpricedRequests > 0 ? { value: formatUsd(t.costUsd), note: `+ ${formatCount(t.unpricedRequests)} unpriced` } : { value: formatUsd(t.costUsd) };
}

export function UsageTiles({ totals }: { totals: Totals }) {
  const rate = errorRate(totals);
  const avgLatency = totals.requests ? totals.latencyMsSum / totals.requests : null;
  return (
    <dl className="tiles" aria-label="Totals">
      <Tile label="Requests" value={formatCount(totals.requests)} />
      <Tile label="Errors" value={formatCount(totals.errors)} className={totals.errors > 0 ? "text-error" : undefined} />
      <Tile label="Error rate" value={percent(rate)} className={rate ? "text-error" : undefined} />
      <Tile label="Input tokens" value={formatCount(totals.inputTokens)} />
      <Tile label="Output tokens" value={formatCount(totals.outputTokens)} />
      <Tile label="Spend" {...spendParts(totals)} />
      <Tile label="Tool calls per answer" value={decimal(toolCallRate(totals), 2)} />
      <Tile label="Tokens per second" value={decimal(tokensPerSecond(totals))} />
      <Tile label="Avg latency" value={formatMs(avgLatency)} />
    </dl>
  );
}

/** A table per key, model or backend; `brief` leaves out spend and tool calls (backends, beside another table). */
export function GroupTable({ title, label, rows, brief = false }: { title: string; label: string; rows: GroupTotals[]; brief?: boolean }) {
  return (
    <section className="card card-flush" aria-label={label}>
      <div className="section-head">
        <h2>{title}</h2>
      </div>
      <div className="table-wrap">
        <table className="table table-compact" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="num">
                Requests
              </th>
              <th scope="col" className="num">
                Errors
              </th>
              <th scope="col" className="num">
                Input
              </th>
              <th scope="col" className="num">
                Output
              </th>
              {brief ? null : (
                <th scope="col" className="num">
                  Spend
                </th>
              )}
              <th scope="col" className="num">
                Tok/s
              </th>
              {brief ? null : (
                <th scope="col" className="num">
                  Tool calls/answer
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <th scope="row" className="mono">
                  {r.name}
                </th>
                <td className="num mono">{formatCount(r.requests)}</td>
                <td className={`num mono${r.errors ? " text-error" : ""}`}>{r.errors ? `${formatCount(r.errors)} (${percent(errorRate(r))})` : "0"}</td>
                <td className="num mono">{formatCount(r.inputTokens)}</td>
                <td className="num mono">{formatCount(r.outputTokens)}</td>
                {brief ? null : (
                  <td className="num mono nowrap">{r.unpricedRequests >= r.requests ? <span className="tag tag-warn">unpriced</span> : formatCost(r)}</td>
                )}
                <td className="num mono">{decimal(tokensPerSecond(r))}</td>
                {brief ? null : <td className="num mono">{decimal(toolCallRate(r), 2)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function StopReasons({ totals }: { totals: Totals }) {
  const entries = Object.entries(totals.stopReasons).sort((a, b) => b[1] - a[1]);
  const answered = entries.reduce((s, [, n]) => s + n, 0);
  const unknown = totals.requests - totals.errors - answered;
  return (
    <section className="card card-flush" aria-label="How answers ended">
      <div className="section-head">
        <h2>How answers ended</h2>
      </div>
      <table className="table table-compact" aria-label="Stop reasons">
        <thead>
          <tr>
            <th scope="col">Stop reason</th>
            <th scope="col" className="num">
              Answers
            </th>
            <th scope="col" className="num">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([reason, n]) => (
            <tr key={reason}>
              <th scope="row" className="mono">
                {reason}
              </th>
              <td className="num mono">{formatCount(n)}</td>
              <td className="num mono">{percent(totals.requests ? (n / totals.requests) * 100 : null)}</td>
            </tr>
          ))}
          {unknown > 0 ? (
            <tr>
              <th scope="row" className="muted">
                not reported
              </th>
              <td className="num mono">{formatCount(unknown)}</td>
              <td className="num mono">{percent((unknown / totals.requests) * 100)}</td>
            </tr>
          ) : null}
          <tr className={totals.errors ? "row-error" : undefined}>
            <th scope="row">failed (errors)</th>
            <td className="num mono">{formatCount(totals.errors)}</td>
            <td className="num mono">{percent(errorRate(totals))}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
