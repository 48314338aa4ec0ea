/**
 * The content page while a submission normalises its media: each file's step and percentage as it
 * goes, then what each file was and became (type, size in pixels, bytes, bytes saved), or why one
 * was refused, naming it. Real files (sharp, ffmpeg), the real server and Chromium.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { authoringTexts } from '../../../sync-server/content/texts.js';
import { DASHBOARD_LOCALE } from '../../../sync-server/dashboard/language.js';
import { PNG_1x1, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { apiLogin, launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { makeVideo } from '../../helpers/media-files.js';
import { tempFolder } from '../../helpers/temp.js';
import { ONE_ITEM_BUNDLE, startOneBundleServer } from '../../helpers/content-server.js';

const cleanups = cleanupsAfterEach();

const MANIFEST = ONE_ITEM_BUNDLE;
const start = (dir: string) => startOneBundleServer(cleanups, dir);

/** The page's way of writing a size (content-media.js), for the expected texts. */
function size(bytes: number, locale: string): string {
  const f = new Intl.NumberFormat(locale, { maximumFractionDigits: bytes >= 1e7 ? 0 : 1 });
  if (bytes >= 1e6) return `${f.format(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${f.format(bytes / 1e3)} kB`;
  return `${f.format(bytes)} B`;
}

/** A photo-like JPEG (noise does not compress away): large in bytes and in pixels. */
async function makePhoto(file: string, width: number, height: number): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = (x >> 16) & 0xff;
  }
  writeFileSync(
    file,
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer(),
  );
}

interface Seen {
  path: string;
  state: string;
  progress: string | null;
  text: string;
}

describe('content page: media normalisation on submit', () => {
  it('shows each file’s progress while it is normalised, then what it was and became', async () => {
    const dir = tempFolder(cleanups, 'gc-media-progress-');
    const s = await start(dir);
    const photo = join(dir, 'anh-cua-khau.jpg');
    await makePhoto(photo, 4000, 3000);
    // Over the screens' limits in size and frame rate, long enough for ffmpeg to report progress.
    const clip = join(dir, 'doan-phim.mp4');
    makeVideo(clip, { width: 2560, height: 1440, fps: 60, seconds: 4 });
    const poster = join(dir, 'poster.png');
    writeFileSync(poster, PNG_1x1);

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(page, s.base, 'author');
    await page.click('#nav-content');
    await page.waitForSelector('fieldset[data-item-id="welcome"]');

    await page.click('#cw-add-item');
    const image = 'fieldset[data-item-id="item-1"]';
    await page.waitForSelector(image);
    await page.type(`${image} input[data-f="title"]`, 'Ảnh cửa khẩu');
    for (const lang of ['vi', 'en']) {
      await (await page.$(`${image} .cw-variant[data-lang="${lang}"] input[type="file"]`))!.uploadFile(photo);
      await page.waitForSelector(`${image} .cw-variant[data-lang="${lang}"] img.cw-thumb`);
    }
    await page.click('#cw-add-item');
    const video = 'fieldset[data-item-id="item-2"]';
    await page.waitForSelector(video);
    await page.type(`${video} input[data-f="title"]`, 'Đoạn phim');
    await page.select(`${video} select[data-f="kind"]`, 'video');
    await page.waitForSelector(`${video} .cw-variant[data-lang="zxx"] input[type="file"]`);
    await (await page.$(`${video} .cw-variant[data-lang="zxx"] input[type="file"]`))!.uploadFile(clip);
    await page.waitForSelector(`${video} .cw-variant[data-lang="zxx"] input[data-slot="poster"]`);
    await (await page.$(`${video} .cw-variant[data-lang="zxx"] input[data-slot="poster"]`))!.uploadFile(
      poster,
    );
    await page.waitForFunction(
      () =>
        (
          window as unknown as {
            gcContent: { manifest: { items: { variants: Record<string, { poster?: string }> }[] } };
          }
        ).gcContent.manifest.items[2]!.variants['zxx']?.poster !== undefined,
    );
    for (const id of ['item-1', 'item-2']) {
      await page.select('fieldset[data-playlist-id="main"] select.cw-add-entry', id);
      await page.click('fieldset[data-playlist-id="main"] .cw-add-entry-btn');
      await page.waitForSelector(`fieldset[data-playlist-id="main"] li[data-entry-item="${id}"]`);
    }
    await page.click('#cw-save');
    await page.waitForFunction(
      (t) => document.getElementById('cw-status')!.textContent === t,
      {},
      authoringTexts.text('vi', 'status.saved', { revision: 1 }),
    );
    const items = await page.evaluate(
      () =>
        (
          window as unknown as {
            gcContent: {
              manifest: { items: { variants: Record<string, { src: string; poster?: string }> }[] };
            };
          }
        ).gcContent.manifest.items,
    );
    const photoPath = items[1]!.variants['vi']!.src;
    const clipPath = items[2]!.variants['zxx']!.src;
    expect(items[1]!.variants['en']!.src).toBe(photoPath);

    // Every state the list goes through, as the page draws it.
    await page.evaluate(() => {
      const w = window as unknown as { seen: Seen[] };
      w.seen = [];
      new MutationObserver(() => {
        document.querySelectorAll('#cw-media li').forEach((li) =>
          w.seen.push({
            path: li.getAttribute('data-path')!,
            state: li.getAttribute('data-state')!,
            progress: li.getAttribute('data-progress'),
            text: li.textContent!,
          }),
        );
      }).observe(document.getElementById('cw-media')!, { childList: true });
    });
    await page.click('#cw-submit');
    await page.waitForSelector('#cw-media-state[data-outcome="submitted"]', { timeout: 120_000 });
    await page.waitForSelector('#cw-draft:not([hidden])');

    const seen = await page.evaluate(() => (window as unknown as { seen: Seen[] }).seen);
    const ofClip = seen.filter((x) => x.path === clipPath);
    // While ffmpeg ran: the video's step and a percentage part of the way, as text and as a bar.
    const midway = ofClip.filter(
      (x) => x.state === 'normalising' && Number(x.progress) > 0 && Number(x.progress) < 1,
    );
    expect(midway.length).toBeGreaterThan(0);
    const m = midway[0]!;
    expect(m.text).toBe(
      authoringTexts.text('vi', 'media.normalising', {
        path: clipPath,
        percent: Math.floor(Number(m.progress) * 100),
      }),
    );
    // The video waited while the photo was worked on (files go one after another).
    expect(seen.some((x) => x.path === clipPath && x.state === 'waiting')).toBe(true);
    expect(seen.some((x) => x.path === photoPath && ['checking', 'normalising'].includes(x.state))).toBe(
      true,
    );

    // The summary, checked against the draft the server made and the files it staged.
    const id = /\/dashboard\/drafts\/(.+)$/.exec(
      (await page.$eval('#cw-draft-link', (a) => a.getAttribute('href')))!,
    )![1]!;
    const draft = await s.server.tuf!.drafts.get(id);
    const target = (p: string) => draft.files.find((f) => f.path === p)!;
    const rows = await page.$$eval('#cw-media li', (lis) =>
      lis.map((li) => ({
        path: li.getAttribute('data-path'),
        state: li.getAttribute('data-state'),
        original: Number(li.getAttribute('data-original-bytes')),
        normalised: Number(li.getAttribute('data-normalised-bytes')),
        pixels: li.getAttribute('data-normalised-size'),
        text: li.textContent,
      })),
    );
    const posterPath = items[2]!.variants['zxx']!.poster!;
    expect(rows.map((r) => r.path).sort()).toEqual([clipPath, photoPath, posterPath].sort());
    const locale = DASHBOARD_LOCALE.vi;
    const expected = {
      [photoPath]: { file: photo, from: 'JPEG 4000×3000', to: 'JPEG 1440×1080', pixels: '1440x1080' },
      [clipPath]: {
        file: clip,
        from: 'H264/AAC MP4 2560×1440',
        to: 'H264/AAC MP4 1920×1080',
        pixels: '1920x1080',
      },
    };
    let savedInAll = 0;
    for (const r of rows) {
      if (r.path === posterPath) {
        // Already fits: kept byte for byte, nothing saved.
        expect(r).toMatchObject({ state: 'done', original: PNG_1x1.length, normalised: PNG_1x1.length });
        expect(r.text).toBe(
          authoringTexts.text('vi', 'media.kept', {
            path: posterPath,
            from: `PNG 1×1, ${size(PNG_1x1.length, locale)}`,
          }),
        );
        continue;
      }
      const e = expected[r.path!]!;
      const originalBytes = statSync(e.file).size;
      const normalisedBytes = target(r.path!).length;
      expect(r).toMatchObject({
        state: 'done',
        original: originalBytes,
        normalised: normalisedBytes,
        pixels: e.pixels,
      });
      expect(normalisedBytes).toBeLessThan(originalBytes);
      const saved = originalBytes - normalisedBytes;
      savedInAll += saved;
      expect(r.text).toBe(
        `${authoringTexts.text('vi', 'media.changed', {
          path: r.path!,
          from: `${e.from}, ${size(originalBytes, locale)}`,
          to: `${e.to}, ${size(normalisedBytes, locale)}`,
        })} (${authoringTexts.text('vi', 'media.saved', { saved: size(saved, locale) })})`,
      );
    }
    // The staged target really is what the summary says it became.
    const photoMeta = draft.media!.find((x) => x.path === photoPath)!;
    expect(photoMeta.normalised).toMatchObject({ type: 'JPEG', width: 1440, height: 1080 });
    expect(await page.$eval('#cw-media-state', (e) => e.textContent)).toBe(
      authoringTexts.text('vi', 'media.submitted', { saved: size(savedInAll, locale) }),
    );
    expect(errors).toEqual([]);
  }, 240_000);

  it('names the refused file, where it is used and why, in English, and makes no draft', async () => {
    const dir = tempFolder(cleanups, 'gc-media-refused-');
    const s = await start(dir);
    const { cookie, csrfToken } = await apiLogin(s.base, 'author');
    const headers = { cookie, 'x-csrf-token': csrfToken };
    // A WebM over the screens' limits: it would have to become an .mp4, so it is refused.
    const webm = join(dir, 'clip.webm');
    const webmBytes = makeVideo(webm, {
      width: 2560,
      height: 1440,
      fps: 5,
      seconds: 1,
      codec: 'libvpx',
      audio: false,
    });
    const up = await fetch(`${s.base}/api/content/media?siteGroup=${encodeURIComponent(SG)}&name=clip.webm`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(webmBytes),
    });
    expect(up.status).toBe(201);
    const { path } = (await up.json()) as { path: string };
    const manifest = {
      ...MANIFEST,
      items: [
        ...MANIFEST.items,
        { id: 'clip', title: 'Clip', kind: 'video', loop: false, variants: { zxx: { src: path } } },
      ],
      playlists: [{ id: 'main', name: 'Chính', entries: [{ itemId: 'welcome' }, { itemId: 'clip' }] }],
    };
    const saved = await fetch(`${s.base}/api/content/workspace?siteGroup=${encodeURIComponent(SG)}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ revision: 0, manifest }),
    });
    expect(saved.status).toBe(200);

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await loginThroughPage(page, s.base, 'author');
    await page.goto(`${s.base}/dashboard/lang/en?next=/dashboard/content`);
    await page.waitForSelector('fieldset[data-item-id="clip"]');
    await page.click('#cw-submit');
    await page.waitForSelector('#cw-media-state[data-outcome="refused"]', { timeout: 60_000 });
    const row = await page.$eval(`#cw-media li`, (li) => ({
      path: li.getAttribute('data-path'),
      state: li.getAttribute('data-state'),
      code: li.getAttribute('data-code'),
      text: li.textContent!,
    }));
    expect(row).toMatchObject({ path, state: 'failed', code: 'MEDIA_LIMITS' });
    // The page's own words: the file, where it is used, and why.
    expect(row.text).toBe(
      authoringTexts.text('en', 'media.failedIn', {
        path,
        uses: 'item “Clip”, Language-neutral (shared)',
        reason: `${path.split('/').pop()} is a WebM video over the screens' limits; export it as MP4`,
      }),
    );
    expect(await page.$eval('#cw-media-state', (e) => e.textContent)).toBe(
      authoringTexts.text('en', 'media.refusedAll', { count: 1 }),
    );
    expect(await page.$eval('#cw-media-state', (e) => e.textContent)).toContain('1 file was refused');
    expect(await s.server.tuf!.drafts.list()).toEqual([]);
  }, 120_000);
});
