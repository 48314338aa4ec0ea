import { describe, expect, it } from 'vitest';
import { parseCookies, serializeSessionCookie } from '../../../sync-server/web/cookies.js';
import { hashPassword, needsRehash, verifyPassword } from '../../../sync-server/accounts/password.js';
import {
  countFailure,
  delayAfter,
  liveCounter,
  LoginRateLimiter,
  waitMs,
} from '../../../sync-server/accounts/rate-limit.js';
import { ACTIONS, isAllowed, PERMISSIONS, ROLES } from '../../../sync-server/web/roles.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('permission table', () => {
  it('gives every role its actions and nothing else', () => {
    const table = Object.fromEntries(ROLES.map((r) => [r, ACTIONS.filter((a) => isAllowed(r, a))]));
    expect(table['viewer']).toEqual([
      'session.self',
      'api.docs',
      'fleet.view',
      'alerts.view',
      'releases.view',
      'content.view',
      'reports.view',
    ]);
    expect(table['operator']).toEqual([
      'session.self',
      'api.docs',
      'fleet.view',
      'device.command',
      'fleet.manage',
      'alerts.view',
      'alerts.acknowledge',
      'releases.view',
      'releases.manage',
      'content.view',
      'emergency.create',
      'emergency.end',
      'emergency.view',
      'reports.view',
      'reports.reaudit',
    ]);
    expect(table['author']).toEqual([
      'session.self',
      'api.docs',
      'fleet.view',
      'alerts.view',
      'releases.view',
      'content.view',
      'content.edit',
      'draft.submit',
      'emergency.create',
      'emergency.view',
      'reports.view',
    ]);
    expect(table['approver']).toEqual([
      'session.self',
      'api.docs',
      'fleet.view',
      'alerts.view',
      'releases.view',
      'content.view',
      'draft.approve',
      'emergency.approve',
      'emergency.end',
      'emergency.view',
      'reports.view',
    ]);
    expect(table['admin']).toEqual(ACTIONS.filter((a) => a !== 'draft.approve' && a !== 'emergency.approve'));
  });

  it('keeps approval away from anyone who can create content or emergencies', () => {
    for (const role of ROLES) {
      const p = PERMISSIONS[role];
      if (p.has('draft.approve')) expect(p.has('content.edit') || p.has('draft.submit')).toBe(false);
      if (p.has('emergency.approve')) expect(p.has('emergency.create')).toBe(false);
    }
  });

  it('allows nothing to an unknown role', () => {
    expect(isAllowed('root', 'fleet.view')).toBe(false);
    expect(isAllowed('', 'session.self')).toBe(false);
  });
});

describe('password hashing', () => {
  it('stores parameters and salt with the hash and verifies in constant time', async () => {
    const h = await hashPassword('mật khẩu rất dài 123', FAST);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('mật khẩu rất dài 123', h)).toBe(true);
    expect(await verifyPassword('mật khẩu rất dài 124', h)).toBe(false);
    // A random salt: the same password hashes differently.
    expect(await hashPassword('mật khẩu rất dài 123', FAST)).not.toBe(h);
  });

  it('accepts the same Vietnamese password typed composed or decomposed', async () => {
    const composed = 'Hà Tiên an toàn'.normalize('NFC');
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed, FAST))).toBe(true);
  });

  it('never matches a malformed or oversized stored hash, and flags weak ones for rehash', async () => {
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$3$8$1$AAAAAAAAAAA=$AAAA')).toBe(false);
    expect(
      await verifyPassword('x', `scrypt$${2 ** 24}$8$1$AAAAAAAAAAAAAAAAAAAAAA==$${'A'.repeat(43)}=`),
    ).toBe(false);
    const h = await hashPassword('long enough pw', FAST);
    expect(needsRehash(h, FAST)).toBe(false);
    expect(needsRehash(h, { N: 2048, r: 8, p: 1 })).toBe(true);
    expect(needsRehash('junk')).toBe(true);
  });
});

describe('login limiter (pure, fake clock)', () => {
  const pair = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000 };
  const LIMITS = {
    pair,
    user: { freeFailures: 6, baseDelayMs: 1000, maxDelayMs: 4000, forgetAfterMs: 60_000 },
    address: { freeFailures: 10, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000 },
    trustPairForMs: 3_600_000,
    maxEntries: 1000,
  };
  const clock = () => {
    let t = Date.parse('2026-03-10T03:00:00Z');
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };
  const fail = (l: LoginRateLimiter, user: string, addr: string, now: number) => {
    const d = l.attempt(user, addr, now);
    return d.allowed ? 0 : d.retryAfterMs;
  };
  const succeed = (l: LoginRateLimiter, user: string, addr: string, now: number) => {
    const d = l.attempt(user, addr, now);
    if (!d.allowed) return d.retryAfterMs;
    l.succeeded(d.ticket, now);
    return 0;
  };

  it('computes the progressive delay, capped, and forgets an idle counter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9].map((n) => delayAfter(n, pair))).toEqual([
      0, 0, 0, 1000, 2000, 4000, 8000, 8000,
    ]);
    const c = { failures: 4, lastFailureAt: 1000 };
    expect(waitMs(c, 1500, pair)).toBe(1500);
    expect(waitMs(c, 3000, pair)).toBe(0);
    expect(liveCounter(c, 61_000, pair)).toBeUndefined();
    expect(countFailure(c, 61_000, pair)).toEqual({ failures: 1, lastFailureAt: 61_000 });
    expect(countFailure(c, 2000, pair)).toEqual({ failures: 5, lastFailureAt: 2000 });
  });

  it('never slows successful logins, however many', () => {
    const l = new LoginRateLimiter(LIMITS);
    const c = clock();
    for (let i = 0; i < 50; i++) expect(succeed(l, 'approver', '10.0.0.1', c.now())).toBe(0);
  });

  it('after 3 failures from one address waits exponentially longer there, and a success resets it', () => {
    const l = new LoginRateLimiter(LIMITS);
    const c = clock();
    for (let i = 0; i < 3; i++) expect(fail(l, 'lan', '10.0.0.1', c.now())).toBe(0);
    expect(fail(l, 'Lan', '10.0.0.1', c.now())).toBe(1000);
    c.advance(1000);
    expect(fail(l, 'lan', '10.0.0.1', c.now())).toBe(0); // 4th failure
    expect(fail(l, 'lan', '10.0.0.1', c.now())).toBe(2000);
    c.advance(2000);
    expect(fail(l, 'lan', '10.0.0.1', c.now())).toBe(0); // 5th
    expect(fail(l, 'lan', '10.0.0.1', c.now())).toBe(4000);
    // A refused attempt counts nothing: the wait does not grow while it is hammered.
    c.advance(1000);
    expect(fail(l, 'lan', '10.0.0.1', c.now())).toBe(3000);
    c.advance(3000);
    expect(succeed(l, 'lan', '10.0.0.1', c.now())).toBe(0);
    for (let i = 0; i < 3; i++) expect(fail(l, 'lan', '10.0.0.1', c.now())).toBe(0);
  });

  it('does not let failures from address A slow the user at address B', () => {
    const l = new LoginRateLimiter(LIMITS);
    const c = clock();
    for (const waitBefore of [0, 0, 0, 1000, 2000]) {
      c.advance(waitBefore);
      expect(fail(l, 'approver', '203.0.113.9', c.now())).toBe(0);
    }
    expect(fail(l, 'approver', '203.0.113.9', c.now())).toBe(4000);
    expect(succeed(l, 'approver', '10.0.0.2', c.now())).toBe(0);
  });

  it('slows a guess spread over many addresses, but not a pair that has signed in before', () => {
    const l = new LoginRateLimiter(LIMITS);
    const c = clock();
    expect(succeed(l, 'approver', '10.0.0.2', c.now())).toBe(0);
    for (let i = 0; i < 6; i++) expect(fail(l, 'approver', `198.51.100.${i}`, c.now())).toBe(0);
    expect(fail(l, 'approver', '198.51.100.99', c.now())).toBe(1000);
    // A new address of the real user waits too (at most the user cap, 4 s here) …
    expect(succeed(l, 'approver', '10.0.0.3', c.now())).toBe(1000);
    // … while the address it signed in from before is not held back at all.
    expect(succeed(l, 'approver', '10.0.0.2', c.now())).toBe(0);
    for (let i = 0; i < 20; i++) {
      c.advance(4000);
      fail(l, 'approver', `198.51.100.${i + 10}`, c.now());
    }
    expect(fail(l, 'approver', '198.51.100.200', c.now())).toBeLessThanOrEqual(4000);
    expect(succeed(l, 'approver', '10.0.0.2', c.now())).toBe(0);
  });

  it('counts parallel attempts before their outcome is known', () => {
    const l = new LoginRateLimiter(LIMITS);
    const now = clock().now();
    const decisions = Array.from({ length: 6 }, () => l.attempt('lan', '10.0.0.1', now).allowed);
    expect(decisions).toEqual([true, true, true, false, false, false]);
  });

  it('slows one address trying many usernames', () => {
    const l = new LoginRateLimiter(LIMITS);
    const now = clock().now();
    for (let i = 0; i < 10; i++) expect(fail(l, `u${i}`, '203.0.113.5', now)).toBe(0);
    expect(fail(l, 'u99', '203.0.113.5', now)).toBe(1000);
    expect(fail(l, 'u99', '203.0.113.6', now)).toBe(0);
  });

  it('keeps the number of entries bounded', () => {
    const l = new LoginRateLimiter({ ...LIMITS, maxEntries: 10 });
    for (let i = 0; i < 100; i++) l.attempt(`u${i}`, `10.0.0.${i}`, i);
    expect(l.size).toBeLessThanOrEqual(10);
  });
});

describe('cookies', () => {
  it('parses a Cookie header and writes a strict session cookie', () => {
    expect(parseCookies('a=1; gatecast_session=abc; a=2; b="q"')).toEqual(
      new Map([
        ['a', '1'],
        ['gatecast_session', 'abc'],
        ['b', 'q'],
      ]),
    );
    expect(serializeSessionCookie('gatecast_session', 'tok', { maxAgeS: 60, secure: false })).toBe(
      'gatecast_session=tok; Path=/; Max-Age=60; HttpOnly; SameSite=Strict',
    );
    expect(serializeSessionCookie('__Host-gatecast_session', 'tok', { maxAgeS: 0, secure: true })).toMatch(
      /; Secure$/,
    );
    expect(() => serializeSessionCookie('s', 'a;b', { maxAgeS: 1, secure: false })).toThrow();
  });
});
