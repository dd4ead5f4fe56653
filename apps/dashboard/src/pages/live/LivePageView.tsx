// The Live page, rendered from props: connection state, filters, charts and the request list.

import type { SocketStatus } from "../../api/reconnecting-socket";
import type { TraceFilters, TraceSummary } from "../../api/types";
import { EmptyState } from "../../components/EmptyState";
import { ErrorState } from "../../components/ErrorState";
import { LoadingState } from "../../components/LoadingState";
import { LiveCharts } from "./LiveCharts";
import { LiveFilters } from "./LiveFilters";
import type { LiveStats } from "./live-stats";
import { TraceTable } from "./TraceTable";

export interface LivePageViewProps {
  rows: TraceSummary[] | undefined;
  /** Whether the server has rows older than those shown (past the first 200). */
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  error: unknown;
  onRetry: () => void;
  stats: LiveStats;
  connection: SocketStatus;
  dropped: number;
  filters: TraceFilters;
  onFiltersChange: (change: Partial<TraceFilters>) => void;
  models: string[];
  keys: string[];
  paused: boolean;
  newWhilePaused: number;
  onTogglePause: () => void;
  /** Where clients reach this proxy, for the example request of the empty state. */
  proxyOrigin: string;
}

const CONNECTION_LABEL: Record<SocketStatus, string> = { open: "Live", connecting: "Connecting…", closed: "Reconnecting…" };

export function LivePageView(props: LivePageViewProps) {
  const { rows, error, connection, paused, filters } = props;
  const filtered = Object.values(filters).some(Boolean);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Live traffic</h1>
        <span className={`conn conn-${paused ? "paused" : connection}`} role="status">
          <span className="conn-dot" aria-hidden="true" />
          {paused ? "Paused" : CONNECTION_LABEL[connection]}
        </span>
        {props.dropped > 0 ? <span className="muted small">{props.dropped} events skipped while this tab was behind; the list was refreshed.</span> : null}
      </div>
      <LiveFilters
        filters={filters}
        onChange={props.onFiltersChange}
        models={props.models}
        keys={props.keys}
        paused={paused}
        newWhilePaused={props.newWhilePaused}
        onTogglePause={props.onTogglePause}
      />
      <LiveCharts stats={props.stats} />
      <section aria-label="Recent requests" className="card card-flush">
        {rows === undefined ? (
          error ? (
            <ErrorState title="Could not load requests" error={error} onRetry={props.onRetry} />
          ) : (
            <LoadingState label="Loading requests…" />
          )
        ) : rows.length === 0 ? (
          <EmptyState title={filtered ? "No requests match these filters" : "No requests yet"}>
            Requests sent to the proxy appear here as they happen, e.g.
            <pre className="code-inline">{`curl ${props.proxyOrigin}/v1/chat/completions -H 'content-type: application/json' \\\n  -d '{"model":"mock","messages":[{"role":"user","content":"Hello"}]}'`}</pre>
          </EmptyState>
        ) : (
          <>
            <TraceTable rows={rows} />
            {props.hasOlder ? (
              <div className="toolbar">
                <button type="button" className="btn" onClick={props.onLoadOlder} disabled={props.loadingOlder}>
                  {props.loadingOlder ? "Loading…" : "Load older requests"}
                </button>
              </div>
            ) : null}
          </>
        )}
      </section>
    </div>
  );
}
