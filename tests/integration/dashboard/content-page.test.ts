import { makeVideo } from '../../helpers/media-files.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { authoringTexts } from '../../../sync-server/content/texts.js';
import { describe, expect, it } from 'vitest';
import { launchChromium, loginThroughPage, startServerWithUsers } from '../../helpers/dashboard.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { PNG_1x1, SG } from '../../helpers/approval.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const PNG = PNG_1x1;
const HOSTILE = '<img src=x onerror="window.__xss=1">';

describe('content authoring page', () => {
  it('lets an author build an item with vi and en images, preview the timeline and submit a draft', async () => {
    const dir = tempFolder(cleanups, 'gc-content-page-');
    const manifest = {
      schema: 1,
      siteGroup: SG,
      createdAt: '2026-01-01T00:00:00Z',
      items: [{ id: 'welcome', title: 'Chào mừng', kind: 'text', variants: { vi: { body: 'Xin chào' } } }],
      playlists: [{ id: 'main', name: 'Chính', entries: [{ itemId: 'welcome' }] }],
      schedule: {
        defaultPlaylistId: 'main',
        entries: [{ id: 'eve', playlistId: 'main', priority: 1, window: { start: '18:00', end: '22:00' } }],
      },
    };
    const tuf = await startTufRepo({
      serve: false,
      files: { [`${SG}/bundle.json`]: Buffer.from(JSON.stringify(manifest)) },
    });
    cleanups.push(() => tuf.close());
    const s = await startServerWithUsers(
      cleanups,
      dir,
      { admin: 'admin', author: 'author', viewer: 'viewer' },
      { tuf: { repoDir: tuf.dir } },
    );
    const base = s.base;
    const png = join(dir, 'cửa khẩu.png');
    writeFileSync(png, PNG);

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(page, base, 'author');
    await page.click('#nav-content');
    await page.waitForSelector('fieldset[data-item-id="welcome"]');
    expect(await page.$eval('#cw-gate-info', (e) => e.textContent)).toContain('Asia/Ho_Chi_Minh');

    // A new item: saving it half-done names its problems next to it; nothing is saved.
    await page.click('#cw-add-item');
    const item = 'fieldset[data-item-id="item-1"]';
    await page.waitForSelector(item);
    await page.click('#cw-save');
    await page.waitForSelector(`${item} .cw-problem`);
    expect(await page.$$eval('#cw-problems li', (l) => l.length)).toBeGreaterThan(0);

    await page.type(`${item} input[data-f="title"]`, HOSTILE);
    for (const lang of ['vi', 'en']) {
      const input = await page.$(`${item} .cw-variant[data-lang="${lang}"] input[type="file"]`);
      await input!.uploadFile(png);
      await page.waitForSelector(`${item} .cw-variant[data-lang="${lang}"] img.cw-thumb`);
    }
    await page.select('fieldset[data-playlist-id="main"] select.cw-add-entry', 'item-1');
    await page.click('fieldset[data-playlist-id="main"] .cw-add-entry-btn');
    await page.waitForSelector('fieldset[data-playlist-id="main"] li[data-entry-item="item-1"]');

    await page.type(
      'fieldset[data-playlist-id="main"] input[data-f="ticker"][data-lang="vi"]',
      'Giờ mở cửa: 7:00–17:00',
    );

    await page.click('#cw-save');
    await page.waitForFunction(
      (t) => document.getElementById('cw-status')!.textContent === t,
      {},
      authoringTexts.text('vi', 'status.saved', { revision: 1 }),
    );
    // The uploaded picture shows in the editor (served back by the preview route).
    await page.waitForFunction(
      () =>
        (document.querySelector('fieldset[data-item-id="item-1"] img.cw-thumb') as HTMLImageElement)
          ?.naturalWidth === 1,
    );

    await page.click('#cw-preview');
    await page.waitForSelector('#cw-timeline rect[data-playlist="main"]');
    const rows = await page.$$eval('#cw-timeline-table tbody tr', (trs) => trs.map((tr) => tr.textContent));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(await page.$eval('#cw-preview-title', (e) => e.textContent)).toContain('Asia/Ho_Chi_Minh');

    await page.click('#cw-submit');
    await page.waitForSelector('#cw-draft:not([hidden])');
    const href = await page.$eval('#cw-draft-link', (a) => a.getAttribute('href'));
    const id = /^\/dashboard\/drafts\/(d\d{8}t\d{6}-[0-9a-f]{8})$/.exec(href ?? '')?.[1];
    expect(id).toBeDefined();
    const draft = await s.server.tuf!.drafts.get(id!);
    expect(draft).toMatchObject({ createdBy: 'author', missing: [], siteGroup: SG });
    expect(draft.files).toHaveLength(1);
    const submitted = JSON.parse((await s.server.tuf!.drafts.manifest(id!)).toString('utf8'));
    expect(submitted.items[1]).toMatchObject({ id: 'item-1', title: HOSTILE, kind: 'image' });
    expect(Object.keys(submitted.items[1].variants)).toEqual(['vi', 'en']);
    expect(submitted.playlists[0].ticker).toEqual({
      text: { vi: 'Giờ mở cửa: 7:00–17:00' },
      speedPxPerS: 80,
    });
    expect(submitted.playlists[0].entries.map((e: { itemId: string }) => e.itemId)).toEqual([
      'welcome',
      'item-1',
    ]);

    // The hostile title stayed text everywhere it is shown.
    expect(await page.$eval(`${item} legend`, (e) => e.textContent)).toBe(HOSTILE);
    expect(await page.$$('img[src="x"]')).toHaveLength(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();

    // A video item: one language-neutral clip with its poster, looped.
    await page.click('#cw-add-item');
    const video = 'fieldset[data-item-id="item-2"]';
    await page.waitForSelector(video);
    await page.select(`${video} select[data-f="kind"]`, 'video');
    await page.waitForSelector(`${video} input[data-f="loop"]`);
    await page.click(`${video} input[data-f="loop"]`);
    const clip = join(dir, 'Đoạn phim.mp4');
    makeVideo(clip, { width: 320, height: 180, fps: 25, seconds: 1 });
    await (await page.$(`${video} .cw-variant[data-lang="zxx"] input[type="file"]`))!.uploadFile(clip);
    await page.waitForSelector(`${video} .cw-variant[data-lang="zxx"] input[data-slot="poster"]`);
    await (await page.$(`${video} .cw-variant[data-lang="zxx"] input[data-slot="poster"]`))!.uploadFile(png);
    await page.waitForFunction(
      () =>
        (
          window as unknown as {
            gcContent: { manifest: { items: { variants: Record<string, { poster?: string }> }[] } };
          }
        ).gcContent.manifest.items[2]!.variants['zxx']?.poster !== undefined,
    );
    const v = await page.evaluate(
      () =>
        (window as unknown as { gcContent: { manifest: { items: unknown[] } } }).gcContent.manifest.items[2],
    );
    expect(v).toMatchObject({
      id: 'item-2',
      kind: 'video',
      loop: true,
      variants: {
        zxx: {
          src: expect.stringMatching(/^kien-giang\/ha-tien\/media\/[0-9a-f]{8}-doan-phim\.mp4$/),
          poster: expect.stringMatching(/^kien-giang\/ha-tien\/media\/[0-9a-f]{8}-cua-khau\.png$/),
        },
      },
    });

    // A viewer, in English: the saved workspace, read-only, the hostile title still text.
    const ctx = await browser.createBrowserContext();
    const vpage = await ctx.newPage();
    vpage.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(vpage, base, 'viewer');
    await vpage.goto(`${base}/dashboard/lang/en?next=/dashboard/content`);
    await vpage.waitForSelector(item);
    expect(await vpage.$eval('main h2', (e) => e.textContent)).toBe(
      authoringTexts.text('en', 'content.title'),
    );
    expect(await vpage.$('#cw-save')).toBeNull();
    expect(await vpage.$('#cw-submit')).toBeNull();
    expect(
      await vpage.$eval(`${item} input[data-f="title"]`, (e) => [
        (e as HTMLInputElement).value,
        (e as HTMLInputElement).disabled,
      ]),
    ).toEqual([HOSTILE, true]);
    expect(await vpage.$$('img[src="x"]')).toHaveLength(0);
    expect(await vpage.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    expect(errors).toEqual([]);
  }, 90_000);
});
