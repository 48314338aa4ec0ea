/**
 * `npm run bench -- faults-disk`: the fault suite's full-data-disk scenarios alone (bench/faults.ts
 * runs them with the rest). The screen's data folder is a small tmpfs (root only; skipped with the
 * reason printed otherwise); the whole daemon runs in headless Chromium against the demo server.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BlobStore } from '../device/content/blob-store.js';
import type { DeviceHandle } from '../device/main.js';
import { publishFolder, sampleBundleDir } from '../sync-server/tuf/demo-repository.js';
import { type SmallDisk, smallDisk } from '../tests/helpers/small-disk.js';
import {
  darkBetween,
  describeTally,
  fillDisk,
  onAir,
  type Outcome,
  type Rig,
  runScenarios,
  type Scenario,
  seconds,
  settle,
  sleep,
  startRig,
  startScreenDaemon,
  stored,
  tapRecords,
  until,
  watchStarts,
} from './faults-lib.js';

const MiB = 1024 * 1024;
/** How long a runaway writer keeps the disk full in the first scenario. */
const HOLD_FULL_MS = 20_000;
/** "At once": the disk fault is told (event and health sample) within this of the disk filling up. */
const AT_ONCE_MS = 2000;
/** A start on a full disk may take this much longer than a normal start before it counts as dark. */
const START_SLACK_MS = 5000;

const partialBytes = (dataDir: string): number => {
  const dir = new BlobStore(join(dataDir, 'content')).partialDir;
  return existsSync(dir) ? readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0) : 0;
};

/**
 * Runs `body` with the screen's data folder on a tmpfs of `sizeBytes` (skipped where it cannot be
 * mounted) and the demo server; `on` starts and stops the screen's daemon; all is undone after.
 */
async function onSmallDisk(
  dir: string,
  chromium: string,
  scenario: string,
  sizeBytes: number,
  body: (c: {
    disk: SmallDisk;
    dataDir: string;
    rig: Rig;
    on: { start(): Promise<DeviceHandle>; stop(): Promise<void> };
  }) => Promise<Outcome>,
): Promise<Outcome> {
  const disk = smallDisk(dir, sizeBytes);
  if ('unavailable' in disk) return { scenario, held: `skipped: ${disk.unavailable}`, what: '' };
  const dataDir = join(disk.path, 'data');
  let rig: Rig | undefined;
  let device: DeviceHandle | undefined;
  const on = {
    start: async () => (device = await startScreenDaemon(rig!.e.configPath)),
    stop: async () => {
      await device?.stop();
      device = undefined;
    },
  };
  try {
    rig = await startRig(dir, chromium, dataDir);
    return await body({ disk, dataDir, rig, on });
  } finally {
    await on.stop();
    await rig?.stop();
    disk.unmount();
  }
}

/** A second publication whose clip is `clipBytes` long (the sample's clip, padded). */
async function publishBigClip(dir: string, rig: Rig, clipBytes: number) {
  const v2 = join(dir, 'v2');
  cpSync(sampleBundleDir(), v2, { recursive: true });
  const clip = join(v2, 'media', 'gate-clip.mp4');
  appendFileSync(clip, randomBytes(Math.max(0, clipBytes - statSync(clip).size)));
  return publishFolder(rig.s.server.tuf!.drafts, {
    siteGroup: 'kien-giang/ha-tien',
    folder: v2,
    approvers: rig.demo.keys.approvers,
  });
}

/**
 * The data disk fills up while a download runs (something else on it writes until no byte is left,
 * and goes on doing so for a while): the partial download is dropped, the fault is told at once
 * (event and health sample), proof of play and health wait in memory and reach the server once
 * there is room again, or are declared lost in the chain; the screen keeps playing.
 */
function diskFillsDuringDownload(dir: string, chromium: string): Promise<Outcome> {
  const scenario = 'data disk fills during a download';
  return onSmallDisk(dir, chromium, scenario, 128 * MiB, async ({ disk, dataDir, rig, on }) => {
    const d = await on.start();
    if (!(await onAir(d, 1))) return { scenario, held: false, what: 'bundle 1 not on air within 90 s' };
    const tap = tapRecords(d);
    const starts = watchStarts(d);
    // Most of the room above the reserve (10 %), fetched at 3 MB/s: the download lasts.
    const clipBytes = disk.freeBytes() - 13 * MiB - 24 * MiB;
    rig.link.throttleBytesPerS = 3 * MiB;
    await publishBigClip(dir, rig, clipBytes);
    if (!(await until(() => partialBytes(dataDir) > 8 * MiB, 60_000)))
      return { scenario, held: false, what: 'the download did not start within 60 s' };
    const filler = join(disk.path, 'runaway.log');
    const fullAt = Date.now();
    const partialAtFull = partialBytes(dataDir);
    await fillDisk(filler);
    const faulted = await until(() => d.update?.status().diskFault !== undefined, 15_000);
    const partialAfter = partialBytes(dataDir);
    const code = d.update?.status().diskFault?.code ?? 'none';
    while (Date.now() - fullAt < HOLD_FULL_MS) {
      await fillDisk(filler); // what the dropped partial gave back is taken again
      await sleep(250);
    }
    rmSync(filler);
    rig.link.throttleBytesPerS = 0;
    const tally = await settle(tap, rig.serverDataDir, rig.e.deviceId, 60_000);
    const dark = darkBetween(starts, Date.now());
    const s = stored(rig.serverDataDir, rig.e.deviceId);
    const event = s.events.find((e) => e.kind === 'disk-full' && e.at >= fullAt);
    const sample = s.healthDiskFault.find((at) => at >= fullAt);
    const eventAtOnce = event !== undefined && event.at - fullAt <= AT_ONCE_MS;
    const sampleAtOnce = sample !== undefined && sample - fullAt <= AT_ONCE_MS;
    const held =
      faulted && partialAfter === 0 && eventAtOnce && sampleAtOnce && tally.silent === 0 && dark === 0;
    return {
      scenario,
      held,
      what:
        `${(clipBytes / MiB).toFixed(0)} MiB download, disk filled at ${(partialAtFull / MiB).toFixed(0)} MiB: ` +
        `${faulted ? code : 'NO fault'}, partial ${partialAfter === 0 ? 'dropped' : `KEPT (${partialAfter} bytes)`}; ` +
        `event ${event ? `after ${seconds(event.at - fullAt)}` : 'NONE'}, health field ${sample !== undefined ? `after ${seconds(sample - fullAt)}` : 'NONE'}; ` +
        `disk kept full ${seconds(HOLD_FULL_MS)}: ${describeTally(tap, tally)}; ${starts.length} items started, dark ${dark.toFixed(1)} s`,
      lostRecords: tally.silent,
      darkSeconds: dark,
    };
  });
}

/**
 * A power cut left the data disk full (a partial download took the last byte): the daemon starts
 * all the same, shows what is installed as soon as a normal start does, and reports the fault.
 */
function startOnFullDisk(dir: string, chromium: string): Promise<Outcome> {
  const scenario = 'start-up on a full data disk';
  const firstFrameAfter = async (d: DeviceHandle, t0: number) =>
    (await until(() => d.daemon.status().lastPlayed !== undefined, 90_000))
      ? d.daemon.status().lastPlayed!.actualStart - t0
      : undefined;
  return onSmallDisk(dir, chromium, scenario, 96 * MiB, async ({ disk, dataDir, rig, on }) => {
    let t0 = Date.now();
    const first = await on.start();
    const normal = await firstFrameAfter(first, t0);
    if (normal === undefined || !(await onAir(first, 1)))
      return { scenario, held: false, what: 'bundle 1 not on air within 90 s' };
    await on.stop();
    const partial = new BlobStore(join(dataDir, 'content')).partialPath('f'.repeat(64));
    mkdirSync(join(partial, '..'), { recursive: true });
    await fillDisk(partial);
    const freeBefore = disk.freeBytes();
    t0 = Date.now();
    let d: DeviceHandle;
    try {
      d = await on.start();
    } catch (err) {
      return { scenario, held: false, what: `the daemon did not start: ${(err as Error).message}` };
    }
    const tap = tapRecords(d);
    const full = await firstFrameAfter(d, t0);
    const version = d.content.current()?.version;
    const deviceId = rig.e.deviceId;
    const serverDir = rig.serverDataDir;
    const reported = await until(
      () => stored(serverDir, deviceId).events.some((e) => e.kind === 'disk-full' && e.at >= t0),
      30_000,
    );
    await sleep(10_000); // plays and health samples after the start, to account for
    const tally = await settle(tap, serverDir, deviceId, 60_000);
    const late = full === undefined ? 90_000 : full - normal;
    const dark = late > START_SLACK_MS ? late / 1000 : 0;
    return {
      scenario,
      held: full !== undefined && version === 1 && reported && tally.silent === 0 && dark === 0,
      what:
        `${freeBefore} bytes free at start: ${full === undefined ? 'NOTHING on air within 90 s' : `bundle ${version} on air ${seconds(full)} after start (normal start ${seconds(normal)})`}; ` +
        `fault ${reported ? 'reported (disk-full event at the server)' : 'NOT reported'}; ${describeTally(tap, tally)}`,
      lostRecords: tally.silent,
      darkSeconds: dark,
    };
  });
}

export const diskScenarios: Scenario[] = [
  ['data disk fills during a download', diskFillsDuringDownload],
  ['start-up on a full data disk', startOnFullDisk],
];

export default function faultsDisk(): Promise<void> {
  return runScenarios(diskScenarios);
}
