/**
 * The ops dashboard end to end, every part real: a TUF repository with two approver keys served by
 * the sync server, an enrolled device playing in headless Chromium, and ops staff working in a
 * second headless Chromium through the dashboard: log in, watch the screen play, see it go offline
 * and its alert appear, and download the quarterly report whose numbers match the proof of play.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeviceHandle, loadConfig, startDevice } from '../../../device/main.js';
import { enrolDevice } from '../../../device/sync/enrol.js';
import { memoryLogger } from '../../../protocol/log.js';
import { createDemoRepository } from '../../../sync-server/tuf/demo-repository.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { createUsers, launchChromium, PASSWORD } from '../../helpers/dashboard.js';
import { startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const SITE = 'kien-giang/ha-tien';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Logs `username` in through the login page of a fresh browser context. */
async function signIn(browser: Browser, baseUrl: string, username: string): Promise<Page> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.on('dialog', (d) => void d.dismiss()); // a dialog would mean injected script ran
  await page.goto(`${baseUrl}/dashboard`);
  await page.waitForSelector('form#login');
  await page.type('#username', username);
  await page.type('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form#login button[type=submit]')]);
  return page;
}

describe('ops dashboard, end to end', () => {
  it('shows the screen playing, raises its offline alert, and reports exactly what it played', async () => {
    const dir = tempDir('gc-ops-e2e-');
    cleanups.push(dir.cleanup);
    const demo = await createDemoRepository({ dir: join(dir.path, 'tuf'), log: memoryLogger() });
    await createUsers(join(dir.path, 'server'), [
      { username: 'admin', role: 'admin' },
      { username: 'ops', role: 'operator' },
      { username: 'viewer', role: 'viewer' },
    ]);
    const s = await startServer(dir.path, {
      tuf: { repoDir: demo.repoDir },
      trustedRootFile: demo.rootPath,
      gates: [{ siteGroup: SITE, name: 'Cửa khẩu Quốc tế Hà Tiên', languages: ['vi', 'km', 'en'] }],
      alerts: { evaluateIntervalMs: 1000, thresholds: { offlineAfterMs: 2000 } },
    });
    cleanups.push(() => s.server.stop());

    // A screen at the gate: enrolled with a one-time token, playing the signed bundle.
    const token = await s.api('POST', '/api/enrolment-tokens', { siteGroup: SITE, screenName: 'arrivals-1' });
    const devDir = join(dir.path, 'device');
    const enrolled = await enrolDevice({ serverUrl: s.server.url, token: token.body.token, dataDir: devDir });
    const raw = JSON.parse(readFileSync(enrolled.configPath, 'utf8'));
    raw.player = { ...raw.player, chromiumPath: chromiumPath(), headless: true };
    raw.health = { intervalMs: 1000 };
    writeFileSync(enrolled.configPath, JSON.stringify(raw));
    let device: DeviceHandle | undefined = await startDevice(loadConfig(enrolled.configPath), {
      log: memoryLogger('device'),
      env: {},
    });
    cleanups.push(() => device?.stop());
    const d = device;
    await until(() => d.content.current()?.version === 1 && d.daemon.status().played >= 3, 60_000);

    const browser = await launchChromium();
    cleanups.push(() => browser.close());

    // Ops sees the screen playing on the fleet page, live.
    const ops = await signIn(browser, s.server.url, 'ops');
    const row = `tr[data-id="${enrolled.deviceId}"]`;
    await ops.waitForSelector(`${row}[data-state="playing"]`, { timeout: 20_000 });

    // The screen goes dark (its daemon stops): the row turns offline and its alert appears.
    await device.stop();
    device = undefined;
    await ops.waitForSelector(`${row}[data-state="offline"]`, { timeout: 20_000 });
    await ops.waitForFunction(
      (sel) => Number(document.querySelector(`${sel} td[data-f="alerts"]`)?.textContent) >= 1,
      { timeout: 20_000 },
      row,
    );
    expect(s.server.alerts.monitor.active.map((a) => [a.kind, a.deviceId])).toContainEqual([
      'offline',
      enrolled.deviceId,
    ]);

    // The quarterly report, downloaded by a viewer, counts exactly the plays in the proof of play.
    const pop = (await s.api('GET', `/api/devices/${enrolled.deviceId}/pop`)).body as { payload: string }[];
    const expected = new Map<string, number>();
    for (const r of pop.map(
      (x) => JSON.parse(x.payload) as { itemId: string; language: string; screenOn: boolean },
    ))
      if (r.screenOn)
        expected.set(`${r.itemId}|${r.language}`, (expected.get(`${r.itemId}|${r.language}`) ?? 0) + 1);
    expect(expected.size).toBeGreaterThan(0);
    const viewer = await signIn(browser, s.server.url, 'viewer');
    const now = new Date();
    const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
    const csv = await viewer.evaluate(
      async (q) => (await fetch(`/api/reports?period=${q}&format=csv&lang=en`)).text(),
      quarter,
    );
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    const header = lines[0]!.split(',');
    const col = (name: string) => header.indexOf(name);
    const got = new Map<string, number>();
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      if (f[col('deviceId')] !== enrolled.deviceId) continue;
      got.set(`${f[col('Item')]}|${f[col('Language')]}`, Number(f[col('Plays')]));
    }
    expect(got).toEqual(expected);
  }, 150_000);
});
