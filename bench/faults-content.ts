/**
 * `npm run bench -- faults-content`: the fault suite's scenarios of damaged files and of a clock far
 * ahead alone (bench/faults.ts runs them with the rest). The whole daemon runs in headless Chromium
 * against the demo server, through a link that can be cut and listened to.
 */
import {
  cpSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { DeviceHandle } from '../device/main.js';
import { createScheduleEngine } from '../protocol/schedule-engine.js';
import { publishFolder, sampleBundleDir } from '../sync-server/tuf/demo-repository.js';
import * as lib from './faults-lib.js';

const SG = 'kien-giang/ha-tien';
/** "At once": a damaged file is whole again within this (the periodic refresh is 15 minutes away). */
const REPAIR_MS = 30_000;

/**
 * Files of the bundle on air damaged while the screen plays: one changed in place (same size), one
 * truncated, one deleted. The page is then reloaded (a fresh document keeps no decoded copy, as
 * after Chromium's cache was cleared). Each file is refused rather than shown, set aside with an
 * event, fetched again at once (the truncated one resumed with a Range request) and shown again;
 * no proof-of-play record names a file's verified hash for a showing while other bytes stood under
 * that name (a wrong play).
 */
async function damagedFiles(dir: string, chromium: string): Promise<lib.Outcome> {
  const scenario = 'cached files damaged while playing';
  let rig: lib.Rig | undefined;
  let device: DeviceHandle | undefined;
  try {
    rig = await lib.startRig(dir, chromium, join(dir, 'device'));
    device = await lib.startScreenDaemon(rig.e.configPath);
    const d = device;
    if (!(await lib.onAir(d, 1))) return { scenario, held: false, what: 'bundle 1 not on air within 90 s' };
    // A short loop (two images in every language, 2 s each) brings every file on air within 16 s.
    const v2 = join(dir, 'v2');
    cpSync(sampleBundleDir(), v2, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(v2, 'bundle.json'), 'utf8'));
    manifest.playlists[0].entries = ['welcome', 'tourism'].map((itemId) => ({ itemId, durationMs: 2000 }));
    manifest.schedule.entries = [];
    writeFileSync(join(v2, 'bundle.json'), JSON.stringify(manifest));
    await publishFolder(rig.s.server.tuf!.drafts, {
      siteGroup: SG,
      folder: v2,
      approvers: rig.demo.keys.approvers,
    });
    if (!(await lib.onAir(d, 2))) return { scenario, held: false, what: 'bundle 2 not on air within 90 s' };
    await lib.sleep(3000);
    const tap = lib.tapRecords(d);
    const bundle = d.content.current()!;
    const files = [
      { how: 'changed in place', path: `${SG}/media/welcome/en.png`, item: 'welcome', language: 'en' },
      { how: 'truncated', path: `${SG}/media/tourism/km.png`, item: 'tourism', language: 'km' },
      { how: 'deleted', path: `${SG}/media/tourism/zh-Hans.png`, item: 'tourism', language: 'zh-Hans' },
    ].map((f) => ({ ...f, sha256: bundle.targets.get(f.path)!.sha256, file: bundle.filePath(f.path)! }));
    const damagedAt = Date.now();
    const fd = openSync(files[0]!.file, 'r+');
    writeSync(fd, Buffer.alloc(64, 0x33), 0, 64, 2000);
    closeSync(fd);
    truncateSync(files[1]!.file, Math.floor(bundle.targets.get(files[1]!.path)!.length / 2));
    rmSync(files[2]!.file);
    await d.daemon.reloadPage();
    const repairedAt = new Map<string, number>();
    await lib.until(() => {
      for (const f of files)
        if (!repairedAt.has(f.path) && lib.sha256File(f.file) === f.sha256)
          repairedAt.set(f.path, Date.now());
      return repairedAt.size === files.length;
    }, 60_000);
    const shownAgain = await lib.until(
      () =>
        files.every((f) =>
          tap.plays.some(
            (p) =>
              p.itemId === f.item && p.language === f.language && p.at > (repairedAt.get(f.path) ?? Infinity),
          ),
        ),
      40_000,
    );
    const tally = await lib.settle(tap, rig.serverDataDir, rig.e.deviceId, 60_000);
    const s = lib.stored(rig.serverDataDir, rig.e.deviceId);
    const unusable = tap.events.filter((e) => e.kind === 'content-file-unusable').length;
    const skipped = tap.events.filter((e) => e.kind === 'item-skipped').length;
    const notes: string[] = [];
    let wrong = 0;
    let held = true;
    for (const f of files) {
      const at = repairedAt.get(f.path);
      const fetches = rig.link.requests.filter(
        (r) => r.at >= damagedAt && r.path.endsWith(f.path.split('/').pop()!),
      );
      const bad = s.plays.filter(
        (p) =>
          p.variantSha256 === f.sha256 && p.actualStartAt >= damagedAt && p.actualStartAt < (at ?? Infinity),
      ).length;
      wrong += bad;
      const resumed = f.how !== 'truncated' || fetches.some((r) => r.range?.startsWith('bytes='));
      if (at === undefined || at - damagedAt > REPAIR_MS || !resumed) held = false;
      notes.push(
        `${f.how}: ${at === undefined ? 'NOT whole again within 60 s' : `whole again after ${lib.seconds(at - damagedAt)}`} (${fetches.map((r) => r.range ?? 'full').join(', ') || 'no fetch'}), ${bad} wrong play(s)`,
      );
    }
    held &&= shownAgain && unusable >= files.length && wrong === 0 && tally.silent === 0;
    return {
      scenario,
      held,
      what:
        `${notes.join('; ')}; ${unusable} file-unusable event(s), ${skipped} item(s) skipped, ${shownAgain ? 'all shown again' : 'NOT all shown again within 40 s'}; ` +
        `${lib.describeTally(tap, tally)}; dark not counted (the page reload is the set-up; a skipped item leaves the one before it up)`,
      lostRecords: tally.silent,
      wrongPlays: wrong,
    };
  } finally {
    await device?.stop();
    await rig?.stop();
  }
}

/**
 * The system clock far ahead of the last-known-good time with no link (a bad RTC or GPS, played by
 * storing the last-known-good time hours back: the host's clock is not touched). The screen plays
 * the playlist of the last-known-good time, not the future's; its records say 'unverified', and the
 * server flags them when the link is back.
 */
async function clockFarAhead(dir: string, chromium: string): Promise<lib.Outcome> {
  const scenario = 'clock far ahead, no link';
  let rig: lib.Rig | undefined;
  let device: DeviceHandle | undefined;
  try {
    const dataDir = join(dir, 'device');
    rig = await lib.startRig(dir, chromium, dataDir);
    device = await lib.startScreenDaemon(rig.e.configPath);
    if (!(await lib.onAir(device, 1)))
      return { scenario, held: false, what: 'bundle 1 not on air within 90 s' };
    const bundle = device.content.current()!;
    const gate = device.config.gate;
    await device.stop();
    device = undefined;
    await rig.link.down();
    // Hours back to a time whose playlist is not the one of now (the sample plays "night" 20:00-06:00).
    const engine = createScheduleEngine(bundle.manifest, gate);
    const now = Date.now();
    const playlistAt = (t: number) => engine.now(t).current?.playlistId;
    let aheadH = 2;
    while (aheadH < 24 && playlistAt(now - aheadH * 3600_000) === playlistAt(now)) aheadH++;
    const floor = now - aheadH * 3600_000;
    const expected = playlistAt(floor);
    writeFileSync(
      join(dataDir, 'time', 'last-known-good.json'),
      `${JSON.stringify({ v: 1, ms: floor, source: 'last-known-good' })}\n`,
    );
    device = await lib.startScreenDaemon(rig.e.configPath);
    const d = device;
    const tap = lib.tapRecords(d);
    const starts = lib.watchStarts(d);
    const status = d.clock.status();
    await lib.until(() => starts.length >= 3, 60_000);
    const offline = [...starts];
    const offlineUntil = Date.now();
    const dark = lib.darkBetween(offline, offlineUntil);
    await rig.link.up();
    const linked = await lib.until(() => d.clock.status() === 'server', 30_000);
    const tally = await lib.settle(tap, rig.serverDataDir, rig.e.deviceId, 60_000);
    const s = lib.stored(rig.serverDataDir, rig.e.deviceId);
    const offlinePlays = s.plays.filter((p) => p.actualStartAt < floor + (offlineUntil - now) + 60_000);
    const flagged = offlinePlays.filter((p) => p.clockStatus === 'unverified').length;
    const serverFlags = rig.s.server.registry.pop.clockUnverified(rig.e.deviceId).count;
    const playlists = [...new Set(offline.map((x) => x.playlistId))];
    const held =
      status === 'unverified' &&
      offline.length >= 3 &&
      playlists.length === 1 &&
      playlists[0] === expected &&
      offlinePlays.length > 0 &&
      flagged === offlinePlays.length &&
      serverFlags >= flagged &&
      tally.silent === 0 &&
      dark === 0;
    return {
      scenario,
      held,
      what:
        `system clock ${aheadH} h ahead of the last-known-good time: clock ${status}, ${offline.length} items on air from playlist ${playlists.join(', ') || 'none'} (the last-known-good time's: ${expected}; now's: ${playlistAt(now)}); ` +
        `${flagged} of ${offlinePlays.length} plays recorded offline flagged unverified, ${serverFlags} flagged by the server; ` +
        `link back: clock ${linked ? 'server' : d.clock.status()}; ${lib.describeTally(tap, tally)}; dark ${dark.toFixed(1)} s`,
      lostRecords: tally.silent,
      darkSeconds: dark,
    };
  } finally {
    await device?.stop();
    await rig?.stop();
  }
}

export const contentScenarios: lib.Scenario[] = [
  ['cached files damaged while playing', damagedFiles],
  ['clock far ahead, no link', clockFarAhead],
];

export default function faultsContent(): Promise<void> {
  return lib.runScenarios(contentScenarios);
}
