// One request in full, rendered from props: attempts, timings, warnings, both streams and both
// request bodies.

import { Link } from "react-router-dom";
import type { TraceDetail } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";
import { ErrorState } from "../../components/ErrorState";
import { FormatFlow } from "../../components/FormatFlow";
import { JsonView } from "../../components/JsonView";
import { LoadingState } from "../../components/LoadingState";
import { StatusBadge } from "../../components/StatusBadge";
import { formatClock, formatCount, formatDateTime, formatMs } from "../../lib/format";
import { AttemptsTable } from "./AttemptsTable";
import { StreamComparison } from "./StreamComparison";
import { TimingBar } from "./TimingBar";
import { WarningGroups } from "./WarningGroups";

export interface TracePageViewProps {
  id: string;
  trace: TraceDetail | undefined;
  error: unknown;
  notFound: boolean;
  onRetry: () => void;
  curl: string | null;
}

export function TracePageView({ id, trace, error, notFound, onRetry, curl }: TracePageViewProps) {
  const back = (
    <Link to="/live" className="back-link">
      ← Live traffic
    </Link>
  );
  if (!trace) {
    return (
      <div className="page">
        {back}
        {notFound ? (
          <ErrorState title="No such request" error={`No trace with id ${id}. Traces are kept for a limited time.`} />
        ) : error ? (
          <ErrorState title="Could not load this request" error={error} onRetry={onRetry} />
        ) : (
          <LoadingState label="Loading the trace…" />
        )}
      </div>
    );
  }
  const running = trace.state === "running";
  return (
    <div className="page">
      {back}
      <div className="page-head">
        <h1>
          {trace.model} <span className="muted mono h1-sub">{trace.id}</span>
        </h1>
        <StatusBadge status={trace.status} running={running} />
        <span className="toolbar-spacer" />
        {curl ? <CopyButton text={curl} label="Copy as curl" /> : null}
      </div>

      <TraceTiles trace={trace} />

      <TraceNotices trace={trace} />

      <div className="grid-2">
        <section className="card" aria-labelledby="attempts-title">
          <h2 id="attempts-title">Attempts</h2>
          {trace.attempts.length === 0 ? <p className="muted">No upstream attempt was made.</p> : <AttemptsTable attempts={trace.attempts} />}
        </section>
        <section className="card" aria-labelledby="timings-title">
          <h2 id="timings-title">Timings</h2>
          {trace.timings ? <TimingBar timings={trace.timings} /> : <p className="muted">No timings recorded.</p>}
        </section>
      </div>

      <TraceStreams trace={trace} running={running} />

      <TraceRequests trace={trace} />
    </div>
  );
}

function TraceTiles({ trace }: { trace: TraceDetail }) {
  return (
    <dl className="tiles">
      <div className="tile">
        <dt>Started</dt>
        <dd className="small" title={formatDateTime(trace.startedAt)}>
          {formatClock(trace.startedAt)}
        </dd>
      </div>
      <div className="tile">
        <dt>Backend</dt>
        <dd className="small">{trace.backend ?? "–"}</dd>
      </div>
      <div className="tile">
        <dt>Format</dt>
        <dd className="small">
          <FormatFlow client={trace.clientFormat} backend={trace.backendFormat} />
        </dd>
      </div>
      <div className="tile">
        <dt title="Time to first token">TTFT</dt>
        <dd>{formatMs(trace.ttftMs)}</dd>
      </div>
      <div className="tile">
        <dt>Duration</dt>
        <dd>{formatMs(trace.durationMs)}</dd>
      </div>
      <div className="tile">
        <dt>Tokens in / out</dt>
        <dd>
          {formatCount(trace.promptTokens)} / {formatCount(trace.completionTokens)}
        </dd>
      </div>
      <div className="tile">
        <dt>Key</dt>
        <dd className="small">{trace.keyId ?? "none"}</dd>
      </div>
    </dl>
  );
}

function TraceNotices({ trace }: { trace: TraceDetail }) {
  return (
    <>
      {trace.error ? (
        <p className="notice notice-error" role="alert">
          {trace.error}
        </p>
      ) : null}
      {trace.warningList.length > 0 ? <WarningGroups warnings={trace.warningList} /> : null}
      {trace.captureLevel !== "full" ? (
        <p className="notice small">
          Capture level is <strong>{trace.captureLevel}</strong>: request bodies and streams are{" "}
          {trace.captureLevel === "off" ? "not recorded" : "not recorded beyond metadata"}.
        </p>
      ) : null}
    </>
  );
}

function TraceStreams({ trace, running }: { trace: TraceDetail; running: boolean }) {
  return (
    <section className="card" aria-labelledby="streams-title">
      <h2 id="streams-title">Streams</h2>
      {trace.upstreamEvents.length === 0 && trace.clientEvents.length === 0 ? (
        <p className="muted">{running ? "Nothing streamed yet." : "No events were captured for this request."}</p>
      ) : (
        <StreamComparison
          upstream={trace.upstreamEvents}
          client={trace.clientEvents}
          upstreamFormat={trace.backendFormat}
          clientFormat={trace.clientFormat}
          truncated={{ upstream: trace.truncated.upstreamEvents, client: trace.truncated.clientEvents }}
        />
      )}
    </section>
  );
}

function TraceRequests({ trace }: { trace: TraceDetail }) {
  return (
    <div className="grid-2">
      <section className="card" aria-labelledby="client-req-title">
        <h2 id="client-req-title">Client request</h2>
        {trace.clientRequest ? (
          <>
            <table className="table table-compact" aria-label="Client request headers">
              <tbody>
                {Object.entries(trace.clientRequest.headers).map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row" className="mono">
                      {k}
                    </th>
                    <td className="mono break">{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <JsonView value={trace.clientRequest.body} label="Client request body" />
            {trace.truncated.clientRequest ? <p className="muted small">Truncated.</p> : null}
          </>
        ) : (
          <p className="muted">Not captured.</p>
        )}
      </section>
      <section className="card" aria-labelledby="upstream-req-title">
        <h2 id="upstream-req-title">Upstream request</h2>
        {trace.upstreamRequest ? (
          <>
            <p className="mono small break">POST {trace.upstreamRequest.url}</p>
            <JsonView value={trace.upstreamRequest.body} label="Upstream request body" />
            {trace.truncated.upstreamRequest ? <p className="muted small">Truncated.</p> : null}
          </>
        ) : (
          <p className="muted">Not captured.</p>
        )}
      </section>
    </div>
  );
}
