/**
 * Building a report from a data source: what the HTTP route and the CLI both call. Gates are named
 * as they were in the period, screens are read one at a time (page by page when the source can),
 * items get their titles in the report's language.
 */
import type { DashboardLanguage } from '../dashboard/language.js';
import { ReportBuilder } from './build.js';
import { gateForPeriod, nameItems } from './names.js';
import { periodRange, ReportInputError } from './period.js';
import type { ReportDataSource } from './data-source.js';
import type { Report, ReportPeriod, VerifyChain } from './types.js';

export interface BuildRequest {
  period: ReportPeriod;
  lang: DashboardLanguage;
  verifyChain: VerifyChain;
  generatedAt: number;
  /** One gate (site group), or every gate. */
  gate?: string;
  /** One province (its id as valid for the period), or every province. */
  province?: string;
  minOutageMs?: number;
  /**
   * 'records': read every stored record and check the chain again (the benchmark's baseline); by
   * default the rollups are read when the source has them ready.
   */
  from?: 'rollups' | 'records';
}

export async function buildReportFrom(source: ReportDataSource, req: BuildRequest): Promise<Report> {
  const gates = (await source.gates())
    .map((g) => {
      const { from, to } = periodRange(req.period, g.timezone);
      return gateForPeriod(g, from, to);
    })
    .filter(
      (g) =>
        (req.province === undefined || g.provinceId === req.province) &&
        (req.gate === undefined || g.siteGroup === req.gate),
    );
  if (gates.length === 0) throw new ReportInputError('no gate matches the filters', { key: 'error.noGate' });
  const gateIds = new Set(gates.map((g) => g.siteGroup));
  const devices = (await source.devices()).filter((d) => gateIds.has(d.siteGroup));
  const builder = new ReportBuilder({
    period: req.period,
    gates,
    devices,
    verifyChain: req.verifyChain,
    generatedAt: req.generatedAt,
    ...(req.minOutageMs !== undefined ? { minOutageMs: req.minOutageMs } : {}),
  });
  // Each gate's period once (local midnights through Intl), not once per screen.
  const gateRanges = new Map(
    gates.map((g) => [g.siteGroup, { gate: g, ...periodRange(req.period, g.timezone) }] as const),
  );
  const ranges = new Map<string, { from: number; to: number }>();
  for (const d of devices) {
    const { gate, from, to } = gateRanges.get(d.siteGroup)!;
    ranges.set(d.deviceId, { from, to });
    const summed =
      req.from !== 'records' && source.deviceTally
        ? await source.deviceTally(d.deviceId, from, to, gate.timezone)
        : undefined;
    if (summed) builder.addTally(d.deviceId, summed.tally, summed.outages);
    else if (source.deviceStream) {
      const { pages, outages } = await source.deviceStream(d.deviceId, from, to);
      const input = builder.beginDevice(d.deviceId);
      for await (const page of pages) for (const r of page) input.add(r);
      input.finish(outages);
    } else {
      const data = await source.deviceData(d.deviceId, from, to);
      builder.addDevice(d.deviceId, data.records, data.outages);
    }
  }
  const report = builder.finish();
  if (source.lastReaudit) {
    report.reaudit = await source.lastReaudit();
    // Each screen's chain column says re-verified only where the re-audit covered its period.
    if (report.reaudit && source.reverified)
      for (const p of report.provinces)
        for (const g of p.gates)
          for (const d of g.devices) {
            const range = ranges.get(d.deviceId);
            const r = range && (await source.reverified(d.deviceId, range.from, range.to));
            if (r) d.chain.reverified = r;
          }
  }
  if (source.titles) nameItems(report, await source.titles(), req.lang);
  return report;
}
