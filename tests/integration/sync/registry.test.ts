import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../sync-server/registry/registry.js';
import { GATE, healthAt } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const dirs: { cleanup: () => void }[] = [];
const regs: Registry[] = [];
afterEach(async () => {
  for (const r of regs.splice(0)) await r.close();
  for (const d of dirs.splice(0)) d.cleanup();
});

function open() {
  const d = tempDir('gc-reg-');
  dirs.push(d);
  const r = new Registry(join(d.path, 'registry.db'));
  r.open();
  regs.push(r);
  r.gates.upsert({ ...GATE, timezone: 'Asia/Ho_Chi_Minh', missingVariant: { mode: 'skip' } });
  r.devices.add({
    id: 'gc-dev1',
    siteGroup: GATE.siteGroup,
    screenName: 's',
    publicKey: 'k'.repeat(43),
    nowMs: 0,
  });
  return r;
}

const HOUR = 3600_000;

describe('fleet registry', () => {
  it('stores each record once and acks the highest contiguous seq, honouring declared gaps', () => {
    const r = open();
    const rec = (seq: number) => ({
      seq,
      at: 1000 + seq,
      payload: { at: 1000 + seq, kind: 'k', level: 'info', message: 'm' },
    });
    expect(
      r.ingest.storeBatches([
        { deviceId: 'gc-dev1', stream: 'event', fromSeq: 1, records: [rec(1), rec(2)] },
      ]),
    ).toEqual([2]);
    // A resend and an overlap: nothing doubled.
    expect(
      r.ingest.storeBatches([
        { deviceId: 'gc-dev1', stream: 'event', fromSeq: 1, records: [rec(2), rec(3)] },
      ]),
    ).toEqual([3]);
    // A batch after a lost one (4 missing): stored but not acked past 3.
    expect(
      r.ingest.storeBatches([{ deviceId: 'gc-dev1', stream: 'event', fromSeq: 1, records: [rec(5)] }]),
    ).toEqual([3]);
    // The device dropped 4 and says so: the watermark moves past the gap.
    expect(
      r.ingest.storeBatches([
        { deviceId: 'gc-dev1', stream: 'event', fromSeq: 5, records: [rec(5), rec(6)] },
      ]),
    ).toEqual([6]);
    expect(r.ingest.seqs('gc-dev1', 'event')).toEqual([1, 2, 3, 5, 6]);
    expect(r.ingest.gapRecords('gc-dev1', 'event')).toBe(1);
  });

  it('downsamples health into 5-minute and hourly averages and applies retention', () => {
    const r = open();
    const now = Date.UTC(2026, 2, 10, 12, 0, 0);
    const start = now - 50 * HOUR; // older than the raw retention (48 h)
    const records = [];
    for (let i = 0; i < 50 * 120; i++) {
      const at = start + i * 30_000;
      records.push({
        seq: i + 1,
        at,
        payload: healthAt(at, { cpuTempC: i % 2 ? 50 : 40, memAvailableBytes: 2e9 }),
      });
    }
    for (let i = 0; i < records.length; i += 500) {
      r.ingest.storeBatches([
        { deviceId: 'gc-dev1', stream: 'health', fromSeq: 1, records: records.slice(i, i + 500) },
      ]);
    }
    r.health.rollup(now);
    const raw = r.health.history('gc-dev1', 0, now, 'raw', 100_000);
    expect(raw[0]!.at).toBeGreaterThanOrEqual(now - 48 * HOUR);
    expect(raw.length).toBe(48 * 120);
    // The two hours older than the raw retention still count in the aggregates.
    const five = r.health.history('gc-dev1', 0, now, '5m', 100_000);
    expect(five).toHaveLength(50 * 12);
    expect(five[0]).toMatchObject({ at: start, samples: 10, cpuTempC: 45, memUsedPct: 50 });
    const hourly = r.health.history('gc-dev1', 0, now, '1h', 100_000);
    expect(hourly).toHaveLength(50);
    expect(hourly[1]).toMatchObject({ samples: 120, cpuTempC: 45 });
    // A late sample for an old bucket merges in; a second rollup counts nothing twice.
    r.ingest.storeBatches([
      {
        deviceId: 'gc-dev1',
        stream: 'health',
        fromSeq: 1,
        records: [{ seq: 6001, at: start + 1, payload: healthAt(start + 1, { cpuTempC: 100 }) }],
      },
    ]);
    r.health.rollup(now);
    r.health.rollup(now);
    const merged = r.health.history('gc-dev1', start, start + 1, '5m')[0]!;
    expect(merged.samples).toBe(11);
    expect(merged.cpuTempC).toBeCloseTo((45 * 10 + 100) / 11);
    expect(r.health.history('gc-dev1', start, start + 1, '1h')[0]!.samples).toBe(121);
    // Thirty-one days later the 5-minute buckets are gone, the hourly ones stay.
    r.health.rollup(now + 31 * 24 * HOUR);
    expect(r.health.history('gc-dev1', 0, now, '5m')).toHaveLength(0);
    expect(r.health.history('gc-dev1', 0, now, '1h').length).toBe(hourly.length);
  });

  it('tracks groups, online state and last seen', () => {
    const r = open();
    r.gates.addToGroup('pilot', 'gc-dev1');
    expect(r.gates.listGroups()).toEqual([{ name: 'pilot', devices: 1 }]);
    expect(r.devices.list('pilot').map((d) => d.id)).toEqual(['gc-dev1']);
    r.devices.setOnline('gc-dev1', true, 100, '1.0.0');
    r.devices.setLastSeen([['gc-dev1', 500]]);
    expect(r.devices.get('gc-dev1')).toMatchObject({ online: true, lastSeenMs: 500, appVersion: '1.0.0' });
  });
});
