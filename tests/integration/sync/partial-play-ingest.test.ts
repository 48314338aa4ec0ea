/**
 * A partial play (an item cut short, `partial: true`) reaches the server like any play: a real
 * device's signed chain over the real sync link, stored with its verdict, never quarantined, and
 * with the field kept as the device sent it (a whole play still has none).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityKeyPath } from '../../../device/identity.js';
import { popSourceOf } from '../../../device/proof-of-play/pop-source.js';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { popEntry } from '../../helpers/pop-entry.js';
import { enrolTestDevice, startPopSender, startTempServer, until } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

describe('partial plays at ingest', () => {
  it('stores a record with partial: true as a verified play, not in quarantine', async () => {
    const s = await startTempServer(cleanups, 'gc-partial-ingest-');
    const devDir = tempFolder(cleanups, 'gc-partial-device-');
    const { deviceId } = await enrolTestDevice(s.api, s.server.url, devDir, 'arrivals-1');
    const db = openDeviceDb(join(devDir, 'device.db'), { synchronous: 'FULL' });
    const pop = new SqlitePopLog(db, ed25519Signer(readFileSync(identityKeyPath(devDir), 'utf8')));
    pop.start();
    const at = Date.parse('2026-03-02T01:00:00Z');
    pop.append(popEntry(deviceId, at));
    pop.append(popEntry(deviceId, at + 10_000, { durationMs: 3200, partial: true }));
    startPopSender(cleanups, s.server, { deviceId, dataDir: devDir, db, source: popSourceOf(pop) });

    const registry = s.server.registry;
    await until(() => registry.ingest.countRecords(deviceId, 'pop') === 2, 10_000);
    expect(registry.ingest.listQuarantined(deviceId)).toEqual([]);
    const stored = registry.pop.page(
      deviceId,
      { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, afterSeq: 0, lastSeq: 10 },
      10,
    );
    expect(stored.map((r) => [r.seq, r.verdict, r.linkOk])).toEqual([
      [1, 'ok', true],
      [2, 'ok', true],
    ]);
    const payloads = stored.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
    expect(payloads[0]).not.toHaveProperty('partial');
    expect(payloads[1]).toMatchObject({ partial: true, durationMs: 3200 });
  });
});
