import { describe, expect, it } from 'vitest';
import type { ContentSource, InstalledBundle } from '../../../device/content/installed.js';
import type { PlayEvent } from '../../../device/playback/player-loop.js';
import { PlayRecorder } from '../../../device/proof-of-play/play-recorder.js';
import { MemoryLastKnownGoodStore } from '../../../device/time/last-known-good.js';
import { MemoryNtpSync } from '../../../device/time/ntp-sync.js';
import { type TimeStatus, TrustedClock } from '../../../device/time/trusted-clock.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { PopEntry } from '../../../protocol/proof-of-play.js';
import { memoryBundle } from '../../helpers/memory-bundle.js';
import { manifest } from '../../helpers/schedule-fixtures.js';

function content(bundle: InstalledBundle | undefined): ContentSource {
  return { current: () => bundle, onChange: () => () => undefined };
}

function played(startAt: number, actualStart: number): PlayEvent {
  const item = {
    startAt,
    durationMs: 10_000,
    source: 'default' as const,
    playlistId: 'default',
    itemId: 'a',
    kind: 'text' as const,
    language: 'vi',
    forLanguage: 'vi',
    transition: 'cut' as const,
    fadeMs: 0,
  };
  return {
    item,
    slideId: 'a@1',
    language: 'vi',
    variant: { sha256: 'ab' },
    siteGroup: 'kien-giang/ha-tien',
    bundleVersion: 1,
    scheduledStart: startAt,
    actualStart,
    durationMs: 10_000,
  };
}

function setup(o: { bundle?: InstalledBundle | undefined; screenOn?: boolean; failAppend?: boolean } = {}) {
  const system = fakeClock('2026-03-01T08:00:00Z');
  // The trusted clock is 30.4 s ahead of the system clock: records move by whole seconds (30 s).
  const trusted = { now: () => system.now() + 30_400, status: (): TimeStatus => 'server' };
  const entries: PopEntry[] = [];
  let wakes = 0;
  const log = memoryLogger();
  const recorder = new PlayRecorder({
    deviceId: 'dev-1',
    content: content('bundle' in o ? o.bundle : memoryBundle(manifest(), { version: 7 })),
    pop: {
      append: (e) => {
        if (o.failAppend) throw new Error('disk full');
        entries.push(e);
      },
    },
    trusted,
    system,
    isScreenOn: () => o.screenOn ?? true,
    onRecorded: () => wakes++,
    log,
  });
  return { recorder, system, entries, wakes: () => wakes, log };
}

describe('play recorder', () => {
  it('records each item shown on the trusted clock, with the screen state and clock status, and wakes the sender', () => {
    const { recorder, system, entries, wakes } = setup({ screenOn: false });
    const now = system.now();
    recorder.record(played(now - 100, now));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      deviceId: 'dev-1',
      siteGroup: 'kien-giang/ha-tien',
      bundleVersion: 7,
      itemId: 'a',
      language: 'vi',
      scheduledStartAt: now - 100 + 30_000,
      actualStartAt: now + 30_000,
      durationMs: 10_000,
      screenOn: false,
      clockStatus: 'server',
    });
    expect(wakes()).toBe(1);
  });

  it('records nothing while no bundle is installed', () => {
    const { recorder, system, entries, wakes } = setup({ bundle: undefined });
    recorder.record(played(system.now(), system.now()));
    expect(entries).toEqual([]);
    expect(wakes()).toBe(0);
  });

  it('logs a record that could not be stored and keeps the player loop going', () => {
    const { recorder, system, wakes, log } = setup({ failAppend: true });
    expect(() => recorder.record(played(system.now(), system.now()))).not.toThrow();
    expect(wakes()).toBe(0);
    expect(log.records.some((e) => e.msg === 'proof of play not recorded' && e.level === 'error')).toBe(true);
  });
});

describe('play recorder with a system clock far ahead and nothing to back it', () => {
  it('dates records from the last-known-good floor and marks them unverified, never last-known-good', () => {
    const floor = Date.parse('2026-06-01T19:00:00Z'); // 02:00 in Hà Tiên
    const system = fakeClock('2031-03-01T05:00:00Z'); // a bad RTC
    const trusted = new TrustedClock({
      system,
      monotonic: fakeClock(0),
      store: new MemoryLastKnownGoodStore({ v: 1, ms: floor, source: 'ntp' }),
      ntp: new MemoryNtpSync(),
    });
    trusted.start();
    const entries: PopEntry[] = [];
    const recorder = new PlayRecorder({
      deviceId: 'dev-1',
      content: content(memoryBundle(manifest(), { version: 7 })),
      pop: { append: (e) => void entries.push(e) },
      trusted,
      system,
      isScreenOn: () => true,
      onRecorded: () => undefined,
      log: memoryLogger(),
    });
    recorder.record(played(system.now(), system.now()));
    trusted.stop();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      clockStatus: 'unverified',
      actualStartAt: floor,
      scheduledStartAt: floor,
    });
    // The protocol carries it.
    expect(PopEntry.parse(entries[0])).toEqual(entries[0]);
  });
});
