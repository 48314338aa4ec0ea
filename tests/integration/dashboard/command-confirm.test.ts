/**
 * Commands tell the truth in the dashboard: reboot and display-off ask first in a real dialog naming
 * the screen (cancel sends nothing), and a screen that cannot switch its display answers
 * 'unsupported' with the reason, which the page shows as such, never as done. Real server, real
 * device link, real Chromium.
 */
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandUnsupportedError } from '../../../device/sync/commands.js';
import { launchChromium, loginThroughPage, startServerWithUsers } from '../../helpers/dashboard.js';
import { enrolTestDevice, makeDevice, until } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

const NO_DISPLAY_CONTROL = 'no display control on this screen (display.powerAdapter is none)';

describe('screen page commands in Chromium', () => {
  it('asks before reboot and display-off, naming the screen, and shows unsupported with its reason', async () => {
    const dir = tempFolder(cleanups, 'gc-cmd-confirm-');
    const s = await startServerWithUsers(cleanups, dir, { op: 'operator' });
    const e = await enrolTestDevice(s.api, s.server.url, join(dir, 'd'), 'Sảnh xuất cảnh 1');
    const reboots: number[] = [];
    const dev = makeDevice(join(dir, 'd'), e.deviceId, s.server.url, {
      handlers: {
        reboot: async () => void reboots.push(Date.now()),
        display: async () => {
          throw new CommandUnsupportedError(NO_DISPLAY_CONTROL);
        },
      },
    });
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(() => s.server.hub.isOnline(e.deviceId), 5000, 'device online');

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const nativeDialogs: string[] = [];
    page.on('dialog', (d) => {
      nativeDialogs.push(d.message());
      void d.dismiss();
    });
    await loginThroughPage(page, s.server.url, 'op');
    await page.goto(
      `${s.server.url}/dashboard/lang/en?next=/dashboard/screen/${encodeURIComponent(e.deviceId)}`,
    );
    await page.waitForSelector('main[data-live="yes"]', { timeout: 5000 });
    const commands = () =>
      s.api('GET', `/api/devices/${e.deviceId}/commands`).then((r) => r.body as unknown[]);

    // Reboot: the dialog names the screen; cancelling sends nothing.
    await page.click('button[data-command="reboot"]');
    await page.waitForSelector('#command-confirm[open]', { timeout: 2000 });
    expect(await page.$eval('#command-confirm-text', (p) => p.textContent)).toBe(
      'Reboot «Sảnh xuất cảnh 1»? The screen goes dark while the device restarts.',
    );
    await page.click('#command-confirm-cancel');
    await page.waitForSelector('#command-confirm:not([open])');
    expect(await commands()).toEqual([]);

    // Confirmed: sent, and done once the device answered ok.
    await page.click('button[data-command="reboot"]');
    await page.waitForSelector('#command-confirm[open]');
    await page.click('#command-confirm-ok');
    const rebooted = await page.waitForFunction(
      () => document.querySelector('#commands tr[data-state="ok"] td:last-child')?.textContent,
      { timeout: 8000 },
    );
    expect(await rebooted.jsonValue()).toBe('Done');
    expect(reboots).toHaveLength(1);

    // Display off on a screen without display control: asked, sent, answered unsupported with why.
    await page.click('button[data-command="display-off"]');
    await page.waitForSelector('#command-confirm[open]');
    expect(await page.$eval('#command-confirm-text', (p) => p.textContent)).toContain('«Sảnh xuất cảnh 1»');
    await page.click('#command-confirm-ok');
    const unsupported = await page.waitForFunction(
      () => document.querySelector('#commands tr[data-state="unsupported"] td:last-child')?.textContent,
      { timeout: 8000 },
    );
    expect(await unsupported.jsonValue()).toBe(`Unsupported: ${NO_DISPLAY_CONTROL}`);
    // The ops API says the same.
    const all = (await commands()) as { name: string; state: string; message: string | null }[];
    expect(all.find((c) => c.name === 'display-off')).toMatchObject({
      state: 'unsupported',
      message: NO_DISPLAY_CONTROL,
    });
    // A command that does not darken the screen is sent without asking.
    await page.click('button[data-command="identify"]');
    await until(async () => (await commands()).length === 3, 5000, 'identify sent');
    expect(await page.$('#command-confirm[open]')).toBeNull();
    expect(nativeDialogs).toEqual([]);
  }, 40_000);
});
