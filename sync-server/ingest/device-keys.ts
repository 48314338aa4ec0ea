import { createPublicKey, type KeyObject } from 'node:crypto';

/** Each device's Ed25519 public key, parsed once (authentication and proof-of-play checks share it). */
export class DeviceKeys {
  private readonly keys = new Map<string, KeyObject>();

  /** The key already parsed for `deviceId`, if any. */
  get(deviceId: string): KeyObject | undefined {
    return this.keys.get(deviceId);
  }

  /** The key of `deviceId` from its registered public key (base64url x); throws when unusable. */
  keyFor(deviceId: string, publicKey: string): KeyObject {
    let k = this.keys.get(deviceId);
    if (!k) {
      k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
      this.keys.set(deviceId, k);
    }
    return k;
  }
}
