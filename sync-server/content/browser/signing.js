// @ts-check
/**
 * The approver's signing in the browser, the parts that need no page (the unit tests run them in
 * Node, whose WebCrypto is the browser's API):
 *
 * - the approver's PKCS#8 PEM key (as `gatecast keys generate` writes it) is imported as a
 *   NON-extractable Ed25519 CryptoKey;
 * - before signing, the page hashes the bundle.json bytes it shows and refuses unless the hash
 *   equals the one inside the signed payload (a TUF targets document);
 * - the signature is over the canonical bytes the server handed out, sent as hex with the SHA-256
 *   of those bytes (the digest the approver confirmed: the server refuses if the draft changed);
 * - a key remembered in this browser belongs to the account that remembered it: it is stored under
 *   that username and only ever offered to that account, for that site group.
 */

/**
 * Bytes of a base64 text.
 * @param {string} s
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function base64ToBytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Lower-case hex of bytes.
 * @param {ArrayBuffer | Uint8Array} buf
 * @returns {string}
 */
export function hex(buf) {
  return Array.from(buf instanceof Uint8Array ? buf : new Uint8Array(buf))
    .map((b) => (b < 16 ? '0' : '') + b.toString(16))
    .join('');
}

/**
 * The DER bytes of a PKCS#8 PEM private key.
 * @param {string} text
 * @returns {Uint8Array<ArrayBuffer>}
 * @throws {Error} when the text holds no `-----BEGIN PRIVATE KEY-----` block
 */
export function pemToDer(text) {
  const m = /-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----/.exec(text);
  if (!m) throw new Error('not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)');
  return base64ToBytes(/** @type {string} */ (m[1]).replace(/[^A-Za-z0-9+/=]/g, ''));
}

/**
 * SHA-256 of bytes, as hex.
 * @param {BufferSource} bytes
 * @returns {Promise<string>}
 */
export async function sha256Hex(bytes) {
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/**
 * The SHA-256 the signed payload (a TUF targets document) gives for the bundle's manifest, or ''
 * when the payload is not one or does not name it.
 * @param {Uint8Array} canonical the bytes to be signed
 * @param {string} bundlePath the target path of bundle.json
 * @returns {string}
 */
export function signedManifestHash(canonical, bundlePath) {
  let payload;
  try {
    payload = JSON.parse(new TextDecoder().decode(canonical));
  } catch {
    payload = null; // not JSON: nothing is signed for the manifest
  }
  const t = payload && payload._type === 'targets' && payload.targets ? payload.targets[bundlePath] : null;
  return t && t.hashes && t.hashes.sha256 ? String(t.hashes.sha256) : '';
}

/**
 * Whether the manifest bytes the page shows are the ones the payload signs: their hash, the signed
 * one ('—' when there is none) and whether they are equal.
 * @param {Uint8Array<ArrayBuffer>} manifestBytes
 * @param {Uint8Array} canonical
 * @param {string} bundlePath
 * @returns {Promise<{ ok: boolean, shown: string, signed: string }>}
 */
export async function checkShownManifest(manifestBytes, canonical, bundlePath) {
  const shown = await sha256Hex(manifestBytes);
  const signed = signedManifestHash(canonical, bundlePath);
  return { ok: signed !== '' && signed === shown, shown, signed: signed || '—' };
}

/**
 * Whether this browser signs with Ed25519 (a secure context with WebCrypto that knows it).
 * @returns {Promise<boolean>}
 */
export async function ed25519Supported() {
  if (typeof isSecureContext !== 'undefined' && !isSecureContext) return false;
  if (typeof crypto === 'undefined' || !crypto.subtle) return false;
  try {
    await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return true;
  } catch {
    return false; // this browser's WebCrypto has no Ed25519
  }
}

/**
 * The approver's key file as a non-extractable signing key.
 * @param {string} pem
 * @returns {Promise<CryptoKey>}
 */
export function importSigningKey(pem) {
  return crypto.subtle.importKey('pkcs8', pemToDer(pem), { name: 'Ed25519' }, false, ['sign']);
}

/**
 * The Ed25519 signature of the canonical bytes, as hex.
 * @param {CryptoKey} key
 * @param {Uint8Array<ArrayBuffer>} canonical
 * @returns {Promise<string>}
 */
export async function signHex(key, canonical) {
  return hex(await crypto.subtle.sign({ name: 'Ed25519' }, key, canonical));
}

/**
 * A key remembered in this browser's IndexedDB (the CryptoKey object itself, non-extractable).
 * @typedef {{ id: string, username: string, keyid: string, name: string, key: CryptoKey,
 *   siteGroup: string, savedAt: number }} RememberedKey
 */

/**
 * The record id of a remembered key: the account's name and the key's id.
 * @param {string} username
 * @param {string} keyid
 */
export function keyRecordId(username, keyid) {
  return username + ' ' + keyid;
}

/**
 * The remembered keys this account may use for this site group (never another account's).
 * @param {readonly RememberedKey[]} list
 * @param {string} username
 * @param {string} siteGroup
 * @returns {RememberedKey[]}
 */
export function keysFor(list, username, siteGroup) {
  return list.filter(
    (k) => k.username === username && k.id === keyRecordId(username, k.keyid) && k.siteGroup === siteGroup,
  );
}

/**
 * A key's name as shown to the approver: its file name (or remembered name) and the start of its id.
 * @param {string} name
 * @param {string} keyid '' when not known yet (a key file)
 */
export function keyLabel(name, keyid) {
  return keyid ? name + ' (' + keyid.slice(0, 12) + '…)' : name;
}
