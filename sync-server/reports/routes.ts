/**
 * GET /api/reports — the report as CSV, HTML or PDF, for role action 'reports.view'; and the form
 * that asks for it, GET /dashboard/reports (a page for the same action).
 *
 *   ?period=2026-Q1 | 2026 | 2026-01-01..2026-03-31   (required)
 *   &basis=reporting | calendar                         (quarters and years; default reporting:
 *                                                        the state's data cut-off, docs/reporting-rules.md)
 *   &province=<id> &gate=<siteGroup>                    (optional filters)
 *   &lang=vi | en                                       (default vi)
 *   &format=csv | devices-csv | devices-data-csv | html | pdf   (default html; devices-csv is for
 *                                                        people, devices-data-csv for programs)
 *
 * Data comes through `ReportDataSource` one device at a time — and, from a source that can, one page
 * of records at a time — so neither a quarter of the fleet nor one screen's quarter is in memory at
 * once. PDF printing is injected (pdf.ts renderPdf bound to the Chromium path in main.ts).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { isGatecastError } from '../../protocol/errors.js';
import type { Clock } from '../../protocol/clock.js';
import { pageSession, type PageSessionOptions, sendHtml } from '../accounts/page-session.js';
import {
  DEFAULT_DASHBOARD_LANGUAGE,
  type DashboardLanguage,
  isDashboardLanguage,
  languageOf,
} from '../dashboard/language.js';
import { z } from 'zod';
import { isLocalDate, startOfLocalDay } from '../../protocol/zoned-time.js';
import type { AccountContext } from '../accounts/access-control.js';
import type { ReportNamesStore } from '../registry/report-names-store.js';
import type { ReportFormStore } from './form-settings.js';
import { html } from '../web/escape.js';
import type { ErrorPage } from '../web/errors.js';
import { routeOptions } from '../web/route-access.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ReportDataSource } from './data-source.js';
import { buildReportFrom } from './service.js';
import { reportsTexts } from './texts.js';
import { renderReports } from './page.js';
import { reauditWords } from './reaudit-words.js';
import type { JobQueue } from './job-queue.js';
import type { ReauditProgress, Reauditor } from './reaudit.js';
import { periodDays, periodRange, ReportInputError, ReportPeriodTooLongError } from './period.js';
import { renderReportHtml } from './render.js';
import { reportDevicesCsv, reportDevicesDataCsv, reportPlaysCsv } from './report-csv.js';
import type { ReportPeriod, VerifyChain } from './types.js';

export interface ReportRoutesOptions {
  source: ReportDataSource;
  verifyChain: VerifyChain;
  clock: Clock;
  renderPdf: (html: string) => Promise<Uint8Array>;
  /** PDF reports (building and printing) run through this queue: a bounded number at once. */
  pdfJobs: JobQueue;
  /** The longest period a report may cover (config reports.maxPeriodDays). */
  maxPeriodDays: number;
  /** The shortest outage counted (config reports.minOutageMs; default build.ts DEFAULT_MIN_OUTAGE_MS). */
  minOutageMs?: number;
  /** Serves the reports form at /dashboard/reports for signed-in sessions (the sync server). */
  page?: PageSessionOptions;
  /** The printed form's settings; with `audit`, admins change them at PUT /api/reports/form. */
  form?: ReportFormStore;
  /** Gate name history, changed by admins at PUT /api/reports/gate-names. */
  gateNames?: Pick<ReportNamesStore, 'setGateNames'>;
  /** Re-audits of all stored proof of play, started and followed at /api/reports/reaudit. */
  reaudit?: Reauditor;
  /** Records admin changes, done or refused (accounts' audit log). */
  audit?: (
    actor: AccountContext,
    action: string,
    target: string | null,
    outcome: 'ok' | 'failed',
    details: Record<string, unknown>,
  ) => void;
}

const GateNamesBody = z
  .object({
    siteGroup: z.string().min(1).max(200),
    /** Local date (YYYY-MM-DD) in the gate's zone from which the names hold. */
    validFrom: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .refine(isLocalDate, { message: 'not a real date' }),
    gateName: z.string().trim().min(1).max(200),
    provinceId: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
    provinceName: z.string().trim().min(1).max(200),
  })
  .strict();

const ReauditBody = z
  .object({
    /** A period ("2026-Q1", "2026", "2026-01-01..2026-03-31"); absent: the whole registry. */
    period: z.string().min(1).max(40).optional(),
    basis: z.enum(['reporting', 'calendar']).optional(),
  })
  .strict();

/** A re-audit's state as the API answers it. */
function reauditJson(p: ReauditProgress) {
  const { run } = p;
  return {
    id: run.id,
    status: run.status,
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
    startedBy: run.startedBy,
    period: run.period,
    from: run.fromMs === null ? null : new Date(run.fromMs).toISOString(),
    to: run.toMs === null ? null : new Date(run.toMs).toISOString(),
    total: run.total,
    done: run.done,
    percent: p.percent,
    etaMs: p.etaMs,
    problems: run.counts,
    differ: run.differ,
    differList: p.differ,
    error: run.error,
  };
}

const PERIOD_FORMS = '2026-Q1, 2026 or 2026-01-01..2026-03-31';

/**
 * Parses "2026-Q1", "2026" or "2026-01-01..2026-03-31". Quarters and years default to the state's
 * reporting basis (the data cut-off of Decree 09/2019/NĐ-CP Art. 12); `basis=calendar` asks for
 * the calendar one.
 */
export function parsePeriod(text: unknown, basis: unknown): ReportPeriod {
  const b =
    basis === undefined || basis === ''
      ? 'reporting'
      : basis === 'calendar' || basis === 'reporting'
        ? basis
        : null;
  if (b === null) throw new ReportInputError('basis is "calendar" or "reporting"', { key: 'error.basis' });
  if (typeof text !== 'string' || text === '')
    throw new ReportInputError(`period is required: ${PERIOD_FORMS}`, { key: 'error.periodMissing' });
  let m = /^(\d{4})-Q([1-4])$/.exec(text);
  if (m) return { kind: 'quarter', year: Number(m[1]), quarter: Number(m[2]) as 1 | 2 | 3 | 4, basis: b };
  m = /^(\d{4})$/.exec(text);
  if (m) return { kind: 'year', year: Number(m[1]), basis: b };
  m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (m) return { kind: 'custom', from: m[1]!, to: m[2]! };
  throw new ReportInputError(`period "${text.slice(0, 40)}" is not ${PERIOD_FORMS}`, {
    key: 'error.period',
    params: { period: text.slice(0, 40) },
  });
}

/** A report error as a page in the user's language (a browser sent the dashboard's form). */
const errorPage: ErrorPage = (error, asked) => {
  const lang = isDashboardLanguage(asked) ? asked : DEFAULT_DASHBOARD_LANGUAGE;
  return html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <title>${reportsTexts.text(lang, 'error.title')}</title>
      </head>
      <body>
        <main>
          <h1>${reportsTexts.text(lang, 'error.title')}</h1>
          <p id="report-error">
            ${error.status >= 500 && error.code === 'INTERNAL' ? reportsTexts.text(lang, 'error.internal') : error.message}
          </p>
          <p><a href="/dashboard/reports">${reportsTexts.text(lang, 'error.back')}</a></p>
        </main>
      </body>
    </html>`.toString();
};

const FORMATS = ['csv', 'devices-csv', 'devices-data-csv', 'html', 'pdf'] as const;
type Format = (typeof FORMATS)[number];

export const REPORT_HTML_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

const REPORT_ROUTE = {
  config: { access: 'reports.view', errorPage },
  schema: { summary: 'A proof-of-play report for a period: CSV, HTML or PDF' },
} as const;

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, opts) => {
  /** The re-audit's state and the last result in the reader's words (the page shows them as given). */
  const wordsOf = async (p: ReauditProgress | undefined, lang: DashboardLanguage) =>
    reauditWords(p, (await opts.source.lastReaudit?.()) ?? null, lang);
  const page = opts.page;
  if (page)
    app.get('/dashboard/reports', { config: { access: 'public' } }, async (request, reply) => {
      const auth = pageSession(request, reply, page, 'reports.view');
      if (!auth) return reply;
      const now = new Date(opts.clock.now());
      const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
      const lang = languageOf(request);
      const latest = opts.reaudit?.progress();
      return sendHtml(
        reply,
        renderReports(
          lang,
          await opts.source.gates(),
          quarter,
          auth.user,
          auth.session.csrfToken,
          opts.reaudit
            ? {
                running: latest?.run.status === 'running',
                percent: latest?.percent ?? 0,
                words: await wordsOf(latest, lang),
              }
            : undefined,
        ),
      );
    });

  /** Runs an admin change and records it in the audit log, refused or done. */
  const audited = async <T>(
    request: FastifyRequest,
    action: string,
    target: string | null,
    change: () => Promise<{ result: T; details: Record<string, unknown> }>,
  ): Promise<T> => {
    try {
      const { result, details } = await change();
      opts.audit?.(request.account!, action, target, 'ok', details);
      return result;
    } catch (err) {
      const code = isGatecastError(err) ? err.code : 'INTERNAL';
      opts.audit?.(request.account!, action, target, 'failed', { code, message: (err as Error).message });
      throw err;
    }
  };

  const form = opts.form;
  if (form) {
    app.get(
      '/api/reports/form',
      routeOptions('reports.view', 'The administrative form printed reports carry'),
      async () => ({ form: (await form.load()) ?? null }),
    );
    // The store checks the form (the same rules as the config's), so the body is not a schema here.
    app.put(
      '/api/reports/form',
      routeOptions('settings.manage', 'Change the administrative form of printed reports'),
      (request) =>
        audited(request, 'reports.form', null, async () => {
          const saved = await form.save(request.body);
          return { result: { form: saved }, details: { form: saved } };
        }),
    );
  }
  const gateNames = opts.gateNames;
  if (gateNames)
    app.withTypeProvider<ZodTypeProvider>().put(
      '/api/reports/gate-names',
      {
        ...routeOptions('settings.manage', 'A gate’s name and province from a date on', {
          body: GateNamesBody,
        }),
        // A malformed request is refused inside `audited`, so that it is audited too.
        attachValidation: true,
      },
      (request) => {
        const target = (request.body as { siteGroup?: unknown } | undefined)?.siteGroup;
        return audited(
          request,
          'reports.gate-names',
          typeof target === 'string' ? target : null,
          async () => {
            if (request.validationError) throw request.validationError;
            const body = request.body;
            const gate = (await opts.source.gates()).find((g) => g.siteGroup === body.siteGroup);
            if (!gate) throw new ReportInputError('no gate matches the filters', { key: 'error.noGate' });
            const names = { ...body, validFrom: startOfLocalDay(gate.timezone, body.validFrom) };
            gateNames.setGateNames(names);
            return { result: { names }, details: body };
          },
        );
      },
    );

  const reaudit = opts.reaudit;
  if (reaudit) {
    app.get(
      '/api/reports/reaudit',
      routeOptions('reports.view', 'The last re-audit of the stored proof of play and its progress'),
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const p = reaudit.progress();
        return { reaudit: p ? reauditJson(p) : null, words: await wordsOf(p, languageOf(request)) };
      },
    );
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/reports/reaudit',
      {
        ...routeOptions('reports.reaudit', 'Start a re-audit of all stored proof of play (or of a period)', {
          body: ReauditBody.optional(),
        }),
        attachValidation: true,
      },
      async (request, reply) => {
        const body = request.body ?? {};
        const run = await audited(request, 'reports.reaudit', body.period ?? null, async () => {
          if (request.validationError) throw request.validationError;
          let fromMs: number | null = null;
          let toMs: number | null = null;
          if (body.period !== undefined) {
            const period = parsePeriod(body.period, body.basis);
            const zones = new Set((await opts.source.gates()).map((g) => g.timezone));
            if (zones.size === 0) zones.add('Asia/Ho_Chi_Minh');
            // Gates in several zones: the span holding the period in every one of them.
            for (const zone of zones) {
              const r = periodRange(period, zone);
              fromMs = fromMs === null ? r.from : Math.min(fromMs, r.from);
              toMs = toMs === null ? r.to : Math.max(toMs, r.to);
            }
          }
          const started = reaudit.start({
            startedBy: request.account!.user.username,
            period: body.period ?? null,
            fromMs,
            toMs,
          });
          return { result: started, details: { id: started.id, total: started.total } };
        });
        const p = reaudit.progressOf(run);
        return reply
          .code(202)
          .send({ reaudit: reauditJson(p), words: await wordsOf(p, languageOf(request)) });
      },
    );
    app.post(
      '/api/reports/reaudit/cancel',
      routeOptions('reports.reaudit', 'Cancel the running re-audit of the stored proof of play'),
      (request) =>
        audited(request, 'reports.reaudit.cancel', null, async () => {
          const run = reaudit.cancel();
          const p = reaudit.progressOf(run);
          return {
            result: { reaudit: reauditJson(p), words: await wordsOf(p, languageOf(request)) },
            details: { id: run.id },
          };
        }),
    );
  }

  app.get('/api/reports', REPORT_ROUTE, async (request, reply) => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    const period = parsePeriod(q['period'], q['basis']);
    const lang = q['lang'] === undefined ? languageOf(request) : q['lang'];
    if (!isDashboardLanguage(lang)) throw new ReportInputError('lang is "vi" or "en"', { key: 'error.lang' });
    const format = (q['format'] ?? 'html') as Format;
    if (!FORMATS.includes(format))
      throw new ReportInputError(`format is one of ${FORMATS.join(', ')}`, {
        key: 'error.format',
        params: { formats: FORMATS.join(', ') },
      });
    const days = periodDays(period);
    if (days > opts.maxPeriodDays) throw new ReportPeriodTooLongError(days, opts.maxPeriodDays);
    const name = `gatecast-report-${String(q['period']).replace(/[^\w.-]/g, '_')}-${lang}`;
    const number =
      typeof q['number'] === 'string' && q['number'] !== '' ? q['number'].slice(0, 40) : undefined;
    const doc = { form: await opts.form?.load(), number };
    reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
    if (format === 'pdf') {
      // Building and printing together hold the slot: a refused request has cost nothing yet.
      const pdf = await opts.pdfJobs.run(async () =>
        opts.renderPdf(renderReportHtml(await buildFor(q, period, lang), lang, doc)),
      );
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `attachment; filename="${name}.pdf"`)
        .send(Buffer.from(pdf));
    }
    const report = await buildFor(q, period, lang);
    switch (format) {
      case 'csv':
      case 'devices-csv':
      case 'devices-data-csv': {
        const suffix = { csv: '', 'devices-csv': '-devices', 'devices-data-csv': '-devices-data' }[format];
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}${suffix}.csv"`)
          .send(
            format === 'csv'
              ? reportPlaysCsv(report, lang)
              : format === 'devices-csv'
                ? reportDevicesCsv(report, lang)
                : reportDevicesDataCsv(report),
          );
      }
      case 'html':
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', REPORT_HTML_CSP)
          .send(renderReportHtml(report, lang, doc));
    }
  });

  /** The report for the query's filters (an empty field, as the form sends, is no filter). */
  const buildFor = (q: Record<string, unknown>, period: ReportPeriod, lang: DashboardLanguage) =>
    buildReportFrom(opts.source, {
      period,
      lang,
      verifyChain: opts.verifyChain,
      generatedAt: opts.clock.now(),
      ...(typeof q['gate'] === 'string' && q['gate'] ? { gate: q['gate'] } : {}),
      ...(typeof q['province'] === 'string' && q['province'] ? { province: q['province'] } : {}),
      ...(opts.minOutageMs !== undefined ? { minOutageMs: opts.minOutageMs } : {}),
    });
};
