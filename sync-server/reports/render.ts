/**
 * The report as CSV (for spreadsheets) and as printable HTML (for Chromium's print to PDF), in
 * Vietnamese or English. Every name and id from the input is escaped (web/escape.ts); the page
 * carries a Content-Security-Policy that allows no script at all.
 */
import { toCsv } from '../web/csv.js';
import { html, raw, type SafeHtml } from '../web/escape.js';
import type {
  ChainBreakKind,
  DeviceReport,
  GateReport,
  OutageKind,
  PlayCount,
  Report,
  Totals,
} from './types.js';
import {
  type DashboardLanguage,
  formatDate,
  formatDateTime,
  formatNumber,
  formatPercent,
} from '../dashboard/language.js';
import { type ReportsKey, reportsTexts } from './texts.js';

const HOUR = 3_600_000;
const hours = (ms: number) => Math.round((ms / HOUR) * 100) / 100;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Plays per province, gate, device, item and language (one row each), then per-device summary rows
 * in a second CSV. Numbers are plain (dot decimal) so spreadsheets read them in any locale.
 */
export function reportPlaysCsv(report: Report, lang: DashboardLanguage): string {
  const t = (k: ReportsKey) => reportsTexts.text(lang, k);
  const header = [
    t('report.province'),
    t('report.gate'),
    t('report.device'),
    'deviceId',
    t('report.item'),
    t('report.language'),
    t('report.plays'),
    t('report.onAirHours'),
  ];
  const rows: (string | number)[][] = [];
  for (const p of report.provinces)
    for (const g of p.gates)
      for (const d of g.devices)
        for (const c of d.playsByItem)
          rows.push([
            p.provinceName,
            g.name,
            d.name,
            d.deviceId,
            c.itemId,
            c.language,
            c.plays,
            hours(c.onAirMs),
          ]);
  return toCsv(header, rows);
}

/** One row per device: plays, on-air hours, uptime, outages, content gaps, chain state. */
export function reportDevicesCsv(report: Report, lang: DashboardLanguage): string {
  const t = (k: ReportsKey) => reportsTexts.text(lang, k);
  const header = [
    t('report.province'),
    t('report.gate'),
    t('report.device'),
    'deviceId',
    'from',
    'to',
    t('report.plays'),
    t('report.playsRejected'),
    'rejectedRecords',
    t('report.onAirHours'),
    t('report.uptime'),
    t('report.uptimeOpening'),
    t('report.outages'),
    `${t('report.outages')} (h)`,
    t('report.contentGaps'),
    `${t('report.contentGaps')} (h)`,
    t('report.chain'),
    'chainBreaks',
  ];
  const rows: (string | number)[][] = [];
  for (const p of report.provinces)
    for (const g of p.gates)
      for (const d of g.devices)
        rows.push([
          p.provinceName,
          g.name,
          d.name,
          d.deviceId,
          iso(g.from),
          iso(g.to),
          d.plays,
          d.playsRejected,
          d.rejected.map((x) => `${x.reasons.join('+')}@${x.seq}`).join(' '),
          hours(d.onAirMs),
          Math.round(d.uptimeRatio * 10_000) / 10_000,
          Math.round(d.openingUptimeRatio * 10_000) / 10_000,
          d.outages.length,
          hours(d.outages.reduce((n, o) => n + o.durationMs, 0)),
          d.contentGaps.length,
          hours(d.contentGaps.reduce((n, x) => n + x.durationMs, 0)),
          d.chain.ok ? 'ok' : 'broken',
          d.chain.breaks.map((b) => `${b.kind}@${b.seq}${b.missing ? `+${b.missing}` : ''}`).join(' '),
        ]);
  return toCsv(header, rows);
}

const STYLE = `
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 10pt; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #444; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
th, td { border: 1px solid #999; padding: 1mm 2mm; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.gate { break-before: page; }
.broken { color: #a00; font-weight: bold; }
.meta { color: #333; }
`;

function periodLabel(report: Report, lang: DashboardLanguage, gate: GateReport | undefined): string {
  const p = report.period;
  if (p.kind === 'quarter')
    return reportsTexts.text(lang, 'report.period.quarter', { quarter: p.quarter, year: p.year });
  if (p.kind === 'year') return reportsTexts.text(lang, 'report.period.year', { year: p.year });
  const tz = gate?.timezone ?? 'Asia/Ho_Chi_Minh';
  const from = gate ? formatDate(gate.from, lang, tz) : p.from;
  const to = gate ? formatDate(gate.to - 1, lang, tz) : p.to;
  return reportsTexts.text(lang, 'report.period.custom', { from, to });
}

function renderReportHtmlBody(report: Report, lang: DashboardLanguage): SafeHtml {
  const t = (k: ReportsKey, params?: Record<string, string | number>) => reportsTexts.text(lang, k, params);
  const num = (n: number, digits = 0) => formatNumber(n, lang, digits);
  const pct = (r: number) => formatPercent(r, lang, 2);
  const firstGate = report.provinces[0]?.gates[0];
  const tz = firstGate?.timezone ?? 'Asia/Ho_Chi_Minh';
  const outageKind: Record<OutageKind, ReportsKey> = {
    offline: 'report.outage.offline',
    'display-off': 'report.outage.displayOff',
    power: 'report.outage.power',
  };
  const breakKind: Record<ChainBreakKind, ReportsKey> = {
    gap: 'report.chain.gap',
    edit: 'report.chain.edit',
    signature: 'report.chain.signature',
    device: 'report.chain.device',
    'site-group': 'report.chain.siteGroup',
  };
  const duration = (ms: number) =>
    ms >= HOUR
      ? t('report.hours', { hours: num(ms / HOUR, 1) })
      : t('report.minutes', { minutes: num(ms / 60_000) });

  const totalsRow = (label: string, x: Totals) =>
    html`<tr>
      <th>${label}</th>
      <td class="n">${num(x.plays)}</td>
      <td class="n">${num(x.onAirMs / HOUR, 1)}</td>
      <td class="n">${pct(x.uptimeRatio)}</td>
      <td class="n">${pct(x.openingUptimeRatio)}</td>
      <td class="n">${num(x.outages)}</td>
      <td class="n">${num(x.contentGaps)}</td>
      <td class="n${x.chainBreaks ? ' broken' : ''}">${num(x.chainBreaks)}</td>
    </tr>`;
  const totalsHead = html`<tr>
    <th></th>
    <th class="n">${t('report.plays')}</th>
    <th class="n">${t('report.onAirHours')}</th>
    <th class="n">${t('report.uptime')}</th>
    <th class="n">${t('report.uptimeOpening')}</th>
    <th class="n">${t('report.outages')}</th>
    <th class="n">${t('report.contentGaps')}</th>
    <th class="n">${t('report.chain')}</th>
  </tr>`;

  const playsTable = (plays: PlayCount[]) =>
    plays.length === 0
      ? html`<p>${t('report.none')}</p>`
      : html`<table>
          <thead>
            <tr>
              <th>${t('report.item')}</th>
              <th>${t('report.language')}</th>
              <th class="n">${t('report.plays')}</th>
              <th class="n">${t('report.onAirHours')}</th>
            </tr>
          </thead>
          <tbody>
            ${plays.map(
              (c) =>
                html`<tr>
                  <td>${c.itemId}</td>
                  <td>${c.language}</td>
                  <td class="n">${num(c.plays)}</td>
                  <td class="n">${num(c.onAirMs / HOUR, 2)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;

  const deviceSection = (d: DeviceReport, gate: GateReport) => {
    const at = (ms: number) => formatDateTime(ms, lang, gate.timezone);
    /** A table of time spans (outages, content gaps), or nothing when there is none. */
    const spans = (title: string, rows: { label: string; from: number; to: number; durationMs: number }[]) =>
      rows.length
        ? html`<table>
            <thead>
              <tr>
                <th>${title}</th>
                <th>${t('report.outage.from')}</th>
                <th>${t('report.outage.to')}</th>
                <th class="n">${t('report.outage.duration')}</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) =>
                  html`<tr>
                    <td>${r.label}</td>
                    <td>${at(r.from)}</td>
                    <td>${at(r.to)}</td>
                    <td class="n">${duration(r.durationMs)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : '';
    return html`<h3>${t('report.device')}: ${d.name} <span class="meta">(${d.deviceId})</span></h3>
      <p>
        ${t('report.plays')}: ${num(d.plays)} · ${t('report.onAirHours')}: ${num(d.onAirMs / HOUR, 1)} ·
        ${t('report.uptime')}: ${pct(d.uptimeRatio)} · ${t('report.uptimeOpening')}:
        ${pct(d.openingUptimeRatio)}
        ${d.playsRejected ? html` · <strong class="broken">${t('report.playsRejected')}: ${num(d.playsRejected)}</strong>` : ''}
      </p>
      <p>
        ${t('report.chain')}:
        ${d.chain.ok ? html`<span>${t('report.chain.ok')}</span>` : html`<span class="broken">${t('report.chain.broken', { count: d.chain.breaks.length })}</span>`}
      </p>
      ${
        d.chain.breaks.length
          ? html`<table>
              <thead>
                <tr>
                  <th>${t('report.chain.seq')}</th>
                  <th>${t('report.outage.kind')}</th>
                  <th>${t('report.outage.from')}</th>
                </tr>
              </thead>
              <tbody>
                ${d.chain.breaks.map(
                  (b) =>
                    html`<tr class="broken">
                      <td class="n">${num(b.seq)}${b.missing ? ` (+${num(b.missing)})` : ''}</td>
                      <td>${t(breakKind[b.kind])}</td>
                      <td>${b.at === null ? '' : at(b.at)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : ''
      }
      ${
        d.rejected.length
          ? html`<h4>${t('report.rejected')}</h4>
              <table>
                <thead>
                  <tr>
                    <th>${t('report.chain.seq')}</th>
                    <th>${t('report.item')}</th>
                    <th>${t('report.language')}</th>
                    <th>${t('report.outage.from')}</th>
                    <th>${t('report.rejected.reason')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.rejected.map(
                    (x) =>
                      html`<tr class="broken" data-rejected-seq="${x.seq}">
                        <td class="n">${num(x.seq)}</td>
                        <td>${x.itemId}</td>
                        <td>${x.language}</td>
                        <td>${at(x.at)}</td>
                        <td>${x.reasons.map((k) => t(breakKind[k])).join(', ')}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              ${
                d.playsRejected > d.rejected.length
                  ? html`<p>
                      ${t('report.rejected.more', { count: num(d.playsRejected - d.rejected.length) })}
                    </p>`
                  : ''
              }`
          : ''
      }
      ${spans(
        t('report.outages'),
        d.outages.map((o) => ({ label: t(outageKind[o.kind]), ...o })),
      )}
      ${spans(
        t('report.contentGaps'),
        d.contentGaps.map((g, i) => ({ label: String(i + 1), ...g })),
      )}
      }`;
  };

  return html`<h1>${t('report.title')}</h1>
    <p class="meta">
      ${t('report.period')}: ${periodLabel(report, lang, firstGate)} ·
      ${t('report.generatedAt', { at: formatDateTime(report.generatedAt, lang, tz) })}
      ${report.dueDate ? html` · ${t('report.dueDate', { date: report.dueDate.split('-').reverse().join('/') })}` : ''}
    </p>
    <h2>${t('report.summary')}</h2>
    <table>
      <thead>
        ${totalsHead}
      </thead>
      <tbody>
        ${report.provinces.map(
          (p) =>
            html`${totalsRow(`${t('report.province')} ${p.provinceName}`, p.totals)}
            ${p.gates.map((g) => totalsRow(`— ${g.name}`, g.totals))}`,
        )}
      </tbody>
    </table>
    ${report.provinces.map(
      (p) =>
        html`${p.gates.map(
          (g) =>
            html`<section class="gate">
              <h2>${t('report.province')} ${p.provinceName} · ${t('report.gate')}: ${g.name}</h2>
              <p class="meta">
                ${periodLabel(report, lang, g)} (${formatDateTime(g.from, lang, g.timezone)} –
                ${formatDateTime(g.to, lang, g.timezone)}, ${g.timezone})
              </p>
              <h3>${t('report.playsByItem')}</h3>
              ${playsTable(g.playsByItem)} ${g.devices.map((d) => deviceSection(d, g))}
            </section>`,
        )}`,
    )}`;
}

/** A complete, self-contained HTML document (no scripts, no external resources). */
export function renderReportHtml(report: Report, lang: DashboardLanguage): string {
  return html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta
          http-equiv="Content-Security-Policy"
          content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        />
        <title>${reportsTexts.text(lang, 'report.title')}</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        ${renderReportHtmlBody(report, lang)}
      </body>
    </html>`.toString();
}
