import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { generateSigningKey, type SigningKey } from '../../../platform/tuf-keys.js';
import { actor, approvalRig, bundleText, mapFile, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

/** Signs the canonical bytes the review hands out, as the browser does: raw Ed25519, hex. */
const signCanonical = (canonicalB64: string, key: SigningKey) =>
  key.signer(Buffer.from(canonicalB64, 'base64')).sig;

const code = (r: { body: { error?: { code?: string } } }) => r.body.error?.code;

describe('draft approval API', () => {
  it('reviews a draft, enforces roles, CSRF and the two-person rule, and publishes at the threshold', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const { call, tuf, s } = rig;
    const [k1, k2] = tuf.keys.approvers as [SigningKey, SigningKey];
    const [author, ap1, ap2, viewer, admin] = await rig.logins('author', 'ap1', 'ap2', 'viewer', 'admin');
    const d = await rig.contentDraft(actor('author'));

    // The list and the review.
    const list = await call(viewer, 'GET', '/api/content/drafts');
    expect(list.status).toBe(200);
    expect(list.body.drafts).toEqual([
      expect.objectContaining({
        id: d.id,
        kind: 'content',
        status: 'open',
        version: 2,
        createdBy: 'author',
        threshold: 2,
      }),
    ]);
    const review = await call(viewer, 'GET', `/api/content/drafts/${d.id}`);
    expect(review.status).toBe(200);
    const r = review.body;
    // The canonical bytes are exactly what @tufjs/models verifies: canonical JSON of `signed`.
    expect(Buffer.from(r.canonical, 'base64').toString('utf8')).toBe(canonicalize(d.signed));
    const manifestBytes = Buffer.from(r.manifest, 'base64');
    expect(r.bundleSha256).toBe(createHash('sha256').update(manifestBytes).digest('hex'));
    expect(r.bundlePath).toBe(`${SG}/bundle.json`);
    expect(r.publishedVersion).toBe(1);
    expect(r.diff.items.changed).toEqual([
      {
        id: 'welcome',
        title: 'Chào mừng',
        fields: ['variants'],
        languages: { added: [], removed: [], changed: ['vi'] },
      },
    ]);
    expect(r.diff.media).toEqual({ added: [], removed: [], changed: [] });
    const raw = await fetch(`${rig.base}/api/content/drafts/${d.id}/manifest`, {
      headers: { cookie: viewer.cookie },
    });
    expect(Buffer.from(await raw.arrayBuffer())).toEqual(manifestBytes);
    expect((await call(undefined, 'GET', '/api/content/drafts')).status).toBe(401);

    const path = `/api/content/drafts/${d.id}/signatures`;
    const sig1 = signCanonical(r.canonical, k1);
    // No CSRF token; roles that may not approve (the author, a viewer, an admin).
    expect(code(await call(ap1, 'POST', path, { sig: sig1 }, false))).toBe('CSRF_INVALID');
    for (const who of [author, viewer, admin]) {
      const res = await call(who, 'POST', path, { sig: sig1 });
      expect(res.status).toBe(403);
      expect(code(res)).toBe('FORBIDDEN');
    }
    // A stranger's key, a tampered signature, garbage.
    const stranger = generateSigningKey('stranger').key;
    const bad = await call(ap1, 'POST', path, { sig: signCanonical(r.canonical, stranger) });
    expect([bad.status, code(bad)]).toEqual([400, 'SIGNATURE_REJECTED']);
    const tampered = (sig1[0] === 'a' ? 'b' : 'a') + sig1.slice(1);
    expect(code(await call(ap1, 'POST', path, { sig: tampered, keyid: k1.keyId }))).toBe(
      'SIGNATURE_REJECTED',
    );
    expect((await call(ap1, 'POST', path, { sig: 'zz' })).status).toBe(400);
    expect((await s.server.tuf!.drafts.get(d.id)).signatures).toEqual([]);

    // The first approver signs (the server finds the key).
    const first = await call(ap1, 'POST', path, { sig: sig1 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ keyid: k1.keyId, published: null });
    expect(first.body.draft.signatures).toEqual([expect.objectContaining({ keyid: k1.keyId, by: 'ap1' })]);
    // The same account again, even with the other key: refused, nothing recorded.
    const again = await call(ap1, 'POST', path, { sig: signCanonical(r.canonical, k2), keyid: k2.keyId });
    expect([again.status, code(again)]).toEqual([409, 'SIGNER_REPEATED']);
    expect((await s.server.tuf!.drafts.get(d.id)).signatures).toHaveLength(1);
    expect(s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(1);

    // The second approver signs: threshold met, published at once, devices told.
    const second = await call(ap2, 'POST', path, { sig: signCanonical(r.canonical, k2), keyid: k2.keyId });
    expect(second.status).toBe(200);
    expect(second.body.published).toMatchObject({ siteGroup: SG, version: 2 });
    expect(second.body.draft).toMatchObject({ status: 'published' });
    expect(s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(2);
    expect(s.log.records).toContainEqual(
      expect.objectContaining({
        msg: 'bundle published',
        fields: expect.objectContaining({ siteGroup: SG, version: 2 }),
      }),
    );
    const late = await call(ap2, 'POST', path, { sig: signCanonical(r.canonical, k2) });
    expect([late.status, code(late)]).toEqual([409, 'DRAFT_STATE']);
    // A published draft still shows the bytes that were signed.
    const after = (await call(viewer, 'GET', `/api/content/drafts/${d.id}`)).body;
    expect(after.manifest).toBe(r.manifest);
    expect(after.diff).toBeNull();

    // Every step is in the audit log, refusals included.
    const audit = await call(admin, 'GET', '/api/audit?limit=100');
    const actions = (audit.body.entries as { action: string; outcome: string; actor: string | null }[]).map(
      (e) => `${e.action}:${e.outcome}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining(['draft.sign:ok', 'draft.sign:failed', 'draft.publish:ok']),
    );
  });

  it('refuses a creator who is an approver, and lets only the creator or an admin discard', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const { call, tuf } = rig;
    const [author, ap1, viewer, admin] = await rig.logins('author', 'ap1', 'viewer', 'admin');
    const mine = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: bundleText('x'), files: [mapFile] },
      actor('ap1'),
    );
    const r = (await call(ap1, 'GET', `/api/content/drafts/${mine.id}`)).body;
    const own = await call(ap1, 'POST', `/api/content/drafts/${mine.id}/signatures`, {
      sig: signCanonical(r.canonical, tuf.keys.approvers[0]!),
    });
    expect([own.status, code(own)]).toEqual([409, 'SIGNER_IS_CREATOR']);

    const a = await rig.contentDraft(actor('author'), 'one');
    const b = await rig.contentDraft(actor('author'), 'two');
    expect((await call(viewer, 'DELETE', `/api/content/drafts/${a.id}`)).status).toBe(403);
    expect((await call(ap1, 'DELETE', `/api/content/drafts/${a.id}`)).status).toBe(403);
    expect((await call(author, 'DELETE', `/api/content/drafts/${a.id}`, undefined, false)).status).toBe(403);
    expect((await call(author, 'DELETE', `/api/content/drafts/${a.id}`)).status).toBe(204);
    expect((await call(admin, 'DELETE', `/api/content/drafts/${b.id}`)).status).toBe(204);
    const gone = await call(viewer, 'GET', `/api/content/drafts/${a.id}`);
    expect([gone.status, code(gone)]).toEqual([404, 'DRAFT_NOT_FOUND']);
  });
});

describe('emergency messages', () => {
  it('needs every gate language, goes out after two approvals, lapses after its deadline, and can be ended', async () => {
    const clock = fakeClock(Date.now());
    const rig = await approvalRig(clock);
    cleanups.push(rig.close);
    const { call, tuf, s } = rig;
    const [k1, k2] = tuf.keys.approvers as [SigningKey, SigningKey];
    const [op, author, ap1, ap2, viewer] = await rig.logins('op', 'author', 'ap1', 'ap2', 'viewer');
    const text = {
      vi: { title: 'Đóng cửa khẩu', body: 'Cửa khẩu tạm đóng do bão <b>số 9</b>' },
      km: { body: 'ច្រកទ្វារបិទជាបណ្ដោះអាសន្ន' },
      en: { title: 'Gate closed', body: 'The gate is closed because of the storm' },
    };

    // Missing a gate language (the gate speaks vi, km, en): refused by name, nothing created.
    const missing = await call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: { vi: text.vi, en: { body: '  ' } },
    });
    expect([missing.status, code(missing)]).toEqual([400, 'EMERGENCY_LANGUAGE_MISSING']);
    expect(missing.body.error.problems.map((p: { path: string }) => p.path)).toEqual(['text.km', 'text.en']);
    expect(await s.server.tuf!.drafts.list()).toHaveLength(0);
    expect((await call(viewer, 'POST', '/api/content/emergencies', { siteGroup: SG, text })).status).toBe(
      403,
    );
    expect(code(await call(op, 'POST', '/api/content/emergencies', { siteGroup: SG, text }, false))).toBe(
      'CSRF_INVALID',
    );
    expect(
      code(await call(op, 'POST', '/api/content/emergencies', { siteGroup: SG, text, durationMinutes: 2 })),
    ).toBe('REQUEST_INVALID');

    // A complete message: an emergency draft with a 30-minute approval window.
    const created = await call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text,
      durationMinutes: 60,
    });
    expect(created.status).toBe(201);
    const em = created.body.emergency;
    const draft = created.body.draft;
    expect(draft).toMatchObject({
      kind: 'emergency',
      status: 'open',
      version: 2,
      createdBy: 'op',
      missing: [],
    });
    expect(Date.parse(draft.approveBy) - clock.now()).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(em.expiresAt) - Date.parse(em.startsAt)).toBe(60 * 60_000);
    const review = (await call(ap1, 'GET', `/api/content/drafts/${draft.id}`)).body;
    expect(review.kind).toBe('emergency');
    expect(review.diff.emergencies.added).toEqual([{ id: em.id, title: 'Đóng cửa khẩu' }]);
    expect(review.diff.items).toEqual({ added: [], removed: [], changed: [] });
    expect((await call(ap1, 'GET', '/api/content/emergencies')).body.emergencies).toEqual([]);

    // An author may not approve; two approvers sign and it is on air.
    const path = `/api/content/drafts/${draft.id}/signatures`;
    expect((await call(author, 'POST', path, { sig: signCanonical(review.canonical, k1) })).status).toBe(403);
    clock.advance(10 * 60_000);
    expect((await call(ap1, 'POST', path, { sig: signCanonical(review.canonical, k1) })).status).toBe(200);
    const out = await call(ap2, 'POST', path, { sig: signCanonical(review.canonical, k2) });
    expect(out.body.published).toMatchObject({ siteGroup: SG, version: 2 });
    const active = (await call(viewer, 'GET', `/api/content/emergencies?siteGroup=${SG}`)).body.emergencies;
    expect(active).toEqual([
      {
        siteGroup: SG,
        version: 2,
        // Signed with its end commitment: it may be ended early (docs/drafts.md §7).
        emergency: expect.objectContaining({
          id: em.id,
          text,
          endCommitment: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
        endable: true,
      },
    ]);

    // A second message nobody approves in time: refused after the deadline, nothing changed.
    const slow = (await call(op, 'POST', '/api/content/emergencies', { siteGroup: SG, text })).body.draft;
    const slowReview = (await call(ap1, 'GET', `/api/content/drafts/${slow.id}`)).body;
    clock.advance(20 * 60_000);
    await call(ap1, 'GET', '/api/content/drafts'); // keeps the session within its idle timeout
    await call(ap2, 'GET', '/api/content/drafts');
    await call(op, 'GET', '/api/content/drafts');
    await call(viewer, 'GET', '/api/content/drafts');
    clock.advance(11 * 60_000);
    const expired = await call(ap1, 'POST', `/api/content/drafts/${slow.id}/signatures`, {
      sig: signCanonical(slowReview.canonical, k1),
    });
    expect([expired.status, code(expired)]).toEqual([409, 'EMERGENCY_DRAFT_EXPIRED']);
    expect((await s.server.tuf!.drafts.get(slow.id)).signatures).toEqual([]);
    await expect(s.server.tuf!.drafts.publish(slow.id)).rejects.toMatchObject({
      code: 'EMERGENCY_DRAFT_EXPIRED',
    });
    expect(s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(2);

    // Ending the message: another emergency draft, two approvals, and it is gone.
    expect(
      code(await call(op, 'POST', '/api/content/emergencies/end', { siteGroup: SG, id: 'no-such' })),
    ).toBe('EMERGENCY_NOT_FOUND');
    const end = await call(op, 'POST', '/api/content/emergencies/end', { siteGroup: SG, id: em.id });
    expect(end.status).toBe(201);
    expect(end.body.draft).toMatchObject({ kind: 'emergency', version: 3 });
    const endReview = (await call(ap2, 'GET', `/api/content/drafts/${end.body.draft.id}`)).body;
    expect(endReview.diff.emergencies.removed).toEqual([{ id: em.id, title: 'Đóng cửa khẩu' }]);
    for (const [who, k] of [
      [ap2, k2],
      [ap1, k1],
    ] as const)
      await call(who, 'POST', `/api/content/drafts/${end.body.draft.id}/signatures`, {
        sig: signCanonical(endReview.canonical, k),
      });
    expect(s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(3);
    expect((await call(viewer, 'GET', '/api/content/emergencies')).body.emergencies).toEqual([]);
  });
});
