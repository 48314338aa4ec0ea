/**
 * GET /api/reports — the report as CSV, HTML or PDF, for role action 'reports.view'; and the form
 * that asks for it, GET /dashboard/reports (a page for the same action).
 *
 *   ?period=2026-Q1 | 2026 | 2026-01-01..2026-03-31   (required)
 *   &basis=calendar | reporting                         (quarters and years; default calendar)
 *   &province=<id> &gate=<siteGroup>                    (optional filters)
 *   &lang=vi | en                                       (default vi)
 *   &format=csv | devices-csv | html | pdf              (default html)
 *
 * Data comes through `ReportDataSource` one device at a time — and, from a source that can, one page
 * of records at a time — so neither a quarter of the fleet nor one screen's quarter is in memory at
 * once. PDF printing is injected (pdf.ts renderPdf bound to the Chromium path in main.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../protocol/clock.js';
import { pageSession, type PageSessionOptions, sendHtml } from '../accounts/page-session.js';
import { DEFAULT_DASHBOARD_LANGUAGE, isDashboardLanguage, languageOf } from '../dashboard/language.js';
import { ReportBuilder } from './build.js';
import { renderReports } from './page.js';
import type { JobQueue } from './job-queue.js';
import { periodDays, periodRange, ReportInputError, ReportPeriodTooLongError } from './period.js';
import { renderReportHtml, reportDevicesCsv, reportPlaysCsv } from './render.js';
import type {
  Outage,
  ProofOfPlayRecord,
  Report,
  ReportDevice,
  ReportGate,
  ReportPeriod,
  VerifyChain,
} from './types.js';

/** The registry/telemetry adapter the report reads. */
export interface ReportDataSource {
  gates(): Promise<readonly ReportGate[]>;
  devices(): Promise<readonly ReportDevice[]>;
  /** One device's proof-of-play records with actualStart in [from, to), and outages overlapping it. */
  deviceData(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ records: readonly ProofOfPlayRecord[]; outages: readonly Outage[] }>;
  /** The same records in pages, by seq (preferred when present). */
  deviceStream?(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ pages: AsyncIterable<readonly ProofOfPlayRecord[]>; outages: readonly Outage[] }>;
}

export interface ReportRoutesOptions {
  source: ReportDataSource;
  verifyChain: VerifyChain;
  clock: Clock;
  renderPdf: (html: string) => Promise<Uint8Array>;
  /** PDF reports (building and printing) run through this queue: a bounded number at once. */
  pdfJobs: JobQueue;
  /** The longest period a report may cover (config reports.maxPeriodDays). */
  maxPeriodDays: number;
  /** Serves the reports form at /dashboard/reports for signed-in sessions (the sync server). */
  page?: PageSessionOptions;
}

/** Parses "2026-Q1", "2026" or "2026-01-01..2026-03-31". */
export function parsePeriod(text: unknown, basis: unknown): ReportPeriod {
  const b = basis === undefined ? undefined : basis === 'calendar' || basis === 'reporting' ? basis : null;
  if (b === null) throw new ReportInputError('basis is "calendar" or "reporting"');
  if (typeof text !== 'string')
    throw new ReportInputError('period is required: 2026-Q1, 2026 or 2026-01-01..2026-03-31');
  let m = /^(\d{4})-Q([1-4])$/.exec(text);
  if (m)
    return {
      kind: 'quarter',
      year: Number(m[1]),
      quarter: Number(m[2]) as 1 | 2 | 3 | 4,
      ...(b && { basis: b }),
    };
  m = /^(\d{4})$/.exec(text);
  if (m) return { kind: 'year', year: Number(m[1]), ...(b && { basis: b }) };
  m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (m) return { kind: 'custom', from: m[1]!, to: m[2]! };
  throw new ReportInputError(`period "${text.slice(0, 40)}" is not 2026-Q1, 2026 or 2026-01-01..2026-03-31`);
}

const FORMATS = ['csv', 'devices-csv', 'html', 'pdf'] as const;
type Format = (typeof FORMATS)[number];

export const REPORT_HTML_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

const REPORT_ROUTE = {
  config: { access: 'reports.view' },
  schema: { summary: 'A proof-of-play report for a period: CSV, HTML or PDF' },
} as const;

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, opts) => {
  const page = opts.page;
  if (page)
    app.get('/dashboard/reports', { config: { access: 'public' } }, async (request, reply) => {
      const auth = pageSession(request, reply, page, 'reports.view');
      if (!auth) return reply;
      const now = new Date(opts.clock.now());
      const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
      return sendHtml(
        reply,
        renderReports(
          languageOf(request),
          await opts.source.gates(),
          quarter,
          auth.user,
          auth.session.csrfToken,
        ),
      );
    });

  app.get('/api/reports', REPORT_ROUTE, async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    const period = parsePeriod(q['period'], q['basis']);
    const lang = q['lang'] === undefined ? DEFAULT_DASHBOARD_LANGUAGE : q['lang'];
    if (!isDashboardLanguage(lang)) throw new ReportInputError('lang is "vi" or "en"');
    const format = (q['format'] ?? 'html') as Format;
    if (!FORMATS.includes(format)) throw new ReportInputError(`format is one of ${FORMATS.join(', ')}`);
    const days = periodDays(period);
    if (days > opts.maxPeriodDays) throw new ReportPeriodTooLongError(days, opts.maxPeriodDays);
    const name = `gatecast-report-${String(q['period']).replace(/[^\w.-]/g, '_')}-${lang}`;
    reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
    if (format === 'pdf') {
      // Building and printing together hold the slot: a refused request has cost nothing yet.
      const pdf = await opts.pdfJobs.run(async () =>
        opts.renderPdf(renderReportHtml(await buildFor(q, period), lang)),
      );
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `attachment; filename="${name}.pdf"`)
        .send(Buffer.from(pdf));
    }
    const report = await buildFor(q, period);
    switch (format) {
      case 'csv':
      case 'devices-csv':
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="${name}${format === 'csv' ? '' : '-devices'}.csv"`,
          )
          .send(format === 'csv' ? reportPlaysCsv(report, lang) : reportDevicesCsv(report, lang));
      case 'html':
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', REPORT_HTML_CSP)
          .send(renderReportHtml(report, lang));
    }
  });

  /** The report for the query's filters over `period`, one device at a time. */
  async function buildFor(q: Record<string, unknown>, period: ReportPeriod): Promise<Report> {
    const gates = (await opts.source.gates()).filter(
      (g) =>
        // An empty field (the dashboard form's "all gates") is no filter.
        (!q['province'] || g.provinceId === q['province']) && (!q['gate'] || g.siteGroup === q['gate']),
    );
    if (gates.length === 0) throw new ReportInputError('no gate matches the filters');
    const gateIds = new Set(gates.map((g) => g.siteGroup));
    const devices = (await opts.source.devices()).filter((d) => gateIds.has(d.siteGroup));
    const builder = new ReportBuilder({
      period,
      gates,
      devices,
      verifyChain: opts.verifyChain,
      generatedAt: opts.clock.now(),
    });
    for (const d of devices) {
      const gate = gates.find((g) => g.siteGroup === d.siteGroup)!;
      const { from, to } = periodRange(period, gate.timezone);
      if (opts.source.deviceStream) {
        const { pages, outages } = await opts.source.deviceStream(d.deviceId, from, to);
        const input = builder.beginDevice(d.deviceId);
        for await (const page of pages) for (const r of page) input.add(r);
        input.finish(outages);
      } else {
        const data = await opts.source.deviceData(d.deviceId, from, to);
        builder.addDevice(d.deviceId, data.records, data.outages);
      }
    }
    return builder.finish();
  }
};
