/**
 * The ops dashboard end to end, every part real: a TUF repository with two approver keys served by
 * the sync server, an enrolled device playing in headless Chromium, and ops staff working in a
 * second headless Chromium through the dashboard: log in, watch the screen play; an author changes
 * a text and submits it, two approvers sign it in the browser (WebCrypto Ed25519, keys from their
 * own files) and the screen installs it; an emergency message goes out the same way and takes the
 * screen over; the screen goes offline and its alert appears; the quarterly report's numbers match
 * the proof of play.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import type { DeviceHandle } from '../../../device/main.js';
import { authoringTexts } from '../../../sync-server/content/texts.js';
import { csvLines } from '../../helpers/csv.js';
import { launchChromium, PASSWORD } from '../../helpers/dashboard.js';
import { until } from '../../helpers/sync.js';
import { startScreen } from '../../helpers/screen.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { DEMO_GATE, startDemoServer } from '../../helpers/demo-server.js';

const SITE = 'kien-giang/ha-tien';
const cleanups = cleanupsAfterEach();

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

/** An approver opens the draft, loads their key file and signs in the browser; returns the result state. */
async function signInBrowser(
  browser: Browser,
  baseUrl: string,
  username: string,
  keyFile: string,
  draftId: string,
): Promise<string> {
  const page = await signIn(browser, baseUrl, username);
  await page.goto(`${baseUrl}/dashboard/drafts/${draftId}`);
  await page.waitForSelector('#manifest-check.ok'); // the bundle.json shown is the one signed
  await page.waitForSelector('#sign[data-state="ready"]');
  const input = await page.$('input#sign-key');
  await input!.uploadFile(keyFile);
  await page.click('#sign-button');
  // The approver confirms in the dialog (a refusal before it, e.g. a hash mismatch, shows no dialog).
  await page.waitForFunction(
    () =>
      (document.getElementById('sign-confirm') as HTMLDialogElement | null)?.open ||
      ['failed', 'refused'].includes(
        document.getElementById('sign-result')?.getAttribute('data-state') ?? '',
      ),
  );
  if (await page.$('#sign-confirm[open]')) await page.click('#sign-confirm-ok');
  await page.waitForFunction(
    () =>
      ['signed', 'published', 'failed', 'refused'].includes(
        document.getElementById('sign-result')?.getAttribute('data-state') ?? '',
      ),
    { timeout: 15_000 },
  );
  const state = (await page.$eval('#sign-result', (p) => p.getAttribute('data-state')))!;
  await page.browserContext().close();
  return state;
}

const NEW_TEXT = 'Giờ làm việc mới: 6:30–18:00 mỗi ngày';

describe('ops dashboard, end to end', () => {
  it('plays, takes an approved change and an emergency from the dashboard, raises the offline alert, and reports exactly what it played', async () => {
    const dir = tempDir('gc-ops-e2e-');
    cleanups.push(dir.cleanup);
    const { demo, server: s } = await startDemoServer(dir.path, {
      users: [
        { username: 'admin', role: 'admin' },
        { username: 'ops', role: 'operator' },
        { username: 'viewer', role: 'viewer' },
        { username: 'author', role: 'author' },
        { username: 'ap1', role: 'approver' },
        { username: 'ap2', role: 'approver' },
      ],
      over: {
        gates: [{ ...DEMO_GATE, languages: ['vi', 'km', 'en'] }],
        alerts: { evaluateIntervalMs: 1000, thresholds: { offlineAfterMs: 2000 } },
      },
    });
    cleanups.push(() => s.server.stop());

    // A screen at the gate: enrolled with a one-time token, playing the signed bundle.
    const screen = await startScreen(s, join(dir.path, 'device'), {
      siteGroup: SITE,
      healthIntervalMs: 1000,
    });
    const enrolled = { deviceId: screen.deviceId };
    let device: DeviceHandle | undefined = screen.device;
    cleanups.push(() => device?.stop());
    const d = device;
    await until(() => d.content.current()?.version === 1 && d.daemon.status().played >= 3, 60_000);

    const browser = await launchChromium();
    cleanups.push(() => browser.close());

    // Ops sees the screen playing on the fleet page, live.
    const ops = await signIn(browser, s.server.url, 'ops');
    const row = `tr[data-id="${enrolled.deviceId}"]`;
    await ops.waitForSelector(`${row}[data-state="playing"]`, { timeout: 20_000 });

    // An author changes the Vietnamese travel-documents text and submits it for approval.
    const author = await signIn(browser, s.server.url, 'author');
    await Promise.all([author.waitForNavigation(), author.click('#nav-content')]);
    const body = 'fieldset[data-item-id="documents"] .cw-variant[data-lang="vi"] textarea[data-f="body"]';
    await author.waitForSelector(body);
    await author.$eval(body, (t) => {
      (t as HTMLTextAreaElement).value = '';
    });
    await author.type(body, NEW_TEXT);
    await author.click('#cw-save');
    await author.waitForFunction(
      (t) => document.getElementById('cw-status')!.textContent === t,
      {},
      authoringTexts.text('vi', 'status.saved', { revision: 1 }),
    );
    await author.click('#cw-submit');
    await author.waitForSelector('#cw-draft:not([hidden])');
    const href = await author.$eval('#cw-draft-link', (a) => a.getAttribute('href'));
    const draftId = href!.split('/').pop()!;

    // Two approvers sign it in their browsers; the second signature publishes it, and the screen
    // (told by the server) installs version 2 and plays the new words.
    const [key1, key2] = demo.approverKeyFiles as [string, string];
    expect(await signInBrowser(browser, s.server.url, 'ap1', key1, draftId)).toBe('signed');
    expect(await signInBrowser(browser, s.server.url, 'ap2', key2, draftId)).toBe('published');
    await until(() => d.content.current()?.version === 2, 30_000);
    const installed = d.content.current()!.manifest;
    const docs = installed.items.find((i) => i.id === 'documents')!;
    expect((docs.variants['vi'] as { body: string }).body).toBe(NEW_TEXT);
    expect((await s.server.tuf!.drafts.get(draftId)).signatures.map((x) => x.by)).toEqual(['ap1', 'ap2']);

    // An emergency message in the gate's three languages, from the operator, approved by two.
    await Promise.all([ops.waitForNavigation(), ops.click('#nav-emergency')]);
    for (const [lang, text] of [
      ['vi', 'Cửa khẩu tạm đóng do bão'],
      ['km', 'ច្រកព្រំដែនបិទជាបណ្ដោះអាសន្នដោយសារព្យុះ'],
      ['en', 'Gate closed because of the storm'],
    ] as const)
      await ops.type(`fieldset[data-lang="${lang}"] textarea`, text);
    await ops.click('#em-submit');
    await ops.waitForSelector('#em-result[data-state="created"] a');
    const emergencyDraft = (await ops.$eval('#em-result', (p) => p.getAttribute('data-draft')))!;
    expect(await signInBrowser(browser, s.server.url, 'ap1', key1, emergencyDraft)).toBe('signed');
    expect(await signInBrowser(browser, s.server.url, 'ap2', key2, emergencyDraft)).toBe('published');
    await until(() => d.content.current()?.version === 3, 30_000);
    const emergency = d.content.current()!.manifest.emergencies[0]!;
    await until(() => d.daemon.status().lastPlayed?.itemId === emergency.id, 30_000);
    // Measured, not asserted: publication → the message on the screen.
    const publishedAt = Date.parse((await s.server.tuf!.drafts.get(emergencyDraft)).publishedAt!);
    const onScreen = d.daemon.status().lastPlayed!.actualStart;
    console.info(`emergency on screen ${((onScreen - publishedAt) / 1000).toFixed(2)} s after publication`);
    await Promise.all([ops.waitForNavigation(), ops.click('#nav-dashboard')]);

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
    // Whole plays and plays cut short (an emergency took over, the playlist changed) are counted apart.
    const expected = new Map<string, number>();
    const expectedPartial = new Map<string, number>();
    for (const r of pop.map(
      (x) => JSON.parse(x.payload) as { itemId: string; language: string; screenOn: boolean; partial?: true },
    ))
      if (r.screenOn) {
        const m = r.partial ? expectedPartial : expected;
        m.set(`${r.itemId}|${r.language}`, (m.get(`${r.itemId}|${r.language}`) ?? 0) + 1);
      }
    expect(expected.size).toBeGreaterThan(0);
    const viewer = await signIn(browser, s.server.url, 'viewer');
    const now = new Date();
    const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
    const csv = await viewer.evaluate(
      async (q) => (await fetch(`/api/reports?period=${q}&format=csv&lang=en`)).text(),
      quarter,
    );
    const [header, ...rows] = csvLines(csv);
    const col = (name: string) => header!.indexOf(name);
    const got = new Map<string, number>();
    const gotPartial = new Map<string, number>();
    for (const f of rows) {
      if (f[col('deviceId')] !== enrolled.deviceId) continue;
      const key = `${f[col('Item')]}|${f[col('Language')]}`;
      if (Number(f[col('Plays')]) > 0) got.set(key, Number(f[col('Plays')]));
      if (Number(f[col('Plays cut short')]) > 0) gotPartial.set(key, Number(f[col('Plays cut short')]));
    }
    expect(got).toEqual(expected);
    expect(gotPartial).toEqual(expectedPartial);
  }, 300_000);
});
