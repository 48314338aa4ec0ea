import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { launchChromium, loginThroughPage, startServerWithUsers } from '../../helpers/dashboard.js';
import { enrolTestDevice, GATE, healthAt, makeDevice } from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

// The smallest valid PNG: 1x1, one grey pixel.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==',
  'base64',
);
const XSS_GATE = `<img src=x onerror="window.__xss='gate'">Hà Tiên`;
const XSS_SCREEN = `<script>window.__xss='screen'</script>sảnh`;
const XSS_ITEM = `"><svg onload="window.__xss='item'">`;

describe('ops dashboard in Chromium', () => {
  it('shows a device appear and go offline live, keeps hostile names inert, and sends a command from the screen page', async () => {
    const dir = tempFolder(cleanups, 'gc-dash-');
    const s = await startServerWithUsers(
      cleanups,
      dir,
      { admin: 'admin' },
      {
        gates: [{ ...GATE, name: XSS_GATE }],
      },
    );
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) cspViolations.push(m.text());
    });

    await loginThroughPage(page, s.server.url, 'admin');
    expect(await page.$eval('html', (e) => e.lang)).toBe('vi');
    await page.waitForFunction(() => document.getElementById('live')?.textContent !== '');

    // A real device enrols and connects: its row appears without a reload.
    const e = await enrolTestDevice(s.api, s.server.url, join(dir, 'd'), XSS_SCREEN);
    const identified: number[] = [];
    const dev = makeDevice(join(dir, 'd'), e.deviceId, s.server.url, {
      handlers: { identify: async (ms) => void identified.push(ms), screenshot: async () => PNG },
    });
    cleanups.push(() => dev.close());
    dev.client.start();
    const row = `tr[data-id="${e.deviceId}"]`;
    await page.waitForSelector(`${row}[data-state="playing"]`, { timeout: 8000 });

    // Health with a hostile item name: the row shows it as text.
    dev.outbox.appendHealth(healthAt(Date.now() - 60_000, { currentItem: XSS_ITEM, currentLanguage: 'km' }));
    dev.outbox.appendHealth(
      healthAt(Date.now() - 1000, { currentItem: XSS_ITEM, currentLanguage: 'km', cpuTempC: 52 }),
    );
    await page.waitForFunction(
      (sel, item) => document.querySelector(`${sel} td[data-f="item"]`)?.textContent === item,
      { timeout: 8000 },
      row,
      XSS_ITEM,
    );
    expect(await page.$eval(`${row} td[data-f="language"]`, (td) => td.textContent)).toBe('km');
    expect(await page.$eval(`${row} td[data-f="screen"] a`, (a) => a.textContent)).toBe(XSS_SCREEN);
    expect(await page.$eval(`${row} td[data-f="state"]`, (td) => td.textContent)).toBe('Đang phát');

    // The screen switched off: the row turns "display off", live.
    dev.outbox.appendHealth(
      healthAt(Date.now() - 500, { currentItem: XSS_ITEM, currentLanguage: 'km', display: 'off' }),
    );
    await page.waitForSelector(`${row}[data-state="displayOff"]`, { timeout: 8000 });
    dev.outbox.appendEvent({ at: Date.now() - 400, kind: 'player', level: 'error', message: XSS_ITEM });
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 8000;
      const poll = () => {
        s.api('GET', `/api/devices/${e.deviceId}/events`).then((r) => {
          if (r.body.length > 0) resolve();
          else if (Date.now() > end) reject(new Error('event not stored'));
          else setTimeout(poll, 20);
        }, reject);
      };
      poll();
    });

    // The screen page: health charts drawn from the stored history, command buttons.
    const screen = await browser.newPage();
    const errors: string[] = [];
    for (const p of [page, screen]) p.on('pageerror', (err) => errors.push(String(err)));
    await screen.goto(`${s.server.url}/dashboard/screen/${encodeURIComponent(e.deviceId)}`);
    const points = await screen.$$eval('#chart-24h svg[data-points]', (svgs) =>
      svgs.map((x) => Number(x.getAttribute('data-points'))),
    );
    expect(points.length).toBeGreaterThan(0);
    expect(Math.max(...points)).toBe(3);
    expect(await screen.$eval('#events tbody td:last-child', (td) => td.textContent)).toBe(XSS_ITEM);
    expect(await screen.$$eval('#chart-24h polyline', (p) => p.length)).toBeGreaterThan(0);
    expect(
      await screen.$$eval('button[data-command]', (b) => b.map((x) => x.getAttribute('data-command'))),
    ).toEqual(
      expect.arrayContaining([
        'reload-player',
        'restart-player',
        'reboot',
        'sync-now',
        'display-on',
        'display-off',
        'identify',
        'screenshot',
      ]),
    );
    await screen.waitForSelector('main[data-live="yes"]', { timeout: 5000 }).catch((err) => {
      throw new Error(`${err}; page errors: ${errors.join('; ')}`);
    });
    await screen.click('button[data-command="identify"]');
    // Read the row in the same turn that finds it: the live stream and the poll both redraw it.
    const done = await screen.waitForFunction(
      () => document.querySelector('#commands tr[data-state="ok"] td')?.textContent,
      { timeout: 8000 },
    );
    expect(identified.length).toBe(1);
    expect(await done.jsonValue()).toBe('Nhận diện');
    // A new screenshot: the device answers with a PNG and the page shows it.
    await screen.click('button[data-command="screenshot"]');
    await screen.waitForFunction(
      () => {
        const img = document.getElementById('screenshot-img') as HTMLImageElement | null;
        return !!img && !img.hidden && img.complete && img.naturalWidth === 1;
      },
      { timeout: 8000 },
    );

    // The device goes away: the fleet page turns its row offline, live.
    await dev.client.stop();
    await page.waitForSelector(`${row}[data-state="offline"]`, { timeout: 8000 });
    expect(await page.$eval(`${row} td[data-f="state"]`, (td) => td.textContent)).toBe('Mất kết nối');

    // Nothing hostile ran; names are text; the gate heading holds the literal markup.
    for (const p of [page, screen])
      expect(await p.evaluate(() => (window as { __xss?: string }).__xss)).toBeUndefined();
    expect(await page.$$eval('h3', (hs) => hs.map((h) => h.textContent))).toContain(`Cửa khẩu: ${XSS_GATE}`);
    expect(await page.$$('img[src="x"]')).toHaveLength(0);
    expect(cspViolations).toEqual([]);
    expect(errors).toEqual([]);

    // English switch.
    const href = await page.$eval('#lang-switch', (a) => a.getAttribute('href'));
    expect(href).toBe('/dashboard/lang/en?next=%2Fdashboard');
    await page.goto(`${s.server.url}${href}`);
    expect(await page.$eval('html', (h) => h.lang)).toBe('en');
    expect(await page.$eval(`${row} td[data-f="state"]`, (td) => td.textContent)).toBe('Offline');
    // One screen is "1 screen", on the server's page and as the page's script redraws it (client.js
    // fill with the page's messages and language).
    const summary = '1 screen: 0 playing, 1 offline, 0 display off, 0 error';
    expect(await page.$eval('#summary', (e) => e.textContent)).toBe(summary);
    // (a string, so the test runner leaves the page's own import() alone)
    const redrawn = await page.evaluate(
      `import('/dashboard/static/dashboard/browser/client.js').then((c) =>
        c.fill(c.embedded('gc-msgs')['fleet.summary'], { total: 1, playing: 0, offline: 1, displayOff: 0, error: 0 }))`,
    );
    expect(redrawn).toBe(summary);
  }, 90_000);
});
