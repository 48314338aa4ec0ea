/**
 * TUF signing keys as files, shared by the server (online keys), the publishing CLI (offline root,
 * targets and approver keys) and the device (the root key it is enrolled with).
 *
 * Formats (standard, nothing home-made):
 * - private key: Ed25519 in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), file mode 0600;
 * - public key: JSON `{ name, keyid, keytype: "ed25519", scheme: "ed25519", keyval: { public: <hex> } }`,
 *   i.e. the TUF key object plus its key ID (sha256 of the canonical JSON of the key object).
 *
 * Signatures are made over canonical JSON by @tufjs/models itself (`Metadata.sign`); this module
 * only supplies the signer callback.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { canonicalize } from '@tufjs/canonical-json';
import { Key, Metadata, MetadataKind, Signature, type Targets } from '@tufjs/models';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.js';
import { coded } from '../protocol/errors.js';

export class KeyFileError extends coded('KEY_FILE_INVALID') {}
export const isKeyFileError = (e: unknown): e is KeyFileError => e instanceof KeyFileError;

/** The public half of a key as stored in `<name>.pub.json`. */
export const PublicKeyFile = z.object({
  name: z.string().min(1).max(100),
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  keytype: z.literal('ed25519'),
  scheme: z.literal('ed25519'),
  keyval: z.object({ public: z.string().regex(/^[0-9a-f]{64}$/) }),
});
export type PublicKeyFile = z.infer<typeof PublicKeyFile>;

/** A private key that can sign TUF metadata. */
export interface SigningKey {
  readonly name: string;
  readonly keyId: string;
  /** The TUF public key object (goes into root/targets/delegations). */
  readonly publicKey: Key;
  /** Signer callback for `Metadata.sign`. */
  readonly signer: (data: Buffer) => Signature;
}

const PUBLIC_FILE_SUFFIX = '.pub.json';
const PRIVATE_FILE_SUFFIX = '.key';

/** TUF key ID: sha256 over the canonical JSON of the key object. */
export function tufKeyId(keyObject: {
  keytype: string;
  scheme: string;
  keyval: Record<string, string>;
}): string {
  return createHash('sha256')
    .update(canonicalize({ keytype: keyObject.keytype, scheme: keyObject.scheme, keyval: keyObject.keyval }))
    .digest('hex');
}

function rawPublicHex(pub: KeyObject): string {
  const der = pub.export({ format: 'der', type: 'spki' });
  // Ed25519 SPKI is a fixed 12-byte prefix followed by the 32-byte key.
  return der.subarray(der.length - 32).toString('hex');
}

function tufPublicKey(publicHex: string): Key {
  const keyVal = { public: publicHex };
  return new Key({
    keyID: tufKeyId({ keytype: 'ed25519', scheme: 'ed25519', keyval: keyVal }),
    keyType: 'ed25519',
    scheme: 'ed25519',
    keyVal,
  });
}

/** Builds a SigningKey from a PKCS#8 PEM Ed25519 private key. */
export function signingKeyFromPem(name: string, pem: string, source = name): SigningKey {
  let priv: KeyObject;
  try {
    priv = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new KeyFileError(`${source}: not a PEM private key`, { cause: err });
  }
  if (priv.asymmetricKeyType !== 'ed25519')
    throw new KeyFileError(`${source}: key type is ${priv.asymmetricKeyType}, expected ed25519`);
  const publicKey = tufPublicKey(rawPublicHex(createPublicKey(priv)));
  return {
    name,
    keyId: publicKey.keyID,
    publicKey,
    signer: (data) => new Signature({ keyID: publicKey.keyID, sig: sign(null, data, priv).toString('hex') }),
  };
}

/** A fresh Ed25519 key pair, in memory. */
export function generateSigningKey(name: string): { key: SigningKey; privatePem: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { key: signingKeyFromPem(name, privatePem), privatePem };
}

export function publicKeyFileOf(key: SigningKey | { name: string; publicKey: Key }): PublicKeyFile {
  const pub = key.publicKey;
  return {
    name: key.name,
    keyid: pub.keyID,
    keytype: 'ed25519',
    scheme: 'ed25519',
    keyval: { public: pub.keyVal['public'] ?? '' },
  };
}

export interface KeyPairPaths {
  privatePath: string;
  publicPath: string;
}

export function keyPairPaths(dir: string, name: string): KeyPairPaths {
  return {
    privatePath: `${dir}/${name}${PRIVATE_FILE_SUFFIX}`,
    publicPath: `${dir}/${name}${PUBLIC_FILE_SUFFIX}`,
  };
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Generates a key pair and writes `<dir>/<name>.key` (0600) and `<dir>/<name>.pub.json`.
 * Refuses to overwrite an existing private key unless `overwrite` is set.
 */
export async function generateKeyPairFiles(
  dir: string,
  name: string,
  opts: { overwrite?: boolean } = {},
): Promise<KeyPairPaths & { key: SigningKey }> {
  if (!KEY_NAME.test(name))
    throw new KeyFileError(`key name "${name}" must be 1-64 letters, digits, ".", "_" or "-"`);
  const paths = keyPairPaths(dir, name);
  if (!opts.overwrite) {
    const exists = await readFile(paths.privatePath).then(
      () => true,
      () => false,
    );
    if (exists)
      throw new KeyFileError(`${paths.privatePath}: already exists; refusing to overwrite a private key`);
  }
  const { key, privatePem } = generateSigningKey(name);
  // A new key directory is private too; an existing one keeps its mode.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths.privatePath, privatePem, 0o600);
  await writeFileAtomic(paths.publicPath, `${JSON.stringify(publicKeyFileOf(key), null, 2)}\n`, 0o644);
  return { ...paths, key };
}

/** Loads a private key file (PKCS#8 PEM). The name is the file name without `.key`. */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new KeyFileError(`${path}: cannot read private key (${(err as Error).message})`, { cause: err });
  }
  const base = path.split('/').pop() ?? path;
  const name = base.endsWith(PRIVATE_FILE_SUFFIX) ? base.slice(0, -PRIVATE_FILE_SUFFIX.length) : base;
  return signingKeyFromPem(name, pem, path);
}

/** Parses a public key file's JSON; checks that the key ID matches the key. */
export function parsePublicKeyFile(raw: unknown, source = 'public key'): { name: string; publicKey: Key } {
  const r = PublicKeyFile.safeParse(raw);
  if (!r.success)
    throw new KeyFileError(
      `${source}: not a gatecast public key file (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  const publicKey = tufPublicKey(r.data.keyval.public);
  if (publicKey.keyID !== r.data.keyid)
    throw new KeyFileError(
      `${source}: keyid ${r.data.keyid} does not match the key (expected ${publicKey.keyID})`,
    );
  return { name: r.data.name, publicKey };
}

/** Loads `<name>.pub.json`, or derives the public key from a private `.key` file. */
export async function loadPublicKey(path: string): Promise<{ name: string; publicKey: Key }> {
  if (!path.endsWith('.json')) {
    const k = await loadSigningKey(path);
    return { name: k.name, publicKey: k.publicKey };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new KeyFileError(`${path}: cannot read public key JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  return parsePublicKeyFile(raw, path);
}

/**
 * Signs the `signed` part of targets metadata (a draft's payload) with @tufjs/models' canonical
 * signing and returns only the signature. Throws KeyFileError when the payload is not targets metadata.
 */
export function signTargetsPayload(
  signed: Record<string, unknown>,
  key: SigningKey,
): { keyid: string; sig: string } {
  let md: Metadata<Targets>;
  try {
    md = Metadata.fromJSON(MetadataKind.Targets, { signed, signatures: [] } as never);
  } catch (err) {
    throw new KeyFileError(`the payload is not targets metadata (${(err as Error).message})`, { cause: err });
  }
  md.sign(key.signer, false);
  const sig = md.signatures[key.keyId] as Signature;
  return { keyid: sig.keyID, sig: sig.sig };
}
