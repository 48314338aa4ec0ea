/** The device key as proof of play needs it: sign bytes, and the public half to verify with. */
import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { coded } from '../../protocol/errors.js';

export class PopKeyError extends coded('POP_KEY_INVALID') {}

export interface PopSigner {
  /** Ed25519 signature of `bytes`. */
  sign(bytes: Uint8Array): Buffer;
  readonly publicKey: KeyObject;
}

/** A signer over an Ed25519 private key (a KeyObject or PEM text, e.g. the device key file). */
export function ed25519Signer(privateKey: KeyObject | string): PopSigner {
  let key: KeyObject;
  try {
    key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  } catch (err) {
    throw new PopKeyError('cannot read the device private key', { cause: err });
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519')
    throw new PopKeyError(
      `the device key must be an Ed25519 private key, got ${key.asymmetricKeyType} ${key.type}`,
    );
  return { sign: (bytes) => sign(null, bytes, key), publicKey: createPublicKey(key) };
}

/**
 * The signer of a device whose key is lost: every record refused with `cause` (the recorder logs
 * it), rather than signed by a key the server does not know.
 */
export function lostKeySigner(cause: unknown): PopSigner {
  const refuse = (): never => {
    throw new PopKeyError('no device key: proof of play is not recorded until it is restored', { cause });
  };
  return {
    sign: refuse,
    get publicKey(): KeyObject {
      return refuse();
    },
  };
}
