import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { startFleetRig } from '../../helpers/fleet-rig.js';
import { enrolTestDevice, GATE } from '../../helpers/sync.js';

const cleanups = cleanupsAfterEach();

describe('fleet management page in Chromium', () => {
  it('creates a token shown with its QR code and revokes it, retires a never-connected screen, and offers a viewer nothing', async () => {
    const s = await startFleetRig(cleanups, 'gc-fleet-manage-page-');
    const e = await enrolTestDevice(s.api, s.base, join(s.dir, 'd'), 'entrnace');
    s.clock.advance(11 * 60_000);
    s.server.alerts.monitor.evaluate();
    expect(s.server.alerts.monitor.active.map((a) => a.key)).toEqual([`offline:${e.deviceId}`]);

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const opPage = await (await browser.createBrowserContext()).newPage();
    const viewerPage = await (await browser.createBrowserContext()).newPage();
    for (const p of [opPage, viewerPage]) p.on('pageerror', (x) => errors.push(String(x)));
    await loginThroughPage(opPage, s.base, 'operator');
    await loginThroughPage(viewerPage, s.base, 'viewer');

    // The viewer has no link to the page and is refused it.
    expect(await viewerPage.$('#nav-manage')).toBeNull();
    expect((await viewerPage.goto(`${s.base}/dashboard/fleet/manage`))?.status()).toBe(403);

    await opPage.click('#nav-manage');
    await opPage.waitForSelector('#token-form');
    expect(await opPage.$eval('h2', (x) => x.textContent)).toBe('Quản lý màn hình');
    await opPage.select('#token-gate', GATE.siteGroup);
    await opPage.type('#token-screen', 'sảnh xuất cảnh');
    await opPage.click('#token-form button[type=submit]');
    await opPage.waitForSelector('#token-created:not([hidden]) #token-qr svg');
    const token = await opPage.$eval('#token-value', (x) => x.textContent);
    expect(token).toMatch(/^gce_/);
    expect(await opPage.$eval('#token-created-for', (x) => x.textContent)).toContain('sảnh xuất cảnh');
    const [listed] = (await s.api('GET', '/api/enrolment-tokens')).body;
    expect(listed.screenName).toBe('sảnh xuất cảnh');

    // Revoking asks first; Cancel sends nothing, confirming revokes.
    const revoke = `button[data-revoke-token="${listed.id}"]`;
    await opPage.click(revoke);
    await opPage.waitForSelector('#manage-confirm[open]');
    expect(await opPage.$eval('#manage-confirm-text', (x) => x.textContent)).toContain('sảnh xuất cảnh');
    await opPage.click('#manage-confirm-cancel');
    expect((await s.api('GET', '/api/enrolment-tokens')).body[0].revokedAtMs).toBeNull();
    await opPage.click(revoke);
    await opPage.waitForSelector('#manage-confirm[open]');
    await opPage.click('#manage-confirm-ok');
    await opPage.waitForSelector(`tr[data-token="${listed.id}"][data-status="revoked"]`);
    expect(await opPage.$eval(`tr[data-token="${listed.id}"] [data-f="status"]`, (x) => x.textContent)).toBe(
      'Đã thu hồi',
    );

    // Retiring the mistyped screen that never connected: its offline alert goes away.
    const row = `tr[data-device="${e.deviceId}"]`;
    expect(await opPage.$eval(`${row} td:nth-child(3)`, (x) => x.textContent?.trim())).toBe(
      'Chưa từng kết nối',
    );
    await opPage.click(`${row} button[data-act="retire"]`);
    await opPage.waitForSelector('#manage-confirm[open]');
    await Promise.all([opPage.waitForNavigation(), opPage.click('#manage-confirm-ok')]);
    await opPage.waitForSelector(`${row}[data-status="retired"]`);
    expect(s.server.alerts.monitor.active).toEqual([]);
    await opPage.goto(`${s.base}/dashboard/alerts`);
    await opPage.waitForSelector(`#history-body tr[data-key="offline:${e.deviceId}"][data-type="resolved"]`);
    expect(
      await opPage.$eval(`#history-body tr[data-type="resolved"] [data-f="event"]`, (x) => x.textContent),
    ).toBe('Đã hết (màn hình ngừng sử dụng)');
    expect(errors).toEqual([]);
  }, 90_000);
});
