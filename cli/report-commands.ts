/**
 * `gatecast report --config server.json --period 2026-Q4 [--basis reporting|calendar]
 *  [--gate SITE_GROUP | --province ID] --format pdf|csv|devices-csv|data-csv|html --lang vi|en
 *  [--number N] --out FILE`
 *
 * The same report as the dashboard's, built from the server's registry (read-only use; safe while
 * the server runs) for ops who script it. Bad input is refused in the asked language and writes
 * nothing; the output file appears whole or not at all (write temp → fsync → rename).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { systemClock } from '../protocol/clock.js';
import { ConfigError } from '../protocol/errors.js';
import { isDashboardLanguage } from '../sync-server/dashboard/language.js';
import { parseServerConfig } from '../sync-server/config/config.js';
import { REGISTRY_DB } from '../sync-server/main.js';
import { Registry } from '../sync-server/registry/registry.js';
import { ReportFormStore } from '../sync-server/reports/form-settings.js';
import { renderPdf } from '../sync-server/reports/pdf.js';
import { periodDays, ReportInputError, ReportPeriodTooLongError } from '../sync-server/reports/period.js';
import { reauditStore } from '../sync-server/registry/reaudit-store.js';
import { RegistryReportSource } from '../sync-server/reports/registry-source.js';
import { renderReportHtml } from '../sync-server/reports/render.js';
import { reportDevicesCsv, reportDevicesDataCsv, reportPlaysCsv } from '../sync-server/reports/report-csv.js';
import { parsePeriod } from '../sync-server/reports/routes.js';
import { buildReportFrom } from '../sync-server/reports/service.js';

const FORMATS = ['pdf', 'csv', 'devices-csv', 'data-csv', 'html'] as const;

interface ReportOptions {
  config: string;
  period: string;
  basis?: string;
  gate?: string;
  province?: string;
  format: string;
  lang: string;
  number?: string;
  out: string;
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function registerReportCommands(program: Command): void {
  program
    .command('report')
    .description("Build the quarterly, yearly or custom report from the server's registry into a file")
    .requiredOption('--config <file>', 'the sync server config (JSON)')
    .requiredOption('--period <period>', '2026-Q4, 2026 or 2026-10-01..2026-12-31')
    .option('--basis <basis>', 'reporting (the state cut-off, default) or calendar')
    .option('--gate <siteGroup>', 'one border gate')
    .option('--province <id>', 'one province')
    .option('--format <format>', FORMATS.join(' | '), 'pdf')
    .option('--lang <lang>', 'vi | en', 'vi')
    .option('--number <n>', 'the document number the records clerk gave')
    .requiredOption('--out <file>', 'output file')
    .action(async (o: ReportOptions) => {
      const lang = isDashboardLanguage(o.lang) ? o.lang : 'en';
      try {
        if (!isDashboardLanguage(o.lang))
          throw new ReportInputError('lang is "vi" or "en"', { key: 'error.lang' });
        const format = FORMATS.find((f) => f === o.format);
        if (!format)
          throw new ReportInputError(`format is one of ${FORMATS.join(', ')}`, {
            key: 'error.format',
            params: { formats: FORMATS.join(', ') },
          });
        const period = parsePeriod(o.period, o.basis);
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(o.config, 'utf8'));
        } catch (err) {
          throw new ConfigError(`${o.config}: cannot read JSON (${(err as Error).message})`, [], {
            cause: err,
          });
        }
        const config = parseServerConfig(raw);
        const days = periodDays(period);
        if (days > config.reports.maxPeriodDays)
          throw new ReportPeriodTooLongError(days, config.reports.maxPeriodDays);
        const registry = new Registry(join(config.dataDir, REGISTRY_DB));
        registry.open();
        try {
          const source = new RegistryReportSource(
            registry,
            undefined,
            undefined,
            registry.featureStore(reauditStore),
          );
          const report = await buildReportFrom(source, {
            period,
            lang,
            verifyChain: source.verifyChain,
            generatedAt: systemClock.now(),
            minOutageMs: config.reports.minOutageMs,
            ...(o.gate ? { gate: o.gate } : {}),
            ...(o.province ? { province: o.province } : {}),
          });
          const doc = {
            form: await new ReportFormStore(config.dataDir, config.reports.form).load(),
            number: o.number,
          };
          let out: string | Uint8Array;
          if (format === 'pdf' || format === 'html') {
            const html = renderReportHtml(report, lang, doc);
            out =
              format === 'html'
                ? html
                : await renderPdf(html, {
                    executablePath: config.reports.chromiumPath ?? CHROMIUM[0]!,
                  });
          } else if (format === 'csv') out = reportPlaysCsv(report, lang);
          else if (format === 'devices-csv') out = reportDevicesCsv(report, lang);
          else out = reportDevicesDataCsv(report);
          await writeFileAtomic(o.out, out);
          process.stdout.write(`${o.out}\n`);
        } finally {
          await registry.close();
        }
      } catch (err) {
        if (err instanceof ReportInputError && err.text) {
          process.stderr.write(`gatecast: ${err.messageIn(lang) ?? err.message} [${err.code}]\n`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
