/**
 * The dashboard as people use it, in Chromium: every page an admin, an author and an approver can
 * open, in Vietnamese and English, at 390 px (a phone), 1366 px (the office laptop) and 1920 px.
 * On each: the page never scrolls sideways (wide tables and the navigation scroll inside
 * themselves), the header keeps to at most two rows on a laptop, no catalogue key or internal code
 * is shown as text, the province and gate go by their names, and an address that does not exist or
 * a page the role may not see answers as a page in the user's language, not as JSON. Real server,
 * real TUF repository, real device link.
 */
import type { Browser, Page } from 'puppeteer-core';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actor, approvalRig } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { enrolTestDevice, makeDevice, until } from '../../helpers/sync.js';

const cleanups = cleanupsAfterEach();
const WIDTHS = [390, 1366, 1920] as const;

interface PageLook {
  status: number;
  contentType: string;
  /** How much wider than the window the page is (0: it fits). */
  overflowPx: number;
  headerPx: number;
  /** Visible text that looks like a catalogue key or a code ("audit.action.x", "draft_pending"). */
  rawCodes: string[];
  title: string;
  text: string;
}

async function look(page: Page, url: string): Promise<PageLook> {
  const res = await page.goto(url, { waitUntil: 'load' });
  const seen = await page.evaluate(() => {
    const header = document.querySelector('body > header');
    const codes: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      // Scripts' data blocks and the places that show identifiers on purpose (ids, paths, hashes).
      if (!el || el.closest('script, style, code, samp, kbd, pre, [data-raw]')) continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const t = n.textContent ?? '';
      // Dotted keys (not file names or host names) and snake_case codes.
      const m = t.match(/\b[a-z]+(?:\.[a-z][a-zA-Z0-9-]*)+\b|\b[a-z]+_[a-z_]+\b/g) ?? [];
      for (const x of m)
        if (!/\.(json|png|jpe?g|webp|mp4|html?|css|js|svg|pdf|csv|key|pub)$/.test(x) && !/^\d/.test(x))
          codes.push(x);
    }
    return {
      overflowPx: document.documentElement.scrollWidth - window.innerWidth,
      headerPx: header ? header.getBoundingClientRect().height : 0,
      rawCodes: codes,
      title: document.title,
      text: document.body.innerText,
    };
  });
  return { status: res?.status() ?? 0, contentType: res?.headers()['content-type'] ?? '', ...seen };
}

describe('the dashboard at three widths in two languages', () => {
  it('fits the window, speaks the language, names gates and provinces, and answers errors as pages', async () => {
    const rig = await approvalRig();
    cleanups.push(() => rig.close());
    const s = rig.s;
    // A screen online, a draft waiting for approval, some audit history: pages with data in them.
    const e = await enrolTestDevice(s.api, s.server.url, join(rig.dir.path, 'd'), 'Sảnh xuất cảnh 1');
    const dev = makeDevice(join(rig.dir.path, 'd'), e.deviceId, s.server.url);
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(() => s.server.hub.isOnline(e.deviceId), 5000, 'device online');
    const draft = await rig.contentDraft(actor('author'));

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const pagesOf: Record<string, string[]> = {
      admin: [
        '/dashboard',
        `/dashboard/screen/${e.deviceId}`,
        '/dashboard/fleet/manage',
        '/dashboard/alerts',
        '/dashboard/content',
        '/dashboard/drafts',
        `/dashboard/drafts/${draft.id}`,
        '/dashboard/reports',
        '/dashboard/users',
        '/dashboard/audit',
        '/dashboard/account',
      ],
      author: ['/dashboard', '/dashboard/content', '/dashboard/drafts', '/dashboard/emergency'],
      ap1: ['/dashboard/drafts', `/dashboard/drafts/${draft.id}`],
    };
    const problems: string[] = [];
    for (const [user, paths] of Object.entries(pagesOf)) {
      const ctx = await browser.createBrowserContext();
      const page = await ctx.newPage();
      await loginThroughPage(page, rig.base, user);
      for (const lang of ['vi', 'en'] as const) {
        await page.goto(`${rig.base}/dashboard/lang/${lang}`);
        for (const width of WIDTHS) {
          await page.setViewport({ width, height: 900 });
          for (const path of paths) {
            const at = `${user} ${lang} ${width}px ${path}`;
            const l = await look(page, `${rig.base}${path}`);
            if (l.status !== 200) problems.push(`${at}: status ${l.status}`);
            if (l.overflowPx > 0) problems.push(`${at}: ${l.overflowPx} px wider than the window`);
            // One row for the title and account, one for the navigation (≈ 2 × 40 px).
            if (width >= 1366 && l.headerPx > 90) problems.push(`${at}: header ${l.headerPx} px tall`);
            if (width < 1366 && l.headerPx > 160) problems.push(`${at}: header ${l.headerPx} px tall`);
            if (l.rawCodes.length) problems.push(`${at}: raw codes ${JSON.stringify(l.rawCodes)}`);
          }
        }
      }
      await ctx.close();
    }
    expect(problems).toEqual([]);

    // The review says which fields changed in words, not by their names in bundle.json.
    const ap = await browser.createBrowserContext();
    const apPage = await ap.newPage();
    await loginThroughPage(apPage, rig.base, 'ap1');
    await apPage.goto(`${rig.base}/dashboard/lang/vi`);
    await apPage.goto(`${rig.base}/dashboard/drafts/${draft.id}`);
    const changes = await apPage.$eval('[data-diff="items"]', (s) => (s as HTMLElement).innerText);
    expect(changes).toContain('đã sửa: nội dung theo ngôn ngữ');
    expect(changes).not.toMatch(/\bvariants\b/);
    expect(await apPage.$eval('[data-item="map"] h3', (h) => h.textContent)).toContain('(hình ảnh)');

    // Names, not slugs: the province by its name, in both languages.
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await loginThroughPage(page, rig.base, 'admin');
    await page.goto(`${rig.base}/dashboard/lang/vi`);
    const fleet = await look(page, `${rig.base}/dashboard`);
    expect(fleet.text).toContain('Tỉnh: An Giang');
    expect(fleet.text).not.toContain('kien-giang');

    // An address that does not exist, and a page the role may not see: pages in the language.
    const missing = await look(page, `${rig.base}/dashboard/khong-co`);
    expect(missing.status).toBe(404);
    expect(missing.contentType).toContain('text/html');
    expect(missing.text).toContain('Không tìm thấy trang');
    expect(missing.text).toContain('/dashboard/khong-co');
    await page.goto(`${rig.base}/dashboard/lang/en`);
    const missingEn = await look(page, `${rig.base}/dashboard/nope%2Fdeeper`);
    expect(missingEn.status).toBe(404);
    expect(missingEn.text).toContain('Page not found');
    const bad = await look(page, `${rig.base}/dashboard/reports/2026-Q9`);
    expect(bad.contentType).toContain('text/html');
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const authorCtx = await browser.createBrowserContext();
    const authorPage = await authorCtx.newPage();
    await loginThroughPage(authorPage, rig.base, 'author');
    await authorPage.goto(`${rig.base}/dashboard/lang/vi`);
    const forbidden = await look(authorPage, `${rig.base}/dashboard/users`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.contentType).toContain('text/html');
    expect(forbidden.text).toContain('Không có quyền');

    // A script asking for JSON still gets JSON.
    const api = await fetch(`${rig.base}/dashboard/khong-co`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const apiMissing = await fetch(`${rig.base}/api/khong-co`, { headers: { accept: 'text/html' } });
    expect(apiMissing.headers.get('content-type')).toContain('application/json');
  }, 600_000);
});
