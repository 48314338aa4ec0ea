import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClock } from '../../protocol/clock.js';
import { TufRepository } from '../../sync-server/tuf/repository.js';
import { tempDir } from '../helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../helpers/tuf-repo.js';

const SG = 'kien-giang/ha-tien';
const HOUR = 3600_000;
const DAY = 24 * HOUR;

function timestampOnDisk(r: TufRepoFixture) {
  return JSON.parse(readFileSync(join(r.dir, 'metadata', 'timestamp.json'), 'utf8')).signed as {
    version: number;
    expires: string;
    meta: Record<string, { version: number }>;
  };
}

describe('online metadata re-signing', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of cleanups.splice(0)) await c();
  });

  it('re-signs timestamp at half its lifetime and snapshot at half of its own, never needlessly', async () => {
    const clock = fakeClock(Date.now());
    const r = await startTufRepo({ clock, serve: false, files: { [`${SG}/a.txt`]: Buffer.from('a') } });
    cleanups.push(r.close);
    const start = r.repo.versions();

    clock.advance(11 * HOUR);
    expect(await r.repo.refreshOnlineMetadata()).toMatchObject({ snapshot: false, timestamp: false });
    expect(r.repo.versions().timestamp).toBe(start.timestamp);

    clock.advance(2 * HOUR); // 13 h: less than half of the 24 h timestamp lifetime left
    expect(await r.repo.refreshOnlineMetadata()).toMatchObject({ snapshot: false, timestamp: true });
    const ts = timestampOnDisk(r);
    expect(ts.version).toBe(start.timestamp + 1);
    expect(Date.parse(ts.expires)).toBe(Math.floor((clock.now() + DAY) / 1000) * 1000);
    expect(ts.meta['snapshot.json']!.version).toBe(start.snapshot);
    expect(await r.repo.refreshOnlineMetadata()).toMatchObject({ timestamp: false });

    clock.advance(3 * DAY); // 3 d 13 h: less than half of the 7-day snapshot lifetime left
    const res = await r.repo.refreshOnlineMetadata();
    expect(res).toMatchObject({ snapshot: true, timestamp: true });
    expect(r.repo.versions().snapshot).toBe(start.snapshot + 1);
    expect(timestampOnDisk(r).meta['snapshot.json']!.version).toBe(start.snapshot + 1);

    // A repository re-opened from disk sees the same state (timestamp.json is the commit point).
    const again = await new TufRepository({ dir: r.dir, clock }).open();
    expect(again.versions()).toEqual(r.repo.versions());
  });

  it('keeps a client refreshing when the clock passes the first timestamp expiry', async () => {
    const expiries = { timestampMs: 10_000, snapshotMs: 60_000 };
    const clock = fakeClock(Date.now() - 9_000); // signed 9 s ago: 1 s left
    const r = await startTufRepo({ clock, expiries, files: { [`${SG}/a.txt`]: Buffer.from('a') } });
    cleanups.push(r.close);
    clock.set(Date.now());
    expect((await r.repo.refreshOnlineMetadata()).timestamp).toBe(true);
    const c = tempDir('gatecast-tufclient-');
    cleanups.push(c.cleanup);
    mkdirSync(join(c.path, 'md'));
    copyFileSync(r.rootPath, join(c.path, 'md', 'root.json'));
    const u = new Updater({
      metadataDir: join(c.path, 'md'),
      metadataBaseUrl: r.metadataUrl,
      targetBaseUrl: r.targetsUrl,
    });
    await u.refresh();
    expect(await u.getTargetInfo(`${SG}/a.txt`)).toBeDefined();
  });

  it('start() re-signs on its own timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date('2026-11-22T00:00:00Z'));
    const clock = { now: () => Date.now() };
    const r = await startTufRepo({ clock, serve: false });
    cleanups.push(r.close);
    const v0 = r.repo.versions().timestamp;
    r.repo.start(HOUR);
    await vi.advanceTimersByTimeAsync(11 * HOUR);
    await r.repo.stop();
    expect(r.repo.versions().timestamp).toBe(v0);
    r.repo.start(HOUR);
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    await r.repo.stop();
    expect(r.repo.versions().timestamp).toBe(v0 + 1);
  });
});
