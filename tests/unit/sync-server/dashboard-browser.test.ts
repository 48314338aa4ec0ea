/**
 * The dashboard pages' browser code that needs no page, imported from the real files the server
 * serves: the client helper (texts, API requests and answers) and the approver's signing flow
 * (PEM to DER, hashes, the check of the shown manifest against the signed payload, Ed25519 signing
 * through WebCrypto, which Node implements as the browser does, and the per-account key filter).
 */
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  errorMessage,
  errorOf,
  fill,
  readReply,
  requestInit,
  timeFormat,
} from '../../../sync-server/dashboard/browser/client.js';
import {
  base64ToBytes,
  checkShownManifest,
  ed25519Supported,
  hex,
  importSigningKey,
  keyLabel,
  keyRecordId,
  keysFor,
  pemToDer,
  sha256Hex,
  signedManifestHash,
  signHex,
} from '../../../sync-server/content/browser/signing.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('client helper', () => {
  it('fills {name} placeholders and leaves unknown ones as written', () => {
    expect(fill('{have} of {need} signatures', { have: 1, need: 2 })).toBe('1 of 2 signatures');
    expect(fill('wait {seconds} s, {other}', { seconds: '?' })).toBe('wait ? s, {other}');
    expect(fill('no params')).toBe('no params');
  });

  it('sends the CSRF header and a JSON body, or a file as is with its type', () => {
    expect(requestInit('POST', { a: 1 }, 'tok', undefined)).toEqual({
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'x-csrf-token': 'tok', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(requestInit('GET', undefined, 'tok')).toEqual({
      method: 'GET',
      credentials: 'same-origin',
      headers: { 'x-csrf-token': 'tok' },
      body: undefined,
    });
    const blob = new Blob(['bytes']);
    const upload = requestInit('POST', blob, 'tok', 'application/octet-stream');
    expect(upload.headers).toEqual({ 'x-csrf-token': 'tok', 'content-type': 'application/octet-stream' });
    expect(upload.body).toBe(blob);
  });

  it('reads an answer as JSON when it is JSON, and names the refusal', async () => {
    const refused = await readReply(
      new Response(JSON.stringify({ error: { code: 'NOPE', message: 'not allowed' } }), { status: 403 }),
    );
    expect(refused).toEqual({
      ok: false,
      status: 403,
      json: { error: { code: 'NOPE', message: 'not allowed' } },
    });
    expect(errorOf(refused)).toEqual({ code: 'NOPE', message: 'not allowed' });
    expect(errorMessage(refused)).toBe('not allowed');

    const proxy = await readReply(new Response('<html>bad gateway</html>', { status: 502 }));
    expect(proxy).toEqual({ ok: false, status: 502, json: null });
    expect(errorOf(proxy)).toBeNull();
    expect(errorMessage(proxy)).toBe('HTTP 502');
    expect(errorMessage(proxy, '502')).toBe('502');

    expect(await readReply(new Response(null, { status: 204 }))).toEqual({
      ok: true,
      status: 204,
      json: null,
    });
  });
});

describe('time format', () => {
  it("shows an instant in the screen's zone to the second, one formatter per locale and zone", () => {
    const at = Date.UTC(2026, 11, 5, 17, 30, 5); // 00:30:05 on 6 December in Hà Tiên (UTC+7)
    expect(timeFormat('en-GB', 'Asia/Ho_Chi_Minh').format(at)).toBe('06/12/2026, 00:30:05');
    expect(timeFormat('en-GB', 'UTC').format(at)).toBe('05/12/2026, 17:30:05');
    expect(timeFormat('en-GB', 'UTC')).toBe(timeFormat('en-GB', 'UTC'));
    expect(timeFormat('en-GB', 'UTC')).not.toBe(timeFormat('vi-VN', 'UTC'));
  });
});

describe('signing in the browser', () => {
  it('hex and base64 round-trip bytes', () => {
    const bytes = new Uint8Array([0, 1, 15, 16, 255]);
    expect(hex(bytes)).toBe('00010f10ff');
    expect(hex(bytes.buffer)).toBe('00010f10ff');
    expect(Array.from(base64ToBytes(Buffer.from(bytes).toString('base64')))).toEqual([0, 1, 15, 16, 255]);
  });

  it('takes the DER out of a PKCS#8 PEM and refuses anything else', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(Buffer.from(pemToDer(pem)).equals(der)).toBe(true);
    expect(Buffer.from(pemToDer(`note\r\n${pem.replace(/\n/g, '\r\n')}trailing`)).equals(der)).toBe(true);
    const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    expect(() => pemToDer(spki)).toThrow(/not a PKCS#8 PEM private key/);
    expect(() => pemToDer('')).toThrow(/not a PKCS#8 PEM private key/);
  });

  it('accepts the shown manifest only when its hash is the one inside the signed payload', async () => {
    const manifest = utf8('{"items":[]}');
    const sha = createHash('sha256').update(manifest).digest('hex');
    expect(await sha256Hex(manifest)).toBe(sha);
    const payload = (hash: string) =>
      utf8(JSON.stringify({ _type: 'targets', targets: { 'g/bundle.json': { hashes: { sha256: hash } } } }));

    expect(await checkShownManifest(manifest, payload(sha), 'g/bundle.json')).toEqual({
      ok: true,
      shown: sha,
      signed: sha,
    });
    const other = 'ab'.repeat(32);
    expect(await checkShownManifest(manifest, payload(other), 'g/bundle.json')).toEqual({
      ok: false,
      shown: sha,
      signed: other,
    });
    // Not the bundle the page names, not a targets document, not JSON: nothing is signed for it.
    expect(await checkShownManifest(manifest, payload(sha), 'h/bundle.json')).toMatchObject({
      ok: false,
      signed: '—',
    });
    expect(signedManifestHash(utf8(JSON.stringify({ _type: 'root', targets: {} })), 'g/bundle.json')).toBe(
      '',
    );
    expect(signedManifestHash(utf8('not json'), 'g/bundle.json')).toBe('');
  });

  it('signs the canonical bytes with the key file, non-extractable, and the signature verifies', async () => {
    expect(await ed25519Supported()).toBe(true);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const key = await importSigningKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(key.extractable).toBe(false);
    expect(key.usages).toEqual(['sign']);
    const canonical = utf8('{"_type":"targets","version":3}');
    const sig = await signHex(key, canonical);
    expect(sig).toMatch(/^[0-9a-f]{128}$/);
    expect(verify(null, canonical, publicKey, Buffer.from(sig, 'hex'))).toBe(true);
    expect(verify(null, utf8('{"_type":"targets","version":4}'), publicKey, Buffer.from(sig, 'hex'))).toBe(
      false,
    );
    await expect(
      importSigningKey('-----BEGIN PRIVATE KEY-----AAAA-----END PRIVATE KEY-----'),
    ).rejects.toThrow();
  });

  it('offers a remembered key only to the account that remembered it, for its site group', () => {
    const key = {} as CryptoKey;
    const rec = (username: string, keyid: string, siteGroup: string, id = keyRecordId(username, keyid)) => ({
      id,
      username,
      keyid,
      name: `${username}-key`,
      key,
      siteGroup,
      savedAt: 0,
    });
    const mine = rec('an', 'k1', 'g');
    const list = [
      mine,
      rec('binh', 'k2', 'g'),
      rec('an', 'k3', 'other'),
      // A record claiming to be an's but stored under another account's id.
      rec('an', 'k4', 'g', keyRecordId('binh', 'k4')),
    ];
    expect(keysFor(list, 'an', 'g')).toEqual([mine]);
    expect(keysFor(list, 'chi', 'g')).toEqual([]);
    expect(keyRecordId('an', 'k1')).toBe('an k1');
    expect(keyLabel('approver-1', '0123456789abcdef')).toBe('approver-1 (0123456789ab…)');
    expect(keyLabel('approver-1', '')).toBe('approver-1');
  });
});
