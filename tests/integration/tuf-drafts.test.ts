import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../platform/tuf-keys.js';
import { signDraftPayload } from '../../provisioning/keys.js';
import { HttpPublishClient } from '../../provisioning/publish-client.js';
import { tempDir } from '../helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../helpers/tuf-repo.js';

const SG = 'kien-giang/ha-tien';
const TOKEN = 'test-token-0123456789abcdef';

function manifest(images: Record<string, string>, extra: Record<string, unknown> = {}) {
  const items = Object.entries(images).map(([id, src]) => ({
    id,
    title: id,
    kind: 'image',
    durationMs: 5000,
    variants: { vi: { src } },
  }));
  return JSON.stringify(
    {
      schema: 1,
      siteGroup: SG,
      label: 'test bundle',
      createdAt: '2026-11-22T00:00:00Z',
      items,
      playlists: [{ id: 'main', name: 'Main', entries: items.map((i) => ({ itemId: i.id })) }],
      schedule: { defaultPlaylistId: 'main' },
      ...extra,
    },
    null,
    2,
  );
}

const realPng = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();

const decl = (path: string, data: Buffer) => ({
  path,
  length: data.length,
  sha256: createHash('sha256').update(data).digest('hex'),
});

describe('drafts over the publishing API', () => {
  let r: TufRepoFixture;
  let client: HttpPublishClient;
  let work: ReturnType<typeof tempDir>;
  // Real images: the server decodes what it is sent (a file named .png must be one).
  let A: Buffer;
  let B: Buffer;
  beforeAll(async () => {
    A = await realPng(320, 200, '#c00');
    B = await realPng(40, 30, '#0c0');
  });

  beforeEach(async () => {
    r = await startTufRepo({ publishApiToken: TOKEN });
    client = new HttpPublishClient({ server: r.baseUrl, token: TOKEN });
    work = tempDir('gatecast-draftwork-');
    writeFileSync(join(work.path, 'a.png'), A);
    writeFileSync(join(work.path, 'b.png'), B);
  });
  afterEach(async () => {
    await r.close();
    work.cleanup();
  });

  async function draftAB() {
    const m = manifest({ a: `${SG}/media/a.png`, b: `${SG}/media/vi/b.png` });
    const d = await client.createDraft({
      siteGroup: SG,
      manifest: m,
      files: [decl(`${SG}/media/a.png`, A), decl(`${SG}/media/vi/b.png`, B)],
    });
    return { d, m };
  }

  async function sign(id: string, k = 0) {
    const d = await client.getDraft(id);
    const bundle = await client.manifest(id);
    return signDraftPayload(d.signed, r.keys.approvers[k]!, { siteGroup: SG, manifest: bundle });
  }

  it('round trip: draft → uploads → two signatures → publish → tuf-js downloads the media', async () => {
    const { d, m } = await draftAB();
    expect(d.version).toBe(1);
    expect(d.missing.sort()).toEqual([`${SG}/media/a.png`, `${SG}/media/vi/b.png`]);
    const progress: number[] = [];
    await client.uploadFile(d.id, `${SG}/media/a.png`, join(work.path, 'a.png'), (n) => progress.push(n));
    expect(progress.at(-1)).toBe(A.length);
    const up = await client.uploadFile(d.id, `${SG}/media/vi/b.png`, join(work.path, 'b.png'));
    expect(up.missing).toEqual([]);

    await client.addSignature(d.id, await sign(d.id, 0));
    await expect(client.publish(d.id)).rejects.toMatchObject({ code: 'THRESHOLD_NOT_MET', status: 409 });
    // The signature that meets the threshold publishes the draft.
    const v = await client.addSignature(d.id, await sign(d.id, 1));
    expect(v.signedBy).toHaveLength(2);
    expect(v).toMatchObject({ status: 'published', basedOnVersion: 0 });
    expect(v.published).toMatchObject({ siteGroup: SG, version: 1, targets: 3, newFiles: 3 });

    const c = tempDir('gatecast-tufclient-');
    try {
      mkdirSync(join(c.path, 'md'));
      mkdirSync(join(c.path, 't'));
      copyFileSync(r.rootPath, join(c.path, 'md', 'root.json'));
      const u = new Updater({
        metadataDir: join(c.path, 'md'),
        metadataBaseUrl: r.metadataUrl,
        targetDir: join(c.path, 't'),
        targetBaseUrl: r.targetsUrl,
      });
      await u.refresh();
      const bundle = await u.getTargetInfo(`${SG}/bundle.json`);
      expect(readFileSync(await u.downloadTarget(bundle!), 'utf8')).toBe(m);
      const b = await u.getTargetInfo(`${SG}/media/vi/b.png`);
      expect(readFileSync(await u.downloadTarget(b!))).toEqual(B);
    } finally {
      c.cleanup();
    }
    await expect(client.publish(d.id)).rejects.toMatchObject({ code: 'DRAFT_STATE' });
  });

  it('refuses a signature from an unknown key, a bad signature and a duplicate', async () => {
    const { d } = await draftAB();
    const stranger = generateSigningKey('stranger').key;
    const strangerSig = signDraftPayload(d.signed, stranger, { siteGroup: SG });
    await expect(client.addSignature(d.id, strangerSig)).rejects.toMatchObject({
      code: 'SIGNATURE_REJECTED',
      message: expect.stringContaining('not an approver key'),
    });
    // Approver 2 signs a different payload (another version): the signature does not cover this draft.
    // With the digest of what was signed, the server says the payload is not the draft's (409) …
    const other = signDraftPayload({ ...d.signed, version: 7 }, r.keys.approvers[1]!, { siteGroup: SG });
    await expect(client.addSignature(d.id, other)).rejects.toMatchObject({
      code: 'DRAFT_PAYLOAD_CHANGED',
      status: 409,
    });
    // … and without it, the signature itself does not verify.
    const { payloadSha256: _digest, ...bare } = other;
    await expect(client.addSignature(d.id, bare)).rejects.toMatchObject({
      code: 'SIGNATURE_REJECTED',
      message: expect.stringContaining('does not verify'),
    });
    const good = await sign(d.id, 0);
    await client.addSignature(d.id, good);
    await expect(client.addSignature(d.id, good)).rejects.toMatchObject({
      code: 'SIGNATURE_REJECTED',
      message: expect.stringContaining('already signed'),
    });
    expect((await client.getDraft(d.id)).signedBy).toEqual([r.keys.approvers[0]!.keyId]);
  });

  it('names the file and the rule when a draft is invalid, and refuses path escapes', async () => {
    const m = manifest({ a: `${SG}/media/a.png`, gone: `${SG}/media/missing.png` });
    const err = await client
      .createDraft({ siteGroup: SG, manifest: m, files: [decl(`${SG}/media/a.png`, A)] })
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'DRAFT_INVALID', status: 400 });
    expect(err.problems).toContainEqual({
      path: 'bundle.json:items.gone.variants.vi.src',
      message: `media file "${SG}/media/missing.png" is referenced but not in the draft`,
    });

    for (const bad of [
      `${SG}/../x.png`,
      `/etc/passwd`,
      `${SG}\\..\\x.png`,
      `${SG}/a\u0000.png`,
      `other/place/x.png`,
    ]) {
      const e = await client
        .createDraft({ siteGroup: SG, manifest: manifest({ a: bad }), files: [decl(bad, A)] })
        .catch((x) => x);
      expect(e.code, bad).toBe('DRAFT_INVALID');
      expect(
        e.problems.some((p: { path: string }) => p.path.startsWith('bundle.json:items')),
        bad,
      ).toBe(true);
    }
    const unref = await client
      .createDraft({
        siteGroup: SG,
        manifest: manifest({ a: `${SG}/media/a.png` }),
        files: [decl(`${SG}/media/a.png`, A), decl(`${SG}/media/extra.png`, B)],
      })
      .catch((x) => x);
    expect(unref.problems).toContainEqual({
      path: `media file ${SG}/media/extra.png`,
      message: 'not referenced by any item of the manifest',
    });
    const notJson = await client.createDraft({ siteGroup: SG, manifest: '{nope', files: [] }).catch((x) => x);
    expect(notJson.problems[0].path).toBe('bundle.json');
    expect(await client.listDrafts()).toEqual([]);
  });

  it('refuses uploads whose bytes differ from the declaration and keeps the file missing', async () => {
    const { d } = await draftAB();
    // As long as the declared file, one byte changed.
    const evil = Buffer.from(A);
    evil.writeUInt8(evil.readUInt8(evil.length - 20) ^ 0xff, evil.length - 20);
    writeFileSync(join(work.path, 'evil.png'), evil);
    await expect(
      client.uploadFile(d.id, `${SG}/media/a.png`, join(work.path, 'evil.png')),
    ).rejects.toMatchObject({
      code: 'DRAFT_INVALID',
      message: expect.stringContaining('does not match the declared'),
    });
    await expect(
      client.uploadFile(d.id, `${SG}/media/vi/b.png`, join(work.path, 'a.png')),
    ).rejects.toMatchObject({
      message: expect.stringContaining('more than the declared'),
    });
    await expect(
      client.uploadFile(d.id, `${SG}/media/c.png`, join(work.path, 'a.png')),
    ).rejects.toMatchObject({
      message: expect.stringContaining('not listed in the draft'),
    });
    expect((await client.getDraft(d.id)).missing).toHaveLength(2);
  });

  it('asks only for changed files in the next draft and refuses a stale draft', async () => {
    const { d } = await draftAB();
    await client.uploadFile(d.id, `${SG}/media/a.png`, join(work.path, 'a.png'));
    await client.uploadFile(d.id, `${SG}/media/vi/b.png`, join(work.path, 'b.png'));
    const stale = (await draftAB()).d;
    await client.addSignature(d.id, await sign(d.id, 0));
    expect((await client.addSignature(d.id, await sign(d.id, 2))).published).toMatchObject({ version: 1 });

    const C = await realPng(20, 10, '#00c');
    const next = await client.createDraft({
      siteGroup: SG,
      manifest: manifest({ a: `${SG}/media/a.png`, c: `${SG}/media/c.png` }),
      files: [decl(`${SG}/media/a.png`, A), decl(`${SG}/media/c.png`, C)],
    });
    expect(next.version).toBe(2);
    expect(next.missing).toEqual([`${SG}/media/c.png`]);
    // The stale draft was made from version 0: publishing it would undo version 1.
    await expect(client.publish(stale.id)).rejects.toMatchObject({
      code: 'DRAFT_BASE_STALE',
      status: 409,
      message: expect.stringContaining('made from version 0; version 1 is on air since'),
    });
    // A draft that names an older base is refused at once.
    await expect(
      client.createDraft({
        siteGroup: SG,
        manifest: manifest({ a: `${SG}/media/a.png` }),
        files: [decl(`${SG}/media/a.png`, A)],
        basedOnVersion: 0,
      }),
    ).rejects.toMatchObject({ code: 'DRAFT_BASE_STALE', status: 409 });
  });

  it('answers 404 for unknown or malformed draft ids, including path escapes', async () => {
    for (const id of ['d20261122t000000-00000000', '..', '../keys', 'd1/../../keys']) {
      const err = await client.getDraft(id).catch((e) => e);
      expect(err.status, id).toBe(404);
      expect(['DRAFT_NOT_FOUND', 'NOT_FOUND'], id).toContain(err.code);
    }
    const res = await fetch(`${r.baseUrl}/api/publish/drafts/%2e%2e%2f%2e%2e%2fkeys/manifest`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(404);
  });

  it('discards an open draft but keeps published ones', async () => {
    const { d } = await draftAB();
    await client.discard(d.id);
    await expect(client.getDraft(d.id)).rejects.toMatchObject({ code: 'DRAFT_NOT_FOUND' });
    const kept = (await draftAB()).d;
    await client.uploadFile(kept.id, `${SG}/media/a.png`, join(work.path, 'a.png'));
    await client.uploadFile(kept.id, `${SG}/media/vi/b.png`, join(work.path, 'b.png'));
    await client.addSignature(kept.id, await sign(kept.id, 0));
    await client.addSignature(kept.id, await sign(kept.id, 1));
    await expect(client.discard(kept.id)).rejects.toMatchObject({ code: 'DRAFT_STATE', status: 409 });
    expect((await client.listDrafts()).map((x) => [x.id, x.status])).toEqual([[kept.id, 'published']]);
  });

  it('requires the bearer token', async () => {
    const res = await fetch(`${r.baseUrl}/api/publish/drafts`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const wrong = new HttpPublishClient({ server: r.baseUrl, token: 'x'.repeat(TOKEN.length) });
    await expect(wrong.listDrafts()).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });
});
