import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../../device/outbox/outbox.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { SqlitePopSource } from '../../helpers/pop-source.js';
import { healthAt } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function open(limits = { maxRows: 1000, maxBytes: 1e9 }) {
  const d = tempDir('gc-outbox-');
  dirs.push(d);
  const db = openDeviceDb(join(d.path, 'device.db'));
  const log = memoryLogger();
  const clock = fakeClock();
  const pop = new SqlitePopSource(db);
  const outbox = new Outbox(db, clock, log, limits, pop);
  outbox.start();
  return { db, outbox, pop, log, clock, path: d.path };
}

describe('device outbox', () => {
  it('numbers records per stream, keeps them until acked, and survives reopening', () => {
    const o = open();
    expect(o.outbox.appendHealth(healthAt(1))).toBe(1);
    expect(o.outbox.appendHealth(healthAt(2))).toBe(2);
    expect(o.outbox.appendEvent({ at: 3, kind: 'k', level: 'info', message: 'm' })).toBe(1);
    const slice = o.outbox.pending('health', 0, 100, 1e6)!;
    expect(slice.fromSeq).toBe(1);
    expect(slice.records.map((r) => r.seq)).toEqual([1, 2]);
    o.outbox.acknowledge('health', 1);
    o.db.close();
    const db = openDeviceDb(join(o.path, 'device.db'));
    const again = new Outbox(db, o.clock, o.log, undefined, new SqlitePopSource(db));
    again.start();
    expect(again.pending('health', 0, 100, 1e6)!.records.map((r) => r.seq)).toEqual([2]);
    expect(again.appendHealth(healthAt(4))).toBe(3);
    expect(again.stats().health).toMatchObject({ rows: 2, ackedSeq: 1 });
    db.close();
  });

  it('replaces event data beyond the protocol bounds (too deep or too long) with a marker', () => {
    const o = open();
    const deep = JSON.parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}`) as unknown;
    o.outbox.appendEvent({ at: 1, kind: 'k', level: 'warn', message: 'deep', data: { deep } });
    o.outbox.appendEvent({
      at: 2,
      kind: 'k',
      level: 'warn',
      message: 'long',
      data: { s: 'x'.repeat(70_000) },
    });
    o.outbox.appendEvent({ at: 3, kind: 'k', level: 'info', message: 'fine', data: { a: [{ b: 1 }] } });
    const sent = o.outbox.pending('event', 0, 100, 1e7)!.records.map((r) => r.payload);
    expect(sent).toMatchObject([
      { message: 'deep', data: { truncated: true } },
      { message: 'long', data: { truncated: true } },
      { message: 'fine', data: { a: [{ b: 1 }] } },
    ]);
  });

  it('under pressure drops the oldest health first, events next, PoP last, and reports each drop', () => {
    const o = open({ maxRows: 10, maxBytes: 1e9 });
    for (let i = 0; i < 4; i++) o.pop.record(`item-${i}`, i);
    for (let i = 0; i < 3; i++) o.outbox.appendEvent({ at: i, kind: 'k', level: 'info', message: `e${i}` });
    for (let i = 0; i < 3; i++) o.outbox.appendHealth(healthAt(i));
    expect(o.outbox.stats().health.droppedRecords).toBe(0);
    // 10 rows held; each new health sample pushes out the oldest health sample.
    o.outbox.appendHealth(healthAt(10));
    let st = o.outbox.stats();
    expect(st.health.droppedRecords).toBe(1);
    expect(o.outbox.pending('health', 0, 100, 1e6)!.fromSeq).toBe(2);
    expect(st.pop.droppedRecords).toBe(0);
    // Keep adding health: health goes first, then the events (including drop reports), PoP last.
    for (let i = 0; i < 30; i++) o.outbox.appendHealth(healthAt(20 + i));
    st = o.outbox.stats();
    expect(st.pop.droppedRecords).toBe(0);
    expect(st.health.droppedRecords).toBeGreaterThan(0);
    const drops = o.log.records.filter((r) => r.msg === 'outbox full: dropped oldest records');
    expect(drops.length).toBeGreaterThan(0);
    const reports =
      o.outbox
        .pending('event', 0, 1000, 1e9)
        ?.records.map((r) => r.payload as { kind: string; data: { stream: string } }) ?? [];
    expect(reports.some((p) => p.kind === 'outbox-dropped' && p.data.stream === 'health')).toBe(true);
    // The PoP records are untouched while there is health or event data to drop.
    expect(o.pop.stats().rows).toBe(4);
  });

  it('drops PoP only when nothing else is left to drop', () => {
    const o = open({ maxRows: 3, maxBytes: 1e9 });
    for (let i = 0; i < 6; i++) o.pop.record(`item-${i}`, i);
    const reports = o.outbox.enforceLimits();
    expect(reports).toEqual([{ stream: 'pop', count: 3, bytes: 600, firstSeq: 1, lastSeq: 3 }]);
    expect(o.pop.readAfter(0, 10).map((r) => r.seq)).toEqual([4, 5, 6]);
    expect(o.outbox.stats().pop.droppedRecords).toBe(3);
    const slice = o.outbox.pending('pop', 0, 10, 1e6)!;
    expect(slice.fromSeq).toBe(4); // the gap is declared to the server
    const ev = o.outbox.pending('event', 0, 10, 1e6)!.records[0]!.payload as { kind: string; level: string };
    expect(ev).toMatchObject({ kind: 'outbox-dropped', level: 'error' });
  });
});
