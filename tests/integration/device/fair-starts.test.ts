/**
 * Fair starts and partial plays, through the real player loop, the schedule engine and a real
 * SQLite proof-of-play log, on a fake clock. Joining a playlist mid-item shows at once what the
 * plan has on air when enough of it is left (recorded as partial, with the time it was really up),
 * or brings the next item forward when too little is left (one whole play, nothing recorded for a
 * fragment); from the next item boundary on the screen is in step with the plan. An item cut short
 * (an emergency, a schedule change, the player stopping) is recorded as partial with its real
 * duration; a whole play has no `partial` key; the chain verifies with partial records in it.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InstalledBundle } from '../../../device/content/installed.js';
import { type PlanAt, PlayerLoop } from '../../../device/playback/player-loop.js';
import { PlayRecorder } from '../../../device/proof-of-play/play-recorder.js';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { type Db, openDeviceDb } from '../../../device/store/sqlite.js';
import { MemorySurface } from '../../../player/surface.js';
import { memoryLogger } from '../../../platform/log.js';
import { isPopGapRecord, type PopRecord, verifyChain } from '../../../protocol/proof-of-play.js';
import { createScheduleEngine } from '../../../protocol/schedule-engine.js';
import { MutableContentSource } from '../../helpers/dir-content.js';
import { memoryBundle } from '../../helpers/memory-bundle.js';
import { HA_TIEN, manifest, t } from '../../helpers/schedule-fixtures.js';
import { tempDir } from '../../helpers/temp.js';

/** 08:00 local: the default playlist (item a, 10 s per language, four languages) starts a cycle here. */
const T0 = t('2026-03-02T08:00:00+07:00');
const GATE = { name: 'Hà Tiên', languages: HA_TIEN.languages };

const morning = { id: 'morning', playlistId: 'p-b', priority: 5, window: { start: '08:00', end: '09:00' } };
const emergency = (startsAt: number, id = 'flood') => ({
  id,
  text: Object.fromEntries(HA_TIEN.languages.map((l) => [l, { body: `${id} (${l})` }])),
  startsAt: new Date(startsAt).toISOString(),
  expiresAt: new Date(startsAt + 3600_000).toISOString(),
});

function bundle(version: number, over: Record<string, unknown> = {}): InstalledBundle {
  return memoryBundle(manifest(over), { version });
}

/** The schedule engine for whatever bundle is installed, as the player sees it. */
function enginePlan(content: MutableContentSource): PlanAt {
  let cached: { bundle: InstalledBundle; engine: ReturnType<typeof createScheduleEngine> } | undefined;
  return (at) => {
    const b = content.current();
    if (!b) return {};
    if (cached?.bundle !== b) cached = { bundle: b, engine: createScheduleEngine(b.manifest, HA_TIEN) };
    const { current, next } = cached.engine.now(at);
    return { ...(current ? { current } : {}), ...(next ? { next } : {}) };
  };
}

describe('fair starts and partial plays', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Db;
  let pop: SqlitePopLog;
  let publicKey: KeyObject;
  let surface: MemorySurface;
  let content: MutableContentSource;
  let loop: PlayerLoop;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    dir = tempDir();
    const keys = generateKeyPairSync('ed25519');
    publicKey = keys.publicKey;
    db = openDeviceDb(join(dir.path, 'device.db'), { synchronous: 'FULL' });
    pop = new SqlitePopLog(db, ed25519Signer(keys.privateKey));
    pop.start();
    surface = new MemorySurface();
  });
  afterEach(() => {
    loop.stop();
    vi.useRealTimers();
    db.close();
    dir.cleanup();
  });

  function start(first: InstalledBundle | undefined): void {
    content = new MutableContentSource(first);
    const clock = { now: () => Date.now() };
    const recorder = new PlayRecorder({
      deviceId: 'ha-tien-1',
      content,
      pop,
      trusted: { now: clock.now, status: () => 'ntp' },
      system: clock,
      isScreenOn: () => true,
      onRecorded: () => undefined,
      log: memoryLogger(),
    });
    loop = new PlayerLoop({
      surface,
      content,
      planAt: enginePlan(content),
      clock,
      gate: GATE,
      deviceId: 'ha-tien-1',
      leadMs: 2000,
      log: memoryLogger(),
    });
    loop.onPlayed((e) => recorder.record(e));
    loop.start();
    surface.startDue(Date.now());
  }

  /** Advances the fake clock in small steps; the memory surface starts what is due, as the page does. */
  async function runUntil(at: number, step = 50): Promise<void> {
    while (Date.now() < at) {
      await vi.advanceTimersByTimeAsync(Math.min(step, at - Date.now()));
      surface.startDue(Date.now());
    }
  }

  function records(): PopRecord[] {
    return pop.readAfter(0, 1000).filter((r): r is PopRecord => !isPopGapRecord(r));
  }
  const brief = (r: PopRecord) => ({
    item: `${r.itemId}/${r.language}`,
    from: r.actualStartAt - T0,
    ms: r.durationMs,
    ...(r.partial ? { partial: true } : {}),
  });

  function expectChainVerifies(): void {
    const all = pop.readAfter(0, 1000);
    expect(verifyChain(all, publicKey)).toMatchObject({ ok: true, problems: [] });
    // Whole plays carry no `partial` key at all, so they hash as records always did.
    for (const r of records()) if (r.partial !== true) expect(Object.keys(r)).not.toContain('partial');
  }

  it('joins a new playlist mid-item by showing what is left of the item on air, recorded as partial', async () => {
    start(bundle(1));
    await runUntil(T0 + 4000);
    // A new bundle puts the morning playlist (item b) on air from 08:00: b/vi is 4 s into its 10 s.
    content.set(bundle(2, { schedule: { defaultPlaylistId: 'default', entries: [morning] } }));
    surface.startDue(Date.now());
    await runUntil(T0 + 35_000);
    loop.stop();
    expect(records().map(brief)).toEqual([
      { item: 'a/vi', from: 0, ms: 4000, partial: true }, // the schedule changed under it
      { item: 'b/vi', from: 4000, ms: 6000, partial: true }, // joined mid-item: the rest of it, at once
      { item: 'b/km', from: 10_000, ms: 10_000 }, // in step with the plan from the next boundary
      { item: 'b/en', from: 20_000, ms: 10_000 },
      { item: 'b/zh-Hans', from: 30_000, ms: 5000, partial: true }, // the player stopped
    ]);
    expectChainVerifies();
  });

  it('brings the next item forward when too little is left of the one on air: no fragment on screen', async () => {
    start(bundle(1));
    await runUntil(T0 + 8500);
    content.set(bundle(2, { schedule: { defaultPlaylistId: 'default', entries: [morning] } }));
    surface.startDue(Date.now());
    // Not a 1.5 s flash of b/vi: b/km goes on air at once and stays until its own planned end.
    expect(surface.onAir?.id).toBe(`b/km@${T0 + 10_000}`);
    await runUntil(T0 + 25_000);
    loop.stop();
    expect(records().map(brief)).toEqual([
      { item: 'a/vi', from: 0, ms: 8500, partial: true },
      { item: 'b/km', from: 8500, ms: 11_500 }, // a whole play, a little longer than planned
      { item: 'b/en', from: 20_000, ms: 5000, partial: true },
    ]);
    expectChainVerifies();
  });

  it('starts a screen mid-item the same way: the next item whole when too little is left', async () => {
    vi.setSystemTime(T0 + 9000);
    start(bundle(1));
    expect(surface.onAir?.id).toBe(`a/km@${T0 + 10_000}`);
    await runUntil(T0 + 19_500);
    loop.stop();
    expect(records().map(brief)).toEqual([{ item: 'a/km', from: 9000, ms: 10_500 }]);
    expectChainVerifies();
  });

  it('starts a screen mid-item the same way: the rest of the item on air, partial, when enough is left', async () => {
    vi.setSystemTime(T0 + 3000);
    start(bundle(1));
    expect(surface.onAir?.id).toBe(`a/vi@${T0}`);
    await runUntil(T0 + 25_000);
    loop.stop();
    expect(records().map(brief)).toEqual([
      { item: 'a/vi', from: 3000, ms: 7000, partial: true },
      { item: 'a/km', from: 10_000, ms: 10_000 },
      { item: 'a/en', from: 20_000, ms: 5000, partial: true }, // the player stopped
    ]);
    expectChainVerifies();
  });

  it('records an item an emergency cuts short as partial, with the time it was really up', async () => {
    // An emergency the bundle already holds, from 08:00:25: a/en (08:00:20–30) is cut at 25 s.
    start(bundle(1, { emergencies: [emergency(T0 + 25_000)] }));
    await runUntil(T0 + 36_000);
    // Another emergency arrives with a new bundle while the first one's km text is on air.
    content.set(bundle(2, { emergencies: [emergency(T0 + 25_000), emergency(T0 + 30_000, 'fire')] }));
    surface.startDue(Date.now());
    await runUntil(T0 + 40_000);
    loop.stop();
    expect(records().map(brief)).toEqual([
      { item: 'a/vi', from: 0, ms: 10_000 },
      { item: 'a/km', from: 10_000, ms: 10_000 },
      { item: 'a/en', from: 20_000, ms: 5000, partial: true },
      { item: 'flood/vi', from: 25_000, ms: 8000 },
      { item: 'flood/km', from: 33_000, ms: 3000, partial: true },
      // fire began at 30 s: its vi text has 2 s left at 36 s, so its km text goes on air at once.
      { item: 'fire/km', from: 36_000, ms: 4000, partial: true },
    ]);
    expectChainVerifies();
  });
});
