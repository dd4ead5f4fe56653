// A small hand-rolled SVG line chart: a few series over equal time buckets, with a y grid and a
// legend that shows each series' latest value.

import { niceCeil } from "../lib/chart-scale";

export interface ChartSeries {
  name: string;
  color: string;
  /** One value per bucket; null where there is nothing to plot. */
  values: Array<number | null>;
  /** Shown in the legend instead of the latest bucket's value (e.g. the whole window's figure). */
  summary?: number | null;
}

interface Props {
  title: string;
  series: ChartSeries[];
  /** Label under the left and right ends of the x axis. */
  xLabels: [string, string];
  format: (v: number) => string;
  /** Lowest top of the y axis, so a quiet chart does not magnify noise. */
  minMax?: number;
}

const W = 420;
const H = 150;
const PAD = { left: 52, right: 8, top: 10, bottom: 20 };

function segments(values: Array<number | null>, x: (i: number) => number, y: (v: number) => number): string[] {
  const out: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) out.push(current.join(" "));
      current = [];
    } else current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length) out.push(current.join(" "));
  return out;
}

export function TimeSeriesChart({ title, series, xLabels, format, minMax = 1 }: Props) {
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = niceCeil(Math.max(minMax, ...all));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (n === 1 ? plotW : (i / (n - 1)) * plotW);
  const y = (v: number) => PAD.top + plotH - (Math.min(v, top) / top) * plotH;
  const grid = [0, 0.5, 1].map((f) => f * top);
  const latest = (s: ChartSeries) => [...s.values].reverse().find((v): v is number => v !== null);

  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        {grid.map((g) => (
          <g key={g}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(g)} y2={y(g)} className="chart-grid" />
            <text x={PAD.left - 6} y={y(g) + 3.5} textAnchor="end" className="chart-axis">
              {g === 0 ? "0" : format(g)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={H - 5} className="chart-axis">
          {xLabels[0]}
        </text>
        <text x={W - PAD.right} y={H - 5} textAnchor="end" className="chart-axis">
          {xLabels[1]}
        </text>
        {series.map((s) =>
          segments(s.values, x, y).map((pts, i) =>
            pts.includes(" ") ? (
              <polyline key={`${s.name}-${i}`} points={pts} fill="none" stroke={s.color} strokeWidth={1.8} strokeLinejoin="round" />
            ) : (
              <circle key={`${s.name}-${i}`} cx={pts.split(",")[0]} cy={pts.split(",")[1]} r={2} fill={s.color} />
            ),
          ),
        )}
      </svg>
      <ul className="chart-legend">
        {series.map((s) => {
          const v = s.summary !== undefined ? (s.summary ?? undefined) : latest(s);
          return (
            <li key={s.name}>
              <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.name} <strong>{v === undefined ? "–" : format(v)}</strong>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}
