/**
 * A small line chart as inline SVG, drawn from health points: no chart library, no script. Gaps
 * longer than `gapMs` break the line (a device that was offline shows no invented values).
 */
import { html, type SafeHtml } from '../web/escape.js';

export interface ChartOptions {
  title: string;
  fromMs: number;
  toMs: number;
  /** Break the line where two samples are further apart than this. */
  gapMs: number;
  width?: number;
  height?: number;
  /** Labels for the x axis ends, already formatted for the user. */
  fromLabel: string;
  toLabel: string;
  noDataLabel: string;
  formatValue: (v: number) => string;
}

export function lineChart(
  points: readonly { at: number; value: number | null }[],
  o: ChartOptions,
): SafeHtml {
  const w = o.width ?? 480;
  const h = o.height ?? 120;
  const pad = { l: 44, r: 8, t: 18, b: 18 };
  const vals = points.filter((p) => p.value !== null && Number.isFinite(p.value)) as {
    at: number;
    value: number;
  }[];
  if (vals.length === 0)
    return html`<figure class="chart">
      <figcaption>${o.title}</figcaption>
      <svg class="chart-svg" viewBox="0 0 ${w} ${h}" role="img" aria-label="${o.title}">
        <text x="${w / 2}" y="${h / 2}" text-anchor="middle">${o.noDataLabel}</text>
      </svg>
    </figure>`;
  let lo = Math.min(...vals.map((p) => p.value));
  let hi = Math.max(...vals.map((p) => p.value));
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const span = Math.max(1, o.toMs - o.fromMs);
  const x = (t: number) => pad.l + ((t - o.fromMs) / span) * (w - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (h - pad.t - pad.b);
  const runs: string[] = [];
  let cur: string[] = [];
  let prev: number | undefined;
  for (const p of vals) {
    if (prev !== undefined && p.at - prev > o.gapMs) {
      runs.push(cur.join(' '));
      cur = [];
    }
    cur.push(`${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`);
    prev = p.at;
  }
  runs.push(cur.join(' '));
  const lines = runs.map((r) =>
    r.includes(' ')
      ? html`<polyline class="chart-line" points="${r}" />`
      : html`<circle class="chart-dot" r="2" cx="${r.split(',')[0]!}" cy="${r.split(',')[1]!}" />`,
  );
  return html`<figure class="chart">
    <figcaption>${o.title}</figcaption>
    <svg
      class="chart-svg"
      viewBox="0 0 ${w} ${h}"
      role="img"
      aria-label="${o.title}"
      data-points="${vals.length}"
    >
      <line class="chart-axis" x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" />
      <line class="chart-axis" x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" />
      <text class="chart-label" x="${pad.l - 4}" y="${pad.t + 4}" text-anchor="end">
        ${o.formatValue(hi)}
      </text>
      <text class="chart-label" x="${pad.l - 4}" y="${h - pad.b}" text-anchor="end">
        ${o.formatValue(lo)}
      </text>
      <text class="chart-label" x="${pad.l}" y="${h - 4}">${o.fromLabel}</text>
      <text class="chart-label" x="${w - pad.r}" y="${h - 4}" text-anchor="end">${o.toLabel}</text>
      ${lines}
    </svg>
  </figure>`;
}
