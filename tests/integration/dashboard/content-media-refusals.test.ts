/**
 * Media refused by their content are refused all at once, each named (item, language, file, what
 * its bytes are, why), in the author's language, and nothing is stored: through the content API
 * (its JSON lists every file with its code) and on the Vietnamese content page in real Chromium.
 * Real server on 127.0.0.1:0, real TUF repository, real files.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mediaTargetPath } from '../../../sync-server/content/media-names.js';
import { authoringTexts } from '../../../sync-server/content/texts.js';
import { PNG_1x1, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { apiLogin, launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { makePdf, makeProgram, makeVideo } from '../../helpers/media-files.js';
import { tempFolder } from '../../helpers/temp.js';
import { ONE_ITEM_BUNDLE, startOneBundleServer } from '../../helpers/content-server.js';

const cleanups = cleanupsAfterEach();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const BASE = ONE_ITEM_BUNDLE;

async function start(dir: string) {
  const s = await startOneBundleServer(cleanups, dir);
  const dataDir = join(dir, 'server');
  const { cookie, csrfToken } = await apiLogin(s.base, 'author');
  const headers = { cookie, 'x-csrf-token': csrfToken };
  /** Uploads through the content API (the same route the page uses). */
  const upload = (name: string, bytes: Buffer, lang = 'vi') =>
    fetch(
      `${s.base}/api/content/media?siteGroup=${encodeURIComponent(SG)}&name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: {
          ...headers,
          cookie: `${cookie}; gatecast_lang=${lang}`,
          'content-type': 'application/octet-stream',
        },
        body: new Uint8Array(bytes),
      },
    );
  /**
   * A file the media store took before it checked content (an older server's store, kept across
   * the upgrade): its bytes and its index record as the store lays them out.
   */
  const legacyMedia = (name: string, bytes: Buffer): string => {
    const digest = sha(bytes);
    const path = mediaTargetPath(SG, name, digest);
    mkdirSync(join(dataDir, 'content', 'media'), { recursive: true });
    writeFileSync(join(dataDir, 'content', 'media', digest), bytes);
    const index = join(dataDir, 'content', 'media-index', `${path}.json`);
    mkdirSync(dirname(index), { recursive: true });
    writeFileSync(
      index,
      `${JSON.stringify({ path, length: bytes.length, sha256: digest, contentType: 'image/png', originalName: name, uploadedAt: '2025-06-01T00:00:00.000Z' })}\n`,
    );
    return path;
  };
  const save = async (manifest: unknown) => {
    const res = await fetch(`${s.base}/api/content/workspace?siteGroup=${encodeURIComponent(SG)}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ revision: 0, manifest }),
    });
    expect(res.status).toBe(200);
  };
  /** Submits the saved workspace; the language is the dashboard's cookie, as the switch sets it. */
  const submit = (lang: string) =>
    fetch(`${s.base}/api/content/submit?siteGroup=${encodeURIComponent(SG)}`, {
      method: 'POST',
      headers: { ...headers, cookie: `${cookie}; gatecast_lang=${lang}`, 'content-type': 'application/json' },
      body: JSON.stringify({ revision: 1 }),
    });
  const stored = () => ({
    blobs: readdirSync(join(dataDir, 'content', 'media')).sort(),
    drafts: existsSync(join(s.tufDir, 'drafts')) ? readdirSync(join(s.tufDir, 'drafts')).length : 0,
  });
  return { ...s, dataDir, upload, legacyMedia, save, submit, stored };
}

/** An image item with a file per language. */
const imageItem = (id: string, title: string, variants: Record<string, string>) => ({
  id,
  title,
  kind: 'image',
  variants: Object.fromEntries(Object.entries(variants).map(([l, src]) => [l, { src }])),
});

function withItems(...items: unknown[]) {
  return {
    ...BASE,
    items: [...BASE.items, ...items],
    playlists: [
      {
        id: 'main',
        name: 'Chính',
        entries: [{ itemId: 'welcome' }, ...items.map((i) => ({ itemId: (i as { id: string }).id }))],
      },
    ],
  };
}

interface RefusalJson {
  path: string;
  code: string;
  name: string;
  detected?: string;
  expected?: string;
  uses: { item: string; title?: string; language: string }[];
}

describe('media refused by their content', () => {
  it('answers a submission with every bad file, each with its code, and stores nothing', async () => {
    const dir = tempFolder(cleanups, 'gc-refusals-api-');
    const s = await start(dir);
    const pdf = makePdf(join(dir, 'vi.png'));
    const pdfPath = s.legacyMedia('vi.png', pdf);
    // A WebM over the screens' limits passes the upload, but it would have to become an .mp4.
    const webm = join(dir, 'clip.webm');
    makeVideo(webm, { width: 2560, height: 1440, fps: 5, seconds: 1, codec: 'libvpx', audio: false });
    const up = await s.upload('clip.webm', readFileSync(webm));
    expect(up.status).toBe(201);
    const webmPath = ((await up.json()) as { path: string }).path;
    const good = await s.upload('good.png', PNG_1x1);
    expect(good.status).toBe(201);
    const goodPath = ((await good.json()) as { path: string }).path;
    await s.save(
      withItems(imageItem('poster', 'Áp phích', { vi: pdfPath, en: goodPath }), {
        id: 'clip',
        title: 'Đoạn phim',
        kind: 'video',
        loop: false,
        variants: { zxx: { src: webmPath } },
      }),
    );
    const before = s.stored();

    const res = await s.submit('en');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; files: RefusalJson[] } };
    expect(body.error.code).toBe('MEDIA_REFUSED');
    expect(body.error.files).toEqual([
      expect.objectContaining({
        path: pdfPath,
        code: 'MEDIA_TYPE_MISMATCH',
        name: pdfPath.split('/').pop(),
        detected: 'pdf',
        expected: 'png',
        uses: [{ item: 'poster', title: 'Áp phích', language: 'vi' }],
      }),
      expect.objectContaining({
        path: webmPath,
        code: 'MEDIA_LIMITS',
        name: webmPath.split('/').pop(),
        detected: 'webm',
        uses: [{ item: 'clip', title: 'Đoạn phim', language: 'zxx' }],
      }),
    ]);
    const lines = body.error.message.split('\n');
    expect(lines[0]).toBe(authoringTexts.text('en', 'media.refusedAll', { count: 2 }));
    expect(lines[0]).toContain('2 files were refused');
    expect(lines[1]).toBe(
      authoringTexts.text('en', 'media.failedIn', {
        path: pdfPath,
        uses: 'item “Áp phích”, Vietnamese',
        reason: `${pdfPath.split('/').pop()} is a PDF document, not a PNG image`,
      }),
    );
    // The same answer in Vietnamese for a Vietnamese session.
    const vi = (await (await s.submit('vi')).json()) as { error: { message: string } };
    expect(vi.error.message.split('\n')[1]).toBe(
      authoringTexts.text('vi', 'media.failedIn', {
        path: pdfPath,
        uses: 'mục “Áp phích”, Tiếng Việt',
        reason: `${pdfPath.split('/').pop()} là một tài liệu PDF, không phải một ảnh PNG`,
      }),
    );
    // Nothing stored: no draft, the media store as it was.
    expect(s.stored()).toEqual(before);
    expect(await s.server.tuf!.drafts.list()).toEqual([]);
  }, 120_000);

  it('refuses one bad upload with what it is, in the session’s language, storing nothing', async () => {
    const dir = tempFolder(cleanups, 'gc-refusals-upload-');
    const s = await start(dir);
    const exe = makeProgram(join(dir, 'en.png'));
    const res = await s.upload('en.png', exe, 'vi');
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: { code: string; message: string; files: RefusalJson[] } };
    expect(body.error).toMatchObject({
      code: 'MEDIA_TYPE_MISMATCH',
      message: 'en.png là một chương trình (tệp thực thi ELF), không phải một ảnh PNG',
      files: [
        {
          path: 'en.png',
          code: 'MEDIA_TYPE_MISMATCH',
          name: 'en.png',
          detected: 'elf',
          expected: 'png',
          uses: [],
        },
      ],
    });
    const blobs = join(s.dataDir, 'content', 'media');
    expect(readdirSync(blobs)).toEqual([]);
  });

  it('names every refused file in Vietnamese on the content page, and makes no draft', async () => {
    const dir = tempFolder(cleanups, 'gc-refusals-page-');
    const s = await start(dir);
    const pdfPath = s.legacyMedia('vi.png', makePdf(join(dir, 'vi.png')));
    const exePath = s.legacyMedia('en.png', makeProgram(join(dir, 'en.png')));
    await s.save(withItems(imageItem('poster', 'Áp phích', { vi: pdfPath, en: exePath })));
    const before = s.stored();

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(page, s.base, 'author');
    await page.click('#nav-content');
    await page.waitForSelector('fieldset[data-item-id="poster"]');
    await page.click('#cw-submit');
    await page.waitForSelector('#cw-media-state[data-outcome="refused"]', { timeout: 60_000 });
    const rows = await page.$$eval('#cw-media li', (lis) =>
      lis.map((li) => ({
        path: li.getAttribute('data-path'),
        state: li.getAttribute('data-state'),
        code: li.getAttribute('data-code'),
        text: li.textContent,
      })),
    );
    const name = (p: string) => p.split('/').pop()!;
    expect(rows).toEqual([
      {
        path: pdfPath,
        state: 'failed',
        code: 'MEDIA_TYPE_MISMATCH',
        text: authoringTexts.text('vi', 'media.failedIn', {
          path: pdfPath,
          uses: 'mục “Áp phích”, Tiếng Việt',
          reason: `${name(pdfPath)} là một tài liệu PDF, không phải một ảnh PNG`,
        }),
      },
      {
        path: exePath,
        state: 'failed',
        code: 'MEDIA_TYPE_MISMATCH',
        text: authoringTexts.text('vi', 'media.failedIn', {
          path: exePath,
          uses: 'mục “Áp phích”, Tiếng Anh',
          reason: `${name(exePath)} là một chương trình (tệp thực thi ELF), không phải một ảnh PNG`,
        }),
      },
    ]);
    expect(await page.$eval('#cw-media-state', (e) => e.textContent)).toBe(
      authoringTexts.text('vi', 'media.refusedAll', { count: 2 }),
    );
    // The submission's own answer, under the button, is Vietnamese too and names both files.
    const status = await page.$eval('#cw-status', (e) => e.textContent!);
    expect(status).toContain(authoringTexts.text('vi', 'media.refusedAll', { count: 2 }));
    expect(status).toContain(`${name(pdfPath)} là một tài liệu PDF`);
    expect(status).toContain(`${name(exePath)} là một chương trình`);
    expect(status).not.toMatch(/ is an? /);
    expect(s.stored()).toEqual(before);
    expect(await s.server.tuf!.drafts.list()).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
