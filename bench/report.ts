/**
 * `npm run bench -- report [--screens 200] [--days 90] [--item-seconds 10] [--hours 14]`
 *
 * Builds the quarterly report for a fleet from generated proof-of-play records: every screen plays
 * `--item-seconds` items back to back `--hours` a day (07:00 onwards) for `--days` days, so 200 × 90
 * × 14 h of 10-s items is 90.7 million records. They do not fit in memory at once, so the benchmark
 * streams by device: it generates one device's records (untimed), then times
 *   - baseline: a bare loop that only counts plays per item and language,
 *   - aggregate: ReportBuilder.addDevice with a no-op chain check,
 *   - full: ReportBuilder.addDevice verifying the chain (SHA-256 link and HMAC-SHA256 signature
 *     per record; a stand-in until the record format and Ed25519 keys land in protocol/).
 * It also times Ed25519 verification on a sample and extrapolates it to every record, since a real
 * per-record signature check would dominate. Peak memory is maxRSS from process.resourceUsage().
 */
import { createHash, createHmac, generateKeyPairSync, sign, verify } from 'node:crypto';
import { ReportBuilder } from '../sync-server/reports/build.js';
import { linkedChainVerifier } from '../sync-server/reports/chain-check.js';
import type { Outage, ProofOfPlayRecord, ReportDevice, ReportGate } from '../sync-server/reports/types.js';
import { resultLine } from './lib.js';

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
const VARIANT = new Map(
  ITEMS.flatMap((i) =>
    LANGS.map((l) => [`${i}/${l}`, createHash('sha256').update(`${i}/${l}`).digest('hex')]),
  ),
);
const key = (deviceId: string) => `device-key-${deviceId}`;

function recordHash(r: Omit<ProofOfPlayRecord, 'hash' | 'signature'>): string {
  return createHash('sha256')
    .update(
      `${r.deviceId}|${r.seq}|${r.prevHash}|${r.itemId}|${r.playlistId}|${r.language}|${r.variantSha256}|${r.bundleVersion}|${r.scheduledStart}|${r.actualStart}|${r.durationMs}|${r.screenOn}`,
    )
    .digest('hex');
}

/** One device's records for the period: back-to-back items in opening hours, a few lost in transit. */
function generate(
  deviceId: string,
  start: number,
  days: number,
  hours: number,
  itemMs: number,
  rand: () => number,
): ProofOfPlayRecord[] {
  const out: ProofOfPlayRecord[] = [];
  let prevHash = '0'.repeat(64);
  let seq = 1;
  let n = 0;
  const mac = key(deviceId);
  for (let d = 0; d < days; d++) {
    const open = start + d * 86_400_000 + 7 * 3_600_000;
    const offline = rand() < 0.05 ? open + Math.floor(rand() * hours) * 3_600_000 : -1; // 1 h dark on 5 % of days
    for (let t = open; t < open + hours * 3_600_000; t += itemMs) {
      if (offline >= 0 && t >= offline && t < offline + 3_600_000) continue;
      const itemId = ITEMS[n % ITEMS.length]!;
      const language = LANGS[Math.floor(n / ITEMS.length) % LANGS.length]!;
      n++;
      const base = {
        deviceId,
        seq: seq++,
        prevHash,
        itemId,
        playlistId: 'main',
        language,
        variantSha256: VARIANT.get(`${itemId}/${language}`)!,
        bundleVersion: '12',
        scheduledStart: t,
        actualStart: t + (n % 7) * 3,
        durationMs: itemMs,
        screenOn: true,
      };
      const hash = recordHash(base);
      prevHash = hash;
      // About one record in 100,000 is lost before it reaches the server.
      if (rand() < 0.00001) continue;
      out.push({ ...base, hash, signature: createHmac('sha256', mac).update(hash).digest('hex') });
    }
  }
  return out;
}

function outagesOf(records: ProofOfPlayRecord[], itemMs: number): Outage[] {
  // Hours with no records inside opening hours are the offline spans the registry would report.
  const out: Outage[] = [];
  for (let i = 1; i < records.length; i++) {
    const gap = records[i]!.scheduledStart - records[i - 1]!.scheduledStart;
    if (gap > 30 * 60_000 && gap < 12 * 3_600_000)
      out.push({
        deviceId: records[i]!.deviceId,
        from: records[i - 1]!.scheduledStart + itemMs,
        to: records[i]!.scheduledStart,
        kind: 'offline',
      });
  }
  return out;
}

export default async function (args: string[]): Promise<void> {
  const screens = arg(args, 'screens', 200);
  const days = arg(args, 'days', 90);
  const itemMs = arg(args, 'item-seconds', 10) * 1000;
  const hours = arg(args, 'hours', 14);
  // Time only this many devices and scale the times up: the builder streams by device, so the cost
  // is linear in devices and peak memory is set by one device's records. Default: all of them.
  const sampleScreens = Math.min(arg(args, 'sample', Number.POSITIVE_INFINITY), screens);
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
  const verifyChain = linkedChainVerifier((r) => {
    const { hash, signature, ...rest } = r;
    if (recordHash(rest) !== hash) return 'edit';
    return createHmac('sha256', key(r.deviceId)).update(hash).digest('hex') === signature
      ? 'ok'
      : 'signature';
  });
  const full = new ReportBuilder({ period, gates, devices, verifyChain, generatedAt });
  const aggregateOnly = new ReportBuilder({
    period,
    gates,
    devices,
    verifyChain: () => ({ ok: true, breaks: [] }),
    generatedAt,
  });

  const rand = rng(42);
  let records = 0;
  let baselineMs = 0;
  let aggregateMs = 0;
  let fullMs = 0;
  let genMs = 0;
  // CPU time of this process (user + system): the machine is shared, so wall time alone overstates.
  let baselineCpuMs = 0;
  let aggregateCpuMs = 0;
  let fullCpuMs = 0;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let baselinePlays = 0;
  const perDeviceFull: number[] = [];
  process.stdout.write(
    `report: ${screens} screens × ${days} days × ${hours} h of ${itemMs / 1000}-s items (expected ≈ ${((screens * days * hours * 3600 * 1000) / itemMs / 1e6).toFixed(1)} M records), streamed by device\n`,
  );
  for (const d of devices.slice(0, sampleScreens)) {
    let t = performance.now();
    const recs = generate(d.deviceId, start, days, hours, itemMs, rand);
    const outages = outagesOf(recs, itemMs);
    genMs += performance.now() - t;
    records += recs.length;

    t = performance.now();
    let c0 = cpu();
    const counts = new Map<string, number>();
    for (const r of recs) {
      const k = `${r.itemId}\u0000${r.language}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    baselineMs += performance.now() - t;
    baselineCpuMs += cpu() - c0;
    for (const c of counts.values()) baselinePlays += c;

    t = performance.now();
    c0 = cpu();
    aggregateOnly.addDevice(d.deviceId, recs, outages);
    aggregateMs += performance.now() - t;
    aggregateCpuMs += cpu() - c0;

    t = performance.now();
    c0 = cpu();
    full.addDevice(d.deviceId, recs, outages);
    fullCpuMs += cpu() - c0;
    const ms = performance.now() - t;
    fullMs += ms;
    perDeviceFull.push(ms);
  }
  const scale = screens / sampleScreens;
  if (scale > 1) {
    // The devices not timed count as dark (no records) in the report; scale the measured times.
    baselineMs *= scale;
    aggregateMs *= scale;
    fullMs *= scale;
    baselineCpuMs *= scale;
    aggregateCpuMs *= scale;
    fullCpuMs *= scale;
    process.stdout.write(
      `timed ${sampleScreens} of ${screens} screens; times below are scaled ×${scale.toFixed(2)}\n`,
    );
  }
  let t = performance.now();
  const report = full.finish();
  fullMs += performance.now() - t;
  t = performance.now();
  aggregateOnly.finish();
  aggregateMs += performance.now() - t;
  if (report.totals.plays !== baselinePlays)
    throw new Error(`report counted ${report.totals.plays} plays, baseline ${baselinePlays}`);

  // Ed25519: what verifying every record's signature would add, from a sample.
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const sample = Array.from({ length: 2000 }, (_, i) =>
    Buffer.from(createHash('sha256').update(String(i)).digest('hex')),
  );
  const sigs = sample.map((m) => sign(null, m, privateKey));
  t = performance.now();
  for (let i = 0; i < sample.length; i++)
    if (!verify(null, sample[i]!, publicKey, sigs[i]!)) throw new Error('ed25519 verify failed');
  const ed25519PerRecordUs = ((performance.now() - t) * 1000) / sample.length;

  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const sortedDev = [...perDeviceFull].sort((a, b) => a - b);
  process.stdout.write(
    [
      `records: ${records} (${(records / 1e6).toFixed(1)} M) in ${sampleScreens} screens`,
      `records${scale > 1 ? ' (scaled)' : ''}: ${Math.round(records * scale)}`,
      `report totals, plays counted ${report.totals.plays}, chain breaks ${report.totals.chainBreaks}, outages ${report.totals.outages}, content gaps ${report.totals.contentGaps}`,
      `generation (untimed in results): ${(genMs / 1000).toFixed(1)} s`,
      `baseline count loop: ${(baselineMs / 1000).toFixed(2)} s (${((baselineMs * 1e6) / (records * scale)).toFixed(0)} ns/record)`,
      `aggregate only (no chain check): ${(aggregateMs / 1000).toFixed(2)} s (${((aggregateMs * 1e6) / (records * scale)).toFixed(0)} ns/record)`,
      `full build (SHA-256 links + HMAC signatures + aggregation): ${(fullMs / 1000).toFixed(2)} s (${((fullMs * 1e6) / (records * scale)).toFixed(0)} ns/record); per device median ${(sortedDev[sortedDev.length >> 1]! / 1000).toFixed(2)} s`,
      `Ed25519 verify: ${ed25519PerRecordUs.toFixed(1)} µs/record on a 2,000 sample → ≈ ${((ed25519PerRecordUs * records * scale) / 1e6).toFixed(0)} s more if every record's signature were Ed25519-verified`,
      `CPU time (user+system): baseline ${(baselineCpuMs / 1000).toFixed(2)} s, aggregate only ${(aggregateCpuMs / 1000).toFixed(2)} s, full ${(fullCpuMs / 1000).toFixed(2)} s (ratio full/baseline ${(fullCpuMs / baselineCpuMs).toFixed(2)})`,
      `peak memory: maxRSS ${maxRssMb.toFixed(0)} MB`,
    ].join('\n') + '\n',
  );
  resultLine(
    'report',
    Math.round(fullMs) / 1000,
    's',
    Math.round(baselineMs) / 1000,
    'build a quarterly report for 200 screens within minutes on one core, streamed by device',
  );
}
