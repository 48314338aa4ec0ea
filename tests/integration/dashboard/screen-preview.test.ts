/**
 * The draft review shows the draft on a gate screen: the real player page, framed at the chosen
 * resolution and scaled, with the layout's header (gate name, clock, countdown) and each emergency
 * with every language at once, as the screen renders them.
 */
import type { Browser, Frame } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { actor, approvalRig, bundleText, mapFile, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { EMERGENCY, GATE_NAMES } from '../../helpers/layout-bundle.js';

const cleanups = cleanupsAfterEach();

function layoutDraft(): string {
  const m = JSON.parse(bundleText()) as Record<string, unknown> & {
    playlists: { id: string; entries: { itemId: string }[]; layoutId?: string }[];
  };
  m.playlists[0]!.entries.reverse(); // the text first: the preview shows the playlist's first item
  m.playlists[0]!.layoutId = 'gate-day';
  return `${JSON.stringify(
    {
      ...m,
      gate: { name: GATE_NAMES, hours: [{ start: '07:00', end: '22:00' }] },
      layouts: [{ id: 'gate-day', regions: { header: {}, ticker: { text: { vi: 'Xin chào', km: 'សួស្តី' } } } }],
      emergencies: [
        { id: 'pause', text: EMERGENCY, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2036-01-01T00:00:00Z' },
      ],
    },
    null,
    2,
  )}\n`;
}

describe('the draft on a gate screen', () => {
  it('frames the player page at the chosen resolution with header, clock and countdown, and each emergency in every language at once', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const d = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: layoutDraft(), files: [mapFile] },
      actor('author'),
    );
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    await loginThroughPage(page, rig.base, 'ap1');

    for (const [screen, width, height] of [
      ['1920x1080', 1920, 1080],
      ['1080x1920', 1080, 1920],
    ] as const) {
      await page.goto(`${rig.base}/dashboard/drafts/${d.id}?screen=${screen}`);
      const frames = await page.$$('#review-screen iframe.screen-frame');
      expect(frames).toHaveLength(2); // the layout, and the emergency
      const [main, emergency] = (await Promise.all(frames.map((f) => f.contentFrame()))) as Frame[];
      // The frame is the screen's size, scaled into the review.
      const size = await page.$eval('#review-screen iframe.screen-frame', (f) => {
        const r = f.getBoundingClientRect();
        return { w: (f as HTMLElement).offsetWidth, h: (f as HTMLElement).offsetHeight, shownW: r.width };
      });
      expect(size).toMatchObject({ w: width, h: height });
      expect(size.shownW).toBeLessThan(width / 2);
      // The real player page: the layout on air, the header in the slide's language.
      await main!.waitForFunction('window.gatecast && window.gatecast.regions().layout === "gate-day"');
      const header = await main!.evaluate(() => ({
        name: document.getElementById('gate-name')!.textContent,
        time: document.getElementById('clock-time')!.textContent,
        countdown: document.getElementById('info-countdown')!.textContent,
        viewport: [innerWidth, innerHeight],
      }));
      expect(header.name).toBe(GATE_NAMES.vi);
      expect(header.time).toMatch(/^\d{2}:\d{2}$/);
      expect(header.countdown!.length).toBeGreaterThan(3);
      expect(header.viewport).toEqual([width, height]);
      // The emergency as the screen shows it: every language stacked, inside the screen.
      await emergency!.waitForFunction('window.gatecast && window.gatecast.regions().emergency');
      const parts = await emergency!.evaluate(() =>
        Array.from(document.querySelectorAll('.layer.front .emergency-part')).map((e) => {
          const b = e.getBoundingClientRect();
          return { lang: (e as HTMLElement).lang, inside: b.top >= 0 && b.bottom <= innerHeight };
        }),
      );
      expect(parts).toEqual(['vi', 'km', 'lo', 'zh-Hans', 'en'].map((lang) => ({ lang, inside: true })));
      // For a person to look at (never committed).
      const shots = process.env['GATECAST_SHOTS'];
      if (shots)
        await (await page.$('#review-screen'))!.screenshot({ path: `${shots}/review-${screen}.png` });
    }
  }, 120_000);

  it('serves the preview page only to a signed-in reader, under its own strict CSP, framable by the dashboard only', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const d = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: layoutDraft(), files: [mapFile] },
      actor('author'),
    );
    const anonymous = await fetch(`${rig.base}/dashboard/drafts/${d.id}/screen`, { redirect: 'manual' });
    expect(anonymous.status).not.toBe(200);
    const who = await rig.login('ap1');
    const res = await fetch(`${rig.base}/dashboard/drafts/${d.id}/screen?emergency=pause`, {
      headers: { cookie: who.cookie },
    });
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const body = await res.text();
    expect(body).toContain('"kind":"emergency"');
    expect(body).not.toMatch(/<\/script>[^\n]*"kind"/);
  });
});
