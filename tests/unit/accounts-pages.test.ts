import { describe, expect, it } from 'vitest';
import { ROLES } from '../../sync-server/web/roles.js';
import {
  AUDIT_OUTCOMES,
  AUDIT_PAGE_SIZE,
  parseAuditFilter,
  renderAuditPage,
  renderUsersPage,
} from '../../sync-server/accounts/pages.js';
import { accountsTexts, AUDIT_ACTIONS } from '../../sync-server/accounts/texts.js';

describe('accounts texts', () => {
  it('name every refusal code of the accounts API and every audit outcome and field problem', () => {
    for (const code of ['LAST_ADMIN', 'USER_EXISTS', 'USER_NOT_FOUND', 'ACCOUNT_INVALID', 'AUTH_FAILED'])
      expect(accountsTexts.has(`error.${code}`), code).toBe(true);
    for (const o of AUDIT_OUTCOMES) expect(accountsTexts.has(`audit.outcome.${o}`), o).toBe(true);
    for (const f of ['username', 'displayName', 'password', 'role'])
      expect(accountsTexts.has(`users.problem.${f}`), f).toBe(true);
    expect(AUDIT_ACTIONS).toContain('user.create');
    expect(AUDIT_ACTIONS).toContain('content.media.upload');
  });

  it('fill placeholders and leave unknown ones', () => {
    expect(accountsTexts.text('vi', 'users.created', { username: 'op1' })).toBe('Đã tạo tài khoản op1');
    expect(accountsTexts.text('en', 'users.created')).toBe('Account {username} created');
  });

  it('say "1 second" and "30 seconds" when sign-in is paused', () => {
    expect(accountsTexts.text('en', 'login.rateLimited', { seconds: 1 })).toBe(
      'Too many attempts, try again in 1 second',
    );
    expect(accountsTexts.text('en', 'login.rateLimited', { seconds: 30 })).toBe(
      'Too many attempts, try again in 30 seconds',
    );
    expect(accountsTexts.text('en', 'error.AUTH_RATE_LIMITED', { seconds: 1 })).toBe(
      'Too many wrong passwords: try again in 1 second',
    );
  });
});

describe('audit filter', () => {
  const HCM = 'Asia/Ho_Chi_Minh';

  it('turns calendar days into instants in the zone, a DST day included; refuses impossible dates', () => {
    // 29 March 2026 is 23 hours long in Paris: from 00:00 CET to the next 00:00 CEST.
    const p = parseAuditFilter({ from: '2026-03-29', to: '2026-03-29' }, 'Europe/Paris');
    expect(Object.fromEntries(new URLSearchParams(p.apiQuery))).toEqual({
      from: '2026-03-28T23:00:00.000Z',
      to: '2026-03-29T22:00:00.000Z',
    });
    // The last day of a year runs into the next.
    expect(new URLSearchParams(parseAuditFilter({ to: '2026-12-31' }, HCM).apiQuery).get('to')).toBe(
      '2026-12-31T17:00:00.000Z',
    );
    expect(parseAuditFilter({ from: '2026-02-30', to: '01/04/2026' }, HCM).invalid).toEqual(['from', 'to']);
  });

  it('builds the API query: "to" includes its whole day, the actor is lower-cased', () => {
    const p = parseAuditFilter(
      { from: '2026-04-01', to: '2026-04-30', actor: ' Admin ', action: 'user.create', outcome: 'ok' },
      HCM,
    );
    expect(p.invalid).toEqual([]);
    expect(p.pageSize).toBe(AUDIT_PAGE_SIZE);
    expect(Object.fromEntries(new URLSearchParams(p.apiQuery))).toEqual({
      from: '2026-03-31T17:00:00.000Z',
      to: '2026-04-30T17:00:00.000Z',
      actor: 'admin',
      action: 'user.create',
      outcome: 'ok',
    });
    expect(parseAuditFilter({}, HCM)).toEqual({
      filter: { from: '', to: '', actor: '', action: '', outcome: '', limit: '' },
      apiQuery: '',
      pageSize: AUDIT_PAGE_SIZE,
      invalid: [],
    });
  });

  it('leaves out invalid fields and names them', () => {
    const p = parseAuditFilter(
      {
        from: '2026-13-01',
        to: 'tomorrow',
        outcome: 'maybe',
        actor: 'x'.repeat(65),
        limit: '0',
        action: 'a',
      },
      HCM,
    );
    expect(p.invalid.sort()).toEqual(['actor', 'from', 'limit', 'outcome', 'to']);
    expect(p.apiQuery).toBe('action=a');
    expect(p.filter).toEqual({ from: '', to: '', actor: '', action: 'a', outcome: '', limit: '' });
    expect(parseAuditFilter({ limit: '25' }, HCM).pageSize).toBe(25);
    expect(parseAuditFilter({ actor: ['a', 'b'] }, HCM).apiQuery).toBe('');
  });
});

describe('account pages markup', () => {
  const user = {
    username: 'admin',
    displayName: '<b>"Quản trị"</b>',
    role: 'admin' as const,
    roles: ['admin' as const],
    disabled: false,
    createdAt: 0,
    updatedAt: 0,
  };

  it('escapes names into the page and the data block, and offers every role', () => {
    const out = renderUsersPage({
      lang: 'vi',
      users: [
        { ...user, username: 'x', displayName: '</script><script>alert(1)</script>', lastLoginAt: null },
      ],
      user,
      csrfToken: 'tok',
      timeZone: 'Asia/Ho_Chi_Minh',
    });
    expect(out).not.toContain('</script><script>alert(1)');
    expect(out).not.toContain('<b>"Quản trị"</b>');
    expect(out).toContain('\\u003c/script\\u003e');
    for (const r of ROLES) expect(out).toContain(`<option value="${r}"`);
  });

  it('puts the filter in the export link and names the zone', () => {
    const out = renderAuditPage({
      lang: 'en',
      user,
      csrfToken: 'tok',
      timeZone: 'Asia/Ho_Chi_Minh',
      parsed: parseAuditFilter({ actor: 'op"1', from: 'bad' }, 'Asia/Ho_Chi_Minh'),
    });
    expect(out).toContain('href="/api/audit.csv?actor=op%221"');
    expect(out).toContain('Times in the Asia/Ho_Chi_Minh time zone');
    expect(out).toContain('Invalid filters, ignored: From date');
  });
});
