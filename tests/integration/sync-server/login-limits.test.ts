import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock, type FakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { isAuthFailedError, isRateLimitedError } from '../../../sync-server/accounts/errors.js';
import { LoginRateLimiter } from '../../../sync-server/accounts/rate-limit.js';
import { AccountService } from '../../../sync-server/accounts/service.js';
import { openSqliteAccountStore } from '../../../sync-server/accounts/sqlite-accounts.js';
import { ACCOUNTS_DB } from '../../../sync-server/main.js';
import { createUsers, PASSWORD } from '../../helpers/dashboard.js';
import { startServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const T0 = '2026-03-10T03:00:00Z';

describe('password checks on the real server', () => {
  let dir: ReturnType<typeof tempDir>;
  let clock: FakeClock;
  let s: Awaited<ReturnType<typeof startServer>>;

  beforeEach(async () => {
    dir = tempDir();
    clock = fakeClock(T0);
    await createUsers(join(dir.path, 'server'), [
      { username: 'admin', role: 'admin' },
      { username: 'approver', role: 'approver' },
    ]);
    s = await startServer(dir.path, {}, clock);
  });

  afterEach(async () => {
    await s.server.stop();
    dir.cleanup();
  });

  const login = (username: string, password: string, headers: Record<string, string> = {}) =>
    fetch(`${s.server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ username, password }),
    });
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string; retryAfterS?: number } }).error;

  it('lets an approver sign in ten times in a row', async () => {
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await login('approver', PASSWORD)).status);
    expect(statuses).toEqual(Array(10).fill(200));
  });

  it('slows wrong passwords progressively, says when to retry in the page language, and lets the right one in after', async () => {
    for (let i = 0; i < 3; i++) expect((await login('approver', `wrong ${i}`)).status).toBe(401);
    const slowed = await login('approver', PASSWORD);
    expect(slowed.status).toBe(429);
    expect(slowed.headers.get('retry-after')).toBe('1');
    expect(await errorOf(slowed)).toEqual({
      code: 'AUTH_RATE_LIMITED',
      message: 'Quá nhiều lần thử, vui lòng thử lại sau 1 giây',
      retryAfterS: 1,
    });
    clock.advance(1000);
    expect((await login('approver', 'wrong 3')).status).toBe(401);
    const english = await login('approver', PASSWORD, { cookie: 'gatecast_lang=en' });
    expect([english.status, english.headers.get('retry-after')]).toEqual([429, '2']);
    expect((await errorOf(english)).message).toBe('Too many attempts, try again in 2 seconds');
    clock.advance(2000);
    expect((await login('approver', PASSWORD)).status).toBe(200);
    // The success cleared the counter: three more mistakes are free again.
    for (let i = 0; i < 3; i++) expect((await login('approver', `wrong ${i}`)).status).toBe(401);
  });

  it('limits wrong current passwords on a password change like a login', async () => {
    const res = await login('approver', PASSWORD);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const change = (currentPassword: string) =>
      fetch(`${s.server.url}/api/session/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ currentPassword, newPassword: 'a brand new long password' }),
      });
    for (let i = 0; i < 3; i++) expect((await change(`guess ${i}`)).status).toBe(401);
    const refused = await change(PASSWORD);
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '1']);
    expect((await errorOf(refused)).code).toBe('AUTH_RATE_LIMITED');
    clock.advance(1000);
    expect((await change('guess 3')).status).toBe(401);
    expect((await change(PASSWORD)).status).toBe(429);
    clock.advance(2000);
    expect((await change(PASSWORD)).status).toBe(204);
  });
});

describe('password checks from two addresses (the account service over its SQLite store)', () => {
  let dir: ReturnType<typeof tempDir>;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  it('five wrong passwords from address A do not stop the right one from address B', async () => {
    await createUsers(dir.path, [{ username: 'approver', role: 'approver' }]);
    const store = openSqliteAccountStore(join(dir.path, ACCOUNTS_DB));
    try {
      const clock = fakeClock(T0);
      const accounts = new AccountService(store, clock, new LoginRateLimiter(), memoryLogger('accounts'), {
        scrypt: { N: 1024, r: 8, p: 1 },
      });
      const from = (ip: string, password: string) =>
        accounts.login('approver', password, { ip, userAgent: 'test' }).then(
          () => 'ok',
          (e: unknown) => (isAuthFailedError(e) ? 'wrong' : isRateLimitedError(e) ? 'slowed' : e),
        );
      const outcomes = [];
      for (const waitBefore of [0, 0, 0, 1000, 2000]) {
        clock.advance(waitBefore);
        outcomes.push(await from('203.0.113.9', 'not the password'));
      }
      expect(outcomes).toEqual(Array(5).fill('wrong'));
      expect(await from('203.0.113.9', PASSWORD)).toBe('slowed');
      expect(await from('10.20.0.7', PASSWORD)).toBe('ok');
      expect(
        accounts
          .listAudit({ action: 'session.login', limit: 20 })
          .map((e) => [e.ip, e.outcome])
          .reverse(),
      ).toEqual([
        ...Array(5).fill(['203.0.113.9', 'failed']),
        ['203.0.113.9', 'denied'],
        ['10.20.0.7', 'ok'],
      ]);
    } finally {
      store.close();
    }
  });
});
