/**
 * The device's own Ed25519 key: generated on the device at first use, never leaves it. The private
 * key is written atomically with mode 0600; the server only ever sees the public part.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../platform/atomic-file.js';
import { coded } from '../protocol/errors.js';

export class IdentityError extends coded('IDENTITY_INVALID') {}
export const isIdentityError = (e: unknown): e is IdentityError => e instanceof IdentityError;

export interface DeviceIdentity {
  /** Raw 32-byte public key, base64url (what enrolment sends). */
  readonly publicKey: string;
  sign(data: Buffer): Buffer;
}

export const identityKeyPath = (dataDir: string) => join(dataDir, 'keys', 'device-ed25519.pem');

function fromPrivate(key: KeyObject): DeviceIdentity {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string')
    throw new IdentityError('device key is not Ed25519');
  return { publicKey: jwk.x, sign: (data) => sign(null, data, key) };
}

/** Loads the key from `dataDir`, or creates it (0600, atomic) when there is none. */
export function loadOrCreateIdentity(dataDir: string): DeviceIdentity {
  const p = prepareIdentity(dataDir);
  p.persist();
  return p.identity;
}

/** A key to enrol with: the one on disk, or a new one that is only written by `persist()`. */
export interface PreparedIdentity {
  readonly identity: DeviceIdentity;
  /** True when the key is new (not yet on disk). */
  readonly created: boolean;
  /** Writes a new key (0600, atomic, replacing any old one); nothing for a key already on disk. */
  persist(): void;
}

/**
 * Prepares the key for an enrolment without writing anything yet, so a refused enrolment leaves the
 * data directory as it was. `fresh` makes a new key even when one exists (re-enrolment: the server
 * refuses a key that already belongs to a device).
 */
export function prepareIdentity(dataDir: string, fresh = false): PreparedIdentity {
  const path = identityKeyPath(dataDir);
  if (!fresh && existsSync(path))
    return { identity: loadIdentity(dataDir), created: false, persist: () => undefined };
  const { privateKey } = generateKeyPairSync('ed25519');
  let written = false;
  return {
    identity: fromPrivate(privateKey),
    created: true,
    persist: () => {
      if (written) return;
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
      writeFileAtomicSync(path, pem, 0o600);
      chmodSync(path, 0o600);
      written = true;
    },
  };
}

export function loadIdentity(dataDir: string): DeviceIdentity {
  const path = identityKeyPath(dataDir);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IdentityError(`cannot read device key ${path}: enrol the device first`, { cause: err });
  }
  try {
    return fromPrivate(createPrivateKey(pem));
  } catch (err) {
    throw new IdentityError(`device key ${path} is not a valid Ed25519 private key`, { cause: err });
  }
}

/** The daemon's key: ready, or lost on an enrolled device (never replaced behind the server's back). */
export type DaemonIdentity =
  { kind: 'ready'; identity: DeviceIdentity } | { kind: 'lost'; path: string; error: IdentityError };

/**
 * The key the daemon runs with. A device not enrolled yet gets one made on first use. An enrolled
 * device (its config has a device id) whose key is missing or unreadable gets none: the server knows
 * it only by the old key and would refuse a new one for ever, so making one silently would only hide
 * the fault until a site visit. The screen keeps playing and asks for a technician instead.
 */
export function openDaemonIdentity(dataDir: string, isEnrolled: boolean): DaemonIdentity {
  if (!isEnrolled) return { kind: 'ready', identity: loadOrCreateIdentity(dataDir) };
  try {
    return { kind: 'ready', identity: loadIdentity(dataDir) };
  } catch (err) {
    if (!isIdentityError(err)) throw err;
    return { kind: 'lost', path: identityKeyPath(dataDir), error: err };
  }
}

/** What a technician must do about a lost key (log, screen notice, self-test). */
export function lostKeyAdvice(deviceId: string, path: string): string {
  return (
    `device key ${path} is missing or unreadable, but this screen is enrolled as ${deviceId}: ` +
    'the server accepts only its old key. Restore the key file from a backup, or enrol again with a ' +
    'new token (gatecast provision --reenrol) and revoke the old enrolment on the server'
  );
}
