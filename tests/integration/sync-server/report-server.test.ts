/**
 * Reports in the running server: a real device's signed proof-of-play records delivered over the
 * real sync link, then the quarterly report downloaded by a logged-in operator; a record edited in
 * the registry shows as a break; the PDF comes from Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { identityKeyPath } from '../../../device/identity.js';
import { popSourceOf } from '../../../device/proof-of-play/pop-source.js';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';
import { buildReportFrom } from '../../../sync-server/reports/service.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { REGISTRY_DB } from '../../../sync-server/main.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { PASSWORD, startServerWithUsers } from '../../helpers/dashboard.js';
import { popEntry } from '../../helpers/pop-entry.js';
import { enrolTestDevice, GATE, startPopSender, until } from '../../helpers/sync.js';
import { csvRows } from '../../helpers/csv.js';
import { tempDir, tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const H = 3_600_000;
const day = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026 00:00 in Asia/Ho_Chi_Minh

describe('reports in the running server', () => {
  it('counts a real device chain, marks an edited record and prints a PDF', async () => {
    const dir = tempFolder(cleanups, 'gc-report-srv-');
    const s = await startServerWithUsers(cleanups, dir, { admin: 'admin', op: 'operator' });
    const base = s.base;

    // A device enrolled through the API, writing real signed records with its identity key.
    const devDir = join(dir, 'device');
    const enrolled = await enrolTestDevice(s.api, base, devDir, 'arrivals-1');
    const db = openDeviceDb(join(devDir, 'device.db'), { synchronous: 'FULL' });
    const pop = new SqlitePopLog(db, ed25519Signer(readFileSync(identityKeyPath(devDir), 'utf8')));
    pop.start();
    const plays: [string, string, boolean][] = [
      ['visa', 'vi', true],
      ['visa', 'km', true],
      ['visa', 'vi', true],
      ['hai-quan', 'en', true],
      ['visa', 'vi', false], // screen off: not a play
      ['hai-quan', 'en', true],
      ['visa', 'vi', true],
    ];
    plays.forEach(([itemId, language, screenOn], i) =>
      pop.append(popEntry(enrolled.deviceId, day + 8 * H + i * 10_000, { itemId, language, screenOn })),
    );
    startPopSender(cleanups, s.server, {
      deviceId: enrolled.deviceId,
      dataDir: devDir,
      db,
      source: popSourceOf(pop),
    });
    await until(
      () => s.server.registry.ingest.countRecords(enrolled.deviceId, 'pop') === plays.length,
      10_000,
    );

    // Reports need a session with the report action; the ops bearer token does not open them.
    const q = '/api/reports?period=2026-Q1&lang=en';
    expect((await fetch(`${base}${q}&format=csv`)).status).toBe(401);
    const login = await fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'op', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const get = (path: string) => fetch(`${base}${path}`, { headers: { cookie } });

    // The dashboard links to the reports form, which sends a GET to /api/reports.
    expect(await (await get('/dashboard')).text()).toContain('href="/dashboard/reports"');
    const form = await (await get('/dashboard/reports')).text();
    expect(form).toContain('action="/api/reports"');
    expect(form).toContain(`<option value="${GATE.siteGroup}">${GATE.name}</option>`);
    expect(form).toContain('Tạo báo cáo'); // Vietnamese by default

    // The form's "all gates" sends an empty gate: no filter.
    const csv = await get(`${q}&format=csv&gate=&basis=calendar`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const counted = csvRows(await csv.text()).map((r) => [r[3], r[4], r[5], Number(r[6])]);
    // Expected from the records themselves: screen-on plays per item and language.
    const expected = new Map<string, number>();
    for (const [item, lang, on] of plays)
      if (on) expected.set(`${item}|${lang}`, (expected.get(`${item}|${lang}`) ?? 0) + 1);
    expect(counted).toEqual(
      [...expected.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, n]) => [enrolled.deviceId, ...k.split('|'), n]),
    );
    const devices = csvRows(await (await get(`${q}&format=devices-data-csv`)).text());
    expect(devices).toHaveLength(1);
    expect(devices[0]![0]).toBe('kien-giang'); // province: first segment of the site group
    expect(devices[0]![6]).toBe('6');
    expect(devices[0]!.slice(-7, -5)).toEqual(['ok', '']);

    // Someone edits a stored record: the item of play 3 changed in the registry's copy.
    const reg = new Database(join(dir, 'server', REGISTRY_DB));
    try {
      const row = reg
        .prepare('SELECT payload FROM pop_records WHERE device_id = ? AND seq = 3')
        .get(enrolled.deviceId) as { payload: string };
      const edited = { ...JSON.parse(row.payload), itemId: 'hai-quan' };
      reg
        .prepare('UPDATE pop_records SET payload = ? WHERE device_id = ? AND seq = 3')
        .run(JSON.stringify(edited), enrolled.deviceId);
    } finally {
      reg.close();
    }
    // The report reads the rollups (what was checked when each record arrived); reading the stored
    // records again, as the re-audit does, finds the edit.
    const after = csvRows(await (await get(`${q}&format=devices-data-csv`)).text());
    expect(after[0]!.slice(-7, -5)).toEqual(['ok', '']);
    const source = new RegistryReportSource(s.server.registry);
    const reread = await buildReportFrom(source, {
      period: { kind: 'quarter', year: 2026, quarter: 1, basis: 'reporting' },
      lang: 'en',
      verifyChain: source.verifyChain,
      generatedAt: Date.now(),
      from: 'records',
    });
    const d = reread.provinces[0]!.gates[0]!.devices[0]!;
    expect(d.chain.breaks.map((b) => `${b.kind}@${b.seq}`)).toEqual(['edit@3']);

    // The printable report, through Chromium.
    const pdf = await get(`${q}&format=pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('%PDF');
  }, 30_000);
});

describe('link session history', () => {
  it('records connects and disconnects, and closes open sessions at last seen on restart', async () => {
    const dir = tempDir('gc-report-sess-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, REGISTRY_DB);
    const reg = new Registry(path);
    reg.open();
    reg.devices.add({ id: 'd1', siteGroup: GATE.siteGroup, screenName: 's', publicKey: 'k1', nowMs: 0 });
    reg.devices.setOnline('d1', true, 100);
    reg.devices.setOnline('d1', false, 200);
    reg.devices.setOnline('d1', true, 300);
    reg.devices.setLastSeen([['d1', 450]]);
    expect(reg.devices.sessions('d1', 0, 1000)).toEqual([
      { from: 100, to: 200 },
      { from: 300, to: null },
    ]);
    expect(reg.devices.sessions('d1', 200, 250)).toEqual([]);
    await reg.close();
    // The server stopped without a goodbye: the open session ends when the device was last heard.
    const again = new Registry(path);
    again.open();
    again.devices.markAllOffline();
    expect(again.devices.sessions('d1', 0, 1000)).toEqual([
      { from: 100, to: 200 },
      { from: 300, to: 450 },
    ]);
    await again.close();
  });
});
