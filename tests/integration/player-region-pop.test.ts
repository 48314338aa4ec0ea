/**
 * Proof of play of a layout's side region, through the real player: the player loop, the page in
 * Chromium looping the side region's own playlist, the recorder and a real SQLite proof-of-play log.
 * Each side slide shown is a record with `region: 'side'`; main's records have no region key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type PlanAt, PlayerLoop } from '../../device/playback/player-loop.js';
import { PlayRecorder } from '../../device/proof-of-play/play-recorder.js';
import { ed25519Signer } from '../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../device/proof-of-play/sqlite-pop-log.js';
import { type Db, openDeviceDb } from '../../device/store/sqlite.js';
import { memoryLogger } from '../../platform/log.js';
import { isPopGapRecord, type PopRecord, verifyChain } from '../../protocol/proof-of-play.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import { MutableContentSource } from '../helpers/dir-content.js';
import { LANGS, layoutBundle, ZONE } from '../helpers/layout-bundle.js';
import { SITE } from '../helpers/player-bundle.js';
import { type Rig, startRig } from '../helpers/player-rig.js';
import { tempDir } from '../helpers/temp.js';

const SIDE_MS = 1500;

describe('proof of play of a side region', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let rig: Rig | undefined;
  let loop: PlayerLoop | undefined;
  let db: Db | undefined;
  afterEach(async () => {
    loop?.stop();
    await rig?.stop();
    db?.close();
    dir?.cleanup();
    loop = rig = db = dir = undefined;
  });

  it('records each side slide shown with region "side", main without a region, in one chain', async () => {
    dir = tempDir('gatecast-region-pop-');
    const bundle = layoutBundle(dir.path, 1, (m) => {
      m.playlists.push({
        id: 'side-pl',
        name: 'Side',
        entries: [
          { itemId: 'red', durationMs: SIDE_MS },
          { itemId: 'green', durationMs: SIDE_MS },
        ],
      } as never);
      m.layouts[0]!.regions = { ...m.layouts[0]!.regions, side: { playlistId: 'side-pl' } } as never;
    });
    const content = new MutableContentSource(bundle);
    rig = await startRig(content, dir.path, { width: 1280, height: 720, pageStallMs: 120_000 });
    const keys = generateKeyPairSync('ed25519');
    db = openDeviceDb(join(dir.path, 'device.db'), { synchronous: 'FULL' });
    const pop = new SqlitePopLog(db, ed25519Signer(keys.privateKey));
    pop.start();
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
    // The schedule has the layout's playlist on air for a minute (one text slide in main).
    const t0 = Date.now();
    const hello: PlannedItem = {
      startAt: t0,
      durationMs: 60_000,
      source: 'schedule',
      scheduleEntryId: 'day-hours',
      playlistId: 'day',
      itemId: 'hello',
      kind: 'text',
      language: 'vi',
      forLanguage: 'vi',
      transition: 'cut',
      fadeMs: 0,
    };
    const planAt: PlanAt = (at) => (at < t0 + 60_000 ? { current: hello } : {});
    loop = new PlayerLoop({
      surface: rig.surface,
      content,
      planAt,
      clock,
      gate: { name: 'Hà Tiên', languages: LANGS, timezone: ZONE },
      deviceId: 'ha-tien-1',
      log: memoryLogger(),
    });
    loop.onPlayed((e) => recorder.record(e));
    const sideStarted = (round: number) => (r: { type: string; slideId?: string; region?: string }) =>
      r.type === 'started' && r.region === 'side' && r.slideId?.endsWith(`#${round}`) === true;
    const third = rig.waitFor(sideStarted(2), 30_000);
    loop.start();
    const thirdStart = await third;
    // The stop cuts the third red short: a showing that has been on air a moment, not one stopped in
    // the very millisecond it began (a play of no length is not a play).
    const startedAt = thirdStart.type === 'started' ? thirdStart.actualStart : Date.now();
    await new Promise<void>((resolve) => {
      const check = () => (Date.now() >= startedAt + 300 ? resolve() : setTimeout(check, 20));
      check();
    });
    loop.stop();
    loop = undefined;

    const records = pop.readAfter(0, 100).filter((r): r is PopRecord => !isPopGapRecord(r));
    expect(verifyChain(pop.readAfter(0, 100), keys.publicKey)).toMatchObject({ ok: true, problems: [] });
    const side = records.filter((r) => r.region === 'side');
    const main = records.filter((r) => r.region === undefined);
    // red, green, then red again (cut by the stop): two whole plays and a partial one.
    expect(side.map((r) => [r.itemId, r.language, r.partial ?? false])).toEqual([
      ['red', 'vi', false],
      ['green', 'vi', false],
      ['red', 'vi', true],
    ]);
    for (const r of side) {
      expect(r).toMatchObject({
        playlistId: 'side-pl',
        source: 'schedule',
        scheduleEntryId: 'day-hours',
        bundleVersion: 1,
        screenOn: true,
      });
      expect(r.variantSha256).toBe(bundle.targets.get(`${SITE}/media/${r.itemId}.png`)!.sha256);
    }
    // Each whole side play was up for its slot, from one side switch to the next.
    expect(Math.abs(side[0]!.durationMs - SIDE_MS)).toBeLessThan(150);
    expect(side[1]!.actualStartAt).toBe(side[0]!.actualStartAt + side[0]!.durationMs);
    expect(side[2]!.durationMs).toBeLessThan(SIDE_MS);
    // Main: the text slide, cut by the stop, with no region key (it hashes as main's always did).
    expect(main.map((r) => [r.itemId, r.playlistId])).toEqual([['hello', 'day']]);
    expect(Object.keys(main[0]!)).not.toContain('region');
  }, 90_000);
});
