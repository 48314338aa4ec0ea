import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { type AccountsKey, accountsTexts } from '../../../sync-server/accounts/texts.js';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, publicKeyFileOf } from '../../../platform/tuf-keys.js';
import {
  createUsers,
  launchChromium,
  loginThroughPage,
  PASSWORD,
  registerKeys,
  startServerWithUsers,
} from '../../helpers/dashboard.js';
import { GATE, startServer } from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const HOSTILE = '<img src=x onerror=window.__xss=1>';
const OP_PASSWORD = 'mật khẩu đủ dài 2026';

/** Logs in over HTTP; the status tells whether the account may sign in. */
async function tryLogin(base: string, username: string, password: string) {
  const res = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  await res.arrayBuffer();
  return { status: res.status, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? '' };
}

const text = (p: Page, sel: string) => p.$eval(sel, (x) => x.textContent!.trim());

/** Sets an input's value (clearing it first) the way a user types it. */
async function fill(p: Page, sel: string, value: string) {
  await p.$eval(sel, (x) => ((x as HTMLInputElement).value = ''));
  await p.type(sel, value);
}

async function waitText(p: Page, sel: string, expected: string) {
  await p.waitForFunction(
    (s, e) => document.querySelector(s)?.textContent?.trim() === e,
    { timeout: 5000 },
    sel,
    expected,
  );
}

const rowCells = (p: Page, username: string) =>
  p.$eval(`#users-body tr[data-username="${username}"]`, (tr) =>
    Object.fromEntries(
      Array.from(tr.querySelectorAll('td')).map((td) => [td.dataset.f, td.textContent!.trim()]),
    ),
  );

describe('users, account and audit pages in Chromium', () => {
  it('lets an admin manage accounts through the page, shows it in the audit log with a matching CSV export, and keeps others out', async () => {
    const dir = tempFolder(cleanups, 'gc-accounts-pages-');
    const s = await startServerWithUsers(cleanups, dir, { admin: 'admin', viewer: 'viewer' });
    const base = s.base;
    const vi = (k: AccountsKey, p: Record<string, string> = {}) => accountsTexts.text('vi', k, p);

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const adminPage = await (await browser.createBrowserContext()).newPage();
    const viewerPage = await (await browser.createBrowserContext()).newPage();
    for (const p of [adminPage, viewerPage]) {
      p.on('pageerror', (e) => errors.push(String(e)));
      p.on('dialog', (d) => {
        errors.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
    }
    await loginThroughPage(adminPage, base, 'admin');
    expect(await adminPage.$eval('#nav-users', (x) => [x.getAttribute('href'), x.textContent])).toEqual([
      '/dashboard/users',
      'Tài khoản',
    ]);
    expect(await adminPage.$eval('#nav-audit', (x) => x.getAttribute('href'))).toBe('/dashboard/audit');
    await adminPage.click('#nav-users');
    await adminPage.waitForSelector('#users-body tr[data-username="viewer"]');
    expect(await rowCells(adminPage, 'admin')).toEqual(
      expect.objectContaining({ username: 'admin (bạn)', role: 'Quản trị', status: 'Đang dùng' }),
    );
    // The admin signed in just now: the last login comes from the audit log.
    expect((await rowCells(adminPage, 'admin'))['lastLogin']).not.toBe(vi('users.never'));
    expect((await rowCells(adminPage, 'viewer'))['lastLogin']).toBe(vi('users.never'));

    // Create an operator with a hostile display name: a weak password is refused by name first.
    await fill(adminPage, '#new-username', 'Op1');
    await fill(adminPage, '#new-displayName', HOSTILE);
    await adminPage.select('#new-role', 'operator');
    await fill(adminPage, '#new-password', 'ngắn');
    await adminPage.click('#create-user button[type=submit]');
    await waitText(adminPage, '[data-problem-for="new-password"]', vi('users.problem.password'));
    expect(await text(adminPage, '#users-error')).toBe(vi('error.ACCOUNT_INVALID'));
    expect(await text(adminPage, '[data-problem-for="new-username"]')).toBe('');
    expect(await adminPage.$('#users-body tr[data-username="op1"]')).toBeNull();
    await fill(adminPage, '#new-password', OP_PASSWORD);
    await adminPage.click('#create-user button[type=submit]');
    await waitText(adminPage, '#users-status', vi('users.created', { username: 'op1' }));
    expect(await rowCells(adminPage, 'op1')).toEqual(
      expect.objectContaining({
        username: 'op1',
        displayName: HOSTILE,
        role: 'Vận hành',
        status: 'Đang dùng',
        lastLogin: vi('users.never'),
      }),
    );
    expect(await text(adminPage, '[data-problem-for="new-password"]')).toBe('');
    // The same username again: refused in words, next to the field.
    await fill(adminPage, '#new-username', 'op1');
    await fill(adminPage, '#new-displayName', 'Ai đó');
    await fill(adminPage, '#new-password', OP_PASSWORD);
    await adminPage.click('#create-user button[type=submit]');
    await waitText(adminPage, '#users-error', vi('error.USER_EXISTS'));
    expect(await text(adminPage, '[data-problem-for="new-username"]')).toBe(vi('error.USER_EXISTS'));
    expect(await tryLogin(base, 'op1', OP_PASSWORD)).toEqual(expect.objectContaining({ status: 200 }));

    // Change its role.
    await adminPage.click('#users-body button[data-edit="op1"]');
    await waitText(adminPage, '#edit-title', vi('users.edit.title', { username: 'op1' }));
    await adminPage.select('#edit-role', 'author');
    await adminPage.click('#edit-save');
    await waitText(adminPage, '#users-status', vi('users.saved', { username: 'op1' }));
    expect((await rowCells(adminPage, 'op1'))['role']).toBe('Biên tập');
    expect((await rowCells(adminPage, 'op1'))['lastLogin']).not.toBe(vi('users.never'));

    // Disable it: its sign-in then fails; enable it again: it works.
    await adminPage.click('#edit-toggle');
    await waitText(adminPage, '#users-status', vi('users.disabledDone', { username: 'op1' }));
    expect((await rowCells(adminPage, 'op1'))['status']).toBe('Đã khoá');
    expect(await text(adminPage, '#edit-toggle')).toBe(vi('users.enable'));
    expect((await tryLogin(base, 'op1', OP_PASSWORD)).status).toBe(401);
    await adminPage.click('#edit-toggle');
    await waitText(adminPage, '#users-status', vi('users.enabledDone', { username: 'op1' }));
    expect((await rowCells(adminPage, 'op1'))['status']).toBe('Đang dùng');
    expect((await tryLogin(base, 'op1', OP_PASSWORD)).status).toBe(200);

    // The last admin cannot be disabled: the refusal is named in words.
    await adminPage.click('#users-body button[data-edit="admin"]');
    await waitText(adminPage, '#edit-title', vi('users.edit.title', { username: 'admin' }));
    await adminPage.click('#edit-toggle');
    await waitText(adminPage, '#users-error', vi('error.LAST_ADMIN'));
    expect((await rowCells(adminPage, 'admin'))['status']).toBe('Đang dùng');

    // Delete the viewer's twin: nothing happens before the confirm step, "keep it" keeps it.
    await fill(adminPage, '#new-username', 'tam-thoi');
    await fill(adminPage, '#new-displayName', 'Tạm thời');
    await fill(adminPage, '#new-password', OP_PASSWORD);
    await adminPage.click('#create-user button[type=submit]');
    await adminPage.waitForSelector('#users-body tr[data-username="tam-thoi"]');
    await adminPage.click('#users-body button[data-edit="tam-thoi"]');
    await adminPage.click('#edit-delete');
    expect(await text(adminPage, '#delete-question')).toBe(
      vi('users.deleteConfirm', { username: 'tam-thoi' }),
    );
    await adminPage.click('#delete-no');
    expect(await adminPage.$eval('#delete-confirm', (x) => (x as HTMLElement).hidden)).toBe(true);
    expect(await adminPage.$('#users-body tr[data-username="tam-thoi"]')).not.toBeNull();
    await adminPage.click('#edit-delete');
    await adminPage.click('#delete-yes');
    await waitText(adminPage, '#users-status', vi('users.deleted', { username: 'tam-thoi' }));
    expect(await adminPage.$('#users-body tr[data-username="tam-thoi"]')).toBeNull();
    expect(await adminPage.$eval('#edit-user', (x) => (x as HTMLElement).hidden)).toBe(true);

    // The hostile display name stayed text throughout.
    expect(
      await adminPage.evaluate(() => ({
        xss: (window as { __xss?: unknown }).__xss,
        images: document.querySelectorAll('img').length,
      })),
    ).toEqual({ xss: undefined, images: 0 });

    // A machine with the ops token made an enrolment token: no account, said in words.
    const byOps = await s.api('POST', '/api/enrolment-tokens', {
      siteGroup: GATE.siteGroup,
      screenName: 'cổng ra',
    });
    expect(byOps.status).toBe(201);

    // The audit page: newest first, with the admin's name and address.
    await adminPage.click('#nav-audit');
    await adminPage.waitForFunction(() => (window as { gcAuditPages?: number }).gcAuditPages === 1);
    expect(await text(adminPage, '#audit-zone')).toBe(vi('audit.zone', { zone: 'Asia/Ho_Chi_Minh' }));
    const rows = () =>
      adminPage.$$eval('#audit-body tr', (trs) =>
        trs.map((tr) => ({
          id: Number(tr.getAttribute('data-id')),
          ...Object.fromEntries(
            Array.from(tr.querySelectorAll('td')).map((td) => [td.dataset.f, td.textContent!.trim()]),
          ),
        })),
      );
    const all = await rows();
    const ids = all.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const byAdmin = all.filter((r) => r['actor'] === 'admin' && r['ip'] === '127.0.0.1');
    const actions = byAdmin.map((r) => `${r['action']}|${r['target']}|${r['outcome']}`);
    for (const a of [
      'Tạo tài khoản|op1|Thành công',
      'Sửa tài khoản|op1|Thành công',
      'Xoá tài khoản|tam-thoi|Thành công',
      'Đăng nhập|admin|Thành công',
    ])
      expect(actions, a).toContain(a);
    const update = byAdmin.filter((r) => r['action'] === 'Sửa tài khoản').map((r) => r['details']);
    expect(update).toEqual(expect.arrayContaining(['role: author', 'disabled: true', 'disabled: false']));
    const created = byAdmin.find((r) => r['action'] === 'Tạo tài khoản' && r['target'] === 'op1')!;
    expect(created['details']).toBe(`role: operator; displayName: ${HOSTILE}`);
    expect(created['time']).toMatch(/\d{2}:\d{2}:\d{2}/);
    // The disabled operator's refused sign-in is there too, anonymous.
    expect(
      all.some(
        (r) =>
          r['action'] === 'Đăng nhập' &&
          r['target'] === 'op1' &&
          r['outcome'] === 'Thất bại' &&
          r['actor'] === vi('audit.anonymous') &&
          r['details']!.includes('reason: disabled'),
      ),
    ).toBe(true);

    expect(all.find((r) => r['target'] === byOps.body.id)).toEqual(
      expect.objectContaining({ actor: vi('audit.viaOpsToken'), ip: '127.0.0.1' }),
    );

    // Accounts made before the server ran came from its command line.
    expect(all.find((r) => r['action'] === 'Tạo tài khoản' && r['target'] === 'viewer')).toEqual(
      expect.objectContaining({ actor: vi('audit.commandLine'), ip: vi('audit.commandLine') }),
    );

    // A date range before anything happened: no rows; today (in the ops zone) has them all.
    await adminPage.goto(`${base}/dashboard/audit?from=2000-01-01&to=2000-12-31`);
    await adminPage.waitForFunction(() => (window as { gcAuditPages?: number }).gcAuditPages === 1);
    expect(await adminPage.$$('#audit-body tr')).toHaveLength(0);
    expect(await adminPage.$eval('#audit-none', (x) => (x as HTMLElement).hidden)).toBe(false);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(Date.now());
    await adminPage.goto(`${base}/dashboard/audit?from=${today}&to=${today}`);
    await adminPage.waitForFunction(() => (window as { gcAuditPages?: number }).gcAuditPages === 1);
    expect((await rows()).map((r) => r.id)).toEqual(ids);

    // Filter by actor (typed in the form): only op1's own rows; the address carries the filter.
    await fill(adminPage, '#f-actor', 'op1');
    await Promise.all([adminPage.waitForNavigation(), adminPage.click('#audit-filters button[type=submit]')]);
    await adminPage.waitForFunction(() => (window as { gcAuditPages?: number }).gcAuditPages === 1);
    expect(new URL(adminPage.url()).searchParams.get('actor')).toBe('op1');
    const op1Rows = await rows();
    expect(op1Rows.length).toBe(2);
    expect(op1Rows.every((r) => r['actor'] === 'op1' && r['action'] === 'Đăng nhập')).toBe(true);

    // Filter by actor and outcome, then export: the CSV has the same rows.
    await adminPage.goto(`${base}/dashboard/audit?actor=admin&outcome=ok`);
    await adminPage.waitForFunction(() => (window as { gcAuditPages?: number }).gcAuditPages === 1);
    const adminRows = await rows();
    expect(adminRows.length).toBeGreaterThan(5);
    expect(adminRows.every((r) => r['actor'] === 'admin' && r['outcome'] === 'Thành công')).toBe(true);
    const href = await adminPage.$eval('#audit-export', (a) => a.getAttribute('href'));
    expect(href).toBe('/api/audit.csv?actor=admin&outcome=ok');
    const csv = await adminPage.evaluate(async (h) => {
      const r = await fetch(h, { credentials: 'same-origin' });
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    }, href!);
    expect(csv.status).toBe(200);
    expect(csv.type).toContain('text/csv');
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toBe('id,at,actor,action,target,ip,outcome,details');
    const csvIds = lines.slice(1).map((l) => Number(l.split(',')[0]));
    expect(csvIds).toEqual(adminRows.map((r) => r.id).reverse());
    expect(lines.slice(1).every((l) => l.split(',')[2] === 'admin' && l.includes(',127.0.0.1,ok,'))).toBe(
      true,
    );

    // Paging with the API's cursor: 4 per page, "older" appends the next pages, then the end.
    await adminPage.goto(`${base}/dashboard/audit?actor=admin&outcome=ok&limit=4`);
    await adminPage.waitForFunction(() => (window as { gcAuditPages?: number }).gcAuditPages === 1);
    expect((await rows()).length).toBe(4);
    for (let n = 2; n < 20; n++) {
      if (await adminPage.$eval('#audit-older', (x) => (x as HTMLElement).hidden)) break;
      await adminPage.click('#audit-older');
      await adminPage.waitForFunction((k) => (window as { gcAuditPages?: number }).gcAuditPages === k, {}, n);
    }
    // The same rows as unpaged, plus the export just made.
    const paged = (await rows()).map((r) => r.id);
    expect(paged.slice(1)).toEqual(adminRows.map((r) => r.id));
    expect((await rows())[0]!['action']).toBe('Xuất nhật ký');
    expect(await adminPage.$eval('#audit-end', (x) => (x as HTMLElement).hidden)).toBe(false);
    expect(await adminPage.$eval('#f-limit', (x) => (x as HTMLInputElement).value)).toBe('4');
    // The export link never pages: it takes everything that matches.
    expect(await adminPage.$eval('#audit-export', (a) => a.getAttribute('href'))).toBe(
      '/api/audit.csv?actor=admin&outcome=ok',
    );

    // A viewer: no links to either page, 403 on both, but their own account page works.
    await loginThroughPage(viewerPage, base, 'viewer');
    expect(await viewerPage.$('#nav-users')).toBeNull();
    expect(await viewerPage.$('#nav-audit')).toBeNull();
    for (const path of ['/dashboard/users', '/dashboard/audit', '/dashboard/users/data']) {
      const res = await viewerPage.goto(`${base}${path}`);
      expect(res!.status(), path).toBe(403);
    }
    await viewerPage.goto(`${base}/dashboard`);
    await Promise.all([viewerPage.waitForNavigation(), viewerPage.click('#whoami')]);
    expect(new URL(viewerPage.url()).pathname).toBe('/dashboard/account');
    expect(await text(viewerPage, '#me-role')).toBe('Xem');
    // Change my password: a wrong current password and a mismatch are named; then it works.
    const newPassword = 'một mật khẩu mới thật dài';
    await fill(viewerPage, '#own-current', 'sai mật khẩu rồi');
    await fill(viewerPage, '#own-new', newPassword);
    await fill(viewerPage, '#own-repeat', `${newPassword}!`);
    await viewerPage.click('#own-password button[type=submit]');
    await waitText(viewerPage, '[data-problem-for="own-repeat"]', vi('account.mismatch'));
    await fill(viewerPage, '#own-repeat', newPassword);
    await viewerPage.click('#own-password button[type=submit]');
    await waitText(viewerPage, '[data-problem-for="own-current"]', vi('error.AUTH_FAILED'));
    await fill(viewerPage, '#own-current', PASSWORD);
    await fill(viewerPage, '#own-new', 'ngắn');
    await fill(viewerPage, '#own-repeat', 'ngắn');
    await viewerPage.click('#own-password button[type=submit]');
    await waitText(viewerPage, '[data-problem-for="own-new"]', vi('users.problem.password'));
    await fill(viewerPage, '#own-current', PASSWORD);
    await fill(viewerPage, '#own-new', newPassword);
    await fill(viewerPage, '#own-repeat', newPassword);
    await viewerPage.click('#own-password button[type=submit]');
    await waitText(viewerPage, '#own-status', vi('account.changed'));
    expect((await tryLogin(base, 'viewer', PASSWORD)).status).toBe(401);
    expect((await tryLogin(base, 'viewer', newPassword)).status).toBe(200);

    // The admin's users page carries the same form; English switch.
    await adminPage.goto(`${base}/dashboard/lang/en?next=%2Fdashboard%2Fusers`);
    await adminPage.waitForSelector('#users-body tr[data-username="op1"]');
    expect(await text(adminPage, 'h2')).toBe('User accounts');
    expect(await adminPage.$('#own-password')).not.toBeNull();
    expect((await rowCells(adminPage, 'op1'))['role']).toBe('Author');
    expect(errors).toEqual([]);
  }, 90_000);

  it("lists an approver's registered keys on their account page and registers one pasted there", async () => {
    const dir = tempFolder(cleanups, 'gc-account-keys-');
    await createUsers(join(dir, 'server'), [
      { username: 'admin', role: 'admin' },
      { username: 'ap1', role: 'approver' },
      { username: 'ap2', role: 'approver' },
      { username: 'viewer', role: 'viewer' },
    ]);
    const k1 = generateSigningKey('approver-1').key;
    const k2 = generateSigningKey('approver-2').key;
    await registerKeys(join(dir, 'server'), [{ username: 'ap2', key: k2 }]);
    const s = await startServer(dir);
    cleanups.push(() => s.server.stop());
    const base = s.server.url;
    const vi = (k: AccountsKey) => accountsTexts.text('vi', k);
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const page = await (await browser.createBrowserContext()).newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(page, base, 'ap1');
    await page.goto(`${base}/dashboard/account`);
    await page.waitForFunction(() => (window as unknown as { gcKeysRendered: number }).gcKeysRendered > 0);
    expect(await page.$eval('#keys-none', (x) => (x as HTMLElement).hidden)).toBe(false);
    // Another approver's key is refused by name; a wrong password next to its field; then it works.
    await fill(page, '#key-public', JSON.stringify(publicKeyFileOf(k2), null, 2));
    await fill(page, '#key-current', PASSWORD);
    await page.click('#own-key button[type=submit]');
    await waitText(page, '#keys-error', vi('error.KEY_REGISTERED_TO_ANOTHER_ACCOUNT'));
    await fill(page, '#key-public', JSON.stringify(publicKeyFileOf(k1), null, 2));
    await fill(page, '#key-current', 'sai mật khẩu rồi');
    await page.click('#own-key button[type=submit]');
    await waitText(page, '[data-problem-for="key-current"]', vi('error.AUTH_FAILED'));
    await fill(page, '#key-current', PASSWORD);
    await page.click('#own-key button[type=submit]');
    await waitText(page, '#keys-status', vi('account.keys.added'));
    await page.waitForSelector(`#keys-body tr[data-keyid="${k1.keyId}"]`);
    const cells = await page.$eval(`#keys-body tr[data-keyid="${k1.keyId}"]`, (tr) =>
      Array.from(tr.querySelectorAll('td')).map((td) => td.textContent!.trim()),
    );
    expect(cells.slice(0, 2)).toEqual(['approver-1', k1.keyId]);
    expect(await page.$eval('#keys-none', (x) => (x as HTMLElement).hidden)).toBe(true);
    // Reloaded, the page lists it from the server.
    await page.reload();
    await page.waitForSelector(`#keys-body tr[data-keyid="${k1.keyId}"]`);
    // A viewer sees the list but no form to register a key.
    const viewer = await (await browser.createBrowserContext()).newPage();
    await loginThroughPage(viewer, base, 'viewer');
    await viewer.goto(`${base}/dashboard/account`);
    await viewer.waitForSelector('#own-keys');
    expect(await viewer.$('#own-key')).toBeNull();
    expect(errors).toEqual([]);
  }, 90_000);
});
