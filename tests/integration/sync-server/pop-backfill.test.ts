/**
 * Rows stored before verification at ingest (a registry from before migration registry-reports-2)
 * are verified once by the background backfill, on a real registry file with real device keys.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../platform/log.js';
import { popSigningBytes } from '../../../protocol/proof-of-play.js';
import { PopVerdictBackfill } from '../../../sync-server/ingest/pop-backfill.js';
import type { Registry } from '../../../sync-server/registry/registry.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { popEntry, signedPopChain } from '../../helpers/pop-entry.js';
import { openTempRegistry } from '../../helpers/registry.js';

const cleanups = cleanupsAfterEach();

/** `n` plays of `deviceId`, one a second from 0, 1 s each, in bundle 1, signed with `key`. */
function signedChain(deviceId: string, n: number, key: KeyObject) {
  const plays = Array.from({ length: n }, (_, i) =>
    popEntry(deviceId, 1000 * i, { bundleVersion: 1, durationMs: 1000 }),
  );
  return signedPopChain(plays, key);
}

/** Registers screen `id` at Hà Tiên with `publicKey` (the JWK `x` of its Ed25519 key, or junk). */
function addDevice(registry: Registry, id: string, screenName: string, publicKey: string) {
  registry.devices.add({ id, siteGroup: 'kien-giang/ha-tien', screenName, publicKey, nowMs: 0 });
}

const all = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, afterSeq: 0, lastSeq: 100 };

describe('proof-of-play verdict backfill', () => {
  it('verifies every row stored without a verdict, once, chunk by chunk', async () => {
    const { registry } = openTempRegistry(cleanups, 'gc-pop-backfill-');
    const keys = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    addDevice(registry, 'd1', 's1', keys.publicKey.export({ format: 'jwk' }).x!);
    // A device whose stored key is not a usable Ed25519 key: its records cannot be verified.
    addDevice(registry, 'd2', 's2', '!');
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
    addDevice(registry, 'd1', 's1', keys.publicKey.export({ format: 'jwk' }).x!);
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
