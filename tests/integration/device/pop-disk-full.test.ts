/**
 * Proof of play on a full disk, on a real tmpfs with the real SQLite files: plays the database
 * refuses wait in memory and reach the chain once the disk has room; plays pushed out of the full
 * buffer, or still in memory when the process ended, become one signed gap record with their count
 * and times. The real server ingests the chain, gap included, with an 'ok' verdict and no quarantine.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityKeyPath } from '../../../device/identity.js';
import { Outbox } from '../../../device/outbox/outbox.js';
import { BufferedPopLog, PopJournalFile } from '../../../device/proof-of-play/pop-buffer.js';
import { popSourceOf } from '../../../device/proof-of-play/pop-source.js';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { readStoredPop, SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import type { Timers } from '../../../device/timers.js';
import { systemClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { HealthReport } from '../../../protocol/messages.js';
import { type PopEntry, verifyChain } from '../../../protocol/proof-of-play.js';
import { smallDisk } from '../../helpers/small-disk.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { popEntry } from '../../helpers/pop-entry.js';
import { enrolTestDevice, startPopSender, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const T0 = Date.parse('2026-03-01T01:00:00Z');

/** A 16 MiB tmpfs in a temp folder (unmounted and removed after the test): the data disk to fill. */
function smallDataDisk(prefix: string): { dir: string; path: string } {
  const dir = tempDir(prefix);
  cleanups.push(dir.cleanup);
  const disk = smallDisk(dir.path, 16 * 1024 * 1024);
  if ('unavailable' in disk) throw new Error(disk.unavailable);
  cleanups.push(() => disk.unmount());
  return { dir: dir.path, path: disk.path };
}

/** The device database on a small data disk, closed after the test. */
function deviceDbOnSmallDisk(prefix: string) {
  const disk = smallDataDisk(prefix);
  const db = openDeviceDb(join(disk.path, 'device.db'), { synchronous: 'FULL' });
  cleanups.push(() => {
    db.close();
  });
  return { disk, db };
}

/** Timers fired by hand: the retry's back-off is checked, never waited for. */
class HandTimers implements Timers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  fire(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.fn();
  }
}

const play = (deviceId: string, i: number): PopEntry =>
  popEntry(deviceId, T0 + i * 10_000, { bundleVersion: 3, itemId: `item-${i}` });

/** Fills the filesystem of `dir` up to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const chunk = Buffer.alloc(64 * 1024, 1);
  writeFileSync(filler, '');
  for (;;) {
    try {
      writeFileSync(filler, chunk, { flag: 'a' });
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOSPC') break;
      throw err;
    }
  }
  for (const size of [4096, 512, 64, 1]) {
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(size, 1), { flag: 'a' });
    } catch {
      // full at this size: try smaller writes
    }
  }
  return filler;
}

describe('proof of play on a full disk', () => {
  it('keeps refused plays in memory, writes them once the disk has room, and declares the ones it could not keep', async () => {
    const disk = smallDataDisk('gc-pop-full-');

    const s = await startServer(disk.dir);
    cleanups.push(() => s.server.stop());
    const devDir = join(disk.dir, 'device');
    const { deviceId } = await enrolTestDevice(s.api, s.server.url, devDir, 'arrivals-1');
    const signer = ed25519Signer(readFileSync(identityKeyPath(devDir), 'utf8'));
    const log = memoryLogger('device');
    const timers = new HandTimers();

    let db = openDeviceDb(join(disk.path, 'device.db'), { synchronous: 'FULL' });
    let pop = new SqlitePopLog(db, signer);
    pop.start();
    const open = (d: typeof db, p: SqlitePopLog) =>
      new BufferedPopLog(p, {
        deviceId,
        journal: new PopJournalFile(join(disk.path, 'pop-unsaved.json')),
        maxRecords: 3,
        retryMaxMs: 60_000,
        timers,
        log,
      });
    let buffered = open(db, pop);
    buffered.start();
    for (let i = 1; i <= 2; i++) buffered.append(play(deviceId, i));
    expect(buffered.state().waiting).toBe(0);

    // The disk fills up: plays 3–7 are refused; the buffer holds 3, so 3 and 4 are pushed out.
    const filler = fill(disk.path);
    for (let i = 3; i <= 7; i++) buffered.append(play(deviceId, i));
    const full = buffered.state();
    expect(full).toMatchObject({
      waiting: 3,
      lost: { count: 2, fromAt: T0 + 30_000, toAt: T0 + 50_000, reason: 'buffer-full' },
    });
    expect(full.error).toMatch(/SQLITE_FULL|SQLITE_IOERR|ENOSPC/);
    // A retry is armed with a back-off, not a busy loop.
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([expect.any(Number)]);
    expect([...timers.pending.values()][0]!.ms).toBeGreaterThanOrEqual(1000);
    timers.fire(); // still full: the next retry waits longer
    expect([...timers.pending.values()][0]!.ms).toBeGreaterThanOrEqual(2000);
    expect(buffered.state().waiting).toBe(3);

    // Room again: the retry writes the gap, then plays 5–7, in one transaction.
    rmSync(filler);
    timers.fire();
    expect(buffered.state()).toEqual({ waiting: 0 });
    expect(timers.pending.size).toBe(0);

    // Full again, and the process ends with plays 8–9 in memory (the object is simply dropped, as a
    // kill would): the next start declares them from the journal as soon as it can write.
    const filler2 = fill(disk.path);
    for (let i = 8; i <= 9; i++) buffered.append(play(deviceId, i));
    expect(buffered.state().waiting).toBe(2);
    db.close();
    rmSync(filler2);
    db = openDeviceDb(join(disk.path, 'device.db'), { synchronous: 'FULL' });
    pop = new SqlitePopLog(db, signer);
    pop.start();
    buffered = open(db, pop);
    buffered.start();
    buffered.append(play(deviceId, 10));
    // A later start finds nothing more to declare.
    const again = open(db, pop);
    again.start();
    again.stop();

    const chain = readStoredPop(db);
    const report = verifyChain(chain, signer.publicKey);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const shape = (chain as Record<string, unknown>[]).map((r) =>
      r['kind'] === 'gap' ? `gap ${r['count']} ${r['reason']}` : r['itemId'],
    );
    expect(shape).toEqual([
      'item-1',
      'item-2',
      'gap 2 buffer-full',
      'item-5',
      'item-6',
      'item-7',
      'gap 2 process-ended',
      'item-10',
    ]);
    expect(report.declaredGaps).toEqual([
      expect.objectContaining({ seq: 3, count: 2, fromAt: T0 + 30_000, toAt: T0 + 50_000 }),
      expect.objectContaining({ seq: 7, count: 2, fromAt: T0 + 80_000, toAt: T0 + 100_000 }),
    ]);

    // The server stores the whole chain, the gaps with an 'ok' verdict, nothing in quarantine.
    startPopSender(cleanups, s.server, { deviceId, dataDir: devDir, db, source: popSourceOf(pop) });
    const registry = s.server.registry;
    await until(() => registry.ingest.countRecords(deviceId, 'pop') === 8, 10_000);
    const stored = registry.pop.page(
      deviceId,
      { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, afterSeq: 0, lastSeq: 100 },
      100,
    );
    expect(stored.map((r) => [r.seq, r.verdict, r.linkOk])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((seq) => [seq, 'ok', true]),
    );
    expect(registry.ingest.listQuarantined(deviceId)).toEqual([]);
  });

  it('keeps refused health samples and events in memory and tells the ones it could not keep', () => {
    const { disk, db } = deviceDbOnSmallDisk('gc-health-full-');
    const timers = new HandTimers();
    const outbox = new Outbox(db, systemClock, memoryLogger('outbox'), undefined, undefined, {
      maxRecords: 2,
      retryMaxMs: 60_000,
      timers,
    });
    outbox.start();
    const sample = (i: number): HealthReport => ({
      at: T0 + i * 30_000,
      appVersion: '1.0.0',
      uptimeS: i * 30,
      cpuTempC: 50,
      load1: null,
      load5: null,
      memTotalBytes: null,
      memAvailableBytes: null,
      diskTotalBytes: null,
      diskFreeBytes: null,
      throttling: null,
      storage: { ext4ErrorsCount: null, rootReadOnly: null },
      display: 'on',
      currentItem: null,
      currentLanguage: null,
      bundle: { installedVersion: null, latestVersion: null, lastSuccessfulUpdateAt: null },
      clockOffsetMs: null,
      browserMemoryBytes: null,
      network: null,
    });
    outbox.appendHealth(sample(1));
    const filler = fill(disk.path);
    for (let i = 2; i <= 6; i++) {
      outbox.appendHealth(sample(i));
      outbox.appendEvent({ at: T0 + i * 30_000, kind: 'test', level: 'info', message: `event ${i}` });
    }
    expect(outbox.unsavedCounts()).toEqual({ health: 2, event: 2 });
    expect(timers.pending.size).toBe(2);
    rmSync(filler);
    timers.fire();
    expect(outbox.unsavedCounts()).toEqual({ health: 0, event: 0 });

    const health = outbox.pending('health', 0, 100, 1e9)!.records.map((r) => HealthReport.parse(r.payload));
    expect(health.map((h) => h.at)).toEqual([T0 + 30_000, T0 + 150_000, T0 + 180_000]);
    // Samples 2–4 were pushed out of the full buffer: the first sample written after says so.
    expect(health[1]!.storage.samplesLost).toMatchObject({
      count: 3,
      fromAt: T0 + 60_000,
      toAt: T0 + 120_000,
    });
    expect(health[2]!.storage.samplesLost).toBeUndefined();
    const events = outbox.pending('event', 0, 100, 1e9)!.records.map((r) => r.payload as { kind: string });
    expect(events.map((e) => e.kind)).toEqual(['events-lost', 'test', 'test']);
    expect(events[0]).toMatchObject({ data: { count: 3, fromAt: T0 + 60_000, toAt: T0 + 120_000 } });
    outbox.stop();
  });

  it('takes an acknowledgement the full disk refuses without throwing, and writes it with the next one', () => {
    const { disk, db } = deviceDbOnSmallDisk('gc-ack-full-');
    const log = memoryLogger('outbox');
    const outbox = new Outbox(db, systemClock, log);
    outbox.start();
    for (let i = 1; i <= 40; i++)
      outbox.appendEvent({
        at: T0 + i,
        kind: 'test',
        level: 'info',
        message: `event ${i} ${'x'.repeat(2000)}`,
      });
    const filler = fill(disk.path);
    // The delete of acknowledged rows needs room in the WAL: refused (SQLITE_FULL) on a full disk.
    expect(() => outbox.acknowledge('event', 30)).not.toThrow();
    expect(log.records.map((r) => r.msg)).toContain(
      'acknowledgement kept in memory: the data disk refused it',
    );
    expect(outbox.ackedSeq('event')).toBe(30);
    expect(outbox.pending('event', 0, 100, 1e9)!.records.map((r) => r.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => 31 + i),
    );
    rmSync(filler);
    outbox.acknowledge('event', 35);
    expect(outbox.stats().event).toMatchObject({ ackedSeq: 35, rows: 5 });
  });
});
