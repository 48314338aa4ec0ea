/**
 * `npm run bench -- report [--screens 200] [--days 90] [--item-seconds 10] [--hours 14] [--sample N]
 *  [--batch 500]`
 *
 * The quarterly report for a fleet, on the real path: every screen plays `--item-seconds` items back
 * to back `--hours` a day (07:00 onwards) for `--days` days — 200 × 90 × 14 h of 10-s items is 90.7
 * million records — as real proof-of-play records (protocol/proof-of-play.ts: canonical hash chain,
 * Ed25519 signature by the screen's own key). Per screen, untimed: generate and sign its records;
 * then, timed:
 *   - ingest: the hub's check of each batch (sync-server/pop-ingest.ts: shape + Ed25519 verification)
 *     and the registry's store with its rollups (real SQLite file, WAL);
 *   - the report from rollups, as the report route builds it (service.ts buildReportFrom over
 *     RegistryReportSource.deviceTally), every gate and screen;
 *   - baseline: the report from the raw rows as it was built before the rollups, page by page with
 *     the report's chain check (signature verdict from ingest, payload re-hashed, links and gaps).
 * Then, for comparison, the check the report made before verification moved to ingest (every
 * signature verified again: RegistryReportSource.auditChain) on the first `--audit-records` stored
 * records (default 20,000), extrapolated to all of them.
 *
 * `--sample N` ingests N screens' records through the real path (signing and ingest cost minutes per
 * screen here, so 200 screens' 90 M records are out of reach); every other screen is enrolled too and
 * gets a copy of a sampled screen's rollup rows and link history (the same quarter under its own id).
 * The report from rollups is then built and timed for real over all `--screens` screens, every one
 * with a quarter of data: nothing in it is scaled. What is scaled (× screens / N) is the baseline,
 * the report from raw rows, timed on the N sampled screens (its cost is linear in records), and the
 * ingest figures. The report from rollups is checked screen by screen against the raw-row report of
 * the sampled screen its rows came from. Peak memory is maxRSS from process.resourceUsage().
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  POP_GENESIS_HASH,
  type PopBody,
  type PopRecord,
  popHash,
  popSigningBytes,
} from '../protocol/proof-of-play.js';
import { checkPopBatch } from '../sync-server/ingest/pop-ingest.js';
import type { IngestBatch } from '../sync-server/registry/ingest-store.js';
import { Registry } from '../sync-server/registry/registry.js';
import { ReportBuilder } from '../sync-server/reports/build.js';
import { buildReportFrom } from '../sync-server/reports/service.js';
import { REPORT_PAGE_RECORDS, RegistryReportSource } from '../sync-server/reports/registry-source.js';
import type { ChainBreak, DeviceReport, ReportDevice, ReportGate } from '../sync-server/reports/types.js';
import type { SqliteDb } from '../platform/sqlite.js';
import { numberArg } from './lib.js';
import { seededRandom } from '../tests/helpers/seeded-random.js';

const ITEMS = [
  'thu-tuc-xuat-canh',
  'thu-tuc-nhap-canh',
  'visa-dien-tu',
  'hai-quan',
  'kiem-dich',
  'du-lich-ha-tien',
  'canh-bao-lua-dao',
  'phong-chong-dich',
];
const LANGS = ['vi', 'en', 'km', 'zh-Hans'];

interface Play {
  seq: number;
  at: number;
  payload: PopRecord;
}

/**
 * One screen's records for the period, in delivery batches: back-to-back items in opening hours,
 * one hour dark on 5 % of days (`dark` gets those spans), and about one record in 100,000 lost on
 * the device (the next batch declares it dropped with fromSeq, as the outbox does).
 */
function* generate(
  device: ReportDevice,
  privateKey: KeyObject,
  opts: { start: number; days: number; hours: number; itemMs: number; batch: number },
  rand: () => number,
  dark: { from: number; to: number }[],
): Generator<{ fromSeq: number; records: Play[] }> {
  let prevHash = POP_GENESIS_HASH;
  let seq = 1;
  let n = 0;
  let batch: Play[] = [];
  let fromSeq = 1;
  for (let d = 0; d < opts.days; d++) {
    const open = opts.start + d * 86_400_000 + 7 * 3_600_000;
    const offline = rand() < 0.05 ? open + Math.floor(rand() * opts.hours) * 3_600_000 : -1;
    if (offline >= 0) dark.push({ from: offline, to: offline + 3_600_000 });
    for (let t = open; t < open + opts.hours * 3_600_000; t += opts.itemMs) {
      if (offline >= 0 && t >= offline && t < offline + 3_600_000) continue;
      const itemId = ITEMS[n % ITEMS.length]!;
      const language = LANGS[Math.floor(n / ITEMS.length) % LANGS.length]!;
      n++;
      const body: PopBody = {
        v: 1,
        seq: seq++,
        prevHash,
        deviceId: device.deviceId,
        siteGroup: device.siteGroup,
        bundleVersion: 12,
        itemId,
        playlistId: 'main',
        scheduleEntryId: null,
        source: 'schedule',
        language,
        forLanguage: language,
        variantSha256: null,
        scheduledStartAt: t,
        actualStartAt: t + (n % 7) * 3,
        durationMs: opts.itemMs,
        screenOn: true,
        clockStatus: 'ntp',
      };
      const hash = popHash(body);
      prevHash = hash;
      if (rand() < 0.00001) {
        // Lost on the device: the batch so far goes, the next one starts after it.
        if (batch.length) yield { fromSeq, records: batch };
        batch = [];
        fromSeq = body.seq + 1;
        continue;
      }
      const signature = sign(null, popSigningBytes(hash), privateKey).toString('base64');
      batch.push({ seq: body.seq, at: body.actualStartAt, payload: { ...body, hash, signature } });
      if (batch.length === opts.batch) {
        yield { fromSeq, records: batch };
        batch = [];
        fromSeq = body.seq + 1;
      }
    }
  }
  if (batch.length) yield { fromSeq, records: batch };
}

export default async function (args: string[]): Promise<void> {
  const screens = numberArg(args, 'screens', 200);
  const days = numberArg(args, 'days', 90);
  const itemMs = numberArg(args, 'item-seconds', 10) * 1000;
  const hours = numberArg(args, 'hours', 14);
  const batchSize = numberArg(args, 'batch', 500);
  const auditRecords = numberArg(args, 'audit-records', 20_000);
  const sampleScreens = Math.min(numberArg(args, 'sample', screens), screens);
  const tz = 'Asia/Ho_Chi_Minh';
  const start = Date.parse('2025-12-31T17:00:00Z'); // 1 Jan 2026 00:00 in Vietnam: Q1 2026
  const provinces = [
    'Kiên Giang',
    'An Giang',
    'Tây Ninh',
    'Lào Cai',
    'Lạng Sơn',
    'Quảng Ninh',
    'Cao Bằng',
    'Hà Giang',
    'Điện Biên',
    'Quảng Trị',
  ];
  const gates: ReportGate[] = [];
  for (let g = 0; g < 25; g++)
    gates.push({
      siteGroup: `p${g % 10}/gate-${g}`,
      name: `Cửa khẩu ${g}`,
      provinceId: `p${g % 10}`,
      provinceName: provinces[g % 10]!,
      timezone: tz,
      openingHours: [{ start: '07:00', end: `${String(7 + hours).padStart(2, '0')}:00` }],
    });
  const devices: ReportDevice[] = Array.from({ length: screens }, (_, i) => ({
    deviceId: `dev-${String(i).padStart(4, '0')}`,
    name: `Màn hình ${i}`,
    siteGroup: gates[i % gates.length]!.siteGroup,
  }));
  const period = { kind: 'quarter' as const, year: 2026, quarter: 1 as const };
  const generatedAt = Date.parse('2026-04-02T00:00:00Z');
  const dir = mkdtempSync(join(tmpdir(), 'gc-bench-report-'));
  const registry = new Registry(join(dir, 'registry.db'));
  registry.open({ backgroundCheckpointMs: 1000 });
  const source = new RegistryReportSource(registry);
  const sampled = devices.slice(0, sampleScreens);
  // The baseline's report covers the sampled screens only (the others have no raw rows).
  const sampledGates = new Set(sampled.map((d) => d.siteGroup));
  const full = new ReportBuilder({
    period,
    gates: gates.filter((g) => sampledGates.has(g.siteGroup)),
    devices: sampled,
    verifyChain: source.verifyChain,
    generatedAt,
  });

  const rand = seededRandom(42);
  const wall = { gen: 0, verify: 0, store: 0, baseline: 0, rollups: 0, copy: 0 };
  const cpuTime = { verify: 0, store: 0, baseline: 0, rollups: 0 };
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const timed = async <T>(key: keyof typeof cpuTime, f: () => T | Promise<T>): Promise<T> => {
    const t = performance.now();
    const c = cpu();
    const out = await f();
    wall[key] += performance.now() - t;
    cpuTime[key] += cpu() - c;
    return out;
  };
  let records = 0;
  let badAtIngest = 0;
  const enrolledAt = start - 86_400_000;
  const enrol = (d: ReportDevice) => {
    const keys = generateKeyPairSync('ed25519');
    registry.devices.add({
      id: d.deviceId,
      siteGroup: d.siteGroup,
      screenName: d.name,
      publicKey: keys.publicKey.export({ format: 'jwk' }).x!,
      nowMs: enrolledAt,
    });
    return keys;
  };
  // The link's session history: connected all along except the dark hours.
  const linkHistory = (deviceId: string, dark: readonly { from: number; to: number }[]) => {
    let from = enrolledAt;
    for (const x of dark) {
      registry.devices.setOnline(deviceId, true, from);
      registry.devices.setOnline(deviceId, false, x.from);
      from = x.to;
    }
    registry.devices.setOnline(deviceId, true, from);
    registry.devices.setOnline(deviceId, false, generatedAt);
  };
  const darkOf = new Map<string, { from: number; to: number }[]>();
  process.stdout.write(
    `report: ${screens} screens × ${days} days × ${hours} h of ${itemMs / 1000}-s items (expected ≈ ${((screens * days * hours * 3600 * 1000) / itemMs / 1e6).toFixed(1)} M records), real signed records in a registry file, read in pages of ${REPORT_PAGE_RECORDS}\n`,
  );
  try {
    for (const d of sampled) {
      const keys = enrol(d);
      const dark: { from: number; to: number }[] = [];
      const batches = generate(
        d,
        keys.privateKey,
        { start, days, hours, itemMs, batch: batchSize },
        rand,
        dark,
      );
      for (;;) {
        const t = performance.now();
        const next = batches.next();
        wall.gen += performance.now() - t;
        if (next.done) break;
        const { fromSeq, records: recs } = next.value;
        records += recs.length;
        const check = await timed('verify', () => checkPopBatch(recs, keys.publicKey));
        badAtIngest += check.problems.length;
        const batch: IngestBatch = {
          deviceId: d.deviceId,
          stream: 'pop',
          fromSeq,
          records: recs,
          popVerdicts: check.verdicts,
        };
        await timed('store', () => registry.ingest.storeBatches([batch]));
      }
      linkHistory(d.deviceId, dark);
      darkOf.set(d.deviceId, dark);
    }
    // Every other screen: enrolled, with a sampled screen's rollups and link history as its own.
    const db = registry.featureStore((x: SqliteDb) => x);
    const rollupTables = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'pop\\_day\\_%' ESCAPE '\\' OR name LIKE 'pop\\_chain\\_%' ESCAPE '\\') ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
    const copies = rollupTables.map((table) => {
      const cols = (db.pragma(`table_info(${table})`) as { name: string }[])
        .map((c) => c.name)
        .filter((c) => c !== 'device_id');
      return db.prepare(
        `INSERT INTO ${table} (device_id, ${cols.join(', ')}) SELECT ?, ${cols.join(', ')} FROM ${table} WHERE device_id = ?`,
      );
    });
    const copyOf = new Map<string, string>();
    const tc = performance.now();
    for (let i = sampleScreens; i < screens; i++) {
      const d = devices[i]!;
      const from = sampled[i % sampleScreens]!.deviceId;
      enrol(d);
      db.transaction(() => {
        for (const c of copies) c.run(d.deviceId, from);
      })();
      linkHistory(d.deviceId, darkOf.get(from)!);
      copyOf.set(d.deviceId, from);
    }
    wall.copy = performance.now() - tc;

    // The quarterly report as the route builds it now: from the rollups, every gate and screen.
    const names = gates.map((g) => ({ ...g }));
    const rollupSource = {
      gates: async () => names,
      devices: async () => devices,
      deviceTally: source.deviceTally.bind(source),
      deviceData: source.deviceData.bind(source),
    };
    if (!source.rollupsReady()) throw new Error('the rollups are not ready');
    const fromRollups = await timed('rollups', () =>
      buildReportFrom(rollupSource, {
        period,
        lang: 'vi',
        verifyChain: source.verifyChain,
        generatedAt,
      }),
    );
    const peakRollupsMb = process.resourceUsage().maxRSS / 1024;

    // The baseline: the report built from the raw rows as before, screen by screen.
    for (const d of sampled) {
      const range = { from: start, to: start + days * 86_400_000 };
      await timed('baseline', async () => {
        // As the report route did it (sync-server/reports/routes.ts) before the rollups.
        const { pages, outages } = await source.deviceStream(d.deviceId, range.from, range.to);
        const input = full.beginDevice(d.deviceId);
        for await (const page of pages) for (const r of page) input.add(r);
        input.finish(outages);
      });
    }
    // The check as the report made it before: every record's signature verified again.
    const audit = source.auditChain.begin!();
    const auditBreaks: ChainBreak[] = [];
    let audited = 0;
    let auditMs = 0;
    const first = devices[0]!.deviceId;
    for await (const page of source.pages(first, start, start + days * 86_400_000)) {
      const t0 = performance.now();
      for (const r of page) audit.add(r, auditBreaks);
      auditMs += performance.now() - t0;
      audited += page.length;
      if (audited >= auditRecords) break;
    }

    const t = performance.now();
    const report = full.finish();
    wall.baseline += performance.now() - t;
    const peakBaselineMb = process.resourceUsage().maxRSS / 1024;
    // The same figures both ways, screen by screen: each copied screen against the raw-row report
    // of the screen its rollups came from (names aside: the baseline builder has no titles to give).
    const rawOf = new Map(
      report.provinces.flatMap((p) => p.gates.flatMap((g) => g.devices.map((x) => [x.deviceId, x]))),
    );
    const figures = (x: DeviceReport) =>
      JSON.stringify({
        plays: x.plays,
        playsPartial: x.playsPartial,
        playsScreenOff: x.playsScreenOff,
        playsRejected: x.playsRejected,
        onAirMs: x.onAirMs,
        onAirPartialMs: x.onAirPartialMs,
        spanMs: x.spanMs,
        openingMs: x.openingMs,
        uptimeRatio: x.uptimeRatio,
        outages: x.outages,
        contentGaps: x.contentGaps,
        declaredGaps: x.declaredGaps,
        timeline: x.timeline,
        chain: { ...x.chain, reverified: undefined },
        playsByItem: x.playsByItem,
      });
    let compared = 0;
    for (const p of fromRollups.provinces)
      for (const g of p.gates)
        for (const x of g.devices) {
          const raw = rawOf.get(copyOf.get(x.deviceId) ?? x.deviceId);
          if (!raw) throw new Error(`${x.deviceId}: no raw-row report to compare with`);
          if (figures(x) !== figures(raw))
            throw new Error(`${x.deviceId}: the report from rollups differs from the one from raw rows`);
          const t = x.timeline;
          if (t.onAirMs + t.gapMs + t.declaredGapMs + t.outageMs !== t.openingMs)
            throw new Error(`${x.deviceId}: on air + gaps + outages ≠ opening time`);
          compared++;
        }
    if (compared !== screens) throw new Error(`${compared} screens in the report, ${screens} expected`);

    const scale = screens / sampleScreens;
    const all = Math.round(records * scale);
    const s = (ms: number) => `${((ms * scale) / 1000).toFixed(2)} s`;
    const per = (ms: number) => `${((ms * 1e6) / records).toFixed(0)} ns/record`;
    const rate = (ms: number) => `${Math.round((records / ms) * 1000).toLocaleString('en')} records/s`;
    process.stdout.write(
      [
        `ingested ${sampleScreens} of ${screens} screens; the other ${screens - sampleScreens} got copies of their rollups and link history (${(wall.copy / 1000).toFixed(1)} s, untimed)`,
        scale > 1 ? `ingest and baseline times below are scaled ×${scale.toFixed(2)}` : '',
        `records: ${records} in ${sampleScreens} screens; for ${screens} screens: ${all} (${(all / 1e6).toFixed(1)} M)`,
        `report totals: plays ${fromRollups.totals.plays}, rejected ${fromRollups.totals.playsRejected}, chain breaks ${fromRollups.totals.chainBreaks}, outages ${fromRollups.totals.outages}, content gaps ${fromRollups.totals.contentGaps}; records failing a check at ingest: ${badAtIngest}`,
        `every screen's figures from rollups equal the raw-row report's (${compared} screens), and on air + gaps + outages = opening time for each`,
        `generation and signing (untimed): ${(wall.gen / 1000).toFixed(1)} s`,
        `ingest, store only: ${s(wall.store)} (${per(wall.store)}, ${rate(wall.store)})`,
        `ingest, verify (shape + Ed25519) + store: ${s(wall.verify + wall.store)} (${per(wall.verify + wall.store)}, ${rate(wall.verify + wall.store)}); the check alone ${per(wall.verify)} — what a report would spend verifying every signature`,
        `baseline, the report from the raw rows (verdicts from ingest, payloads re-hashed, links, gaps + aggregation): ${s(wall.baseline)} (${per(wall.baseline)})`,
        `report from rollups, ${screens} screens with data in ${new Set(devices.map((d) => d.siteGroup)).size} gates, timed whole (not scaled): ${(wall.rollups / 1000).toFixed(3)} s wall, ${(cpuTime.rollups / 1000).toFixed(3)} s CPU`,
        `chain check as a re-audit makes it (every signature verified again), on ${audited} records: ${((auditMs * 1e6) / audited).toFixed(0)} ns/record → ≈ ${(((auditMs / audited) * all) / 1000).toFixed(0)} s for all records`,
        `CPU time (user+system): report from rollups ${(cpuTime.rollups / 1000).toFixed(3)} s; scaled: baseline ${s(cpuTime.baseline)}, ingest check ${s(cpuTime.verify)}, store with rollups ${s(cpuTime.store)}`,
        `peak memory (maxRSS, process high-water mark): ${peakRollupsMb.toFixed(0)} MB after the report from rollups (ingest included), ${peakBaselineMb.toFixed(0)} MB after the baseline`,
      ]
        .filter(Boolean)
        .join('\n') + '\n',
    );
    const value = wall.rollups / 1000;
    const baseline = (wall.baseline * scale) / 1000;
    const fmt = (x: number) => (Math.round(x * 1000) / 1000).toString();
    process.stdout.write(
      `report: ${fmt(value)} s (baseline ${fmt(baseline)} s, ratio ${(value / baseline).toPrecision(3)}, goal ≤ 5 s, peak ${peakRollupsMb.toFixed(0)} MB)\n`,
    );
  } finally {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
