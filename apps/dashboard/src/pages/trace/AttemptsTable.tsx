// Every upstream attempt of one request: retries and fallbacks, with why each one ended.

import type { AttemptOutcome, TraceAttempt } from "../../api/types";
import { StatusBadge } from "../../components/StatusBadge";
import { formatMs } from "../../lib/format";

const OUTCOME: Partial<Record<string, { label: string; tone: string }>> & Record<AttemptOutcome, { label: string; tone: string }> = {
  answered: { label: "answered", tone: "tag-ok" },
  retry: { label: "retried", tone: "tag-warn" },
  fallback: { label: "fell back", tone: "tag-warn" },
  gave_up: { label: "gave up", tone: "tag-error" },
};

export function AttemptsTable({ attempts }: { attempts: TraceAttempt[] }) {
  return (
    <table className="table" aria-label="Attempts">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Backend</th>
          <th scope="col">Try</th>
          <th scope="col">Status</th>
          <th scope="col">Outcome</th>
          <th scope="col">Reason</th>
          <th scope="col" className="num">
            Duration
          </th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a, i) => {
          const outcome = OUTCOME[a.outcome] ?? { label: String(a.outcome), tone: "" };
          return (
            <tr key={i}>
              <td className="muted">{i + 1}</td>
              <td className="strong">{a.backend}</td>
              <td className="mono">{a.attempt + 1}</td>
              <td>{a.status === null ? <span className="muted">no answer</span> : <StatusBadge status={a.status} />}</td>
              <td>
                <span className={`tag ${outcome.tone}`}>{outcome.label}</span>
              </td>
              <td className="mono small">{a.error ?? (a.status !== null && a.status >= 400 ? `HTTP ${a.status}` : "–")}</td>
              <td className="num mono">{formatMs(a.durationMs)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
