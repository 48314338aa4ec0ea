/**
 * A draft's review before and after, side by side: an image and a video whose bytes change (their
 * thumbnails and the video's poster made on the server, real decoded pictures), a changed text with
 * its line diff, a changed HTML page in a sandboxed frame under a CSP that lets no script run, and
 * the gate's day hour by hour before and after a new evening schedule entry. Real server, real TUF
 * repository, real sharp and ffmpeg, real Chromium.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import type { Browser } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { actor, approvalRig, HOSTILE_HTML, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { makePng, makeVideo } from '../../helpers/media-files.js';
import { publishFiles } from '../../../sync-server/tuf/publish-files.js';

const cleanups = cleanupsAfterEach();

const MAP = `${SG}/media/map.png`;
const CLIP = `${SG}/media/clip.mp4`;
const NOTICE = `${SG}/media/notice.html`;

const file = (path: string, bytes: Buffer) => ({
  path,
  length: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
});

function bundle(o: { welcome: string; evening: boolean }): string {
  return `${JSON.stringify(
    {
      schema: 1,
      siteGroup: SG,
      label: 'Hà Tiên',
      createdAt: '2026-11-01T00:00:00Z',
      items: [
        { id: 'map', title: 'Bản đồ', kind: 'image', variants: { zxx: { src: MAP } } },
        { id: 'clip', title: 'Hướng dẫn', kind: 'video', variants: { zxx: { src: CLIP } } },
        {
          id: 'welcome',
          title: 'Chào mừng',
          kind: 'text',
          variants: { vi: { body: o.welcome }, en: { body: 'Welcome' } },
        },
        { id: 'notice', title: 'Thông báo', kind: 'html', variants: { zxx: { entry: NOTICE } } },
      ],
      playlists: [
        {
          id: 'main',
          name: 'Ban ngày',
          entries: [{ itemId: 'map' }, { itemId: 'clip' }, { itemId: 'welcome' }, { itemId: 'notice' }],
        },
        { id: 'evening', name: 'Buổi tối', entries: [{ itemId: 'welcome' }] },
      ],
      schedule: {
        defaultPlaylistId: 'main',
        entries: o.evening
          ? [{ id: 'nightly', playlistId: 'evening', window: { start: '18:00', end: '22:00' } }]
          : [],
      },
    },
    null,
    2,
  )}\n`;
}

/**
 * On air: a 640×360 map, a 320×240 2-second clip, "Chào mừng" and a first notice. The draft: an
 * 800×600 map, a 640×360 3-second clip, a new Vietnamese welcome, a changed notice (whose script
 * would act as the dashboard) and the evening playlist from 18:00 to 22:00.
 */
async function compareRig() {
  const rig = await approvalRig();
  cleanups.push(rig.close);
  const dir = rig.dir.path;
  const before = {
    map: await makePng(join(dir, 'before.png'), 640, 360),
    clip: makeVideo(join(dir, 'before.mp4'), { width: 320, height: 240, fps: 10, seconds: 2, audio: false }),
    notice: Buffer.from('<!doctype html><html><body><h1>Giờ mở cửa 7:00</h1></body></html>\n'),
  };
  const after = {
    map: await makePng(join(dir, 'after.png'), 800, 600),
    clip: makeVideo(join(dir, 'after.mp4'), { width: 640, height: 360, fps: 10, seconds: 3, audio: false }),
    notice: Buffer.from(HOSTILE_HTML),
  };
  // Published through the server's own repository, so the version on air is the one it reads.
  await publishFiles(rig.s.server.tuf!.repo, {
    siteGroup: SG,
    approvers: rig.tuf.keys.approvers,
    files: {
      [`${SG}/bundle.json`]: Buffer.from(bundle({ welcome: 'Chào mừng đến Hà Tiên', evening: false })),
      [MAP]: before.map,
      [CLIP]: before.clip,
      [NOTICE]: before.notice,
    },
  });
  const drafts = rig.s.server.tuf!.drafts;
  const d = await drafts.create(
    {
      siteGroup: SG,
      manifest: bundle({ welcome: 'Chào mừng đến\ncửa khẩu Hà Tiên', evening: true }),
      files: [file(MAP, after.map), file(CLIP, after.clip), file(NOTICE, after.notice)],
    },
    actor('author'),
  );
  await drafts.upload(d.id, MAP, Readable.from([after.map]));
  await drafts.upload(d.id, CLIP, Readable.from([after.clip]));
  await drafts.upload(d.id, NOTICE, Readable.from([after.notice]));
  const get = async (path: string, cookie?: string) => {
    const res = await fetch(`${rig.base}${path}`, { headers: cookie ? { cookie } : {} });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const thumb = (path: string, side: 'before' | 'after') =>
    `/api/content/drafts/${d.id}/thumb?path=${encodeURIComponent(path)}&side=${side}`;
  return { rig, draft: d, get, thumb };
}

describe('the review shows each change before and after', () => {
  it('makes a small thumbnail of an image and a poster of a video, both real decoded pictures', async () => {
    const { rig, get, thumb } = await compareRig();
    const viewer = await rig.login('viewer');
    const cases = [
      [MAP, 'after', 240, 180], // 800×600 into 320×180
      [MAP, 'before', 320, 180], // 640×360
      [CLIP, 'after', 320, 180], // 640×360
      [CLIP, 'before', 240, 180], // 320×240
    ] as const;
    for (const [path, side, width, height] of cases) {
      const res = await get(thumb(path, side), viewer.cookie);
      expect(res.status, `${side} ${path}`).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain('sandbox');
      const m = await sharp(res.body).metadata();
      expect([m.format, m.width, m.height], `${side} ${path}`).toEqual(['webp', width, height]);
      // A picture, not a blank: the test pattern and the gradient have many colours.
      const stats = await sharp(res.body).stats();
      expect(stats.channels.some((c) => c.stdev > 10)).toBe(true);
    }
    // An HTML page has no thumbnail, whatever it is named; a path the draft lacks is not found.
    expect((await get(thumb(NOTICE, 'after'), viewer.cookie)).status).toBe(415);
    expect((await get(thumb(`${SG}/media/other.png`, 'after'), viewer.cookie)).status).toBe(404);
  }, 60_000);

  it('refuses a thumbnail to a request without a session and to a disabled account', async () => {
    const { rig, get, thumb } = await compareRig();
    const [admin, viewer] = await rig.logins('admin', 'viewer');
    expect((await get(thumb(MAP, 'after'), viewer.cookie)).status).toBe(200);
    const anonymous = await get(thumb(MAP, 'after'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).not.toContain('image');
    expect((await rig.call(admin, 'PATCH', '/api/users/viewer', { disabled: true })).status).toBe(200);
    const disabled = await get(thumb(CLIP, 'after'), viewer.cookie);
    expect(disabled.status).toBe(401);
    expect(disabled.headers.get('content-type')).not.toContain('image');
  }, 60_000);

  it('frames the HTML item sandboxed under a CSP without script, and says what each video is', async () => {
    const { rig, draft, get } = await compareRig();
    const ap1 = await rig.login('ap1');
    const page = (
      await get(`/dashboard/drafts/${draft.id}`, `${ap1.cookie}; gatecast_lang=en`)
    ).body.toString();
    const frames = [...page.matchAll(/<iframe\s[^>]*class="html-preview"[^>]*>/g)].map((m) => m[0]);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const f of frames) {
      expect(f).toMatch(/\ssandbox=""/);
      expect(f).not.toMatch(/allow-/);
    }
    // Each video by its resolution and length, from its bytes; each image by its resolution.
    for (const said of [
      'Video 320×240 · 0:02 long',
      'Video 640×360 · 0:03 long',
      'Image 640×360',
      'Image 800×600',
    ])
      expect(page).toContain(said);
    for (const side of ['before', 'after']) {
      const res = await get(
        `/api/content/drafts/${draft.id}/files/frame?path=${encodeURIComponent(NOTICE)}&side=${side}`,
        ap1.cookie,
      );
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/(^|;)\s*sandbox\s*(;|$)/);
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toMatch(/script-src|allow-scripts|allow-same-origin/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  }, 60_000);
});

describe('the review page in Chromium', () => {
  it('shows the image, video, text and HTML item and the gate’s day before and after, on a phone', async () => {
    const { rig, draft } = await compareRig();
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.setViewport({ width: 390, height: 900 });
    await loginThroughPage(page, rig.base, 'ap1');
    await page.goto(`${rig.base}/dashboard/lang/en`);
    await page.goto(`${rig.base}/dashboard/drafts/${draft.id}`, { waitUntil: 'load' });

    // Image and video: a thumbnail on each side, decoded by the browser, with what it is.
    for (const [item, captions] of [
      ['map', ['Image 640×360', 'Image 800×600']],
      ['clip', ['Video 320×240 · 0:02 long', 'Video 640×360 · 0:03 long']],
    ] as const) {
      const sel = `#review-items .item[data-item="${item}"]`;
      for (const side of ['before', 'after']) {
        // Thumbnails load lazily: as the approver scrolls to them.
        await page.$eval(`${sel} .${side} img.thumb`, (img) => img.scrollIntoView());
        await page.waitForFunction(
          (s: string) => {
            const img = document.querySelector<HTMLImageElement>(s);
            return img !== null && img.complete && img.naturalWidth > 0;
          },
          { timeout: 20_000 },
          `${sel} .${side} img.thumb`,
        );
      }
      const seen = await page.$$eval(`${sel} .sides > div`, (ds) =>
        ds.map((d) => [d.getAttribute('data-side'), d.querySelector('figcaption')?.textContent ?? '']),
      );
      expect(seen.map(([s]) => s)).toEqual(['before', 'after']);
      expect(seen[0]![1]).toContain(captions[0]);
      expect(seen[1]![1]).toContain(captions[1]);
    }

    // Text: both sides and the line diff.
    const welcome = '#review-items .item[data-item="welcome"] .lang[data-lang="vi"]';
    expect(await page.$eval(`${welcome} .before .text-body`, (p) => p.textContent)).toBe(
      'Chào mừng đến Hà Tiên',
    );
    expect(await page.$eval(`${welcome} .after .text-body`, (p) => p.textContent)).toBe(
      'Chào mừng đến\ncửa khẩu Hà Tiên',
    );
    const diff = await page.$$eval(`${welcome} pre.text-diff span`, (ss) =>
      ss.map((s) => [s.className, s.textContent?.trim()]),
    );
    expect(diff).toEqual(
      expect.arrayContaining([
        ['del', '- Chào mừng đến Hà Tiên'],
        ['add', '+ Chào mừng đến'],
        ['add', '+ cửa khẩu Hà Tiên'],
      ]),
    );
    // The unchanged English text is shown once.
    expect(
      await page.$$eval('#review-items .item[data-item="welcome"] .lang[data-lang="en"] .sides > div', (d) =>
        d.map((x) => x.getAttribute('data-side')),
      ),
    ).toEqual(['after']);

    // HTML: both pages rendered in sandboxed frames; the draft's script never runs.
    const headings: string[] = [];
    for (const side of ['before', 'after']) {
      const el = await page.waitForSelector(
        `#review-items .item[data-item="notice"] .${side} iframe.html-preview[sandbox=""]`,
      );
      const frame = await el!.contentFrame();
      await frame.waitForSelector('h1');
      headings.push((await frame.$eval('h1', (h) => h.textContent)) ?? '');
      expect(await frame.evaluate(() => (window as { __owned?: string }).__owned)).toBeUndefined();
    }
    expect(headings).toEqual(['Giờ mở cửa 7:00', 'Thông báo']);
    expect(await page.evaluate(() => (window as { __owned?: string }).__owned)).toBeUndefined();

    // The gate's day: the evening playlist from 18:00 to 22:00 with the draft, the day one before.
    const rows = await page.$$eval('#schedule-day tbody tr', (trs) =>
      trs.map((tr) => [
        Number(tr.getAttribute('data-hour')),
        tr.getAttribute('data-changed'),
        tr.querySelector('td[data-side="before"]')?.textContent?.trim(),
        tr.querySelector('td[data-side="after"]')?.textContent?.trim(),
      ]),
    );
    expect(rows).toHaveLength(24);
    for (const [hour, changed, before, after] of rows) {
      const evening = (hour as number) >= 18 && (hour as number) < 22;
      expect([hour, changed, before, after]).toEqual([
        hour,
        String(evening),
        'Ban ngày',
        evening ? 'Buổi tối' : 'Ban ngày',
      ]);
    }
    expect(await page.$eval('#review-schedule [data-f="changed-hours"]', (p) => p.textContent?.trim())).toBe(
      'The draft changes what plays in 4 hours of this day',
    );

    // The whole page keeps to a phone's width.
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
  }, 90_000);
});
