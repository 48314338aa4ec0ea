import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import type { SigningKey } from '../../../platform/tuf-keys.js';
import { latestManifest } from '../../../sync-server/tuf/published-manifest.js';
import { actor, approvalRig, bundleText, mapFile, SG, type Session } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { approvalTexts } from '../../../sync-server/content/texts.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';

const cleanups = cleanupsAfterEach();
const code = (r: { body: { error?: { code?: string } } }) => r.body.error?.code;
const signCanonical = (canonicalB64: string, key: SigningKey) =>
  key.signer(Buffer.from(canonicalB64, 'base64')).sig;

type Rig = Awaited<ReturnType<typeof approvalRig>>;

/** Signs draft `id` through the dashboard API, as ap1 with approver-1's key then ap2 with approver-2's. */
async function approveTwice(rig: Rig, id: string, ap1: Session, ap2: Session) {
  const [k1, k2] = rig.tuf.keys.approvers as [SigningKey, SigningKey];
  const review = (await rig.call(ap1, 'GET', `/api/content/drafts/${id}`)).body;
  const path = `/api/content/drafts/${id}/signatures`;
  const first = await rig.call(ap1, 'POST', path, {
    sig: signCanonical(review.canonical, k1),
    keyid: k1.keyId,
  });
  expect(first.status).toBe(200);
  expect(first.body.published).toBeNull();
  const second = await rig.call(ap2, 'POST', path, {
    sig: signCanonical(review.canonical, k2),
    keyid: k2.keyId,
  });
  expect(second.status).toBe(200);
  return second.body;
}

const escapeHtml = (t: string) =>
  t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const onAirText = (rig: Rig) => latestManifest(rig.s.server.tuf!.repo, rig.tuf.dir, SG);

describe('restoring a published version as a new draft', () => {
  it('makes a draft equal to version 1 after version 2, not stale, that needs two signatures and publishes version 3', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const { call, s } = rig;
    const [author, ap1, ap2] = await rig.logins('author', 'ap1', 'ap2');
    const v2 = await rig.contentDraft(actor('author'), 'Nội dung phiên bản 2');
    expect((await approveTwice(rig, v2.id, ap1, ap2)).published).toMatchObject({ version: 2 });

    const restored = await call(author, 'POST', '/api/publish/drafts/restore', { siteGroup: SG, version: 1 });
    expect(restored.status).toBe(201);
    expect(restored.body).toMatchObject({
      kind: 'content',
      status: 'open',
      version: 3,
      basedOnVersion: 2,
      createdBy: 'author',
      missing: [],
    });
    // What it restores is data beside the author's note (each page says it in its own words).
    expect(restored.body.restored).toEqual({ version: 1, onAirVersion: 2, expired: [], ended: [], kept: [] });
    expect(restored.body.note).toBeUndefined();
    // Its content is version 1's, byte for byte: the bundle and the media by their hashes.
    const manifest = (await s.server.tuf!.drafts.manifest(restored.body.id)).toString('utf8');
    expect(manifest).toBe(bundleText());
    expect(restored.body.files.map((f: { path: string; sha256: string }) => [f.path, f.sha256])).toEqual([
      [mapFile.path, mapFile.sha256],
    ]);
    // The review shows what it changes against what is on air (version 2).
    const review = (await call(ap1, 'GET', `/api/content/drafts/${restored.body.id}`)).body;
    expect(review.publishedVersion).toBe(2);
    expect(JSON.stringify(review.diff)).toContain('welcome');

    // The author may not sign it; one approver is not enough.
    const [k1] = rig.tuf.keys.approvers as [SigningKey];
    const own = await call(author, 'POST', `/api/content/drafts/${restored.body.id}/signatures`, {
      sig: signCanonical(review.canonical, k1),
      keyid: k1.keyId,
    });
    expect(own.status).toBe(403);
    const done = await approveTwice(rig, restored.body.id, ap1, ap2);
    expect(done.published).toMatchObject({ version: 3 });
    const now = await onAirText(rig);
    expect(now?.version).toBe(3);
    expect(now?.manifest.items.find((i) => i.id === 'welcome')?.variants).toMatchObject({
      vi: { body: 'Chào mừng đến Hà Tiên' },
    });
    // Version 3's bundle.json is version 1's bytes.
    expect(s.server.tuf!.repo.roleMetadata(SG)?.signed.targets[`${SG}/bundle.json`]?.hashes['sha256']).toBe(
      createHash('sha256').update(bundleText()).digest('hex'),
    );
  });

  it('refuses a version never published, the one on air, and a restore by a viewer, changing nothing', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const [author, viewer] = await rig.logins('author', 'viewer');
    const before = (await rig.s.server.tuf!.drafts.list()).length;
    const missing = await rig.call(author, 'POST', '/api/publish/drafts/restore', {
      siteGroup: SG,
      version: 7,
    });
    expect([missing.status, code(missing)]).toEqual([404, 'VERSION_NOT_FOUND']);
    expect(missing.body.error.message).toContain('versions 1 to 1');
    const onAir = await rig.call(author, 'POST', '/api/publish/drafts/restore', {
      siteGroup: SG,
      version: 1,
    });
    expect([onAir.status, code(onAir)]).toEqual([409, 'DRAFT_STATE']);
    const bad = await rig.call(author, 'POST', '/api/publish/drafts/restore', { siteGroup: SG, version: 0 });
    expect(bad.status).toBe(400);
    expect(
      (await rig.call(viewer, 'POST', '/api/publish/drafts/restore', { siteGroup: SG, version: 1 })).status,
    ).toBe(403);
    expect((await rig.s.server.tuf!.drafts.list()).length).toBe(before);
  });

  it('does not bring back an emergency message that has ended or expired, and says so in the note', async () => {
    const clock = fakeClock(Date.parse('2026-12-01T03:00:00Z'));
    const rig = await approvalRig(clock);
    cleanups.push(rig.close);
    const { call, s } = rig;
    const [, ap1, ap2] = await rig.logins('author', 'ap1', 'ap2');
    const em = (id: string, expiresAt: string) => ({
      id,
      text: { vi: { body: 'Cửa khẩu tạm đóng' }, en: { body: 'Gate closed' } },
      startsAt: '2026-12-01T02:00:00Z',
      expiresAt,
    });
    // Version 2: two emergency messages, one ending soon, one lasting the day.
    const v2 = await s.server.tuf!.drafts.create(
      {
        siteGroup: SG,
        manifest: bundleText('Phiên bản 2', {
          emergencies: [em('em-short', '2026-12-01T04:00:00Z'), em('em-long', '2026-12-01T20:00:00Z')],
        }),
        files: [mapFile],
      },
      actor('author'),
    );
    expect((await approveTwice(rig, v2.id, ap1, ap2)).published).toMatchObject({ version: 2 });
    // Version 3 ends em-long (takes it off the screens); then em-short expires.
    const v3 = await s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: bundleText('Phiên bản 3'), files: [mapFile] },
      actor('author'),
    );
    expect((await approveTwice(rig, v3.id, ap1, ap2)).published).toMatchObject({ version: 3 });
    clock.advance(2 * 3600_000);
    // Sessions lapse over two idle hours: sign in again.
    const [author2, ap1b, ap2b] = await rig.logins('author', 'ap1', 'ap2');

    const restored = await call(author2, 'POST', '/api/publish/drafts/restore', {
      siteGroup: SG,
      version: 2,
      note: 'Quay lại nội dung tuần trước',
    });
    expect(restored.status).toBe(201);
    expect(restored.body.basedOnVersion).toBe(3);
    expect(restored.body.note).toBe('Quay lại nội dung tuần trước');
    expect(restored.body.restored).toEqual({
      version: 2,
      onAirVersion: 3,
      expired: ['em-short'],
      ended: ['em-long'],
      kept: [],
    });
    // The draft page says it in the session's language, Vietnamese by default and English when asked.
    const page = async (lang: string) =>
      (await fetch(`${rig.base}/dashboard/drafts/${restored.body.id}`, {
        headers: { cookie: `${author2.cookie}; gatecast_lang=${lang}` },
      }).then((r) => r.text())) as string;
    const vi = await page('vi');
    for (const line of [
      approvalTexts.text('vi', 'restored.summary', { version: 2, siteGroup: SG, onAir: 3 }),
      approvalTexts.text('vi', 'restored.expired', { count: 1, ids: 'em-short' }),
      approvalTexts.text('vi', 'restored.ended', { count: 1, ids: 'em-long' }),
    ])
      expect(vi).toContain(escapeHtml(line));
    expect(vi).not.toContain('emergency messages dropped');
    const en = await page('en');
    expect(en).toContain('1 expired emergency message dropped: em-short.');
    expect(en).toContain('1 ended emergency message dropped: em-long.');
    // The approvers' list of drafts waiting says what it restores, in their language.
    const list = await fetch(`${rig.base}/dashboard/drafts`, { headers: { cookie: ap1b.cookie } }).then((r) =>
      r.text(),
    );
    expect(list).toContain(escapeHtml(approvalTexts.text('vi', 'restored.short', { version: 2 })));
    const manifest = JSON.parse((await s.server.tuf!.drafts.manifest(restored.body.id)).toString('utf8'));
    expect(manifest.emergencies).toEqual([]);
    expect(manifest.items[1].variants.vi.body).toBe('Phiên bản 2');
    expect((await approveTwice(rig, restored.body.id, ap1b, ap2b)).published).toMatchObject({ version: 4 });
    expect((await onAirText(rig))?.manifest.emergencies).toEqual([]);
  });

  it('does not keep, nor call on air, an emergency message ended early', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const { call, s } = rig;
    const [author, ap1, ap2, op] = await rig.logins('author', 'ap1', 'ap2', 'op');
    const created = await call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: {
        vi: { body: 'Tạm dừng thông quan' },
        km: { body: 'ការឆ្លងកាត់ត្រូវបានផ្អាក' },
        en: { body: 'Border crossing suspended' },
        'zh-Hans': { body: '暂停通关' },
      },
      durationMinutes: 60,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const emId = created.body.emergency.id as string;
    expect((await approveTwice(rig, created.body.draft.id, ap1, ap2)).published).toMatchObject({
      version: 2,
    });
    const ended = await call(op, 'POST', '/api/content/emergencies/end-early', { siteGroup: SG, id: emId });
    expect(ended.status).toBe(200);

    const restored = await call(author, 'POST', '/api/publish/drafts/restore', { siteGroup: SG, version: 1 });
    expect(restored.status).toBe(201);
    // Ending early publishes nothing: version 2 is still the one on air.
    expect(restored.body.restored).toEqual({ version: 1, onAirVersion: 2, expired: [], ended: [], kept: [] });
    const manifest = JSON.parse((await s.server.tuf!.drafts.manifest(restored.body.id)).toString('utf8'));
    expect(manifest.emergencies ?? []).toEqual([]);
  });

  it('restores a version from the drafts page in Chromium; a viewer sees the versions without the button', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const [ap1, ap2] = await rig.logins('ap1', 'ap2');
    const v2 = await rig.contentDraft(actor('author'), 'Nội dung phiên bản 2');
    expect((await approveTwice(rig, v2.id, ap1, ap2)).published).toMatchObject({ version: 2 });
    const browser = await launchChromium();
    cleanups.push(() => browser.close());

    const viewer = await (await browser.createBrowserContext()).newPage();
    await loginThroughPage(viewer, rig.base, 'viewer');
    await viewer.goto(`${rig.base}/dashboard/drafts`);
    await viewer.waitForSelector('#versions tr[data-version="1"]');
    expect(await viewer.$$('.restore-version')).toHaveLength(0);

    const page = await (await browser.createBrowserContext()).newPage();
    await loginThroughPage(page, rig.base, 'author');
    await page.goto(`${rig.base}/dashboard/drafts`);
    await page.waitForSelector(`#versions tr[data-site-group="${SG}"][data-version="2"]`);
    // The version on air has no button; version 1 has one.
    expect(await page.$$(`.restore-version[data-version="2"]`)).toHaveLength(0);
    expect(await page.$eval(`.restore-version[data-version="1"]`, (b) => b.textContent?.trim())).toBe(
      'Khôi phục phiên bản 1 thành bản nháp',
    );
    await Promise.all([page.waitForNavigation(), page.click(`.restore-version[data-version="1"]`)]);
    const id = /\/dashboard\/drafts\/([^/?#]+)$/.exec(page.url())?.[1] as string;
    expect(id).toBeTruthy();
    const d = await rig.s.server.tuf!.drafts.get(id);
    expect(d).toMatchObject({ status: 'open', version: 3, basedOnVersion: 2, createdBy: 'author' });
    expect((await rig.s.server.tuf!.drafts.manifest(id)).toString('utf8')).toBe(bundleText());
    // The page it lands on says what the draft restores in Vietnamese, as the rest of the page.
    expect(await page.$eval('#restored h2', (e) => e.textContent?.trim())).toBe(
      approvalTexts.text('vi', 'restored.title', { version: 1 }),
    );
    expect(await page.$eval('#restored [data-f="summary"]', (e) => e.textContent?.trim())).toBe(
      approvalTexts.text('vi', 'restored.summary', { version: 1, siteGroup: SG, onAir: 2 }),
    );
    expect(await page.$eval('main', (e) => e.textContent)).not.toContain('Restores version');
  });
});
