import { describe, expect, it } from 'vitest';
import { parseCookies, serializeSessionCookie } from '../../../sync-server/accounts/cookies.js';
import { hashPassword, needsRehash, verifyPassword } from '../../../sync-server/accounts/password.js';
import { LoginRateLimiter, takeToken } from '../../../sync-server/accounts/rate-limit.js';
import { ACTIONS, isAllowed, PERMISSIONS, ROLES } from '../../../sync-server/accounts/roles.js';

const FAST = { N: 1024, r: 8, p: 1 };

describe('permission table', () => {
  it('gives every role its actions and nothing else', () => {
    const table = Object.fromEntries(ROLES.map((r) => [r, ACTIONS.filter((a) => isAllowed(r, a))]));
    expect(table['viewer']).toEqual([
      'session.self',
      'fleet.view',
      'alerts.view',
      'content.view',
      'reports.view',
    ]);
    expect(table['operator']).toEqual([
      'session.self',
      'fleet.view',
      'device.command',
      'alerts.view',
      'alerts.acknowledge',
      'content.view',
      'emergency.create',
      'reports.view',
    ]);
    expect(table['author']).toEqual([
      'session.self',
      'fleet.view',
      'alerts.view',
      'content.view',
      'content.edit',
      'draft.submit',
      'emergency.create',
      'reports.view',
    ]);
    expect(table['approver']).toEqual([
      'session.self',
      'fleet.view',
      'alerts.view',
      'content.view',
      'draft.approve',
      'emergency.approve',
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

describe('token bucket', () => {
  const cfg = { capacity: 3, refillEveryMs: 1000 };
  it('allows a burst, then one per refill period', () => {
    let b = undefined;
    for (let i = 0; i < 3; i++) {
      const r = takeToken(b, 0, cfg);
      expect(r.allowed).toBe(true);
      b = r.bucket;
    }
    const denied = takeToken(b, 0, cfg);
    expect(denied).toMatchObject({ allowed: false, retryAfterMs: 1000 });
    expect(takeToken(denied.bucket, 400, cfg)).toMatchObject({ allowed: false, retryAfterMs: 600 });
    expect(takeToken(denied.bucket, 1000, cfg).allowed).toBe(true);
    // Refill never exceeds capacity.
    expect(takeToken(b, 1_000_000, cfg).bucket.tokens).toBe(2);
  });

  it('limits per user and per address; a denied attempt consumes nothing', () => {
    const l = new LoginRateLimiter({
      perUser: { capacity: 2, refillEveryMs: 60_000 },
      perAddress: { capacity: 3, refillEveryMs: 10_000 },
      maxBuckets: 100,
    });
    expect(l.attempt('Lan', '10.0.0.1', 0).allowed).toBe(true);
    expect(l.attempt('lan', '10.0.0.2', 0).allowed).toBe(true);
    expect(l.attempt('LAN', '10.0.0.3', 0)).toEqual({ allowed: false, retryAfterMs: 60_000 });
    expect(l.attempt('minh', '10.0.0.1', 0).allowed).toBe(true);
    expect(l.attempt('hoa', '10.0.0.1', 0).allowed).toBe(true);
    expect(l.attempt('khanh', '10.0.0.1', 0)).toEqual({ allowed: false, retryAfterMs: 10_000 });
    expect(l.attempt('khanh', '10.0.0.9', 0).allowed).toBe(true);
    expect(l.attempt('lan', '10.0.0.9', 60_000).allowed).toBe(true);
  });

  it('keeps the number of buckets bounded', () => {
    const l = new LoginRateLimiter({
      perUser: { capacity: 5, refillEveryMs: 1000 },
      perAddress: { capacity: 5, refillEveryMs: 1000 },
      maxBuckets: 10,
    });
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
