import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import type { SigningKey } from '../../../platform/tuf-keys.js';
import { openAndMigrate } from '../../../platform/sqlite.js';
import {
  ACCOUNTS_MIGRATIONS,
  openSqliteAccountStore,
} from '../../../sync-server/accounts/sqlite-accounts.js';
import { isAllowed } from '../../../sync-server/web/roles.js';
import { actor, approvalRig, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { PASSWORD } from '../../helpers/dashboard.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();
const code = (r: { body: { error?: { code?: string } } }) => r.body.error?.code;
const signCanonical = (canonicalB64: string, key: SigningKey) =>
  key.signer(Buffer.from(canonicalB64, 'base64')).sig;

describe('accounts with several roles', () => {
  it('keeps the single role of accounts made before roles were lists', () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'accounts.db');
    const old = openAndMigrate(path, {
      pragmas: { synchronous: 'NORMAL', foreignKeys: true, busyTimeoutMs: 5000 },
      migrations: ACCOUNTS_MIGRATIONS.slice(0, 2),
      table: 'accounts_migrations',
    });
    old
      .prepare(
        `INSERT INTO account_users (username, display_name, role, password_hash, created_at, updated_at)
         VALUES ('ap1', 'Approver', 'approver', 'x', 1, 1), ('boss', 'Admin', 'admin', 'x', 1, 1)`,
      )
      .run();
    old.close();
    const store = openSqliteAccountStore(path);
    cleanups.push(() => store.close());
    expect(store.getUserByName('ap1')).toMatchObject({ role: 'approver', roles: ['approver'] });
    expect(store.getUserByName('boss')).toMatchObject({ role: 'admin', roles: ['admin'] });
    expect(store.countActiveAdmins()).toBe(1);
  });

  it('lets one officer watch, command and approve, but never sign their own draft or count twice', async () => {
    const clock = fakeClock(Date.now());
    const rig = await approvalRig(clock);
    cleanups.push(rig.close);
    const { call, tuf, s } = rig;
    const [k1, k2] = tuf.keys.approvers as [SigningKey, SigningKey];
    const [admin, ap2] = await rig.logins('admin', 'ap2');

    // Admin and approver in one account: refused, nothing created.
    const both = await call(admin, 'POST', '/api/users', {
      username: 'boss2',
      displayName: 'Boss',
      roles: ['admin', 'approver'],
      password: PASSWORD,
    });
    expect([both.status, code(both)]).toEqual([400, 'ACCOUNT_INVALID']);
    expect(
      (await call(admin, 'GET', '/api/users')).body.users.map((u: { username: string }) => u.username),
    ).not.toContain('boss2');

    const made = await call(admin, 'POST', '/api/users', {
      username: 'officer',
      displayName: 'Trực ban',
      roles: ['approver', 'operator', 'author'],
      password: PASSWORD,
    });
    expect(made.status).toBe(201);
    expect(made.body.user).toMatchObject({ role: 'operator', roles: ['operator', 'author', 'approver'] });
    // An existing approver can be given the admin role only without approving.
    const up = await call(admin, 'PATCH', '/api/users/ap2', { roles: ['admin', 'approver'] });
    expect([up.status, code(up)]).toEqual([400, 'ACCOUNT_INVALID']);

    // approver-1's key moves from ap1 to the officer.
    expect((await call(admin, 'DELETE', `/api/keys/${k1.keyId}`)).status).toBe(204);
    const officer = await rig.login('officer');
    expect((await rig.registerKey(officer, k1)).status).toBe(201);
    expect((await call(officer, 'GET', '/api/session')).body.user.roles).toEqual([
      'operator',
      'author',
      'approver',
    ]);

    // The officer raises an emergency (operator), and may not approve it with their own key.
    const text = { vi: { body: 'Cửa khẩu tạm đóng' }, km: { body: 'បិទ' }, en: { body: 'Gate closed' } };
    const em = await call(officer, 'POST', '/api/content/emergencies', { siteGroup: SG, text });
    expect(em.status).toBe(201);
    const emId = em.body.draft.id as string;
    const emReview = (await call(officer, 'GET', `/api/content/drafts/${emId}`)).body;
    const own = await call(officer, 'POST', `/api/content/drafts/${emId}/signatures`, {
      sig: signCanonical(emReview.canonical, k1),
      keyid: k1.keyId,
    });
    expect([own.status, code(own)]).toEqual([409, 'SIGNER_IS_CREATOR']);
    const second = await call(ap2, 'POST', `/api/content/drafts/${emId}/signatures`, {
      sig: signCanonical(emReview.canonical, k2),
      keyid: k2.keyId,
    });
    expect(second.status).toBe(200);
    expect(second.body.published).toBeNull();
    expect((await s.server.tuf!.drafts.get(emId)).status).toBe('open');
    expect(tuf.repo.roleMetadata(SG)?.signed.version).toBe(1);

    // Someone else's draft: the officer is one of the two, the second must be another account.
    const d = await rig.contentDraft(actor('author'));
    const review = (await call(officer, 'GET', `/api/content/drafts/${d.id}`)).body;
    const first = await call(officer, 'POST', `/api/content/drafts/${d.id}/signatures`, {
      sig: signCanonical(review.canonical, k1),
      keyid: k1.keyId,
    });
    expect([first.status, first.body.published]).toEqual([200, null]);
    const again = await call(officer, 'POST', `/api/content/drafts/${d.id}/signatures`, {
      sig: signCanonical(review.canonical, k2),
      keyid: k2.keyId,
    });
    expect(code(again)).toBe('SIGNER_REPEATED');
    const done = await call(ap2, 'POST', `/api/content/drafts/${d.id}/signatures`, {
      sig: signCanonical(review.canonical, k2),
      keyid: k2.keyId,
    });
    expect(done.body.published).toMatchObject({ version: 2 });
  });

  it('refuses a signature from an account holding the admin role, whatever else it holds', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const [k1] = rig.tuf.keys.approvers as [SigningKey];
    const d = await rig.contentDraft(actor('author'));
    const canonical = (await rig.s.server.tuf!.drafts.canonical(d.id)).toString('base64');
    await expect(
      rig.s.server.tuf!.drafts.sign(
        d.id,
        { keyid: k1.keyId, sig: signCanonical(canonical, k1) },
        { username: 'ap1', role: 'admin', roles: ['admin', 'approver'] },
      ),
    ).rejects.toMatchObject({ code: 'ADMIN_MAY_NOT_SIGN' });
    expect((await rig.s.server.tuf!.drafts.get(d.id)).signatures).toEqual([]);
    expect(isAllowed(['admin', 'approver'], 'draft.approve')).toBe(false);
    expect(isAllowed(['operator', 'approver'], 'draft.approve')).toBe(true);
    expect(isAllowed(['operator', 'approver'], 'device.command')).toBe(true);
  });
});
