/**
 * A horizontal bar chart as inline SVG (no library, no script), for printed reports: one bar per
 * labelled value, scaled to `max`, the value written beside it. Labels are escaped.
 */
import { html, type SafeHtml } from './escape.js';

export interface BarChartOptions {
  title: string;
  /** The value a full-width bar stands for (e.g. 1 for ratios); default the largest value. */
  max?: number;
  width?: number;
  formatValue: (v: number) => string;
  noDataLabel: string;
}

export function barChart(bars: readonly { label: string; value: number }[], o: BarChartOptions): SafeHtml {
  const w = o.width ?? 600;
  const row = 18;
  const labelW = Math.round(w * 0.38);
  const valueW = 70;
  const barW = w - labelW - valueW - 8;
  const h = Math.max(1, bars.length) * row + 6;
  if (bars.length === 0)
    return html`<figure class="chart">
      <figcaption>${o.title}</figcaption>
      <p>${o.noDataLabel}</p>
    </figure>`;
  const max = o.max ?? Math.max(...bars.map((b) => b.value), 0);
  const len = (v: number) => (max > 0 ? Math.max(0, Math.min(1, v / max)) * barW : 0);
  return html`<figure class="chart">
    <figcaption>${o.title}</figcaption>
    <svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${o.title}">
      ${bars.map(
        (b, i) =>
          html`<text x="${labelW - 4}" y="${i * row + 13}" text-anchor="end" font-size="11">${b.label}</text>
            <rect
              x="${labelW}"
              y="${i * row + 3}"
              width="${len(b.value).toFixed(1)}"
              height="${row - 6}"
              fill="#2b5797"
            ></rect>
            <text x="${labelW + len(b.value) + 4}" y="${i * row + 13}" font-size="11"
              >${o.formatValue(b.value)}</text
            >`,
      )}
    </svg>
  </figure>`;
}
