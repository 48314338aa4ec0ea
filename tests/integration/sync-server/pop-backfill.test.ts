/**
 * Rows stored before verification at ingest (a registry from before migration registry-reports-2)
 * are verified once by the background backfill, on a real registry file with real device keys.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../platform/log.js';
import {
  POP_GENESIS_HASH,
  type PopBody,
  type PopRecord,
  popHash,
  popSigningBytes,
} from '../../../protocol/proof-of-play.js';
import { PopVerdictBackfill } from '../../../sync-server/ingest/pop-backfill.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { openTempRegistry } from '../../helpers/registry.js';

const cleanups = cleanupsAfterEach();

function signedChain(deviceId: string, n: number, key: ReturnType<typeof generateKeyPairSync>['privateKey']) {
  let prevHash = POP_GENESIS_HASH;
  return Array.from({ length: n }, (_, i): PopRecord => {
    const body: PopBody = {
      v: 1,
      seq: i + 1,
      prevHash,
      deviceId,
      siteGroup: 'kien-giang/ha-tien',
      bundleVersion: 1,
      itemId: 'visa',
      playlistId: 'main',
      scheduleEntryId: null,
      source: 'schedule',
      language: 'vi',
      forLanguage: 'vi',
      variantSha256: null,
      scheduledStartAt: 1000 * i,
      actualStartAt: 1000 * i,
      durationMs: 1000,
      screenOn: true,
      clockStatus: 'ntp',
    };
    const hash = popHash(body);
    prevHash = hash;
    return { ...body, hash, signature: sign(null, popSigningBytes(hash), key).toString('base64') };
  });
}

const all = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, afterSeq: 0, lastSeq: 100 };

describe('proof-of-play verdict backfill', () => {
  it('verifies every row stored without a verdict, once, chunk by chunk', async () => {
    const { registry } = openTempRegistry(cleanups, 'gc-pop-backfill-');
    const keys = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    registry.devices.add({
      id: 'd1',
      siteGroup: 'kien-giang/ha-tien',
      screenName: 's1',
      publicKey: keys.publicKey.export({ format: 'jwk' }).x!,
      nowMs: 0,
    });
    // A device whose stored key is not a usable Ed25519 key: its records cannot be verified.
    registry.devices.add({
      id: 'd2',
      siteGroup: 'kien-giang/ha-tien',
      screenName: 's2',
      publicKey: '!',
      nowMs: 0,
    });
    const c = signedChain('d1', 5, keys.privateKey);
    c[2] = {
      ...c[2]!,
      signature: sign(null, popSigningBytes(c[2]!.hash), other.privateKey).toString('base64'),
    };
    const payloads: unknown[] = [...c.slice(0, 3), { junk: true }, c[4]];
    // Stored as before verification at ingest: no verdicts given.
    registry.ingest.storeBatches([
      {
        deviceId: 'd1',
        stream: 'pop',
        fromSeq: 1,
        records: payloads.map((payload, i) => ({ seq: i + 1, at: 1000 * i, payload })),
      },
      {
        deviceId: 'd2',
        stream: 'pop',
        fromSeq: 1,
        records: signedChain('d2', 2, keys.privateKey).map((payload, i) => ({
          seq: i + 1,
          at: 1000 * i,
          payload,
        })),
      },
    ]);
    expect(registry.pop.page('d1', all, 100).map((r) => r.verdict)).toEqual([null, null, null, null, null]);

    const log = memoryLogger('backfill');
    const backfill = new PopVerdictBackfill(registry, log, 2);
    expect(await backfill.start()).toBe(7);
    expect(registry.pop.page('d1', all, 100).map((r) => r.verdict)).toEqual([
      'ok',
      'ok',
      'bad-signature',
      'malformed',
      'ok',
    ]);
    expect(registry.pop.page('d2', all, 100).map((r) => r.verdict)).toEqual([
      'bad-signature',
      'bad-signature',
    ]);
    expect(log.records.some((r) => r.msg === 'proof-of-play verdict backfill done')).toBe(true);
    // Nothing left: a second pass reads nothing.
    expect(new PopVerdictBackfill(registry, log, 2).runChunk()).toBe(0);
  });

  it('stops between chunks and leaves the rest for later', async () => {
    const { registry } = openTempRegistry(cleanups, 'gc-pop-backfill-stop-');
    const keys = generateKeyPairSync('ed25519');
    registry.devices.add({
      id: 'd1',
      siteGroup: 'kien-giang/ha-tien',
      screenName: 's1',
      publicKey: keys.publicKey.export({ format: 'jwk' }).x!,
      nowMs: 0,
    });
    const c = signedChain('d1', 6, keys.privateKey);
    registry.ingest.storeBatches([
      {
        deviceId: 'd1',
        stream: 'pop',
        fromSeq: 1,
        records: c.map((payload) => ({ seq: payload.seq, at: 0, payload })),
      },
    ]);
    const backfill = new PopVerdictBackfill(registry, memoryLogger('backfill'), 2);
    const done = backfill.start();
    await backfill.stop();
    expect(await done).toBe(0);
    expect(registry.pop.page('d1', all, 100).every((r) => r.verdict === null)).toBe(true);
    // Another pass later (the next server start) does the work.
    expect(await new PopVerdictBackfill(registry, memoryLogger('backfill'), 4).start()).toBe(6);
    expect(registry.pop.page('d1', all, 100).every((r) => r.verdict === 'ok')).toBe(true);
  });
});
