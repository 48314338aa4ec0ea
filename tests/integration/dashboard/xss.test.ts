/**
 * Hostile strings in everything a user, an operator or a device can name — gate names, screen
 * names, display names, alert details and keys, item names, event messages, command results, audit
 * targets — shown on every dashboard page in real Chromium: nothing runs (no `window.__xss`, no
 * dialog, no injected element or handler), the text is shown literally, and every response carries
 * the strict CSP. A new page is one line in PAGES.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, HTTPResponse, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { LoginRateLimiter } from '../../../sync-server/accounts/rate-limit.js';
import { AccountService } from '../../../sync-server/accounts/service.js';
import { openSqliteAccountStore } from '../../../sync-server/accounts/sqlite-accounts.js';
import { alertStateOf } from '../../../sync-server/alerts/alert-state-store.js';
import type { AlertRecord } from '../../../sync-server/alerts/types.js';
import { ACCOUNTS_DB, REGISTRY_DB } from '../../../sync-server/main.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { createUsers, launchChromium, PASSWORD } from '../../helpers/dashboard.js';
import {
  enrolTestDevice,
  GATE,
  healthAt,
  makeDevice,
  startServer,
  type TestDevice,
  until,
} from '../../helpers/sync.js';
import { manifest } from '../../helpers/schedule-fixtures.js';
import { tempDir } from '../../helpers/temp.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';

const X = {
  script: '<script>window.__xss=1</script>',
  attr: '"><img src=x onerror="window.__xss=1">',
  js: 'javascript:window.__xss=1',
  close: '</script><script>window.__xss=1</script>',
  /** Right-to-left override and zero-width characters. */
  bidi: '\u202Eevil\u200B\u200D\u2066name\u2069',
  quote: "'onmouseover='window.__xss=1",
};
const GATE_NAME = `Hà Tiên ${X.attr} ${X.bidi}`;
const SCREEN_NAME = `${X.script} sảnh ${X.js}`;
const DISPLAY_NAME = `${X.attr}${X.close}`;
const ITEM = `${X.attr}${X.quote}`;
const EVENT_MESSAGE = `${X.close} ${X.bidi}`;
const COMMAND_FAILURE = `${X.script}${X.js}`;
const ALERT_DEVICE = X.attr;
const ALERT_LANGUAGES = `${X.close} ${X.bidi}`;
const UNKNOWN_GATE = `${X.script}/x`;
const ITEM_TITLE = `${X.script}${X.attr}`;
const BUNDLE_LABEL = `${X.close} ${X.bidi}`;
const DRAFT_LABEL = `${X.attr} bản nháp ${X.js}`;
const EMERGENCY_TEXT = `${X.attr} cửa khẩu tạm đóng ${X.close}`;
/** A sign-in attempt under this name leaves it in the audit log as the target. */
const LOGIN_NAME = X.script;

interface Ctx {
  deviceId: string;
  year: number;
  draftId: string;
}

/**
 * Every dashboard page, with the hostile strings it must show as text. `anonymous` pages are
 * visited without a session. Pages added later (content, drafts, emergency, audit, users): one line.
 */
const PAGES: {
  name: string;
  path: (c: Ctx) => string;
  shows: string[];
  anonymous?: boolean;
  /** Visited as the admin (pages the operator may not see). */
  admin?: boolean;
}[] = [
  { name: 'login', path: () => '/dashboard/login', shows: [], anonymous: true },
  { name: 'fleet', path: () => '/dashboard', shows: [GATE_NAME, SCREEN_NAME, ITEM, DISPLAY_NAME] },
  {
    name: 'screen',
    path: (c) => `/dashboard/screen/${encodeURIComponent(c.deviceId)}`,
    shows: [GATE_NAME, SCREEN_NAME, ITEM, EVENT_MESSAGE, COMMAND_FAILURE],
  },
  {
    name: 'alerts',
    path: () => '/dashboard/alerts',
    shows: [GATE_NAME, ALERT_DEVICE, ALERT_LANGUAGES, UNKNOWN_GATE, X.bidi],
  },
  { name: 'reports form', path: () => '/dashboard/reports', shows: [GATE_NAME] },
  { name: 'content', path: () => '/dashboard/content?siteGroup=kien-giang%2Fha-tien', shows: [] },
  { name: 'drafts', path: () => '/dashboard/drafts', shows: [DRAFT_LABEL] },
  { name: 'draft review', path: (c) => `/dashboard/drafts/${c.draftId}`, shows: [DRAFT_LABEL] },
  { name: 'emergency', path: () => '/dashboard/emergency', shows: [EMERGENCY_TEXT] },
  { name: 'users', path: () => '/dashboard/users', shows: [DISPLAY_NAME], admin: true },
  { name: 'audit', path: () => '/dashboard/audit', shows: [DISPLAY_NAME, LOGIN_NAME], admin: true },
  { name: 'account', path: () => '/dashboard/account', shows: [DISPLAY_NAME] },
  {
    name: 'report (HTML)',
    path: (c) => `/api/reports?period=${c.year}&format=html&lang=vi`,
    shows: [GATE_NAME, SCREEN_NAME],
  },
  // Anonymous, so the English cookie does not stay with the operator's session.
  {
    name: 'language switch to a javascript: URL',
    path: () => `/dashboard/lang/en?next=${X.js}`,
    shows: [],
    anonymous: true,
  },
];

function alert(over: Partial<AlertRecord> & Pick<AlertRecord, 'key' | 'kind' | 'siteGroup'>): AlertRecord {
  const now = Date.now();
  return {
    severity: 'critical',
    params: {},
    raisedAt: now - 3_600_000,
    lastHeldAt: now - 60_000,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    ...over,
  };
}

let dir: ReturnType<typeof tempDir>;
let s: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let dev: TestDevice;
/** Signed in once as the hostile-named operator (logins are rate-limited per user). */
let operator: BrowserContext;
let admin: BrowserContext;
const ctx: Ctx = { deviceId: '', year: new Date().getUTCFullYear(), draftId: '' };
let tuf: Awaited<ReturnType<typeof startTufRepo>> | undefined;

beforeAll(async () => {
  dir = tempDir('gc-xss-');
  const dataDir = join(dir.path, 'server');
  await createUsers(dataDir, [{ username: 'admin', role: 'admin' }]);
  // An operator whose display name is hostile.
  const store = openSqliteAccountStore(join(dataDir, ACCOUNTS_DB));
  await new AccountService(store, systemClock, new LoginRateLimiter(), memoryLogger('accounts'), {
    scrypt: { N: 1024, r: 8, p: 1 },
  }).createUser(null, {
    username: 'xss-op',
    displayName: DISPLAY_NAME,
    role: 'operator',
    password: PASSWORD,
  });
  store.close();
  // Stored alerts and history with hostile keys, devices, gates and details (as a restart reads them).
  const registry = new Registry(join(dataDir, REGISTRY_DB));
  registry.open();
  const hostileDevice = alert({
    key: `under-voltage:${ALERT_DEVICE}`,
    kind: 'under-voltage',
    siteGroup: GATE.siteGroup,
    deviceId: ALERT_DEVICE,
  });
  const gateWide = alert({
    key: `missing-language-variants:${GATE.siteGroup}`,
    kind: 'missing-language-variants',
    severity: 'warning',
    siteGroup: GATE.siteGroup,
    params: { languages: ALERT_LANGUAGES, items: X.attr, count: 1 },
  });
  const unknownGate = alert({
    key: `clock-skew:${UNKNOWN_GATE}`,
    kind: 'clock-skew',
    siteGroup: UNKNOWN_GATE,
  });
  alertStateOf(registry).saveActive([hostileDevice, gateWide, unknownGate]);
  alertStateOf(registry).appendHistory(
    [
      {
        at: Date.now() - 120_000,
        type: 'resolved',
        key: `disk-low:${X.bidi}`,
        record: alert({
          key: `disk-low:${X.bidi}`,
          kind: 'disk-low',
          siteGroup: GATE.siteGroup,
          deviceId: X.bidi,
          params: { freePercent: X.script },
          resolvedAt: Date.now() - 120_000,
        }),
      },
    ],
    0,
  );
  await registry.close();

  // Published content and an open draft with hostile titles, labels and an emergency message.
  const now = Date.now();
  const base = manifest();
  const published = {
    ...base,
    label: BUNDLE_LABEL,
    items: base.items.map((i) => (i.id === 'a' ? { ...i, title: ITEM_TITLE } : i)),
    emergencies: [
      {
        id: 'storm',
        text: Object.fromEntries(
          GATE.languages.map((l) => [l, { title: EMERGENCY_TEXT, body: EMERGENCY_TEXT }]),
        ),
        startsAt: new Date(now - 3_600_000).toISOString(),
        expiresAt: new Date(now + 3_600_000).toISOString(),
        perLanguageMs: 8000,
      },
    ],
  };
  tuf = await startTufRepo({
    serve: false,
    files: { 'kien-giang/ha-tien/bundle.json': Buffer.from(JSON.stringify(published)) },
  });
  // The stored hostile alerts must stay active for the whole file: a rule evaluation would resolve
  // them (their device does not exist), so none runs while the pages are checked.
  s = await startServer(dir.path, {
    gates: [{ ...GATE, name: GATE_NAME }],
    tuf: { repoDir: tuf.dir },
    alerts: { evaluateIntervalMs: 3_600_000 },
  });
  ctx.draftId = (
    await s.server.tuf!.drafts.create({
      siteGroup: GATE.siteGroup,
      manifest: JSON.stringify({
        ...published,
        label: DRAFT_LABEL,
        items: published.items.map((i) => (i.id === 'b' ? { ...i, title: ITEM_TITLE } : i)),
      }),
      files: [],
    })
  ).id;
  const e = await enrolTestDevice(s.api, s.server.url, join(dir.path, 'd'), SCREEN_NAME);
  ctx.deviceId = e.deviceId;
  dev = makeDevice(join(dir.path, 'd'), e.deviceId, s.server.url, {
    handlers: {
      identify: async () => {
        throw new Error(COMMAND_FAILURE);
      },
    },
  });
  dev.client.start();
  await until(() => s.server.hub.isOnline(e.deviceId), 8000, 'device online');
  dev.outbox.appendHealth(healthAt(Date.now() - 1000, { currentItem: ITEM, currentLanguage: 'km' }));
  dev.outbox.appendEvent({ at: Date.now() - 500, kind: 'player', level: 'error', message: EVENT_MESSAGE });
  // A command with hostile arguments, failing with a hostile message.
  const cmd = await s.api('POST', `/api/devices/${e.deviceId}/commands`, {
    name: 'identify',
    args: { ms: 1000, note: X.attr },
  });
  expect(cmd.status).toBe(201);
  await until(
    async () => (await s.api('GET', `/api/commands/${cmd.body.id}`)).body.state === 'failed',
    8000,
    'command failed',
  );
  await until(
    async () => (await s.api('GET', `/api/devices/${e.deviceId}/events`)).body.length > 0,
    8000,
    'event stored',
  );
  await until(() => s.server.fleet.row(e.deviceId)?.currentItem === ITEM, 8000, 'health stored');
  browser = await launchChromium();
  operator = await browser.createBrowserContext();
  const page = await operator.newPage();
  await page.goto(`${s.server.url}/dashboard/login`);
  await page.type('#username', 'xss-op');
  await page.type('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form#login button[type=submit]')]);
  await page.close();
  admin = await browser.createBrowserContext();
  const adminPage = await admin.newPage();
  await adminPage.goto(`${s.server.url}/dashboard/login`);
  await adminPage.type('#username', 'admin');
  await adminPage.type('#password', PASSWORD);
  await Promise.all([adminPage.waitForNavigation(), adminPage.click('form#login button[type=submit]')]);
  await adminPage.close();
  const attempt = await fetch(`${s.server.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': X.attr },
    body: JSON.stringify({ username: LOGIN_NAME, password: 'wrong password' }),
  });
  expect(attempt.status).toBe(401);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await dev?.close();
  await s?.server.stop();
  await tuf?.close();
  dir?.cleanup();
});

/** The script-src (or default-src) directive of a CSP, or undefined. */
function scriptSources(csp: string): string | undefined {
  const directives = csp.split(';').map((d) => d.trim());
  return (
    directives.find((d) => d.startsWith('script-src ')) ??
    directives.find((d) => d.startsWith('default-src '))
  );
}

interface Watch {
  dialogs: string[];
  errors: string[];
  responses: HTTPResponse[];
}

function watch(page: Page): Watch {
  const w: Watch = { dialogs: [], errors: [], responses: [] };
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (err) => w.errors.push(String(err)));
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) w.errors.push(m.text());
  });
  page.on('response', (r) => w.responses.push(r));
  return w;
}

/** What a page must never contain, whatever was shown on it. */
async function expectInert(page: Page, what: string): Promise<void> {
  const found = await page.evaluate(() => ({
    xss: (window as { __xss?: unknown }).__xss,
    injectedImages: document.querySelectorAll('img[src="x"]').length,
    handlers: Array.from(document.querySelectorAll('*')).flatMap((el) =>
      Array.from(el.attributes)
        .filter((a) => /^on/i.test(a.name))
        .map((a) => `${el.tagName}[${a.name}]`),
    ),
    scripts: Array.from(document.querySelectorAll('script'))
      .filter((x) => x.getAttribute('type') !== 'application/json')
      .map((x) => x.getAttribute('src') ?? `inline:${x.textContent}`),
    javascriptUrls: Array.from(document.querySelectorAll('[href],[src],[action]'))
      .map((el) => el.getAttribute('href') ?? el.getAttribute('src') ?? el.getAttribute('action') ?? '')
      .filter((u) => /^\s*javascript:/i.test(u)),
  }));
  expect(found.xss, `${what}: window.__xss`).toBeUndefined();
  expect(found.injectedImages, `${what}: injected <img>`).toBe(0);
  expect(found.handlers, `${what}: inline handlers`).toEqual([]);
  for (const src of found.scripts)
    expect(src, `${what}: script`).toMatch(/^\/dashboard\/static\/[\w-]+\/browser\/[\w-]+\.js$/);
  expect(found.javascriptUrls, `${what}: javascript: URLs`).toEqual([]);
}

function expectCsp(w: Watch, what: string): void {
  const ours = w.responses.filter((r) => r.url().startsWith(s.server.url));
  expect(ours.length, what).toBeGreaterThan(0);
  for (const r of ours) {
    const csp = r.headers()['content-security-policy'];
    expect(csp, `${what}: CSP on ${r.url()}`).toBeTruthy();
    const scripts = scriptSources(csp!);
    expect(scripts, `${what}: script-src on ${r.url()}`).toBeTruthy();
    expect(scripts, r.url()).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*|data:|https?:/);
    expect(csp, r.url()).toMatch(/(object-src|default-src) 'none'/);
  }
}

describe('hostile strings stay inert on every dashboard page', () => {
  it.each(PAGES)('$name', async (p) => {
    const context = p.anonymous ? await browser.createBrowserContext() : p.admin ? admin : operator;
    const page = await context.newPage();
    try {
      const w = watch(page);
      // Loaded, scripts run, live streams connected (an open stream is at most one connection).
      await page.goto(`${s.server.url}${p.path(ctx)}`, { waitUntil: 'networkidle2' });
      await expectInert(page, p.name);
      expect(new URL(page.url()).origin, `${p.name}: stays on the server`).toBe(new URL(s.server.url).origin);
      const text = await page.evaluate(() => document.body.innerText);
      for (const str of p.shows)
        expect(text, `${p.name} shows ${JSON.stringify(str)} literally`).toContain(str);
      expect(w.dialogs, p.name).toEqual([]);
      expect(w.errors, p.name).toEqual([]);
      expectCsp(w, p.name);
    } finally {
      await page.close();
      if (p.anonymous) await context.close();
    }
  });

  it('puts the CSP on responses outside the dashboard too (not found, ops API refusal, health, metrics)', async () => {
    for (const path of [
      '/no/such/page',
      '/api/devices',
      '/api/health',
      '/metrics',
      '/dashboard/static/nope.js',
    ]) {
      const res = await fetch(`${s.server.url}${path}`);
      await res.arrayBuffer();
      const csp = res.headers.get('content-security-policy');
      expect(csp, path).toBeTruthy();
      expect(scriptSources(csp!), path).toBe("script-src 'self'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('acknowledging a hostile alert from the page keeps it inert, live, and audits the literal key', async () => {
    const page = await operator.newPage();
    try {
      const w = watch(page);
      await page.goto(`${s.server.url}/dashboard`);
      expect(await page.$eval('#whoami', (x) => x.textContent)).toBe(`${DISPLAY_NAME} (Vận hành)`);
      await page.goto(`${s.server.url}/dashboard/alerts`);
      await page.waitForSelector('main[data-live="yes"]');
      const key = `under-voltage:${ALERT_DEVICE}`;
      const buttons = await page.$$('button[data-ack-key]');
      let clicked = false;
      for (const b of buttons)
        if ((await b.evaluate((x) => x.getAttribute('data-ack-key'))) === key) {
          await b.click();
          clicked = true;
        }
      expect(clicked).toBe(true);
      await page.waitForFunction(
        (k) =>
          Array.from(document.querySelectorAll('#alerts-body tr')).some(
            (tr) => tr.getAttribute('data-key') === k && tr.getAttribute('data-acked') === 'yes',
          ),
        { timeout: 5000 },
        key,
      );
      // The rows were rebuilt by the script from the live view: still inert, still literal.
      await expectInert(page, 'alerts after acknowledging');
      const text = await page.evaluate(() => document.body.innerText);
      for (const str of [GATE_NAME, ALERT_DEVICE, ALERT_LANGUAGES, UNKNOWN_GATE]) expect(text).toContain(str);
      expect(w.dialogs).toEqual([]);
      expect(w.errors).toEqual([]);
      expectCsp(w, 'alerts after acknowledging');
      // The audit log holds the literal key under the operator's name.
      const login = await fetch(`${s.server.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const audit = (await (
        await fetch(`${s.server.url}/api/audit?action=alert.acknowledge`, { headers: { cookie } })
      ).json()) as { entries: { actor: string; target: string }[] };
      expect(audit.entries).toEqual([expect.objectContaining({ actor: 'xss-op', target: key })]);
    } finally {
      await page.close();
    }
  });
});
