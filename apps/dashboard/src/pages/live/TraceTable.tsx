// The request rows, newest first; each opens its trace.

import { Link, useNavigate } from "react-router-dom";
import type { TraceSummary } from "../../api/types";
import { FormatFlow } from "../../components/FormatFlow";
import { StatusBadge } from "../../components/StatusBadge";
import { formatClock, formatCount, formatMs } from "../../lib/format";

function tokens(t: TraceSummary): string {
  const out = t.completionTokens ?? t.progress?.completionTokens ?? null;
  if (t.promptTokens === null && out === null) return "–";
  return `${formatCount(t.promptTokens)} / ${formatCount(out)}`;
}

export function TraceTable({ rows }: { rows: TraceSummary[] }) {
  const navigate = useNavigate();
  return (
    <div className="table-wrap">
      <table className="table table-hover trace-table" aria-label="Requests">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Model</th>
            <th scope="col">Backend</th>
            <th scope="col">Format</th>
            <th scope="col">Key</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              TTFT
            </th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="num">
              Tokens in / out
            </th>
            <th scope="col">Notes</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => {
            const running = t.state === "running";
            return (
              <tr
                key={t.id}
                className={running ? "row-running" : t.status !== null && t.status >= 400 ? "row-error" : undefined}
                onClick={() => void navigate(`/traces/${encodeURIComponent(t.id)}`)}
              >
                <td className="mono nowrap">
                  <Link to={`/traces/${encodeURIComponent(t.id)}`} onClick={(e) => e.stopPropagation()} aria-label={`Trace ${t.id}`}>
                    {formatClock(t.startedAt)}
                  </Link>
                </td>
                <td className="strong">{t.model}</td>
                <td>{t.backend ?? "–"}</td>
                <td>
                  <FormatFlow client={t.clientFormat} backend={t.backendFormat} />
                  {t.stream ? <span className="tag">stream</span> : null}
                </td>
                <td className="muted">{t.keyId ?? "–"}</td>
                <td>
                  <StatusBadge status={t.status} running={running} />
                </td>
                <td className="num mono">{formatMs(t.ttftMs)}</td>
                <td className="num mono">{running ? `${formatMs(t.progress?.elapsedMs ?? null)}…` : formatMs(t.durationMs)}</td>
                <td className="num mono">{tokens(t)}</td>
                <td className="notes">
                  {t.attempts > 1 ? <span className="tag tag-warn">{t.attempts} attempts</span> : null}
                  {t.warnings > 0 ? (
                    <span className="tag tag-warn">
                      {t.warnings} warning{t.warnings === 1 ? "" : "s"}
                    </span>
                  ) : null}
                  {t.error ? (
                    <span className="error-text" title={t.error}>
                      {t.error}
                    </span>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
