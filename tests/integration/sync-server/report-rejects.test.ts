/**
 * Records that fail a check of their own — a payload that no longer matches its hash, a record that
 * claims another screen or another site group — are kept as evidence and listed apart, never
 * counted in a total. The registry is the server's real SQLite file; the report comes from the
 * server's report route.
 */
import { generateKeyPairSync } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PopEntry, PopRecord } from '../../../protocol/proof-of-play.js';
import { checkPopBatch } from '../../../sync-server/ingest/pop-ingest.js';
import { devicePublicKey } from '../../../sync-server/reports/registry-source.js';
import { csvRows } from '../../helpers/csv.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { popEntry, signedPopChain } from '../../helpers/pop-entry.js';
import { GATE } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';

const H = 3_600_000;
const day = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026 00:00 in Asia/Ho_Chi_Minh
const DEVICE = 'arrivals-1';

/** Signed, linked records for DEVICE, one a minute from 08:00, 30 s each; `claim` changes what a record says about itself before it is signed. */
function signedChain(
  key: import('node:crypto').KeyObject,
  specs: { itemId: string; language: string; claim?: Partial<PopEntry> }[],
): PopRecord[] {
  return signedPopChain(
    specs.map((s, i) =>
      popEntry(DEVICE, day + 8 * H + i * 60_000, {
        itemId: s.itemId,
        language: s.language,
        durationMs: 30_000,
        ...s.claim,
      }),
    ),
    key,
  );
}

describe('report totals leave out records that fail their own checks', () => {
  const cleanups = cleanupsAfterEach();
  let s: Awaited<ReturnType<typeof startServerWithUsers>>;

  beforeEach(async () => {
    const dir = tempFolder(cleanups, 'gc-report-rejects-');
    s = await startServerWithUsers(cleanups, dir, { admin: 'admin', viewer: 'viewer' });
  });

  it('counts only the good records and marks the tampered, other-screen and other-gate ones with their reason', async () => {
    const keys = generateKeyPairSync('ed25519');
    const x = keys.publicKey.export({ format: 'jwk' }).x!;
    const registry = s.server.registry;
    registry.devices.add({
      id: DEVICE,
      siteGroup: GATE.siteGroup,
      screenName: 'Sảnh đến 1',
      publicKey: x,
      nowMs: day,
    });
    const records = signedChain(keys.privateKey, [
      { itemId: 'visa', language: 'vi' },
      { itemId: 'visa', language: 'en' },
      { itemId: 'hai-quan', language: 'vi' }, // tampered below
      { itemId: 'visa', language: 'vi', claim: { deviceId: 'departures-2' } },
      { itemId: 'hai-quan', language: 'vi', claim: { siteGroup: 'lao-cai/lao-cai' } },
      { itemId: 'hai-quan', language: 'vi' },
    ]);
    // Record 3 is edited after signing: longer on air, in another language; hash and signature kept.
    const tampered = { ...records[2]!, durationMs: 3_600_000, language: 'en' };
    const payloads = [records[0]!, records[1]!, tampered, records[3]!, records[4]!, records[5]!];
    const batch = payloads.map((p) => ({ seq: p.seq, at: p.actualStartAt, payload: p as unknown }));
    const { verdicts } = checkPopBatch(batch, devicePublicKey(x));
    // Every signature is the device's own: only the report's own checks can catch these.
    expect([...verdicts.values()]).toEqual(Array(6).fill('ok'));
    registry.ingest.storeBatches([
      { deviceId: DEVICE, stream: 'pop', fromSeq: 1, records: batch, popVerdicts: verdicts },
    ]);

    const { cookie } = await apiLogin(s.server.url, 'viewer');
    const get = async (query: string) => {
      const res = await fetch(`${s.server.url}/api/reports?period=2026-Q1&lang=en&${query}`, {
        headers: { cookie },
      });
      expect(res.status).toBe(200);
      return res.text();
    };

    const plays = csvRows(await get('format=csv')).map((r) => [r[4], r[5], Number(r[6]), Number(r[7])]);
    // Good: visa/vi (1), visa/en (2), hai-quan/vi (6); 30 s each.
    expect(plays).toEqual([
      ['hai-quan', 'vi', 1, 0.01],
      ['visa', 'en', 1, 0.01],
      ['visa', 'vi', 1, 0.01],
    ]);
    const [device] = csvRows(await get('format=devices-data-csv'));
    expect(device!.slice(6, 10)).toEqual(['3', '3', 'edit@3 device@4 site-group@5', '0.03']);

    const page = await get('format=html');
    expect(page).toContain('Records left out of every total');
    const rowOf = (seq: number) =>
      page.match(new RegExp(`data-rejected-seq="${seq}"[\\s\\S]*?</tr>`))?.[0] ?? '';
    expect(rowOf(3)).toContain('Record altered');
    expect(rowOf(4)).toContain('Claims another screen');
    expect(rowOf(5)).toContain('Claims another border gate');
    expect(rowOf(1) + rowOf(2) + rowOf(6)).toBe('');
  });
});
