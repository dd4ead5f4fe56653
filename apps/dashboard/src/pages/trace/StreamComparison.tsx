// The upstream's raw stream beside what the client received, event by event with time offsets.

import type { TraceEvent, WireFormat } from "../../api/types";
import { formatOffset } from "../../lib/format";
import { pairEvents, parseEventBlock, splitSseEvents } from "./pair-events";

interface Props {
  upstream: TraceEvent[];
  client: TraceEvent[];
  upstreamFormat: WireFormat | null;
  clientFormat: WireFormat;
  truncated: { upstream: boolean; client: boolean };
}

/** Longer payloads (e.g. a whole Response object) are folded so the timeline stays readable. */
const FOLD_AT = 240;

function EventCell({ event }: { event: TraceEvent }) {
  const parsed = parseEventBlock(event.data);
  return (
    <div className={`event${parsed.isError ? " event-error" : ""}`}>
      <span className="event-t mono">{formatOffset(event.t)}</span>
      {parsed.name ? <span className="event-name mono">{parsed.name}</span> : null}
      {parsed.data.length > FOLD_AT ? (
        <details className="event-fold">
          <summary>
            <code className="event-data">{parsed.data.slice(0, FOLD_AT)}…</code>
          </summary>
          <code className="event-data">{parsed.data}</code>
        </details>
      ) : (
        <code className="event-data">{parsed.data}</code>
      )}
    </div>
  );
}

export function StreamComparison({ upstream, client, upstreamFormat, clientFormat, truncated }: Props) {
  const rows = pairEvents(upstream, client);
  const upstreamCount = splitSseEvents(upstream).length;
  const clientCount = splitSseEvents(client).length;
  return (
    <div className="streams" role="table" aria-label="Streams">
      <div className="streams-head" role="row">
        <div role="columnheader">
          Upstream stream{" "}
          <span className="muted">
            ({upstreamFormat ?? "unknown"}, {upstreamCount} events)
          </span>
        </div>
        <div role="columnheader">
          Sent to the client{" "}
          <span className="muted">
            ({clientFormat}, {clientCount} events)
          </span>
        </div>
      </div>
      <div className="streams-body">
        {rows.map((row, i) => (
          <div className="streams-row" role="row" key={i}>
            <div role="cell" className="streams-cell">
              {row.upstream ? <EventCell event={row.upstream} /> : null}
            </div>
            <div role="cell" className="streams-cell">
              {row.client.map((e, k) => (
                <EventCell key={k} event={e} />
              ))}
            </div>
          </div>
        ))}
      </div>
      {truncated.upstream || truncated.client ? (
        <p className="notice notice-warn small">
          The capture was cut short ({[truncated.upstream ? "upstream" : null, truncated.client ? "client" : null].filter(Boolean).join(" and ")} stream): later
          events are not shown.
        </p>
      ) : null}
    </div>
  );
}
