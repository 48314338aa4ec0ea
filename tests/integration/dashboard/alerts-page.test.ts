import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { enrolDevice } from '../../../device/sync/enrol.js';
import { fakeClock } from '../../../protocol/clock.js';
import { launchChromium, loginThroughPage, apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { enrolTestDevice, GATE, makeDevice, until } from '../../helpers/sync.js';
import { formatDateTime } from '../../../sync-server/dashboard/language.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const LAO_CAI = {
  siteGroup: 'lao-cai/lao-cai',
  name: 'Cửa khẩu Quốc tế Lào Cai',
  languages: ['vi', 'zh-Hans', 'en'],
  timezone: 'Asia/Ho_Chi_Minh',
};

const login = apiLogin;

const visibleKeys = (p: Page) =>
  p.$$eval('#alerts-body tr', (trs) =>
    trs.filter((t) => !(t as HTMLElement).hidden).map((t) => t.getAttribute('data-key')),
  );

describe('alerts page in Chromium', () => {
  it('shows alerts as they are raised, filters them, lets an operator (not a viewer) acknowledge, and keeps a history', async () => {
    const dir = tempFolder(cleanups, 'gc-alerts-page-');
    const clock = fakeClock(Date.now());
    const s = await startServerWithUsers(
      cleanups,
      dir,
      { admin: 'admin', op: 'operator', viewer: 'viewer' },
      { gates: [GATE, LAO_CAI] },
      clock,
    );
    const base = s.base;
    // Two screens at two gates, enrolled but never connected.
    const a = await enrolTestDevice(s.api, base, join(dir, 'a'), 'sảnh xuất cảnh');
    const tok = await s.api('POST', '/api/enrolment-tokens', {
      siteGroup: LAO_CAI.siteGroup,
      screenName: 'sảnh nhập cảnh',
    });
    const b = await enrolDevice({ serverUrl: base, token: tok.body.token, dataDir: join(dir, 'b') });
    const keyA = `offline:${a.deviceId}`;
    const keyB = `offline:${b.deviceId}`;

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    // One browser context per user: each keeps its own session cookie.
    const opPage = await (await browser.createBrowserContext()).newPage();
    const viewerPage = await (await browser.createBrowserContext()).newPage();
    for (const p of [opPage, viewerPage]) p.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(opPage, base, 'op');
    await loginThroughPage(viewerPage, base, 'viewer');
    // The header links to the page for every role allowed alerts.view.
    expect(await opPage.$eval('#nav-alerts', (x) => [x.getAttribute('href'), x.textContent])).toEqual([
      '/dashboard/alerts',
      'Cảnh báo',
    ]);
    for (const p of [opPage, viewerPage]) {
      await p.goto(`${base}/dashboard/alerts`);
      await p.waitForSelector('main[data-live="yes"]', { timeout: 5000 });
      expect(await p.$eval('#alerts-none', (x) => (x as HTMLElement).hidden)).toBe(false);
    }

    // The fleet page, open meanwhile, gets its alert counts live, as links to the alerts page.
    const fleetPage = await opPage.browserContext().newPage();
    await fleetPage.goto(`${base}/dashboard`);
    await fleetPage.waitForFunction(() => document.getElementById('live')?.textContent !== '');

    // Past the offline threshold: both alerts appear on both pages without a reload.
    clock.advance(11 * 60_000);
    const raisedAt = clock.now();
    s.server.alerts.monitor.evaluate();
    for (const p of [opPage, viewerPage])
      await p.waitForFunction(() => document.querySelectorAll('#alerts-body tr').length === 2, {
        timeout: 5000,
      });
    await fleetPage.waitForFunction(
      (id) => document.querySelector(`tr[data-id="${id}"] td[data-f="alerts"] a`)?.textContent === '1',
      { timeout: 5000 },
      a.deviceId,
    );
    expect(
      await fleetPage.$eval(`tr[data-id="${a.deviceId}"] td[data-f="alerts"] a`, (x) =>
        x.getAttribute('href'),
      ),
    ).toBe(`/dashboard/alerts?gate=${encodeURIComponent(GATE.siteGroup)}`);
    await fleetPage.close();
    const rowA = `#alerts-body tr[data-key="${keyA}"]`;
    const cells = await opPage.$eval(rowA, (tr) =>
      Object.fromEntries(
        Array.from(tr.querySelectorAll('td')).map((td) => [td.dataset.f, td.textContent!.trim()]),
      ),
    );
    expect(cells).toEqual({
      kind: 'Mất kết nối',
      severity: 'Nghiêm trọng',
      screen: 'sảnh xuất cảnh',
      gate: GATE.name,
      since: formatDateTime(raisedAt, 'vi', 'Asia/Ho_Chi_Minh'),
      details: 'Mất kết nối quá 10 phút',
      ack: 'Xác nhận',
    });
    expect(await opPage.$eval(`${rowA} td[data-f="screen"] a`, (x) => x.getAttribute('href'))).toBe(
      `/dashboard/screen/${encodeURIComponent(a.deviceId)}`,
    );
    expect(await opPage.$eval('#alerts-summary', (x) => x.textContent)).toBe(
      '2 cảnh báo: 2 nghiêm trọng, 0 cảnh báo, 0 đã xác nhận',
    );

    // A viewer sees no Acknowledge button.
    expect(await viewerPage.$$('button[data-ack-key]')).toHaveLength(0);
    expect(await viewerPage.$eval(`${rowA} td[data-f="ack"]`, (td) => td.textContent)).toBe('Chưa xác nhận');

    // Filters by gate and by kind, reflected in the address.
    await opPage.select('#filter-gate', LAO_CAI.siteGroup);
    expect(await visibleKeys(opPage)).toEqual([keyB]);
    expect(new URL(opPage.url()).search).toBe(`?gate=${encodeURIComponent(LAO_CAI.siteGroup)}`);
    await opPage.select('#filter-kind', 'disk-low');
    expect(await visibleKeys(opPage)).toEqual([]);
    expect(await opPage.$eval('#alerts-none', (x) => (x as HTMLElement).hidden)).toBe(false);
    await opPage.select('#filter-kind', 'offline');
    await opPage.select('#filter-gate', '');
    expect((await visibleKeys(opPage)).sort()).toEqual([keyA, keyB].sort());
    // The filter in the address is applied on load.
    const filtered = await opPage.browserContext().newPage();
    await filtered.goto(`${base}/dashboard/alerts?gate=${encodeURIComponent(GATE.siteGroup)}`);
    expect(await visibleKeys(filtered)).toEqual([keyA]);
    await filtered.close();

    // The operator acknowledges A: both pages show who and when; the audit log has it.
    clock.advance(60_000);
    const ackAt = clock.now();
    await opPage.click(`${rowA} button[data-ack-key]`);
    const ackText = `Đã xác nhận bởi op lúc ${formatDateTime(ackAt, 'vi', 'Asia/Ho_Chi_Minh')}`;
    for (const p of [opPage, viewerPage])
      await p.waitForFunction(
        (sel, text) => document.querySelector(`${sel} td[data-f="ack"]`)?.textContent === text,
        { timeout: 5000 },
        rowA,
        ackText,
      );
    expect(await opPage.$eval(rowA, (tr) => tr.getAttribute('data-acked'))).toBe('yes');
    expect(await opPage.$$(`${rowA} button`)).toHaveLength(0);
    expect(
      await viewerPage.$eval('#history-body tr[data-type="acknowledged"]', (tr) => tr.textContent),
    ).toContain('op');
    const admin = await login(base, 'admin');
    const audit = (await (
      await fetch(`${base}/api/audit?action=alert.acknowledge`, { headers: { cookie: admin.cookie } })
    ).json()) as { entries: { actor: string; target: string; outcome: string }[] };
    expect(audit.entries).toEqual([expect.objectContaining({ actor: 'op', target: keyA, outcome: 'ok' })]);

    // A comes back online: its alert resolves and moves to the history, live.
    const dev = makeDevice(join(dir, 'a'), a.deviceId, base);
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(() => s.server.hub.isOnline(a.deviceId), 8000, 'device online');
    s.server.alerts.monitor.evaluate();
    await viewerPage.waitForFunction(() => document.querySelectorAll('#alerts-body tr').length === 1, {
      timeout: 5000,
    });
    expect(await visibleKeys(viewerPage)).toEqual([keyB]);
    expect(
      await viewerPage.$$eval('#history-body tr', (trs) =>
        trs.map((t) => `${t.getAttribute('data-type')}:${t.getAttribute('data-key')}`),
      ),
    ).toEqual([`resolved:${keyA}`, `acknowledged:${keyA}`]);

    // The read APIs: the raw history and the localised view.
    const viewer = await login(base, 'viewer');
    const hist = (await (
      await fetch(`${base}/api/alerts/history?limit=10`, { headers: { cookie: viewer.cookie } })
    ).json()) as { history: { type: string; alert: { key: string } }[] };
    const events = hist.history.map((h) => `${h.type}:${h.alert.key}`);
    expect(events.slice(0, 2)).toEqual([`resolved:${keyA}`, `acknowledged:${keyA}`]);
    // Both raised in the same evaluation, at the same time.
    expect(events.slice(2).sort()).toEqual([`raised:${keyA}`, `raised:${keyB}`].sort());
    expect(
      (await fetch(`${base}/api/alerts/history?limit=0`, { headers: { cookie: viewer.cookie } })).status,
    ).toBe(400);

    // The fleet page's alert count links to the alerts page for that gate.
    await viewerPage.goto(`${base}/dashboard`);
    expect(
      await viewerPage.$eval(`tr[data-id="${b.deviceId}"] td[data-f="alerts"] a`, (x) => [
        x.getAttribute('href'),
        x.textContent,
      ]),
    ).toEqual([`/dashboard/alerts?gate=${encodeURIComponent(LAO_CAI.siteGroup)}`, '1']);

    // English.
    await viewerPage.goto(`${base}/dashboard/lang/en?next=%2Fdashboard%2Falerts`);
    expect(await viewerPage.$eval('h2', (h) => h.textContent)).toBe('Active alerts');
    expect(
      await viewerPage.$eval(`#alerts-body tr[data-key="${keyB}"] td[data-f="kind"]`, (x) => x.textContent),
    ).toBe('Offline');
    expect(errors).toEqual([]);
  }, 90_000);
});
