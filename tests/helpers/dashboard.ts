/** Helpers for dashboard tests: accounts created in the server's accounts database, a headless Chromium. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { type Clock, systemClock } from '../../protocol/clock.js';
import { loadPublicKey, publicKeyFileOf, type SigningKey } from '../../platform/tuf-keys.js';
import { memoryLogger } from '../../platform/log.js';
import { LoginRateLimiter } from '../../sync-server/accounts/rate-limit.js';
import { AccountService } from '../../sync-server/accounts/service.js';
import { openSqliteAccountStore } from '../../sync-server/accounts/sqlite-accounts.js';
import type { Role } from '../../sync-server/web/roles.js';
import type { ServerConfigInput } from '../../sync-server/config/config.js';
import type { Cleanup } from './cleanups.js';
import { startServer, TEST_SCRYPT } from './sync.js';
import { ACCOUNTS_DB } from '../../sync-server/main.js';
import { chromiumPath } from './chromium.js';

export const PASSWORD = 'correct horse battery staple';

/** Creates users (the first one an admin) in `dataDir`'s accounts database, before the server starts. */
export async function createUsers(dataDir: string, users: { username: string; role: Role }[]): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = openSqliteAccountStore(join(dataDir, ACCOUNTS_DB));
  try {
    const svc = new AccountService(store, systemClock, new LoginRateLimiter(), memoryLogger('accounts'), {
      scrypt: TEST_SCRYPT,
    });
    for (const u of users) {
      if (u.role === 'admin' && store.countActiveAdmins() === 0)
        await svc.createFirstAdmin({ username: u.username, displayName: u.username, password: PASSWORD });
      else
        await svc.createUser(null, {
          username: u.username,
          displayName: u.username,
          role: u.role,
          password: PASSWORD,
        });
    }
  } finally {
    store.close();
  }
}

/**
 * Creates `users` (username: role, the first one an admin) in `dir`'s accounts database, then starts
 * a sync server over `dir` (as `startServer`); `cleanups` stops it. `base` is the server's URL.
 */
export async function startServerWithUsers(
  cleanups: Cleanup[],
  dir: string,
  users: Record<string, Role>,
  over: Partial<ServerConfigInput> = {},
  clock: Clock = systemClock,
) {
  await createUsers(
    join(dir, 'server'),
    Object.entries(users).map(([username, role]) => ({ username, role })),
  );
  const s = await startServer(dir, over, clock);
  cleanups.push(() => s.server.stop());
  return { ...s, base: s.server.url };
}

/**
 * Registers approver keys to accounts in `dataDir`'s accounts database (before the server starts),
 * the way an approver does with `gatecast keys register`: `keyFile` is a `.key` or `.pub.json`, or
 * the key itself.
 */
export async function registerKeys(
  dataDir: string,
  keys: ({ username: string } & ({ keyFile: string } | { key: SigningKey }))[],
): Promise<void> {
  const store = openSqliteAccountStore(join(dataDir, ACCOUNTS_DB));
  try {
    const svc = new AccountService(store, systemClock, new LoginRateLimiter(), memoryLogger('accounts'), {
      scrypt: TEST_SCRYPT,
    });
    const users = svc.listUsers();
    for (const k of keys) {
      const user = users.find((u) => u.username === k.username);
      if (!user) throw new Error(`no user ${k.username} to register a key to`);
      const pub = publicKeyFileOf('key' in k ? k.key : await loadPublicKey(k.keyFile));
      await svc.registerKey({ user, ip: null }, PASSWORD, JSON.stringify(pub));
    }
  } finally {
    store.close();
  }
}

export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Logs in through the login page and waits for the fleet page. */
export async function loginThroughPage(page: Page, baseUrl: string, username: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard`);
  await page.waitForSelector('form#login');
  await page.type('#username', username);
  await page.type('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form#login button[type=submit]')]);
  await page.waitForSelector('#fleet');
}

/** Signs `username` in through the API: the session cookie (name=value) and its CSRF token. */
export async function apiLogin(
  base: string,
  username: string,
): Promise<{ cookie: string; csrfToken: string }> {
  const res = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}
