// Each app key's usage in the window and what is left of its budget and rate limits now, its
// per-model limits (`model_limits`) included, from `GET /admin/keys/{id}/usage`.

import type { KeyLimitStatus, KeyUsage } from "../../api/types";
import { formatCount } from "../../lib/format";
import { emptyTotals, formatCost, formatUsd } from "./usage-stats";

export interface KeyLimitsRow {
  keyId: string;
  usage: KeyUsage | undefined;
  error: unknown;
}

type Left = KeyLimitStatus["rpm"];
type ModelLeft = KeyLimitStatus["model_limits"][string];

function limitLeft(l: Left): string {
  return l === null ? "no limit" : `${formatCount(l.remaining)} of ${formatCount(l.limit)}`;
}

function limitUsed(l: Left): string {
  return l === null ? "no limit" : `${formatCount(l.used)} of ${formatCount(l.limit)}`;
}

function budgetLeft(b: KeyLimitStatus["budget"]): string {
  if (b === null) return "no budget";
  return `${formatUsd(b.remaining_usd)} of ${formatUsd(b.max_usd)}`;
}

/** A reset time in words: budgets run for days, so minutes and seconds alone would not read. */
function formatReset(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function periodCost(u: KeyUsage): string {
  const t = emptyTotals();
  for (const r of u.usage) {
    t.requests += r.requests;
    t.costUsd += r.cost_usd;
    t.unpricedRequests += r.unpriced_requests;
  }
  return formatCost(t);
}

function KeyRow({ row }: { row: KeyLimitsRow }) {
  const u = row.usage;
  if (!u)
    return (
      <tr>
        <th scope="row" className="mono">
          {row.keyId}
        </th>
        <td colSpan={6} className={row.error ? "text-error" : "muted"}>
          {row.error ? "Could not load this key's usage." : "Loading…"}
        </td>
      </tr>
    );
  const b = u.limits.budget;
  const requests = u.usage.reduce((s, r) => s + r.requests, 0);
  return (
    <tr>
      <th scope="row" className="mono">
        {row.keyId}
      </th>
      <td className="num mono">{formatCount(requests)}</td>
      <td className="num mono nowrap">{periodCost(u)}</td>
      <td className="num mono nowrap">{budgetLeft(b)}</td>
      <td className="num mono">{b && b.reset_ms !== null ? formatReset(b.reset_ms) : "–"}</td>
      <td className="num mono">{limitLeft(u.limits.rpm)}</td>
      <td className="num mono">{limitLeft(u.limits.tpm)}</td>
    </tr>
  );
}

export function KeyLimitsTable({ rows, leftOut }: { rows: KeyLimitsRow[]; leftOut: number }) {
  if (rows.length === 0) return null;
  return (
    <section className="card card-flush" aria-label="Key limits">
      <div className="section-head">
        <h2>Budgets and limits left</h2>
        <span className="muted small">rate limits are per minute, now{leftOut > 0 ? `; the first ${rows.length} keys (${leftOut} more configured)` : ""}</span>
      </div>
      <table className="table table-compact" aria-label="Budgets and limits">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col" className="num">
              Requests (period)
            </th>
            <th scope="col" className="num">
              Spend (period)
            </th>
            <th scope="col" className="num">
              Budget left
            </th>
            <th scope="col" className="num">
              Budget resets in
            </th>
            <th scope="col" className="num">
              RPM left
            </th>
            <th scope="col" className="num">
              TPM left
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <KeyRow key={r.keyId} row={r} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The later of a model's two resets: only then are both its limits whole again. */
function modelReset(m: ModelLeft): string {
  const times = [m.rpm?.reset_ms, m.tpm?.reset_ms].filter((t): t is number => typeof t === "number");
  return times.length ? formatReset(Math.max(...times)) : "–";
}

/** Each key's `model_limits` this minute, a row per (key, model); nothing when no key has any. */
export function ModelLimitsTable({ rows }: { rows: KeyLimitsRow[] }) {
  const entries = rows.flatMap((r) => Object.entries(r.usage?.limits.model_limits ?? {}).map(([model, m]) => ({ keyId: r.keyId, model, m })));
  if (entries.length === 0) return null;
  return (
    <section className="card card-flush" aria-label="Per-model limits">
      <div className="section-head">
        <h2>Per-model limits</h2>
        <span className="muted small">a key's limits on one model (model_limits), used this minute</span>
      </div>
      <table className="table table-compact" aria-label="Per-model limits">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              RPM used
            </th>
            <th scope="col" className="num">
              TPM used
            </th>
            <th scope="col" className="num">
              Resets in
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map(({ keyId, model, m }) => (
            <tr key={`${keyId}\n${model}`}>
              <th scope="row" className="mono">
                {keyId}
              </th>
              <td className="mono">{model}</td>
              <td className="num mono nowrap">{limitUsed(m.rpm)}</td>
              <td className="num mono nowrap">{limitUsed(m.tpm)}</td>
              <td className="num mono">{modelReset(m)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
