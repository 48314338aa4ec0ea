/**
 * Plays of a layout's side and footer regions (PopEntry.region), from a real device's signed chain
 * over the real sync link: stored as genuine records, and counted in the report per region — listed
 * apart from main's plays, never added to the screen's plays or time on air — whether the report
 * reads the rollups kept at ingest or the stored records.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityKeyPath } from '../../../device/identity.js';
import { popSourceOf } from '../../../device/proof-of-play/pop-source.js';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';
import { buildReportFrom } from '../../../sync-server/reports/service.js';
import { reportsTexts } from '../../../sync-server/reports/texts.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { csvRows } from '../../helpers/csv.js';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { popEntry } from '../../helpers/pop-entry.js';
import { enrolTestDevice, startPopSender, until } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const H = 3_600_000;
const day = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026 00:00 in Asia/Ho_Chi_Minh

describe('proof of play per layout region', () => {
  it('stores side and footer plays as genuine records and counts them apart from main', async () => {
    const dir = tempFolder(cleanups, 'gc-report-regions-');
    const s = await startServerWithUsers(cleanups, dir, { admin: 'admin', op: 'operator' });
    const devDir = join(dir, 'device');
    const { deviceId } = await enrolTestDevice(s.api, s.base, devDir, 'arrivals-1');
    const db = openDeviceDb(join(devDir, 'device.db'), { synchronous: 'FULL' });
    const pop = new SqlitePopLog(db, ed25519Signer(readFileSync(identityKeyPath(devDir), 'utf8')));
    pop.start();
    const at = day + 8 * H;
    // Main shows visa for a minute while the side region loops map and visa, and the footer logo.
    pop.append(popEntry(deviceId, at, { durationMs: 60_000 }));
    for (let i = 0; i < 6; i++)
      pop.append(
        popEntry(deviceId, at + i * 10_000, {
          itemId: i % 2 ? 'visa' : 'map',
          playlistId: 'side-pl',
          region: 'side',
          ...(i === 5 ? { durationMs: 4_000, partial: true as const } : {}),
        }),
      );
    pop.append(popEntry(deviceId, at, { itemId: 'logo', playlistId: 'footer-pl', region: 'footer' }));
    startPopSender(cleanups, s.server, { deviceId, dataDir: devDir, db, source: popSourceOf(pop) });
    const registry = s.server.registry;
    await until(() => registry.ingest.countRecords(deviceId, 'pop') === 8, 10_000);

    // Genuine records of the device, the region signed with the rest.
    const stored = registry.pop.page(
      deviceId,
      { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, afterSeq: 0, lastSeq: 100 },
      100,
    );
    expect(stored.map((r) => r.verdict)).toEqual(Array(8).fill('ok'));
    expect(stored.map((r) => (JSON.parse(r.payload) as { region?: string }).region ?? 'main')).toEqual([
      'main',
      'side',
      'side',
      'side',
      'side',
      'side',
      'side',
      'footer',
    ]);

    // The report from the rollups: one line per item, language and region; the screen's plays are main's.
    const { cookie } = await apiLogin(s.base, 'op');
    const get = async (path: string) =>
      (await fetch(`${s.base}/api/reports?period=2026-Q1&lang=en&${path}`, { headers: { cookie } })).text();
    const csv = csvRows(await get('format=csv'));
    const expected = [
      ['logo', 'footer', 1, 0],
      ['map', 'side', 3, 0],
      ['visa', 'main', 1, 0],
      ['visa', 'side', 2, 1],
    ];
    expect(csv.map((r) => [r[4], r[10], Number(r[6]), Number(r[8])])).toEqual(expected);
    const device = csvRows(await get('format=devices-data-csv'))[0]!;
    expect(device[6]).toBe('1'); // plays: main's one, not the region plays beside it
    const page = await get('format=html');
    expect(page).toContain(`<td data-region="side">${reportsTexts.text('en', 'region.side')}</td>`);

    // The same from the stored records.
    const source = new RegistryReportSource(registry);
    const report = await buildReportFrom(source, {
      period: { kind: 'quarter', year: 2026, quarter: 1, basis: 'reporting' },
      lang: 'en',
      verifyChain: source.verifyChain,
      generatedAt: Date.now(),
      from: 'records',
    });
    const d = report.provinces[0]!.gates[0]!.devices[0]!;
    expect([d.plays, d.playsPartial, d.onAirMs]).toEqual([1, 0, 60_000]);
    expect(
      d.playsByItem.map((c) => [c.itemId, c.region ?? 'main', c.plays, c.playsPartial, c.onAirPartialMs]),
    ).toEqual([
      ['logo', 'footer', 1, 0, 0],
      ['map', 'side', 3, 0, 0],
      ['visa', 'main', 1, 0, 0],
      ['visa', 'side', 2, 1, 4_000],
    ]);
  }, 60_000);
});
