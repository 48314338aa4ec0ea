import { generateKeyPairSync } from 'node:crypto';
import { Metadata, MetadataKind } from '@tufjs/models';
import { describe, expect, it } from 'vitest';
import { checkDraft } from '../../protocol/publish-api.js';
import {
  generateSigningKey,
  parsePublicKeyFile,
  publicKeyFileOf,
  signingKeyFromPem,
  signTargetsPayload,
  tufKeyId,
} from '../../platform/tuf-keys.js';
import {
  delegationPaths,
  hashedTargetPath,
  roleNameForSiteGroup,
  siteGroupTargetProblem,
} from '../../sync-server/tuf/layout.js';

const payload = {
  _type: 'targets',
  spec_version: '1.0.31',
  version: 3,
  expires: '2030-01-01T00:00:00Z',
  targets: { 'kien-giang/ha-tien/bundle.json': { length: 2, hashes: { sha256: 'a'.repeat(64) } } },
};

describe('TUF key files', () => {
  it('produces ed25519 keys whose signatures @tufjs/models verifies, with the standard key id', () => {
    const { key } = generateSigningKey('approver-1');
    const pub = publicKeyFileOf(key);
    expect(pub.keyval.public).toMatch(/^[0-9a-f]{64}$/);
    expect(tufKeyId(pub)).toBe(key.keyId);
    const sig = signTargetsPayload(payload, key);
    const md = Metadata.fromJSON(MetadataKind.Targets, { signed: payload, signatures: [sig] } as never);
    expect(() => key.publicKey.verifySignature(md)).not.toThrow();
    const tampered = Metadata.fromJSON(MetadataKind.Targets, {
      signed: { ...payload, version: 4 },
      signatures: [sig],
    } as never);
    expect(() => key.publicKey.verifySignature(tampered)).toThrow();
  });

  it('refuses a public key file whose key id does not match its key', () => {
    const pub = publicKeyFileOf(generateSigningKey('a').key);
    expect(parsePublicKeyFile(pub).publicKey.keyID).toBe(pub.keyid);
    expect(() => parsePublicKeyFile({ ...pub, keyid: 'b'.repeat(64) }, 'a.pub.json')).toThrow(
      /a\.pub\.json: keyid b+ does not match the key/,
    );
    expect(() => parsePublicKeyFile({ ...pub, keytype: 'rsa' }, 'a.pub.json')).toThrow(/KEY|keytype/i);
  });

  it('refuses private keys that are not ed25519 PEM', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(() => signingKeyFromPem('x', rsa.toString(), 'x.key')).toThrow(
      'x.key: key type is rsa, expected ed25519',
    );
    expect(() => signingKeyFromPem('x', 'not a key', 'x.key')).toThrow('x.key: not a PEM private key');
  });
});

describe('repository layout rules', () => {
  it('maps site groups to plain role names and refuses top-level names', () => {
    expect(roleNameForSiteGroup('kien-giang/ha-tien')).toBe('kien-giang.ha-tien');
    expect(() => roleNameForSiteGroup('targets')).toThrow(/clash with the top-level TUF role/);
    expect(() => roleNameForSiteGroup('Kien-Giang')).toThrow(/not a site group/);
  });

  it('delegates every depth below the group with segment-wise patterns', () => {
    const p = delegationPaths('kien-giang/ha-tien');
    expect(p[0]).toBe('kien-giang/ha-tien/*');
    expect(p[2]).toBe('kien-giang/ha-tien/*/*/*');
    expect(p).toHaveLength(8);
  });

  it('names the rule a target path breaks', () => {
    const sg = 'kien-giang/ha-tien';
    expect(siteGroupTargetProblem(sg, `${sg}/media/a.png`)).toBeUndefined();
    expect(siteGroupTargetProblem(sg, `${sg}/../x`)).toMatch(/"\.\." segments/);
    expect(siteGroupTargetProblem(sg, 'kien-giang/other/x')).toMatch(/outside site group/);
    expect(siteGroupTargetProblem(sg, `${sg}/.hidden`)).toMatch(/starting with "\."/);
    expect(siteGroupTargetProblem(sg, `${sg}/${Array(9).fill('d').join('/')}`)).toMatch(/at most 8/);
    expect(hashedTargetPath(`${sg}/media/a.png`, 'f'.repeat(64))).toBe(`${sg}/media/${'f'.repeat(64)}.a.png`);
  });

  it('checkDraft reports a manifest for another site group', () => {
    const manifest = JSON.stringify({
      schema: 1,
      siteGroup: 'ha-tinh/cau-treo',
      createdAt: '2026-11-22T00:00:00Z',
      items: [{ id: 'x', title: 'X', kind: 'text', variants: { vi: { body: 'Xin chào' } } }],
      playlists: [{ id: 'p', name: 'P', entries: [{ itemId: 'x' }] }],
      schedule: { defaultPlaylistId: 'p' },
    });
    const { problems } = checkDraft('kien-giang/ha-tien', manifest, []);
    expect(problems).toContainEqual({
      path: 'bundle.json:siteGroup',
      message: 'manifest is for site group "ha-tinh/cau-treo", the draft is for "kien-giang/ha-tien"',
    });
  });
});
