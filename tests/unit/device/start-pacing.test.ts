import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PACING,
  endedOnPurpose,
  paceStart,
  type StartNow,
  type StartRecord,
} from '../../../device/release/start-pacing.js';

const BOOT = '5b0c6a4e-0d7c-4b8e-9a55-3d2f1e0a9b11';
const at = (uptimeMs: number, startId: string, version = '1.1.0'): StartNow => ({
  bootId: BOOT,
  uptimeMs,
  startId,
  version,
});

/** Runs a sequence of starts, each ending by crash unless `ends` says how, and returns the waits. */
function waits(
  starts: { at: number; ends?: 'restart' | 'stop'; version?: string; bootId?: string }[],
): number[] {
  let rec: StartRecord | null = null;
  return starts.map((s, i) => {
    const now = { ...at(s.at, `inv-${i}`, s.version), bootId: s.bootId ?? BOOT };
    const d = paceStart(rec, now);
    rec = d.record ?? rec;
    if (s.ends) rec = endedOnPurpose(rec, now.startId, s.ends, 'test', now.bootId, s.at + 1000) ?? rec;
    return d.delayMs;
  });
}

describe('paceStart: restarts after a crash are backed off, planned ones are not', () => {
  it('a crash loop waits 2, 4, 8, 16, 30, 30 s; the first start waits nothing', () => {
    let t = 10_000;
    const seq = [0, 1, 2, 3, 4, 5, 6].map(() => {
      const s = { at: t };
      t += 40_000; // each run lives a few seconds, then the wait: all well inside 5 min
      return s;
    });
    expect(waits(seq)).toEqual([0, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('a release switch (exit 75) or a stop by hand starts again at once, and resets the count', () => {
    expect(
      waits([
        { at: 10_000 },
        { at: 20_000 }, // crash: 2 s
        { at: 30_000, ends: 'restart' }, // crash again: 4 s; this run then switched releases on purpose
        { at: 31_000, version: '1.2.0', ends: 'stop' }, // first start of the new release
        { at: 32_000, version: '1.2.0' }, // after `systemctl restart`: at once
        { at: 40_000, version: '1.2.0' }, // then it crashed: the count starts again at 2 s
      ]),
    ).toEqual([0, 2000, 4000, 0, 0, 2000]);
  });

  it('another release, a new boot, or a run of 5 min or more is not a quick restart', () => {
    expect(
      waits([
        { at: 10_000 },
        { at: 20_000 }, // 2 s
        { at: 25_000, version: '1.0.0' }, // a rollback put another release in `current`
        { at: 35_000, version: '1.0.0' }, // crash: 2 s
        { at: 40_000, version: '1.0.0', bootId: 'another-boot' }, // power cut: at once
        { at: 50_000, version: '1.0.0', bootId: 'another-boot' }, // 2 s
        { at: 52_000 + DEFAULT_PACING.quietMs, version: '1.0.0', bootId: 'another-boot' }, // ran 5 min
      ]),
    ).toEqual([0, 2000, 0, 2000, 0, 2000, 0]);
  });

  it("paces one start once: the daemon's own check after ExecStartPre's does not wait again", () => {
    const first = paceStart(null, at(10_000, 'inv-1'));
    const crashLoop = paceStart(first.record, at(20_000, 'inv-2'));
    expect(crashLoop.delayMs).toBe(2000);
    expect(crashLoop.record).toMatchObject({ startId: 'inv-2', quickRestarts: 1, startedAtMs: 22_000 });
    const again = paceStart(crashLoop.record, at(22_500, 'inv-2'));
    expect(again).toEqual({ delayMs: 0, reason: 'this start was already paced', record: null });
  });

  it('says why it waits', () => {
    const first = paceStart(null, at(10_000, 'inv-1'));
    expect(first.reason).toBe('first start on record');
    expect(paceStart(first.record, at(14_000, 'inv-2')).reason).toBe(
      'quick restart 1 in a row: the last run of 1.1.0 ended without stopping on purpose 4 s after it started',
    );
  });

  it('a run marks only its own start as ended on purpose', () => {
    const rec = paceStart(null, at(10_000, 'inv-1')).record!;
    expect(endedOnPurpose(rec, 'inv-1', 'restart', 'switch to release 1.2.0', BOOT, 15_000)).toEqual({
      ...rec,
      ended: { how: 'restart', reason: 'switch to release 1.2.0', atMs: 15_000 },
    });
    // a daemon run by hand (another id), a record of another boot, or no record: nothing to mark
    expect(endedOnPurpose(rec, 'inv-9', 'stop', 'SIGTERM', BOOT, 15_000)).toBeNull();
    expect(endedOnPurpose(rec, 'inv-1', 'stop', 'SIGTERM', 'another-boot', 15_000)).toBeNull();
    expect(endedOnPurpose(null, 'inv-1', 'stop', 'SIGTERM', BOOT, 15_000)).toBeNull();
  });
});
