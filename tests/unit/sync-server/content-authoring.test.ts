import sharp from 'sharp';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isMediaRejectedError, isWorkspaceStaleError } from '../../../sync-server/content/errors.js';
import {
  contentTypeOf,
  mediaTargetPath,
  sanitizeMediaName,
  slugify,
} from '../../../sync-server/content/media-names.js';
import { MediaStore } from '../../../sync-server/content/media-store.js';
import { approvalTexts, authoringTexts } from '../../../sync-server/content/texts.js';
import { WorkspaceStore } from '../../../sync-server/content/workspace-store.js';
import { tempDir } from '../../helpers/temp.js';

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});
function dir() {
  const d = tempDir('gc-content-unit-');
  dirs.push(d);
  return d.path;
}
const SHA = 'ab'.repeat(32);

describe('media names', () => {
  it('slugs names of any script, dropping Latin diacritics only', () => {
    expect(slugify('Ảnh Cửa khẩu Hà Tiên')).toBe('anh-cua-khau-ha-tien');
    expect(slugify('ĐƯỜNG ĐI số 1')).toBe('duong-di-so-1');
    expect(slugify('ផែនទី ច្រកព្រំដែន')).toBe('ផែនទី-ច្រកព្រំដែន');
    expect(slugify('ແຜນທີ່')).toBe('ແຜນທີ່');
    expect(slugify('口岸 地图')).toBe('口岸-地图');
    expect(slugify('  --Hello__World!!  ')).toBe('hello-world');
    expect(slugify('a'.repeat(200))).toHaveLength(80);
  });

  it('keeps the extension in lower case and refuses names with nothing to name the file by', () => {
    expect(sanitizeMediaName('Bản đồ.JPEG')).toEqual({ slug: 'ban-do', ext: 'jpeg' });
    expect(sanitizeMediaName('C:\\Users\\x\\clip.final.MP4')).toEqual({ slug: 'clip-final', ext: 'mp4' });
    expect(sanitizeMediaName('../../etc/passwd')).toEqual({ slug: 'passwd', ext: '' });
    expect(sanitizeMediaName('.bashrc')).toEqual({ slug: 'bashrc', ext: '' });
    for (const bad of ['%%%.png', '....', '', '🙂.png', '/'])
      expect(() => sanitizeMediaName(bad), bad).toThrow(
        expect.objectContaining({ code: 'MEDIA_NAME_INVALID' }),
      );
    expect(mediaTargetPath('kien-giang/ha-tien', 'Ảnh 1.PNG', SHA)).toBe(
      'kien-giang/ha-tien/media/abababab-anh-1.png',
    );
  });

  it('names a content type by extension (what an upload claims to be)', () => {
    expect(contentTypeOf('a/media/x.PNG')).toBe('image/png');
    expect(contentTypeOf('a/media/x.webm')).toBe('video/webm');
    expect(contentTypeOf('a/media/x')).toBe('application/octet-stream');
  });
});

describe('media store', () => {
  it('stores bytes once by hash and resolves each target path it named', async () => {
    const d = dir();
    const store = new MediaStore(d, 1024);
    // A real PNG: the store decodes what it keeps.
    const bytes = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#c00' } })
      .png()
      .toBuffer();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const a = await store.put({
      siteGroup: 'a/b',
      originalName: 'One.png',
      body: Readable.from([bytes]),
      at: 0,
    });
    const b = await store.put({
      siteGroup: 'a/b',
      originalName: 'Two.png',
      body: Readable.from([bytes]),
      at: 0,
    });
    expect(a).toMatchObject({
      path: `a/b/media/${sha.slice(0, 8)}-one.png`,
      length: bytes.length,
      sha256: sha,
      description: expect.stringMatching(/^2×2 PNG/),
    });
    expect(b.path).toBe(`a/b/media/${sha.slice(0, 8)}-two.png`);
    expect(readdirSync(join(d, 'content', 'media'))).toEqual([sha]);
    expect(await store.lookup(a.path)).toMatchObject({ sha256: sha, contentType: 'image/png' });
    for (const p of ['a/b/media/../../x', '/etc/passwd', 'a/b/other/x.png', 'a/b/media/nope.png', ''])
      expect(await store.lookup(p), p).toBeUndefined();
  });

  it('refuses a stream that grows past the limit as it arrives, and an empty one, keeping nothing', async () => {
    const d = dir();
    const store = new MediaStore(d, 1000);
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled += 400;
        this.push(Buffer.alloc(400, 7));
      },
    });
    const err = await store
      .put({ siteGroup: 'a/b', originalName: 'big.mp4', body: endless, at: 0 })
      .catch((e: unknown) => e);
    expect(isMediaRejectedError(err) && err.code).toBe('MEDIA_TOO_LARGE');
    expect(pulled).toBeLessThan(10_000);
    const empty = await store
      .put({ siteGroup: 'a/b', originalName: 'e.png', body: Readable.from([]), at: 0 })
      .catch((e: unknown) => e);
    expect(isMediaRejectedError(empty) && empty.code).toBe('MEDIA_EMPTY');
    expect(readdirSync(join(d, 'content', 'media'))).toEqual([]);
    expect(existsSync(join(d, 'content', 'media-index'))).toBe(false);
  });
});

describe('workspace store', () => {
  it('saves revision after revision and refuses a save from a stale one, changing nothing', async () => {
    const store = new WorkspaceStore(dir());
    expect(await store.load('a/b')).toBeUndefined();
    const r1 = await store.save('a/b', 0, { v: 1 }, 'an', 1000);
    expect(r1).toMatchObject({ revision: 1, updatedBy: 'an', updatedAt: '1970-01-01T00:00:01.000Z' });
    // Two saves from the same revision at once: exactly one wins.
    const both = await Promise.allSettled([
      store.save('a/b', 1, { v: 2 }, 'an', 2000),
      store.save('a/b', 1, { v: 3 }, 'binh', 3000),
    ]);
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    const lost = (both[1] as PromiseRejectedResult).reason;
    expect(isWorkspaceStaleError(lost) && lost.currentRevision).toBe(2);
    expect(await store.load('a/b')).toMatchObject({ revision: 2, manifest: { v: 2 }, updatedBy: 'an' });
    await expect(store.save('../x', 0, {}, 'an', 0)).rejects.toThrow();
  });
});

describe('content texts', () => {
  it('fill placeholders', () => {
    expect(approvalTexts.text('vi', 'sign.done', { have: 1, need: 2 })).toBe('Đã ký: 1/2 chữ ký');
    expect(approvalTexts.text('en', 'sign.published', { version: 7 })).toBe(
      'Threshold met: version 7 published',
    );
  });

  it('count problems and files in the right form', () => {
    expect(authoringTexts.text('en', 'status.notSaved', { count: 1 })).toBe('Not saved: 1 problem to fix');
    expect(authoringTexts.text('en', 'status.notSaved', { count: 3 })).toBe('Not saved: 3 problems to fix');
    expect(authoringTexts.text('vi', 'status.notSaved', { count: 1 })).toBe('Chưa lưu: có 1 vấn đề cần sửa');
    expect(approvalTexts.text('en', 'draft.need', { need: 2 })).toBe(
      'Needs 2 signatures from 2 different people (not the creator)',
    );
    const confirm = { user: 'ap1', id: 'd1', siteGroup: 'hatien', digest: 'ab12' };
    expect(approvalTexts.text('en', 'sign.confirmText', { ...confirm, files: 1 })).toBe(
      'You (ap1) are about to sign draft d1 for site group hatien: 1 file. SHA-256 of the signed data: ab12',
    );
    expect(approvalTexts.text('en', 'sign.confirmText', { ...confirm, files: 4 })).toContain(': 4 files.');
  });
});
