/**
 * Proof-of-play rollups kept at ingest equal a recount from the stored rows, and the report built
 * from them equals the report built from every raw row, on randomised fleets (seeded): real signed
 * chains stored through the registry's ingest (checkPopBatch + storeBatches, real SQLite), delivered
 * in shuffled batches with repeats and late records, with records lost on the way, edited, signed
 * by another key, claiming another gate, broken links, partial and screen-off plays and declared gaps.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  POP_GENESIS_HASH,
  type PopChainRecord,
  popHash,
  popSigningBytes,
} from '../../../protocol/proof-of-play.js';
import { checkPopBatch } from '../../../sync-server/ingest/pop-ingest.js';
import {
  type DayRange,
  type DeviceRollups,
  localDay,
  type PeriodRollups,
  recountRollups,
  type RollupDevice,
  type RollupRow,
} from '../../../sync-server/registry/pop-rollups.js';
import type { PopVerdict } from '../../../sync-server/registry/pop-store.js';
import type { Registry } from '../../../sync-server/registry/registry.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { openTempRegistry } from '../../helpers/registry.js';
import { seededRandom } from '../../helpers/seeded-random.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';
import { buildReportFrom } from '../../../sync-server/reports/service.js';
import type { ReportPeriod } from '../../../sync-server/reports/types.js';

const cleanups = cleanupsAfterEach();

const ZONES = ['Asia/Ho_Chi_Minh', 'Europe/Paris'];
const T0 = Date.parse('2026-03-27T20:00:00Z'); // spans the end of March: Paris changes its clocks

interface Screen {
  deviceId: string;
  siteGroup: string;
  key: KeyObject;
  records: { seq: number; at: number; payload: PopChainRecord }[];
  /** What the generator meant, to check the rollups against more than themselves. */
  goodScreenOnPlays: number;
  brokenLinks: number;
}

function makeScreen(rand: () => number, deviceId: string, siteGroup: string, n: number): Screen {
  const keys = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const records: Screen['records'] = [];
  let prevHash = POP_GENESIS_HASH;
  let t = T0 + Math.floor(rand() * 6 * 3_600_000);
  let goodScreenOnPlays = 0;
  let brokenLinks = 0;
  for (let seq = 1; seq <= n; seq++) {
    // A chain started again (or a record put in place of another): the link breaks, the record is signed.
    if (rand() < 0.02) {
      prevHash = popHash({ v: 1, seq, prevHash, kind: 'gap' } as never);
      brokenLinks++;
    }
    const roll = rand();
    // Mostly back to back, sometimes a pause long enough to be a gap, sometimes overnight.
    t +=
      roll < 0.05
        ? Math.floor(rand() * 10 * 3_600_000)
        : roll < 0.15
          ? 61_000 + Math.floor(rand() * 600_000)
          : Math.floor(rand() * 3000);
    const declared = rand() < 0.03;
    const body: Record<string, unknown> = declared
      ? {
          v: 1,
          seq,
          prevHash,
          kind: 'gap',
          deviceId,
          count: 1 + Math.floor(rand() * 50),
          fromAt: t,
          toAt: t + Math.floor(rand() * 3_600_000),
          reason: rand() < 0.5 ? 'buffer-full' : 'process-ended',
          error: 'SQLITE_FULL: database or disk is full',
        }
      : {
          v: 1,
          seq,
          prevHash,
          deviceId,
          siteGroup: rand() < 0.02 ? 'lao-cai/lao-cai' : siteGroup,
          bundleVersion: 3,
          itemId: `item-${Math.floor(rand() * 4)}`,
          playlistId: 'main',
          scheduleEntryId: null,
          source: 'schedule',
          language: ['vi', 'en', 'km'][Math.floor(rand() * 3)]!,
          forLanguage: 'vi',
          variantSha256: null,
          scheduledStartAt: t,
          actualStartAt: t,
          durationMs: rand() < 0.02 ? 0 : 5000 + Math.floor(rand() * 25_000),
          screenOn: rand() > 0.05,
          clockStatus: 'ntp',
          ...(rand() < 0.1 ? { partial: true } : {}),
        };
    const hash = popHash(body as never);
    prevHash = hash;
    const forged = rand() < 0.02;
    const signature = sign(null, popSigningBytes(hash), forged ? other.privateKey : keys.privateKey).toString(
      'base64',
    );
    let payload = { ...body, hash, signature } as unknown as PopChainRecord;
    const edited = rand() < 0.02;
    if (edited && !declared)
      payload = {
        ...payload,
        durationMs: (payload as { durationMs: number }).durationMs + 1,
      } as PopChainRecord;
    const good = !forged && !edited && !declared && body['siteGroup'] === siteGroup;
    if (good && body['screenOn']) goodScreenOnPlays++;
    records.push({ seq, at: t, payload });
    if (!declared) t += body['durationMs'] as number;
  }
  return { deviceId, siteGroup, key: keys.publicKey, records, goodScreenOnPlays, brokenLinks };
}

/** Delivers a screen's records in shuffled batches, some repeated, some lost, some late. */
function deliver(registry: Registry, rand: () => number, s: Screen): number {
  const lost = new Set(s.records.filter(() => rand() < 0.03).map((r) => r.seq));
  const kept = s.records.filter((r) => !lost.has(r.seq));
  const batches: (typeof kept)[] = [];
  for (let i = 0; i < kept.length;) {
    const size = 1 + Math.floor(rand() * 40);
    batches.push(kept.slice(i, i + size));
    i += size;
  }
  // Repeats (a lost ack) and late deliveries (a batch held back) in a shuffled order.
  for (const b of [...batches]) if (rand() < 0.2) batches.push(b);
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [batches[i], batches[j]] = [batches[j]!, batches[i]!];
  }
  for (const b of batches) {
    const verdicts = checkPopBatch(b, s.key).verdicts;
    // fromSeq 1: nothing declared dropped, so a batch behind the watermark is still stored.
    registry.ingest.storeBatches([
      { deviceId: s.deviceId, stream: 'pop', fromSeq: 1, records: b, popVerdicts: verdicts },
    ]);
  }
  return lost.size;
}

function storedRows(registry: Registry, deviceId: string): RollupRow[] {
  const db = (registry as unknown as { stores: { db: import('../../../platform/sqlite.js').SqliteDb } })
    .stores.db;
  return (
    db
      .prepare('SELECT seq, at, payload, verdict FROM pop_records WHERE device_id = ? ORDER BY seq')
      .all(deviceId) as {
      seq: number;
      at: number;
      payload: string;
      verdict: PopVerdict | null;
    }[]
  ).map((r) => ({ seq: r.seq, at: r.at, payload: JSON.parse(r.payload) as unknown, verdict: r.verdict }));
}

/** A period's rollups added up from per-day ones (a recount's): what the store's period read must give. */
function periodOf(r: DeviceRollups, range: DayRange): PeriodRollups {
  const inRange = <T extends { day: number }>(list: readonly T[]) =>
    list.filter((x) => x.day >= range.fromDay && x.day <= range.toDay);
  const plays = new Map<string, PeriodRollups['plays'][number]>();
  for (const p of inRange(r.plays)) {
    const k = `${p.itemId}\0${p.language}\0${p.region}\0${p.partial}`;
    const sum = plays.get(k) ?? { ...p, plays: 0, playsScreenOff: 0, onAirMs: 0 };
    sum.plays += p.plays;
    sum.playsScreenOff += p.playsScreenOff;
    sum.onAirMs += p.onAirMs + (p.day < range.toDay ? p.onAirNextMs : 0);
    plays.set(k, sum);
  }
  const rejected = new Map<string, number>();
  for (const x of inRange(r.rejected)) rejected.set(x.reasons, (rejected.get(x.reasons) ?? 0) + x.records);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    records: inRange(r.days).reduce((n, d) => n + d.records, 0),
    plays: [...plays.values()]
      .map(({ itemId, language, region, partial, plays: n, playsScreenOff, onAirMs }) => ({
        itemId,
        language,
        region,
        partial,
        plays: n,
        playsScreenOff,
        onAirMs,
      }))
      .sort(
        (a, b) =>
          cmp(a.itemId, b.itemId) ||
          cmp(a.language, b.language) ||
          cmp(a.region, b.region) ||
          Number(a.partial) - Number(b.partial),
      ),
    rejected: [...rejected]
      .map(([reasons, records]) => ({ reasons, records }))
      .sort((a, b) => cmp(a.reasons, b.reasons)),
    rejectedList: inRange(r.rejectedList),
    cover: inRange(r.cover),
    runs: r.runs,
    links: inRange(r.links),
    declared: inRange(r.declared),
  };
}

/** A seeded fleet of two gates with two screens each, enrolled in a fresh registry. */
function fleet(seed: number): { registry: Registry; rand: () => number; screens: Screen[] } {
  const rand = seededRandom(seed);
  const { registry } = openTempRegistry(cleanups, `gc-rollups-${seed}-`);
  const screens: Screen[] = [];
  for (let g = 0; g < 2; g++) {
    const siteGroup = `gate-${g}/site`;
    registry.gates.upsert({
      siteGroup,
      name: `Gate ${g}`,
      timezone: ZONES[(seed + g) % ZONES.length]!,
      languages: ['vi', 'en', 'km'],
      missingVariant: { mode: 'skip' },
    });
    for (let d = 0; d < 2; d++) {
      const deviceId = `dev-${g}-${d}`;
      const s = makeScreen(rand, deviceId, siteGroup, 150 + Math.floor(rand() * 250));
      registry.devices.add({
        id: deviceId,
        siteGroup,
        screenName: deviceId,
        publicKey: s.key.export({ format: 'jwk' }).x!,
        nowMs: T0,
      });
      screens.push(s);
    }
  }
  return { registry, rand, screens };
}

describe('proof-of-play rollups kept at ingest', () => {
  it('equal a recount from the stored rows on random fleets, with late, repeated, lost and bad records', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { registry, rand, screens } = fleet(seed);
      for (const s of screens) {
        const lost = deliver(registry, rand, s);
        const place: RollupDevice = registry.rollups.place(s.deviceId)!;
        const rows = storedRows(registry, s.deviceId);
        expect(rows).toHaveLength(s.records.length - lost);
        const kept = registry.rollups.device(s.deviceId);
        const recount = recountRollups(place, rows);
        expect(kept, `seed ${seed}, ${s.deviceId}`).toEqual(recount);
        // A report reads a period added up in the store: a row per item, language and kind, not per day.
        const days = recount.days.map((d) => d.day);
        const first = Math.min(...days);
        const last = Math.max(...days);
        for (const range of [
          { fromDay: first, toDay: last },
          { fromDay: first + 1, toDay: last },
          { fromDay: first, toDay: last - 1 },
          { fromDay: first + 1, toDay: first + 1 },
        ]) {
          const period = registry.rollups.period(s.deviceId, range);
          expect(period, `seed ${seed}, ${s.deviceId}, ${JSON.stringify(range)}`).toEqual(
            periodOf(recount, range),
          );
          expect(period.plays.length).toBeLessThanOrEqual(4 * 3 * 2);
        }
        // And against what was generated: the records lost on the way are holes between runs.
        const holes = kept.runs.length - 1;
        expect(holes).toBeLessThanOrEqual(lost);
        expect(kept.runs.reduce((n, r) => n + r.toSeq - r.fromSeq + 1, 0)).toBe(s.records.length - lost);
        // Every broken link made is found unless a record at it was lost.
        expect(kept.links.length).toBeLessThanOrEqual(s.brokenLinks);
        expect(kept.links.length).toBeGreaterThanOrEqual(s.brokenLinks - lost);
        const lostGoodPlays = s.records.filter(
          (r) => !rows.some((x) => x.seq === r.seq) && !('kind' in r.payload),
        ).length;
        const plays = kept.plays.reduce((n, p) => n + p.plays, 0);
        expect(plays).toBeLessThanOrEqual(s.goodScreenOnPlays);
        expect(plays).toBeGreaterThanOrEqual(s.goodScreenOnPlays - lostGoodPlays);
        // A day's covered spans are disjoint and at least the bridge apart.
        for (let i = 1; i < kept.cover.length; i++)
          if (kept.cover[i]!.day === kept.cover[i - 1]!.day)
            expect(kept.cover[i]!.from).toBeGreaterThanOrEqual(kept.cover[i - 1]!.to + 60_000);
      }
    }
  });

  it('give the report the raw rows give, on random fleets: same figures, breaks and rejected records', async () => {
    const periods: ReportPeriod[] = [
      // Cuts the fleets' records at both ends (some before, some after), across Paris's change of clocks.
      { kind: 'custom', from: '2026-03-28', to: '2026-03-29' },
      { kind: 'custom', from: '2026-03-27', to: '2026-04-30' },
    ];
    let compared = 0;
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const { registry, rand, screens } = fleet(seed);
      // Screens online part of the time: outages are judged against the covered time.
      for (const s of screens) {
        registry.devices.setOnline(s.deviceId, true, T0 + 3_600_000);
        registry.devices.setOnline(s.deviceId, false, T0 + 30 * 3_600_000);
        deliver(registry, rand, s);
      }
      const source = new RegistryReportSource(registry);
      expect(source.rollupsReady()).toBe(true);
      for (const period of periods) {
        const req = {
          period,
          lang: 'en' as const,
          verifyChain: source.verifyChain,
          generatedAt: Date.parse('2026-05-01T00:00:00Z'),
        };
        const fromRecords = await buildReportFrom(source, { ...req, from: 'records' });
        const fromRollups = await buildReportFrom(source, req);
        expect(fromRollups, `seed ${seed}, ${JSON.stringify(period)}`).toEqual(fromRecords);
        // The audit path (every signature verified again) finds the same on an untouched registry.
        const audited = await buildReportFrom(source, {
          ...req,
          verifyChain: source.auditChain,
          from: 'records',
        });
        expect(audited).toEqual(fromRecords);
        compared++;
        // Not a comparison of empty reports: the fleets' faults show in both.
        if (period.kind === 'custom' && period.to === '2026-04-30') {
          const t = fromRollups.totals;
          expect(t.plays).toBeGreaterThan(0);
          expect(t.playsPartial).toBeGreaterThan(0);
          expect(t.playsRejected).toBeGreaterThan(0);
          expect(t.declaredGaps).toBeGreaterThan(0);
          const devices = fromRollups.provinces.flatMap((p) => p.gates.flatMap((g) => g.devices));
          expect(devices.some((d) => d.chain.counts.link > 0)).toBe(true);
          expect(devices.some((d) => d.chain.counts.gap > 0)).toBe(true);
        }
      }
    }
    expect(compared).toBe(12);
  });

  it('buckets plays by the local day at the gate', () => {
    // 23:30 on 29 March in Paris (summer time from 02:00 that night) and 00:30 in Hồ Chí Minh City.
    expect(localDay('Europe/Paris', Date.parse('2026-03-29T21:30:00Z'))).toBe(
      Date.parse('2026-03-29T00:00:00Z') / 86_400_000,
    );
    expect(localDay('Asia/Ho_Chi_Minh', Date.parse('2026-03-29T17:30:00Z'))).toBe(
      Date.parse('2026-03-30T00:00:00Z') / 86_400_000,
    );
  });
});
