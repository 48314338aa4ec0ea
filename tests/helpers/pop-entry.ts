/** Proof-of-play entries and signed chains of them, as a device writes and sends them. */
import { type KeyObject, sign } from 'node:crypto';
import {
  POP_GENESIS_HASH,
  type PopBody,
  type PopEntry,
  type PopRecord,
  popHash,
  popSigningBytes,
} from '../../protocol/proof-of-play.js';

/**
 * `deviceId`'s play of 'visa' in Vietnamese at Hà Tiên, started at `at` as scheduled, for 10 s, with
 * the screen on and the clock set by NTP; `over` sets what a test varies.
 */
export function popEntry(deviceId: string, at: number, over: Partial<PopEntry> = {}): PopEntry {
  return {
    deviceId,
    siteGroup: 'kien-giang/ha-tien',
    bundleVersion: 12,
    itemId: 'visa',
    playlistId: 'main',
    scheduleEntryId: null,
    source: 'schedule',
    language: 'vi',
    forLanguage: over.language ?? 'vi',
    variantSha256: null,
    scheduledStartAt: at,
    actualStartAt: at,
    durationMs: 10_000,
    screenOn: true,
    clockStatus: 'ntp',
    ...over,
  };
}

/** `entries` as a linked chain from seq 1, each record signed with `key` as the device signs it. */
export function signedPopChain(entries: PopEntry[], key: KeyObject): PopRecord[] {
  let prevHash = POP_GENESIS_HASH;
  return entries.map((entry, i) => {
    const body: PopBody = { v: 1, seq: i + 1, prevHash, ...entry };
    const hash = popHash(body);
    prevHash = hash;
    return { ...body, hash, signature: sign(null, popSigningBytes(hash), key).toString('base64') };
  });
}
