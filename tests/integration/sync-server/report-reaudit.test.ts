/**
 * A re-audit of the stored proof of play: started through the API by an operator, it verifies every
 * stored record again from its raw row in the background, and the report says what it found — a row
 * edited in the database after ingest is caught and named — or that it was re-verified on a date;
 * records stored after it started are not claimed re-verified.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { identityKeyPath } from '../../../device/identity.js';
import { popSourceOf } from '../../../device/proof-of-play/pop-source.js';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { REGISTRY_DB } from '../../../sync-server/main.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { parseCsv } from '../../helpers/csv.js';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { popEntry } from '../../helpers/pop-entry.js';
import { enrolTestDevice, startPopSender, until } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';
import { systemClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { reauditStore } from '../../../sync-server/registry/reaudit-store.js';
import { Reauditor, ReauditRunningError } from '../../../sync-server/reports/reaudit.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';

const cleanups = cleanupsAfterEach();

const H = 3_600_000;
const day = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026 00:00 in Asia/Ho_Chi_Minh

interface ReauditAnswer {
  reaudit: {
    id: number;
    status: string;
    percent: number;
    done: number;
    total: number;
    etaMs: number | null;
    problems: Record<string, number>;
    differ: number;
    differList: { deviceId: string; seq: number; atIngest: string; now: string }[];
    finishedAt: string | null;
  } | null;
}

async function rig() {
  const dir = tempFolder(cleanups, 'gc-reaudit-');
  const s = await startServerWithUsers(cleanups, dir, { admin: 'admin', op: 'operator', viewer: 'viewer' });
  const devDir = join(dir, 'device');
  const { deviceId } = await enrolTestDevice(s.api, s.base, devDir, 'arrivals-1');
  const db = openDeviceDb(join(devDir, 'device.db'), { synchronous: 'FULL' });
  const pop = new SqlitePopLog(db, ed25519Signer(readFileSync(identityKeyPath(devDir), 'utf8')));
  pop.start();
  let n = 0;
  const sender: { client?: { syncNow(): Promise<void> } } = {};
  const append = async (count: number) => {
    for (let i = 0; i < count; i++, n++)
      pop.append(popEntry(deviceId, day + 8 * H + n * 10_000, { itemId: 'visa' }));
    await sender.client?.syncNow();
  };
  await append(6);
  sender.client = startPopSender(cleanups, s.server, {
    deviceId,
    dataDir: devDir,
    db,
    source: popSourceOf(pop),
  });
  const registry = s.server.registry;
  await until(() => registry.ingest.countRecords(deviceId, 'pop') === 6, 10_000);
  const op = await apiLogin(s.base, 'op');
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown, who = op) =>
    fetch(`${s.base}${path}`, {
      method,
      headers: {
        cookie: who.cookie,
        'x-csrf-token': who.csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const report = async (format: string) =>
    (await api('GET', `/api/reports?period=2026-Q1&lang=en&format=${format}`)).text();
  const reauditToEnd = async (body: unknown = {}) => {
    const started = await api('POST', '/api/reports/reaudit', body);
    expect(started.status).toBe(202);
    const first = ((await started.json()) as ReauditAnswer).reaudit!;
    expect([first.status, first.percent, first.done]).toEqual(['running', 0, 0]);
    let last: NonNullable<ReauditAnswer['reaudit']> = first;
    await until(async () => {
      last = ((await (await api('GET', '/api/reports/reaudit')).json()) as ReauditAnswer).reaudit!;
      return last.status !== 'running';
    });
    return { first, last };
  };
  return {
    s,
    dir,
    deviceId,
    registry,
    append,
    api,
    report,
    reauditToEnd,
    registryPath: join(dir, 'server', REGISTRY_DB),
  };
}

describe('re-audit of the stored proof of play', () => {
  it('finds a row edited after ingest, and the report says so', async () => {
    const r = await rig();
    expect(await r.report('html')).toContain('never re-verified since receipt');
    // Someone edits record 2 in the registry after ingest.
    const edit = new Database(r.registryPath);
    try {
      const row = edit
        .prepare('SELECT payload FROM pop_records WHERE device_id = ? AND seq = 2')
        .get(r.deviceId) as { payload: string };
      edit
        .prepare('UPDATE pop_records SET payload = ? WHERE device_id = ? AND seq = 2')
        .run(JSON.stringify({ ...JSON.parse(row.payload), language: 'en' }), r.deviceId);
    } finally {
      edit.close();
    }
    const { first, last } = await r.reauditToEnd();
    expect(first.total).toBe(6);
    expect(last).toMatchObject({ status: 'done', percent: 100, done: 6, total: 6, differ: 1 });
    expect(last.problems).toEqual({ edit: 1 });
    expect(last.differList).toEqual([
      { deviceId: r.deviceId, seq: 2, at: expect.any(Number), atIngest: 'ok', now: 'edit' },
    ]);

    const html = await r.report('html');
    expect(html).toMatch(
      /Re-verified on [^:]+: 6 records \(the whole registry\); found: 1 altered record; 1 record judged differently than on receipt/,
    );
    expect(html).toContain(`record 2: on receipt “ok”, now “edit”`);
    // The chain column, from what was checked on receipt, says the re-audit found a record changed.
    expect(html).toContain('1 record is no longer as checked on receipt (changed since)');
    const people = parseCsv(await r.report('devices-csv'));
    expect(people[0]!.at(-1)).toContain('1 altered record');
    expect(people[1]!.at(-1)).toContain('no longer as checked on receipt');
    const vi = await (await r.api('GET', '/api/reports?period=2026-Q1&lang=vi&format=html')).text();
    expect(vi).toContain('1 bản ghi có kết quả khác khi nhận');
  }, 30_000);

  it('says re-verified with the date after a clean re-audit, but not for records stored after it', async () => {
    const r = await rig();
    // A viewer may follow the re-audit but not start it.
    const viewer = await apiLogin(r.s.base, 'viewer');
    expect((await r.api('POST', '/api/reports/reaudit', {}, viewer)).status).toBe(403);
    expect((await r.api('POST', '/api/reports/reaudit', { period: 'nope' })).status).toBe(400);
    expect(((await (await r.api('GET', '/api/reports/reaudit')).json()) as ReauditAnswer).reaudit).toBeNull();

    const { last } = await r.reauditToEnd({ period: '2026-Q1' });
    expect(last).toMatchObject({ status: 'done', percent: 100, done: 6, differ: 0, problems: {} });
    let html = await r.report('html');
    expect(html).toMatch(
      /Re-verified on \d\d\/\d\d\/2026[^:]*: 6 records \(period 2026-Q1\), no problems; agrees with what was checked on receipt/,
    );
    expect(html).toMatch(
      /6 records: hashes, chain links and signatures re-verified on \d\d\/\d\d\/2026[^;]*; no break/,
    );
    expect(html).not.toContain('not re-verified since');

    // Records stored after the re-audit started are not covered: the chain column says on receipt.
    await r.append(2);
    await until(() => r.registry.ingest.countRecords(r.deviceId, 'pop') === 8, 10_000);
    html = await r.report('html');
    expect(html).toContain(
      '8 records: hashes, chain links and signatures checked on receipt (not re-verified since); no break',
    );
    expect(html).toMatch(/Re-verified on [^:]+: 6 records \(period 2026-Q1\), no problems/);
    // One at a time: a second start while one runs is refused... none runs now, so cancel is refused.
    expect((await r.api('POST', '/api/reports/reaudit/cancel')).status).toBe(409);
  }, 30_000);

  it('runs in chunks with progress between them, and goes on from its cursor after a stop', async () => {
    const r = await rig();
    const store = r.registry.featureStore(reauditStore);
    const source = new RegistryReportSource(r.registry);
    const make = () =>
      new Reauditor({
        store,
        keyOf: (id) => source.deviceKey(id),
        clock: systemClock,
        log: memoryLogger('reaudit'),
        chunkRecords: 2,
      });
    const first = make();
    first.start({ startedBy: 'op', period: null, fromMs: null, toMs: null });
    expect(first.progress()).toMatchObject({ percent: 0, etaMs: null });
    await new Promise<void>((resolve) => setImmediate(resolve)); // one chunk
    const mid = first.progress()!;
    expect([mid.run.status, mid.run.done, mid.percent]).toEqual(['running', 2, 33]);
    expect(mid.etaMs).not.toBeNull();
    first.stop();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(first.progress()!.run.done).toBe(2); // stopped: nothing more done
    // Another start is refused while it runs; a new runner (a restart) goes on from the cursor.
    expect(() => make().start({ startedBy: 'op', period: null, fromMs: null, toMs: null })).toThrow(
      ReauditRunningError,
    );
    const second = make();
    second.resume();
    await until(() => second.progress()!.run.status === 'done');
    expect(second.progress()).toMatchObject({
      percent: 100,
      run: { done: 6, total: 6, differ: 0, counts: {} },
    });
  }, 30_000);
});
