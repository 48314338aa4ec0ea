/**
 * The report as CSV, for spreadsheets (people: headers in the report's language, the gate's local
 * time, percentages, words) and for programs (stable column names, ISO times, milliseconds); and the
 * chain check of a screen in words, which both the CSV and the printed report give.
 */
import { toCsv } from '../web/csv.js';
import type {
  ChainBreakKind,
  DeviceReport,
  GateReport,
  ProvinceReport,
  Report,
  ReportReaudit,
} from './types.js';
import {
  type DashboardLanguage,
  formatDate,
  formatDateTime,
  formatNumber,
  formatPercent,
} from '../dashboard/language.js';
import { type ReportsKey, reportsTexts } from './texts.js';

export const HOUR = 3_600_000;

/** Every screen of the report with its province and gate, in the report's order. */
function* eachScreen(report: Report): Generator<{ p: ProvinceReport; g: GateReport; d: DeviceReport }> {
  for (const p of report.provinces) for (const g of p.gates) for (const d of g.devices) yield { p, g, d };
}
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
    t('report.playsPartial'),
    `${t('report.playsPartial')} (h)`,
    // Last, so the columns before keep their places: main, side or footer.
    t('report.region'),
  ];
  const rows: (string | number)[][] = [];
  for (const { p, g, d } of eachScreen(report))
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
        c.playsPartial,
        hours(c.onAirPartialMs),
        c.region ?? 'main',
      ]);
  return toCsv(header, rows);
}

/**
 * One row per screen, for people: headers in the report's language, times in the gate's local
 * time, percentages, the chain check in words (numbers as the language writes them).
 */
export function reportDevicesCsv(report: Report, lang: DashboardLanguage): string {
  const rt = (k: ReportsKey) => reportsTexts.text(lang, k);
  const header = (
    [
      'province',
      'gate',
      'screen',
      'from',
      'to',
      'plays',
      'playsRejected',
      'onAirHours',
      'uptime',
      'uptimeOpening',
      'outages',
      'outageHours',
      'gaps',
      'gapHours',
      'declaredGaps',
      'declaredGapRecords',
      'declaredGapHours',
      'chain',
    ] as const
  ).map((k) => rt(`csv.${k}` as const));
  // The chain column's heading says what the last re-audit found, so a spreadsheet carries it too.
  const reaudit = reauditInWords(report, lang);
  if (reaudit) header[header.length - 1] = `${header[header.length - 1]} (${reaudit})`;
  const num = (n: number, digits = 0) => formatNumber(n, lang, digits);
  const pct = (r: number) => formatPercent(r, lang, 2);
  const rows: string[][] = [];
  for (const { p, g, d } of eachScreen(report))
    rows.push([
      p.provinceName,
      g.name,
      d.name,
      d.spanMs ? formatDateTime(d.from, lang, g.timezone) : '',
      d.spanMs ? formatDateTime(d.to, lang, g.timezone) : '',
      num(d.plays),
      num(d.playsRejected),
      num(d.onAirMs / HOUR, 2),
      d.spanMs ? pct(d.uptimeRatio) : '',
      d.openingMs ? pct(d.openingUptimeRatio) : '',
      num(d.outages.length),
      num(d.timeline.outageMs / HOUR, 2),
      num(d.contentGaps.length),
      num(d.timeline.gapMs / HOUR, 2),
      num(d.declaredGaps.length),
      num(d.declaredGaps.reduce((n, g) => n + g.records, 0)),
      num(d.timeline.declaredGapMs / HOUR, 2),
      chainInWords(d, lang),
    ]);
  return toCsv(header, rows);
}

/**
 * One row per screen, for programs: stable column names (README "Report CSV for programs"), ISO
 * 8601 UTC times, plain numbers with a dot, milliseconds; no BOM.
 */
export function reportDevicesDataCsv(report: Report): string {
  const header = [
    'province_id',
    'site_group',
    'screen_name',
    'device_id',
    'from',
    'to',
    'plays',
    'plays_rejected',
    'rejected_records',
    'on_air_hours',
    'plays_screen_off',
    'on_air_ms',
    'span_ms',
    'uptime_ratio',
    'opening_ms',
    'opening_uptime_ratio',
    'opening_on_air_ms',
    'gap_ms',
    'outage_ms',
    'outages',
    'content_gaps',
    'declared_lost',
    'province_name',
    'gate_name',
    'chain_records',
    'chain_status',
    'chain_breaks',
    'declared_gaps',
    'declared_gap_records',
    'declared_gap_ms',
    'plays_partial',
    'on_air_partial_ms',
  ];
  const rows: (string | number)[][] = [];
  for (const { p, g, d } of eachScreen(report))
    rows.push([
      p.provinceId,
      g.siteGroup,
      d.name,
      d.deviceId,
      iso(d.from),
      iso(d.to),
      d.plays,
      d.playsRejected,
      d.rejected.map((x) => `${x.reasons.join('+')}@${x.seq}`).join(' '),
      hours(d.onAirMs),
      d.playsScreenOff,
      d.onAirMs,
      d.spanMs,
      Math.round(d.uptimeRatio * 1_000_000) / 1_000_000,
      d.openingMs,
      Math.round(d.openingUptimeRatio * 1_000_000) / 1_000_000,
      d.timeline.onAirMs,
      d.timeline.gapMs,
      d.timeline.outageMs,
      d.outages.length,
      d.contentGaps.length,
      d.declaredLost ?? '',
      p.provinceName,
      g.name,
      d.chain.records,
      d.chain.ok ? 'ok' : 'broken',
      d.chain.breaks.map((b) => `${b.kind}@${b.seq}${b.missing ? `+${b.missing}` : ''}`).join(' '),
      d.declaredGaps.length,
      d.declaredGaps.reduce((n, g) => n + g.records, 0),
      d.timeline.declaredGapMs,
      d.playsPartial,
      d.onAirPartialMs,
    ]);
  return toCsv(header, rows, false);
}

/** When a re-audit ended, in the report's words (Vietnam's time: the registry is the country's). */
const reauditDate = (ms: number, lang: DashboardLanguage) => formatDate(ms, lang, 'Asia/Ho_Chi_Minh');

/**
 * What the chain check of one screen checked and what broke, in words: re-verified on a date only
 * where the last re-audit covered the screen's period and judged every record as on receipt.
 */
export function chainInWords(d: DeviceReport, lang: DashboardLanguage): string {
  if (d.chain.records === 0) return reportsTexts.text(lang, 'chain.words.none');
  const r = d.chain.reverified;
  if (r && r.differ > 0)
    return reportsTexts.text(lang, 'chain.words.differs', {
      words: receiptWords(d, lang),
      date: reauditDate(r.at, lang),
      count: r.differ,
    });
  return receiptWords(d, lang, r && reauditDate(r.at, lang));
}

function receiptWords(d: DeviceReport, lang: DashboardLanguage, reverifiedOn?: string): string {
  const n = (x: number) => formatNumber(x, lang);
  if (d.chain.ok)
    return reverifiedOn
      ? reportsTexts.text(lang, 'chain.words.okReverified', {
          records: n(d.chain.records),
          date: reverifiedOn,
        })
      : reportsTexts.text(lang, 'chain.words.ok', { records: n(d.chain.records) });
  if (d.chain.ok) return reportsTexts.text(lang, 'chain.words.ok', { records: n(d.chain.records) });
  const words: Record<ChainBreakKind, ReportsKey> = {
    gap: 'chain.words.gap',
    edit: 'chain.words.edit',
    signature: 'chain.words.signature',
    device: 'chain.words.device',
    'site-group': 'chain.words.siteGroup',
    link: 'chain.words.link',
  };
  const parts: string[] = [];
  for (const kind of Object.keys(words) as ChainBreakKind[]) {
    const count = d.chain.counts[kind];
    if (count === 0) continue;
    parts.push(reportsTexts.text(lang, words[kind], { count: n(count), missing: n(d.chain.missing) }));
  }
  const breaks = parts.join('; ');
  return reverifiedOn
    ? reportsTexts.text(lang, 'chain.words.brokenReverified', {
        records: n(d.chain.records),
        date: reverifiedOn,
        breaks,
      })
    : reportsTexts.text(lang, 'chain.words.broken', { records: n(d.chain.records), breaks });
}

/**
 * What the last re-audit of the stored records found, in words: "Re-verified on <date>: N records,
 * no problems", the problems it found, or that none was ever made. Undefined: the report's source
 * keeps no re-audits.
 */
export function reauditInWords(report: Report, lang: DashboardLanguage): string | undefined {
  return report.reaudit === undefined ? undefined : reauditResultInWords(report.reaudit, lang);
}

/** What a finished re-audit found (null: none ever finished), in words: the report's and the reports page's. */
export function reauditResultInWords(a: ReportReaudit | null, lang: DashboardLanguage): string {
  const t = (k: ReportsKey, p?: Record<string, string | number>) => reportsTexts.text(lang, k, p);
  if (a === null) return t('reaudit.never');
  const n = (x: number) => formatNumber(x, lang);
  const params = {
    date: reauditDate(a.finishedAt, lang),
    records: n(a.records),
    range: a.period === null ? t('reaudit.range.all') : t('reaudit.range.period', { period: a.period }),
  };
  const words: Record<ChainBreakKind, ReportsKey> = {
    gap: 'reaudit.gap',
    edit: 'chain.words.edit',
    signature: 'chain.words.signature',
    device: 'chain.words.device',
    'site-group': 'chain.words.siteGroup',
    link: 'chain.words.link',
  };
  const problems: string[] = [];
  for (const kind of Object.keys(words) as ChainBreakKind[]) {
    const count = a.counts[kind] ?? 0;
    if (count > 0) problems.push(t(words[kind], { count }));
  }
  if (problems.length === 0 && a.differ === 0) return t('reaudit.clean', params);
  const differ =
    a.differ === 0
      ? t('reaudit.agrees')
      : `${t('reaudit.differs', { count: a.differ })}: ${a.differList
          .map((x) =>
            t('reaudit.differItem', { device: x.deviceId, seq: x.seq, atIngest: x.atIngest, now: x.now }),
          )
          .join('; ')}${a.differList.length < a.differ ? '; …' : ''}`;
  return t('reaudit.problems', { ...params, problems: [...problems, differ].join('; ') });
}
