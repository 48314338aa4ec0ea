/**
 * TUF metadata documents as values: their lifetimes, their bytes on disk, building snapshot and
 * timestamp, signing, and counting the signatures that verify. Nothing here touches the disk.
 */
import { createHash } from 'node:crypto';
import {
  type Key,
  Metadata,
  MetadataKind,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from '@tufjs/models';
import type { SigningKey } from '../../platform/tuf-keys.js';
import { RepoError, SignatureRejectedError, ThresholdError } from './errors.js';

const DAY_MS = 24 * 3600 * 1000;

/** How long each role's metadata stays valid after it is signed. */
export interface Expiries {
  rootMs: number;
  targetsMs: number;
  /** Delegated (site group) roles: approvers re-sign at least this often. */
  roleMs: number;
  snapshotMs: number;
  timestampMs: number;
}

export const DEFAULT_EXPIRIES: Expiries = {
  rootMs: 365 * DAY_MS,
  targetsMs: 365 * DAY_MS,
  roleMs: 365 * DAY_MS,
  snapshotMs: 7 * DAY_MS,
  timestampMs: 1 * DAY_MS,
};

/** Offline roles this close to expiry are reported on every refresh. */
export const OFFLINE_EXPIRY_WARNING_MS = 30 * DAY_MS;

/** TUF's time format: ISO 8601 UTC without fractions. */
export function tufTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export function serializeMetadata(md: Metadata<Root | Targets | Snapshot | Timestamp>): Buffer {
  return Buffer.from(`${JSON.stringify(md.toJSON(), null, 1)}\n`);
}

/** A role's metadata with the exact bytes it was read from or written as. */
export interface Loaded<T extends Root | Targets | Snapshot | Timestamp> {
  md: Metadata<T>;
  bytes: Buffer;
}

/** The online keys the server holds to re-sign snapshot and timestamp. */
export interface OnlineKeys {
  snapshot: SigningKey;
  timestamp: SigningKey;
}

export function parseMetadata<T extends MetadataKind>(kind: T, bytes: Buffer, source: string) {
  try {
    return Metadata.fromJSON(kind as MetadataKind.Targets, JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    throw new RepoError(`${source}: not valid ${kind} metadata (${(err as Error).message})`, { cause: err });
  }
}

export function signWith(md: Metadata<Root | Targets | Snapshot | Timestamp>, keys: SigningKey[]): void {
  for (const k of keys) md.sign(k.signer, true);
}

export function keyJson(k: Key) {
  return k.toJSON();
}

/** Counts the signatures on `md` that verify against `keys` and belong to `keyIds`. */
export function validSignatures(
  md: Metadata<Root | Targets | Snapshot | Timestamp>,
  keyIds: readonly string[],
  keys: Record<string, Key>,
): string[] {
  const ok: string[] = [];
  for (const id of keyIds) {
    const key = keys[id];
    if (!key || !md.signatures[id]) continue;
    try {
      key.verifySignature(md);
      ok.push(id);
    } catch {
      // not signed by this key: the caller compares the count with the threshold
    }
  }
  return ok;
}

/**
 * Refuses `md` unless every signature on it is by one of `keyIds` and verifies, and at least
 * `threshold` do; returns the key ids that signed.
 */
export function requireThreshold(
  role: string,
  md: Metadata<Targets>,
  keyIds: readonly string[],
  keys: Record<string, Key>,
  threshold: number,
): string[] {
  for (const id of Object.keys(md.signatures)) {
    if (!keyIds.includes(id))
      throw new SignatureRejectedError(
        `${role}: signature by key ${id}, which is not a ${role} key`,
        'unknown-key',
      );
  }
  const ok = validSignatures(md, keyIds, keys);
  const bad = Object.keys(md.signatures).filter((id) => !ok.includes(id));
  if (bad.length)
    throw new SignatureRejectedError(`${role}: signature by key ${bad[0]} does not verify`, 'bad-signature');
  if (ok.length < threshold)
    throw new ThresholdError(
      `${role}: ${ok.length} valid signature(s), threshold is ${threshold}`,
      ok.length,
      threshold,
    );
  return ok;
}

function metaFileJson(version: number, bytes: Buffer) {
  return { version, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } };
}

export function buildSnapshot(
  version: number,
  expiresMs: number,
  meta: Record<string, { version: number; bytes: Buffer }>,
) {
  const m: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(meta)) m[name] = metaFileJson(v.version, v.bytes);
  return Metadata.fromJSON(MetadataKind.Snapshot, {
    signed: { _type: 'snapshot', spec_version: '1.0.31', version, expires: tufTime(expiresMs), meta: m },
    signatures: [],
  } as never);
}

export function buildTimestamp(
  version: number,
  expiresMs: number,
  snapshotVersion: number,
  snapshotBytes: Buffer,
) {
  return Metadata.fromJSON(MetadataKind.Timestamp, {
    signed: {
      _type: 'timestamp',
      spec_version: '1.0.31',
      version,
      expires: tufTime(expiresMs),
      meta: { 'snapshot.json': metaFileJson(snapshotVersion, snapshotBytes) },
    },
    signatures: [],
  } as never);
}

/** Checks metadata bytes against the length/hash the referring metadata records. */
export function verifyMeta(meta: { verify(data: Buffer): void }, bytes: Buffer, file: string): void {
  try {
    meta.verify(bytes);
  } catch (err) {
    throw new RepoError(
      `${file}: does not match what the snapshot/timestamp records (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}
