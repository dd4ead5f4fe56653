// The deployments of every model that has several, live: health (cooling down until when, or
// half-open while its probe decides), requests in flight, latency and share of the group's traffic.

import { useQuery } from "@tanstack/react-query";
import { deploymentsQuery } from "../../api/queries/deployments";
import type { DeploymentGroup, DeploymentList, DeploymentStatus } from "../../api/types";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import { formatClock, formatCount, formatMs } from "../../lib/format";

export function DeploymentsPanel() {
  const q = useQuery(deploymentsQuery());
  return <DeploymentsPanelView list={q.data} error={q.error} onRetry={() => void q.refetch()} />;
}

function Health({ d, serverTime }: { d: DeploymentStatus; serverTime: number }) {
  if (d.state === "healthy") return <span className="tag tag-ok">healthy</span>;
  if (d.state === "half_open") return <span className="tag tag-warn">half-open · probing</span>;
  const until = d.cooldownUntil ? Date.parse(d.cooldownUntil) : serverTime;
  return (
    <span title={d.coolReason ? `cooled after ${d.coolReason.replace("_", " ")}` : undefined}>
      <span className="tag tag-error">cooling down</span>{" "}
      <span className="small nowrap">
        until {d.cooldownUntil ? formatClock(d.cooldownUntil) : "–"} <span className="muted">(in {formatMs(Math.max(0, until - serverTime))})</span>
      </span>
    </span>
  );
}

function Share({ share }: { share: number | null }) {
  if (share === null) return <span className="muted">–</span>;
  const pct = Math.round(share * 100);
  return (
    <span className="nowrap" aria-label={`${pct}% of traffic`}>
      <span className="share-bar" aria-hidden="true">
        <span style={{ width: `${pct}%` }} />
      </span>{" "}
      {pct}%
    </span>
  );
}

function GroupTable({ group, serverTime }: { group: DeploymentGroup; serverTime: number }) {
  return (
    <div className="card card-flush">
      <table className="table table-compact" aria-label={`Deployments of ${group.model}`}>
        <caption className="small muted" style={{ textAlign: "left", padding: "8px 12px" }}>
          <span className="strong">{group.model}</span> · {group.strategy}
        </caption>
        <thead>
          <tr>
            <th scope="col">Deployment</th>
            <th scope="col">Backend</th>
            <th scope="col">Health</th>
            <th scope="col" className="num">
              In flight
            </th>
            <th scope="col" className="num">
              Latency
            </th>
            <th scope="col">Share</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Failures
            </th>
          </tr>
        </thead>
        <tbody>
          {group.deployments.map((d) => (
            <tr key={d.id}>
              <th scope="row" className="mono">
                {d.id}
              </th>
              <td className="small">
                <span className="tag">{d.apiType}</span> <span className="mono">{d.host || "–"}</span>
              </td>
              <td>
                <Health d={d} serverTime={serverTime} />
              </td>
              <td className="num mono">{d.inFlight}</td>
              <td className="num mono">{formatMs(d.latencyMs)}</td>
              <td>
                <Share share={d.share} />
              </td>
              <td className="num mono">{formatCount(d.requests)}</td>
              <td className="num mono">{formatCount(d.failures)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DeploymentsPanelView({ list, error, onRetry }: { list: DeploymentList | undefined; error: unknown; onRetry: () => void }) {
  const body = () => {
    if (!list)
      return error ? <ErrorState title="Could not load the deployments" error={error} onRetry={onRetry} /> : <LoadingState label="Loading deployments…" />;
    const groups = list.data.filter((g) => g.deployments.length > 1);
    if (groups.length === 0) return <p className="muted small">No model has several deployments.</p>;
    const serverTime = Date.parse(list.serverTime);
    return groups.map((g) => <GroupTable key={g.model} group={g} serverTime={serverTime} />);
  };
  return (
    <section aria-label="Deployments" style={{ marginTop: 24 }}>
      <div className="section-head">
        <h2>Deployments</h2>
        <span className="muted small">live, this replica's view; share is of the last minute's requests</span>
      </div>
      {body()}
    </section>
  );
}
