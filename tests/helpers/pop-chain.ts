/**
 * Proof-of-play chains for report tests. The hash here is a stand-in (SHA-256 over the fields and
 * prevHash) until the record format lands in protocol/; the signature is an HMAC with a per-device
 * test key, so a wrong signature is detectable.
 */
import { createHash, createHmac } from 'node:crypto';
import { linkedChainVerifier } from '../../sync-server/reports/chain-check.js';
import type { ProofOfPlayRecord, VerifyChain } from '../../sync-server/reports/types.js';

export type PlaySpec = Pick<ProofOfPlayRecord, 'itemId' | 'language' | 'actualStart' | 'durationMs'> &
  Partial<Pick<ProofOfPlayRecord, 'screenOn' | 'playlistId' | 'partial'>>;

export function recordHash(r: Omit<ProofOfPlayRecord, 'hash' | 'signature'>): string {
  return createHash('sha256')
    .update(
      [
        r.deviceId,
        r.seq,
        r.prevHash,
        r.itemId,
        r.playlistId,
        r.language,
        r.variantSha256,
        r.bundleVersion,
        r.scheduledStart,
        r.actualStart,
        r.durationMs,
        r.screenOn,
        ...(r.partial ? ['partial'] : []),
      ].join('|'),
    )
    .digest('hex');
}

const sign = (deviceId: string, hash: string) =>
  createHmac('sha256', `key-${deviceId}`).update(hash).digest('hex');

/** A valid chain for `deviceId` starting at `firstSeq`, one record per spec, in order. */
export function chain(deviceId: string, specs: readonly PlaySpec[], firstSeq = 1): ProofOfPlayRecord[] {
  let prevHash = '0'.repeat(64);
  return specs.map((s, i) => {
    const base = {
      deviceId,
      seq: firstSeq + i,
      prevHash,
      itemId: s.itemId,
      playlistId: s.playlistId ?? 'main',
      language: s.language,
      variantSha256: createHash('sha256').update(`${s.itemId}/${s.language}`).digest('hex'),
      bundleVersion: '12',
      scheduledStart: s.actualStart,
      actualStart: s.actualStart,
      durationMs: s.durationMs,
      screenOn: s.screenOn ?? true,
      ...(s.partial ? { partial: true } : {}),
    };
    const hash = recordHash(base);
    prevHash = hash;
    return { ...base, hash, signature: sign(deviceId, hash) };
  });
}

export const testVerifyChain: VerifyChain = linkedChainVerifier((r) => {
  const { hash, signature, ...rest } = r;
  if (recordHash(rest) !== hash) return 'edit';
  return sign(r.deviceId, hash) === signature ? 'ok' : 'signature';
});
