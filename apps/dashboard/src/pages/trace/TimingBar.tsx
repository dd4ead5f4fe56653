// Where the time went: connect, first byte, first token and done, on one bar.

import type { TraceDetail } from "../../api/types";
import { formatMs } from "../../lib/format";

export function TimingBar({ timings }: { timings: NonNullable<TraceDetail["timings"]> }) {
  const marks = [
    { label: "connected", ms: timings.upstreamConnectedMs },
    { label: "first byte", ms: timings.firstByteMs },
    { label: "first token", ms: timings.firstTokenMs },
    { label: "done", ms: timings.doneMs },
  ].filter((m): m is { label: string; ms: number } => m.ms !== null && m.ms !== undefined);
  const end = Math.max(timings.doneMs ?? 0, ...marks.map((m) => m.ms)) || 1;
  const ttft = timings.firstTokenMs ?? timings.firstByteMs;
  return (
    <div className="timing">
      <div className="timing-bar" aria-hidden="true">
        {ttft !== null ? <div className="timing-wait" style={{ width: `${(ttft / end) * 100}%` }} /> : null}
        {marks.map((m) => (
          <span key={m.label} className="timing-mark" style={{ left: `${(m.ms / end) * 100}%` }} />
        ))}
      </div>
      <dl className="timing-legend">
        {marks.map((m) => (
          <div key={m.label}>
            <dt>{m.label}</dt>
            <dd className="mono">{formatMs(m.ms)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
