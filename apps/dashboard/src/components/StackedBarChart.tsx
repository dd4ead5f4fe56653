// A small hand-rolled SVG stacked bar chart: one bar per time bucket, a segment per series, with a
// y grid and a legend that shows each series' figure for the whole window.

import { niceCeil } from "../lib/chart-scale";

interface StackedSeries {
  name: string;
  color: string;
  /** One value per bucket (0 where there is nothing). */
  values: number[];
  /** The legend's figure, already formatted (e.g. a cost that says "unpriced"). */
  summary: string;
}

interface Props {
  title: string;
  series: StackedSeries[];
  /** Each bucket's label, shown in its bar's tooltip; the first and last under the x axis. */
  bucketLabels: string[];
  format: (v: number) => string;
}

const W = 640;
const H = 170;
const PAD = { left: 58, right: 8, top: 10, bottom: 20 };

export function StackedBarChart({ title, series, bucketLabels, format }: Props) {
  const n = Math.max(1, bucketLabels.length);
  const stacks = Array.from({ length: n }, (_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const top = niceCeil(Math.max(0, ...stacks));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / n;
  const barW = Math.max(1, slot * 0.78);
  const h = (v: number) => (v / top) * plotH;
  const grid = [0, 0.5, 1].map((f) => f * top);
  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        {grid.map((g) => (
          <g key={g}>
            <line x1={PAD.left} x2={W - PAD.right} y1={PAD.top + plotH - h(g)} y2={PAD.top + plotH - h(g)} className="chart-grid" />
            <text x={PAD.left - 6} y={PAD.top + plotH - h(g) + 3.5} textAnchor="end" className="chart-axis">
              {g === 0 ? "0" : format(g)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={H - 5} className="chart-axis">
          {bucketLabels[0] ?? ""}
        </text>
        <text x={W - PAD.right} y={H - 5} textAnchor="end" className="chart-axis">
          {bucketLabels[bucketLabels.length - 1] ?? ""}
        </text>
        {stacks.map((total, i) => {
          if (total <= 0) return null;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          let y = PAD.top + plotH;
          const tip = `${bucketLabels[i] ?? ""}: ${series
            .filter((s) => (s.values[i] ?? 0) > 0)
            .map((s) => `${s.name} ${format(s.values[i]!)}`)
            .join(", ")}`;
          return (
            <g key={i}>
              <title>{tip}</title>
              {series.map((s) => {
                const v = s.values[i] ?? 0;
                if (v <= 0) return null;
                y -= h(v);
                return <rect key={s.name} x={x.toFixed(1)} y={y.toFixed(1)} width={barW.toFixed(1)} height={h(v).toFixed(1)} fill={s.color} />;
              })}
            </g>
          );
        })}
      </svg>
      <ul className="chart-legend">
        {series.map((s) => (
          <li key={s.name}>
            <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
            {s.name} <strong>{s.summary}</strong>
          </li>
        ))}
      </ul>
    </figure>
  );
}
