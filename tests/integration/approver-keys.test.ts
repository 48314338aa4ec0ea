/**
 * Approver keys belong to accounts: a signature counts only when its key is registered to the
 * account that uploads it, through both ways in (the publishing API of `gatecast draft sign` and the
 * dashboard's approval API). One key, one account; a key of the draft's creator never approves it;
 * a signature names the payload digest its approver was shown. Real server, real TUF repository,
 * real accounts database, real HTTP on 127.0.0.1:0.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicKeyFileOf, type SigningKey } from '../../platform/tuf-keys.js';
import { actor, approvalRig, SG } from '../helpers/approval.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const code = (r: { body: { error?: { code?: string } } }) => r.body.error?.code;

async function rig() {
  const r = await approvalRig();
  cleanups.push(r.close);
  const [k1, k2] = r.tuf.keys.approvers as [SigningKey, SigningKey];
  const drafts = r.s.server.tuf!.drafts;
  /** What an approver signs: the canonical payload bytes, and the signature upload for `key`. */
  const signed = async (id: string, key: SigningKey) => {
    const bytes = await drafts.canonical(id);
    return { keyid: key.keyId, sig: key.signer(bytes).sig, payloadSha256: sha256(bytes) };
  };
  const publishSig = (who: Parameters<typeof r.call>[0], id: string, body: unknown) =>
    r.call(who, 'POST', `/api/publish/drafts/${id}/signatures`, body);
  const dashboardSig = (who: Parameters<typeof r.call>[0], id: string, body: unknown) =>
    r.call(who, 'POST', `/api/content/drafts/${id}/signatures`, body);
  return { ...r, k1, k2, drafts, signed, publishSig, dashboardSig };
}

describe('approver keys registered to accounts', () => {
  it("refuses approver-2 uploading a signature made with approver-1's key, on both APIs", async () => {
    const r = await rig();
    const [ap2] = await r.logins('ap2');
    const d = await r.contentDraft(actor('author'));
    const forged = await r.signed(d.id, r.k1);
    for (const send of [r.publishSig, r.dashboardSig]) {
      const res = await send(ap2, d.id, forged);
      expect([res.status, code(res)]).toEqual([403, 'KEY_NOT_REGISTERED']);
      // The refusal names both keys: the one used (and whose it is) and the account's own.
      expect(res.body.error.message).toContain(
        `the key used, ${r.k1.keyId} (registered to ap1), is not account ap2's: ap2's registered approver key is ${r.k2.keyId}`,
      );
    }
    // Without naming the key (the dashboard tries the approver keys): refused the same way.
    const unnamed = await r.dashboardSig(ap2, d.id, { sig: forged.sig });
    expect(code(unnamed)).toBe('KEY_NOT_REGISTERED');
    expect((await r.drafts.get(d.id)).signatures).toEqual([]);
    const audit = await r.call((await r.logins('admin'))[0], 'GET', '/api/audit?action=draft.sign');
    expect(
      audit.body.entries.map((e: { outcome: string; details: { code?: string } }) => e.details.code),
    ).toEqual(['KEY_NOT_REGISTERED', 'KEY_NOT_REGISTERED', 'KEY_NOT_REGISTERED']);
  });

  it('refuses a key registered to no account; an account lists and removes its keys, an admin revokes', async () => {
    const r = await rig();
    const [ap1, admin, viewer] = await r.logins('ap1', 'admin', 'viewer');
    const own = await r.call(ap1, 'GET', '/api/session/keys');
    expect(own.body.keys).toEqual([
      expect.objectContaining({ keyid: r.k1.keyId, name: 'approver-1', username: 'ap1' }),
    ]);
    const all = await r.call(admin, 'GET', '/api/keys');
    expect(all.body.keys.map((k: { username: string }) => k.username).sort()).toEqual(['ap1', 'ap2']);
    expect((await r.call(viewer, 'GET', '/api/keys')).status).toBe(403);

    const d = await r.contentDraft(actor('author'));
    expect((await r.call(ap1, 'DELETE', `/api/session/keys/${r.k1.keyId}`)).status).toBe(204);
    const unregistered = await r.publishSig(ap1, d.id, await r.signed(d.id, r.k1));
    expect([unregistered.status, code(unregistered)]).toEqual([403, 'KEY_NOT_REGISTERED']);
    // Someone else's key is not one's own to remove.
    const notMine = await r.call(ap1, 'DELETE', `/api/session/keys/${r.k2.keyId}`);
    expect([notMine.status, code(notMine)]).toEqual([404, 'KEY_NOT_FOUND']);

    expect((await r.registerKey(ap1, r.k1)).status).toBe(201);
    expect((await r.call(admin, 'DELETE', `/api/keys/${r.k1.keyId}`)).status).toBe(204);
    expect(code(await r.publishSig(ap1, d.id, await r.signed(d.id, r.k1)))).toBe('KEY_NOT_REGISTERED');
    expect((await r.drafts.get(d.id)).signatures).toEqual([]);

    const audit = await r.call(admin, 'GET', '/api/audit?limit=100');
    const keyEntries = (audit.body.entries as { actor: string; action: string; outcome: string }[])
      .filter((e) => e.action.startsWith('key.'))
      .map((e) => `${e.actor} ${e.action} ${e.outcome}`)
      .reverse();
    expect(keyEntries).toEqual([
      'ap1 key.register ok',
      'ap2 key.register ok',
      'ap1 key.remove ok',
      'ap1 key.register ok',
      'admin key.revoke ok',
    ]);
  });

  it("refuses registering a key another account holds, a wrong password, and a role that can't approve", async () => {
    const r = await rig();
    const [ap2, author] = await r.logins('ap2', 'author');
    const taken = await r.registerKey(ap2, r.k1);
    expect([taken.status, code(taken)]).toEqual([409, 'KEY_REGISTERED_TO_ANOTHER_ACCOUNT']);
    expect(taken.body.error.message).toContain(`key ${r.k1.keyId} is already registered to account "ap1"`);
    const wrong = await r.registerKey(ap2, r.k2, 'not the password at all');
    expect([wrong.status, code(wrong)]).toEqual([401, 'AUTH_FAILED']);
    const garbage = await r.call(ap2, 'POST', '/api/session/keys', {
      currentPassword: 'correct horse battery staple',
      publicKey: '{"name":"x"}',
    });
    expect([garbage.status, code(garbage)]).toEqual([400, 'ACCOUNT_INVALID']);
    // An author may not hold an approver key at all.
    const byAuthor = await r.registerKey(author, r.k2);
    expect([byAuthor.status, code(byAuthor)]).toEqual([403, 'FORBIDDEN']);
    const keys = await r.call((await r.logins('admin'))[0], 'GET', '/api/keys');
    expect(keys.body.keys.map((k: { keyid: string; username: string }) => [k.username, k.keyid])).toEqual([
      ['ap1', r.k1.keyId],
      ['ap2', r.k2.keyId],
    ]);
    // The same key again on the same account changes nothing.
    const [ap1] = await r.logins('ap1');
    expect((await r.registerKey(ap1, r.k1)).status).toBe(201);
    expect((await r.call(ap1, 'GET', '/api/session/keys')).body.keys).toHaveLength(1);
  });

  it("refuses a signature by a key registered to the draft's creator (one person, two accounts)", async () => {
    const r = await rig();
    const [ap1, admin] = await r.logins('ap1', 'admin');
    // "dual" is an approver who holds approver-1's key, then becomes an author and writes a draft.
    expect((await r.call(ap1, 'DELETE', `/api/session/keys/${r.k1.keyId}`)).status).toBe(204);
    const created = await r.call(admin, 'POST', '/api/users', {
      username: 'dual',
      displayName: 'dual',
      role: 'approver',
      password: 'correct horse battery staple',
    });
    expect(created.status).toBe(201);
    const [dual] = await r.logins('dual');
    expect((await r.registerKey(dual, r.k1)).status).toBe(201);
    expect((await r.call(admin, 'PATCH', '/api/users/dual', { role: 'author' })).status).toBe(200);
    const d = await r.contentDraft({ username: 'dual', role: 'author' });
    // The same person's other account (ap1) signs with that key: refused on both APIs.
    for (const send of [r.publishSig, r.dashboardSig]) {
      const res = await send(ap1, d.id, await r.signed(d.id, r.k1));
      expect([res.status, code(res)]).toEqual([409, 'SIGNER_IS_CREATOR']);
      expect(res.body.error.message).toContain(`key ${r.k1.keyId} is registered to dual, who created draft`);
    }
    expect((await r.drafts.get(d.id)).signatures).toEqual([]);
  });

  it('refuses (409) a signature whose reviewed payload digest is no longer the draft payload', async () => {
    const r = await rig();
    const [ap1] = await r.logins('ap1');
    const d = await r.contentDraft(actor('author'));
    const reviewed = await r.signed(d.id, r.k1);
    // The draft changes on the server after the approver was shown it.
    const file = join(r.tuf.repo.layout.draftsDir, d.id, 'draft.json');
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { signed: { expires: string } };
    rec.signed.expires = '2099-01-01T00:00:00Z';
    writeFileSync(file, JSON.stringify(rec));
    const changedSha = sha256(await r.drafts.canonical(d.id));
    for (const send of [r.publishSig, r.dashboardSig]) {
      const res = await send(ap1, d.id, reviewed);
      expect([res.status, code(res)]).toEqual([409, 'DRAFT_PAYLOAD_CHANGED']);
      expect(res.body.error.message).toContain(changedSha);
      expect(res.body.error.message).toContain(reviewed.payloadSha256);
    }
    expect((await r.drafts.get(d.id)).signatures).toEqual([]);
  });

  it('two approvers with their registered keys publish through the publishing API at the second signature', async () => {
    const r = await rig();
    const [ap1, ap2] = await r.logins('ap1', 'ap2');
    const d = await r.contentDraft(actor('author'));
    expect((await r.publishSig(ap1, d.id, await r.signed(d.id, r.k1))).status).toBe(200);
    // The second signature publishes, as in the dashboard.
    const second = await r.publishSig(ap2, d.id, await r.signed(d.id, r.k2));
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'published', published: { version: 2 } });
    expect(r.s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(2);
    expect((await r.drafts.get(d.id)).signatures.map((s) => [s.by, s.keyid])).toEqual([
      ['ap1', r.k1.keyId],
      ['ap2', r.k2.keyId],
    ]);
    expect(publicKeyFileOf(r.k1).keyid).toBe(r.k1.keyId);
  });
});
