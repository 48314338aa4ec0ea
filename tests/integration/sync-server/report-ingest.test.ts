/**
 * Proof of play verified once, at ingest: a real device sends signed records over the real sync
 * link; the server stores each with its verdict. The report then trusts the stored signature verdict
 * and re-checks only what is cheap: a record with a bad signature is marked and not counted, a record
 * lost in transit shows as a gap, a record edited in the database after ingest is caught, and rows
 * stored before verification at ingest are verified by the report and their verdict stored.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { identityKeyPath } from '../../../device/identity.js';
import { popSourceOf } from '../../../device/proof-of-play/pop-source.js';
import { ed25519Signer, type PopSigner } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { REGISTRY_DB } from '../../../sync-server/main.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';
import { buildReportFrom } from '../../../sync-server/reports/service.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { popEntry } from '../../helpers/pop-entry.js';
import { enrolTestDevice, startPopSender, until } from '../../helpers/sync.js';
import { csvRows } from '../../helpers/csv.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const H = 3_600_000;
const day = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026 00:00 in Asia/Ho_Chi_Minh

describe('proof of play verified at ingest', () => {
  it('stores verdicts; the report marks bad signatures, gaps and later edits', async () => {
    const dir = tempFolder(cleanups, 'gc-report-ingest-');
    const s = await startServerWithUsers(cleanups, dir, { admin: 'admin', op: 'operator' });
    const base = s.base;

    const devDir = join(dir, 'device');
    const enrolled = await enrolTestDevice(s.api, base, devDir, 'arrivals-1');
    const deviceId = enrolled.deviceId;
    const db = openDeviceDb(join(devDir, 'device.db'), { synchronous: 'FULL' });
    // The device's own key, except for one record signed with another key (a tampered device).
    const own = ed25519Signer(readFileSync(identityKeyPath(devDir), 'utf8'));
    const stranger = generateKeyPairSync('ed25519').privateKey;
    let forge = false;
    const signer: PopSigner = {
      publicKey: own.publicKey,
      sign: (bytes) => (forge ? sign(null, bytes, stranger) : own.sign(bytes)),
    };
    const pop = new SqlitePopLog(db, signer);
    pop.start();
    const items = ['visa', 'hai-quan', 'visa', 'forged', 'visa', 'lost', 'hai-quan', 'visa'];
    items.forEach((itemId, i) => {
      forge = itemId === 'forged';
      pop.append(popEntry(deviceId, day + 8 * H + i * 10_000, { itemId }));
    });
    forge = false;
    // Record 6 never reaches the server: the device's store loses it before it is read.
    const LOST = 6;
    const all = popSourceOf(pop);
    startPopSender(cleanups, s.server, {
      deviceId,
      dataDir: devDir,
      db,
      source: {
        readAfter: (seq, limit) => all.readAfter(seq, limit).filter((r) => r.seq !== LOST),
        acknowledge: (upto) => all.acknowledge(upto),
      },
    });
    const registry = s.server.registry;
    await until(() => registry.ingest.countRecords(deviceId, 'pop') === items.length - 1, 10_000);

    // Stored with their verdicts: the forged one is kept (evidence) but marked; after the lost
    // record, the link to the record before is unknown.
    const stored = registry.pop.page(
      deviceId,
      { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, afterSeq: 0, lastSeq: 100 },
      100,
    );
    expect(stored.map((r) => [r.seq, r.verdict, r.linkOk])).toEqual([
      [1, 'ok', true],
      [2, 'ok', true],
      [3, 'ok', true],
      [4, 'bad-signature', true],
      [5, 'ok', true],
      [7, 'ok', null],
      [8, 'ok', true],
    ]);
    expect(s.server.hub.stats.popBadSignatures).toBe(1);
    const metrics = await (await fetch(`${s.server.url}/metrics`)).text();
    expect(metrics).toMatch(/^gatecast_pop_rejected_total 1$/m);
    expect(
      s.log.records.some(
        (r) => r.msg === 'proof-of-play record fails its check; stored and marked' && r.fields?.['seq'] === 4,
      ),
    ).toBe(true);

    const { cookie } = await apiLogin(base, 'op');
    const get = async (path: string) =>
      (await fetch(`${base}/api/reports?period=2026-Q1&lang=en&${path}`, { headers: { cookie } })).text();

    // The forged record is not a play; the lost one is a gap; the rest count.
    const plays = async () => csvRows(await get('format=csv')).map((r) => [r[4], Number(r[6])]);
    const device = async () => csvRows(await get('format=devices-data-csv'))[0]!;
    expect(await plays()).toEqual([
      ['hai-quan', 2],
      ['visa', 4],
    ]);
    let row = await device();
    expect(row[6]).toBe('6');
    expect(row.slice(-7, -5)).toEqual(['broken', 'signature@4 gap@6+1']);

    // Someone edits record 2 in the registry after ingest. The report reads the rollups, which say
    // what was checked when each record arrived; reading the records again (the re-audit's input)
    // catches the edit by the recomputed hash.
    const path = join(dir, 'server', REGISTRY_DB);
    const edit = new Database(path);
    try {
      const r = edit
        .prepare('SELECT payload FROM pop_records WHERE device_id = ? AND seq = 2')
        .get(deviceId) as { payload: string };
      edit
        .prepare('UPDATE pop_records SET payload = ? WHERE device_id = ? AND seq = 2')
        .run(JSON.stringify({ ...JSON.parse(r.payload), language: 'en' }), deviceId);
    } finally {
      edit.close();
    }
    row = await device();
    expect(row.slice(-7, -5)).toEqual(['broken', 'signature@4 gap@6+1']);
    const reread = async () => {
      const source = new RegistryReportSource(registry);
      const report = await buildReportFrom(source, {
        period: { kind: 'quarter', year: 2026, quarter: 1, basis: 'reporting' },
        lang: 'en',
        verifyChain: source.verifyChain,
        generatedAt: Date.now(),
        from: 'records',
      });
      return report.provinces[0]!.gates[0]!.devices[0]!;
    };
    let d = await reread();
    expect(d.chain.breaks.map((b) => `${b.kind}@${b.seq}`)).toEqual(['edit@2', 'signature@4', 'gap@6']);
    expect([d.plays, d.playsRejected]).toEqual([5, 2]);
    expect(d.playsByItem.map((c) => [c.itemId, c.plays])).toEqual([
      ['hai-quan', 1],
      ['visa', 4],
    ]);

    // Rows stored before verification at ingest (no verdict): the report verifies them itself,
    // marks the same breaks, and stores the verdicts it found.
    const legacy = new Database(path);
    try {
      legacy
        .prepare('UPDATE pop_records SET verdict = NULL, link_ok = NULL WHERE device_id = ?')
        .run(deviceId);
    } finally {
      legacy.close();
    }
    d = await reread();
    expect(d.plays).toBe(5); // the edited record 2 is marked and counts nowhere
    expect(d.chain.breaks.map((b) => `${b.kind}@${b.seq}`)).toEqual(['edit@2', 'signature@4', 'gap@6']);
    const after = registry.pop.page(
      deviceId,
      { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, afterSeq: 0, lastSeq: 100 },
      100,
    );
    expect(after.map((r) => [r.seq, r.verdict])).toEqual([
      [1, 'ok'],
      [2, 'ok'], // the signature is the device's; the edit is what the hash shows
      [3, 'ok'],
      [4, 'bad-signature'],
      [5, 'ok'],
      [7, 'ok'],
      [8, 'ok'],
    ]);

    // Read in bounded pages: the same records, in seq order, whatever the page size.
    const paged = await new RegistryReportSource(registry, 2).deviceData(
      deviceId,
      0,
      Number.MAX_SAFE_INTEGER,
    );
    expect(paged.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 7, 8]);
  }, 30_000);
});
