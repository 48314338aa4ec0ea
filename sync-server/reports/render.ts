/**
 * The report as printable HTML (for Chromium's print to PDF; the CSVs are report-csv.ts), in
 * Vietnamese or English. Every name and id from the input is escaped (web/escape.ts); the page
 * carries a Content-Security-Policy that allows no script at all.
 */
import { localDate } from '../../protocol/zoned-time.js';
import { barChart } from '../web/bar-chart.js';
import { documentNumber, type ReportForm } from './form-settings.js';
import { html, raw, type SafeHtml } from '../web/escape.js';
import { table } from '../web/table.js';
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
import { chainInWords, HOUR, reauditInWords } from './report-csv.js';

/** Uptime per gate over the period, and plays per language, as server-drawn SVG. */
function charts(report: Report, lang: DashboardLanguage): SafeHtml {
  const byLanguage = new Map<string, number>();
  for (const p of report.provinces)
    for (const c of p.playsByItem)
      if (!c.region) byLanguage.set(c.language, (byLanguage.get(c.language) ?? 0) + c.plays);
  const none = reportsTexts.text(lang, 'report.none');
  return html`${barChart(
    report.provinces.flatMap((p) => p.gates.map((g) => ({ label: g.name, value: g.totals.uptimeRatio }))),
    {
      title: reportsTexts.text(lang, 'chart.uptime'),
      max: 1,
      formatValue: (v) => formatPercent(v, lang, 2),
      noDataLabel: none,
    },
  )}
  ${barChart(
    [...byLanguage].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value })),
    {
      title: reportsTexts.text(lang, 'chart.languages'),
      formatValue: (v) => formatNumber(v, lang),
      noDataLabel: none,
    },
  )}`;
}

/**
 * Layout after Decree 30/2020/NĐ-CP, Appendix I (docs/reporting-rules.md): A4, margins 20 mm top and
 * bottom, 30 mm left, 15 mm right; Times New Roman (a metric twin where it is not installed); the
 * national title and the unit 12 pt capitals (bold: the title, the unit), the motto 14 pt bold underlined; the body 14 pt.
 */
const STYLE = `
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
body { font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; font-size: 13pt; color: #000; }
.doc-head, .doc-foot { width: 100%; border: none; margin: 0 0 4mm; table-layout: fixed; border-collapse: collapse; }
.doc-head td, .doc-foot td { border: none; text-align: center; vertical-align: top; padding: 0; }
.doc-head td.unit { width: 40%; }
.unit-parent { text-transform: uppercase; font-size: 12pt; }
.unit-name { text-transform: uppercase; font-size: 12pt; font-weight: bold; }
.rule { display: block; margin: 1mm auto 2mm; border-top: 1px solid #000; }
.unit .rule { width: 35%; }
.nation { text-transform: uppercase; font-size: 12pt; font-weight: bold; white-space: nowrap; }
.motto { font-size: 14pt; font-weight: bold; display: inline-block; border-bottom: 1px solid #000; padding-bottom: 1px; }
.number { font-size: 13pt; white-space: nowrap; }
.place-date { font-size: 14pt; font-style: italic; margin-top: 4mm; }
.doc-type { text-align: center; font-size: 14pt; font-weight: bold; margin: 6mm 0 0; }
.doc-summary { text-align: center; font-size: 14pt; font-weight: bold; margin: 0; }
.doc-summary + .rule { width: 30%; }
.data-period { text-indent: 1cm; text-align: justify; font-size: 14pt; }
.doc-foot td.recipients { text-align: left; width: 45%; }
.recipients-title { font-size: 12pt; font-weight: bold; font-style: italic; }
.recipients ul { list-style: none; padding: 0; margin: 0; font-size: 11pt; }
.signer-title { font-size: 14pt; font-weight: bold; text-transform: uppercase; }
.signer-name { font-size: 14pt; font-weight: bold; margin-top: 24mm; }
h1 { font-size: 14pt; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #444; }
h3 { font-size: 12pt; margin: 4mm 0 1mm; }
table.data, table:not(.doc-head):not(.doc-foot) { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; font-size: 11pt; }
th, td { border: 1px solid #999; padding: 1mm 2mm; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.gate { break-before: page; }
.broken { color: #a00; font-weight: bold; }
.meta { color: #333; }
.charts svg { display: block; margin: 2mm 0 4mm; }
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

/** What the printed report carries besides its figures. */
export interface ReportDocument {
  /** The administrative form (issuing unit, signer, recipients); absent: printed without one. */
  form?: ReportForm | undefined;
  /** The document number the records clerk gave; absent: left blank to be filled in. */
  number?: string | undefined;
}

/** "An Giang, ngày 05 tháng 01 năm 2027": days below 10 and months 1 and 2 take a leading zero. */
function placeAndDate(place: string, at: number, timeZone: string, lang: DashboardLanguage): string {
  const [year, month, day] = localDate(timeZone, at).split('-');
  const m = Number(month);
  return reportsTexts.text(lang, 'form.placeDate', {
    place,
    day: day!,
    month: lang === 'vi' && m > 2 ? String(m) : month!,
    year: year!,
  });
}

function summaryLine(report: Report, lang: DashboardLanguage, gate: GateReport | undefined): string {
  const p = report.period;
  if (p.kind === 'quarter')
    return reportsTexts.text(lang, 'form.summary.quarter', { quarter: p.quarter, year: p.year });
  if (p.kind === 'year') return reportsTexts.text(lang, 'form.summary.year', { year: p.year });
  const tz = gate?.timezone ?? 'Asia/Ho_Chi_Minh';
  return reportsTexts.text(lang, 'form.summary.custom', {
    from: gate ? formatDate(gate.from, lang, tz) : p.from,
    to: gate ? formatDate(gate.to - 1, lang, tz) : p.to,
  });
}

/** The head of the document: issuing unit, number, national title and motto, place and date. */
function documentHead(report: Report, lang: DashboardLanguage, doc: ReportDocument, tz: string): SafeHtml {
  const form = doc.form;
  return html`<table class="doc-head">
    <tr>
      <td class="unit">
        ${
          form
            ? html`<div class="unit-parent">${form.parentUnit}</div>
                <div class="unit-name">${form.issuingUnit}</div>
                <span class="rule"></span>
                <div class="number">
                  ${reportsTexts.text(lang, 'form.number', { number: documentNumber(form, doc.number) })}
                </div>`
            : ''
        }
      </td>
      <td>
        <div class="nation">${reportsTexts.text(lang, 'form.nation')}</div>
        <div class="motto">${reportsTexts.text(lang, 'form.motto')}</div>
        ${form ? html`<div class="place-date">${placeAndDate(form.place, report.generatedAt, tz, lang)}</div>` : ''}
      </td>
    </tr>
  </table>`;
}

/** The foot: recipients on the left, the signer on the right. */
function documentFoot(lang: DashboardLanguage, form: ReportForm | undefined): SafeHtml | string {
  if (!form) return '';
  return html`<table class="doc-foot">
    <tr>
      <td class="recipients">
        <div class="recipients-title">${reportsTexts.text(lang, 'form.recipients')}</div>
        <ul>
          ${form.recipients.map((r) => html`<li>- ${r};</li>`)}
          <li>- ${reportsTexts.text(lang, 'form.archive', { archive: form.archive })}</li>
        </ul>
      </td>
      <td>
        ${form.signerAuthority ? html`<div class="signer-title">${form.signerAuthority}</div>` : ''}
        <div class="signer-title">${form.signerTitle}</div>
        <div class="signer-name">${form.signerName}</div>
      </td>
    </tr>
  </table>`;
}

function renderReportHtmlBody(report: Report, lang: DashboardLanguage, doc: ReportDocument): SafeHtml {
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
    link: 'report.chain.link',
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
      <td class="${x.chainBreaks ? 'broken' : ''}">
        ${x.chainBreaks ? t('report.chain.broken', { count: num(x.chainBreaks) }) : t('report.chain.ok')}
      </td>
    </tr>`;
  const totalsHead = html`<tr>
    <th></th>
    <th class="n">${t('report.plays')}</th>
    <th class="n">${t('report.onAirHours')}</th>
    <th class="n">${t('report.uptime')}</th>
    <th class="n">${t('report.uptimeOpening')}</th>
    <th class="n">${t('report.outages')}</th>
    <th class="n">${t('report.contentGaps')}</th>
    <th>${t('report.chain')}</th>
  </tr>`;

  const playsTable = (plays: PlayCount[]) =>
    plays.length === 0
      ? html`<p>${t('report.none')}</p>`
      : html`<table>
          <thead>
            <tr>
              <th>${t('report.item')}</th>
              <th>${t('report.language')}</th>
              <th>${t('report.region')}</th>
              <th class="n">${t('report.plays')}</th>
              <th class="n">${t('report.onAirHours')}</th>
              <th class="n">${t('report.playsPartial')}</th>
            </tr>
          </thead>
          <tbody>
            ${plays.map(
              (c) =>
                html`<tr>
                  <td>${c.title ?? c.itemId}</td>
                  <td>${c.language}</td>
                  <td data-region="${c.region ?? 'main'}">${t(`region.${c.region ?? 'main'}`)}</td>
                  <td class="n">${num(c.plays)}</td>
                  <td class="n">${num(c.onAirMs / HOUR, 2)}</td>
                  <td class="n">${num(c.playsPartial)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;

  const rt = (k: ReportsKey, params?: Record<string, string | number>) => reportsTexts.text(lang, k, params);
  const timelineTable = (d: DeviceReport, gate: GateReport) =>
    d.spanMs === 0
      ? html`<p>${rt('timeline.notInService')}</p>`
      : html`<p class="meta">
            ${rt('timeline.span', {
              from: formatDateTime(d.from, lang, gate.timezone),
              to: formatDateTime(d.to, lang, gate.timezone),
            })}
          </p>
          <table class="timeline">
            <thead>
              <tr>
                <th class="n">${rt('timeline.opening')}</th>
                <th class="n">${rt('timeline.onAir')}</th>
                <th class="n">${rt('timeline.gaps')}</th>
                <th class="n">${rt('timeline.declaredGaps')}</th>
                <th class="n">${rt('timeline.outages')}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td class="n">${num(d.timeline.openingMs / HOUR, 2)}</td>
                <td class="n">${num(d.timeline.onAirMs / HOUR, 2)}</td>
                <td class="n">${num(d.timeline.gapMs / HOUR, 2)}</td>
                <td class="n">${num(d.timeline.declaredGapMs / HOUR, 2)}</td>
                <td class="n">${num(d.timeline.outageMs / HOUR, 2)}</td>
              </tr>
            </tbody>
          </table>`;
  const declaredReason = (reason: string) =>
    reason === 'buffer-full'
      ? rt('declaredGaps.bufferFull')
      : reason === 'process-ended'
        ? rt('declaredGaps.processEnded')
        : reason;
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
        ${d.playsPartial ? html`${t('report.playsPartial')}: ${num(d.playsPartial)} (${num(d.onAirPartialMs / HOUR, 1)} h) ·` : ''}
        ${t('report.uptime')}: ${pct(d.uptimeRatio)} · ${t('report.uptimeOpening')}:
        ${pct(d.openingUptimeRatio)}
        ${d.playsRejected ? html` · <strong class="broken">${t('report.playsRejected')}: ${num(d.playsRejected)}</strong>` : ''}
      </p>
      ${timelineTable(d, gate)}
      <p>
        ${t('report.chain')}:
        <span class="${d.chain.ok ? '' : 'broken'}">${chainInWords(d, lang)}</span>
        ${
          d.declaredLost === null
            ? ''
            : html`<br />${
                  d.declaredLost > 0
                    ? rt('chain.declaredLost', { count: num(d.declaredLost) })
                    : rt('chain.declaredLostNone')
                }`
        }
      </p>
      ${
        d.chain.breaks.length
          ? table(
              [t('report.chain.seq'), t('report.outage.kind'), t('report.outage.from')],
              d.chain.breaks.map(
                (b) =>
                  html`<tr class="broken">
                    <td class="n">${num(b.seq)}${b.missing ? ` (+${num(b.missing)})` : ''}</td>
                    <td>${t(breakKind[b.kind])}</td>
                    <td>${b.at === null ? '' : at(b.at)}</td>
                  </tr>`,
              ),
            )
          : ''
      }
      ${
        d.rejected.length
          ? html`<h4>${t('report.rejected')}</h4>
              ${table(
                [
                  t('report.chain.seq'),
                  t('report.item'),
                  t('report.language'),
                  t('report.outage.from'),
                  t('report.rejected.reason'),
                ],
                d.rejected.map(
                  (x) =>
                    html`<tr class="broken" data-rejected-seq="${x.seq}">
                      <td class="n">${num(x.seq)}</td>
                      <td>${x.itemId}</td>
                      <td>${x.language}</td>
                      <td>${at(x.at)}</td>
                      <td>${x.reasons.map((k) => t(breakKind[k])).join(', ')}</td>
                    </tr>`,
                ),
              )}
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
      ${spans(
        rt('declaredGaps.title'),
        d.declaredGaps.map((g) => ({
          label: rt('declaredGaps.records', { count: num(g.records), reason: declaredReason(g.reason) }),
          ...g,
        })),
      )}`;
  };

  const p0 = report.period;
  const dataPeriod =
    firstGate && p0.kind !== 'custom'
      ? html`<p class="data-period">
          ${rt('form.dataPeriod', {
            from: formatDate(firstGate.from, lang, tz),
            to: formatDate(firstGate.to - 1, lang, tz),
            basis: rt(p0.basis === 'reporting' ? 'form.basis.reporting' : 'form.basis.calendar'),
          })}
        </p>`
      : '';
  const reaudit = reauditInWords(report, lang);
  return html`${documentHead(report, lang, doc, tz)}
    <p class="doc-type">${rt('form.type')}</p>
    <p class="doc-summary">${summaryLine(report, lang, firstGate)}</p>
    <span class="rule"></span>
    ${dataPeriod}
    <h1>${t('report.title')}</h1>
    <p class="meta">
      ${t('report.period')}: ${periodLabel(report, lang, firstGate)} ·
      ${t('report.generatedAt', { at: formatDateTime(report.generatedAt, lang, tz) })}
      ${report.dueDate ? html` · ${t('report.dueDate', { date: report.dueDate.split('-').reverse().join('/') })}` : ''}
    </p>
    ${reaudit === undefined ? '' : html`<p class="meta" id="reaudit">${reaudit}</p>`}
    <h2>${t('report.summary')}</h2>
    <section class="charts">${charts(report, lang)}</section>
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
              ${
                g.formerNames?.length
                  ? html`<p class="meta">
                      ${g.formerNames.map((n) =>
                        rt('form.formerName', {
                          until: formatDate(n.until, lang, g.timezone),
                          name: n.name,
                          province: n.provinceName,
                        }),
                      )}
                    </p>`
                  : ''
              }
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
export function renderReportHtml(report: Report, lang: DashboardLanguage, doc: ReportDocument = {}): string {
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
        ${renderReportHtmlBody(report, lang, doc)} ${documentFoot(lang, doc.form)}
      </body>
    </html>`.toString();
}
