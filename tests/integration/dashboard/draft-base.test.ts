/**
 * Drafts are based on a version: a Content workspace made from version N and submitted after
 * another draft put N+1 on air is refused with the three-way difference (it would undo N+1 and
 * bring back the emergency N+1 ended); rebased on the version on air, only the author's own change
 * goes in. Real TUF repository, real SyncServer on 127.0.0.1:0, the approvers' real keys.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { SigningKey } from '../../../platform/tuf-keys.js';
import { latestManifest } from '../../../sync-server/content/schedule-preview.js';
import { authoringTexts } from '../../../sync-server/content/texts.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { actor, approvalRig, bundleText, mapFile, SG, type Session } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

/** The parts of a workspace manifest these tests edit. */
interface EditableManifest {
  items: { id: string; title: string; variants: Record<string, { body?: string }> }[];
}
const itemOf = (m: EditableManifest, id: string) => m.items.find((i) => i.id === id)!;

const EMERGENCY = {
  id: 'tam-dung',
  text: { vi: { body: 'Tạm dừng thông quan' }, en: { body: 'Border crossing suspended' } },
  startsAt: '2026-01-01T00:00:00Z',
  expiresAt: '2099-01-01T00:00:00Z',
};

async function rigWithApprovals() {
  const rig = await approvalRig();
  cleanups.push(rig.close);
  const [author, ap1, ap2] = await rig.logins('author', 'ap1', 'ap2');
  const [k1, k2] = rig.tuf.keys.approvers as [SigningKey, SigningKey];
  /** Both approvers sign draft `id` in the dashboard, as the browser does; returns the second answer. */
  const approve = async (id: string) => {
    const review = await rig.call(ap1, 'GET', `/api/content/drafts/${id}`);
    const canonical = Buffer.from(review.body.canonical as string, 'base64');
    const path = `/api/content/drafts/${id}/signatures`;
    const one = await rig.call(ap1, 'POST', path, { sig: k1.signer(canonical).sig, keyid: k1.keyId });
    expect(one.status).toBe(200);
    return rig.call(ap2, 'POST', path, { sig: k2.signer(canonical).sig, keyid: k2.keyId });
  };
  /** Another author's draft of `text`, published through both approvers. */
  const publishOther = async (text: string) => {
    const d = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: text, files: [mapFile] },
      actor('admin'),
    );
    expect((await approve(d.id)).body.published).toMatchObject({ version: d.version });
  };
  const onAir = async () => (await latestManifest(rig.s.server.tuf!.repo, rig.tuf.dir, SG))!;
  const workspaceUrl = `/api/content/workspace?siteGroup=${encodeURIComponent(SG)}`;
  const submitUrl = `/api/content/submit?siteGroup=${encodeURIComponent(SG)}`;
  const rebaseUrl = `/api/content/workspace/rebase?siteGroup=${encodeURIComponent(SG)}`;
  /** The author loads the workspace, changes it with `edit` and saves it. */
  const saveEdited = async (who: Session, edit: (m: EditableManifest) => void) => {
    const ws = await rig.call(who, 'GET', workspaceUrl);
    const manifest = ws.body.manifest;
    edit(manifest);
    const saved = await rig.call(who, 'PUT', workspaceUrl, {
      revision: ws.body.revision,
      basedOnVersion: ws.body.basedOnVersion,
      manifest,
    });
    expect(saved.status).toBe(200);
    return saved.body;
  };
  return { rig, author, approve, publishOther, onAir, workspaceUrl, submitUrl, rebaseUrl, saveEdited };
}

const renameMap = (m: EditableManifest) => {
  itemOf(m, 'map').title = 'Bản đồ cửa khẩu';
};

describe('drafts are based on a version', () => {
  it('refuses a stale workspace with the three-way difference; the rebase keeps only the author’s change and never the ended emergency', async () => {
    const t = await rigWithApprovals();
    const { rig, author } = t;
    // Version 2 carries the emergency; the author's workspace is made from it.
    await t.publishOther(bundleText(undefined, { emergencies: [EMERGENCY] }));
    const saved = await t.saveEdited(author, renameMap);
    expect(saved).toMatchObject({ revision: 1, basedOnVersion: 2 });
    // Another draft ends the emergency and changes the welcome text: version 3.
    await t.publishOther(bundleText('Chào mừng — giờ mở cửa 7:00–17:00'));
    const v3 = (await t.onAir()).manifest;

    const refused = await rig.call(author, 'POST', t.submitUrl, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('DRAFT_BASE_STALE');
    expect(refused.body.error.message).toContain('phiên bản 2');
    const d = refused.body.error.difference;
    expect(d).toMatchObject({
      basedOnVersion: 2,
      onAirVersion: 3,
      undone: [{ section: 'item', id: 'welcome' }],
      conflicts: [],
      endedEmergencies: ['tam-dung'],
    });
    expect(d.onAir.items.changed.map((c: { id: string }) => c.id)).toEqual(['welcome']);
    expect(d.onAir.emergencies.removed).toEqual([expect.objectContaining({ id: 'tam-dung' })]);
    expect(d.draft.items.changed).toEqual([expect.objectContaining({ id: 'map', fields: ['title'] })]);
    expect(d.draft.emergencies).toEqual({ added: [], removed: [], changed: [] });
    // Refused means nothing was made.
    expect((await rig.s.server.tuf!.drafts.list()).filter((x) => x.status === 'open')).toEqual([]);
    // The English dashboard says it in English.
    const en = await rig.call(
      { ...author, cookie: `${author.cookie}; gatecast_lang=en` },
      'POST',
      t.submitUrl,
      {},
    );
    expect(en.body.error.message).toMatch(/made from version 2, but version 3 went on air since/);

    const rebased = await rig.call(author, 'POST', t.rebaseUrl, { revision: 1 });
    expect(rebased.status).toBe(200);
    expect(rebased.body.workspace).toMatchObject({ revision: 2, basedOnVersion: 3 });
    expect(rebased.body.difference.endedEmergencies).toEqual(['tam-dung']);

    const submitted = await rig.call(author, 'POST', t.submitUrl, { revision: 2 });
    expect(submitted.status).toBe(201);
    expect(submitted.body.draft).toMatchObject({ version: 4, basedOnVersion: 3 });
    expect((await t.approve(submitted.body.draft.id)).body.published).toMatchObject({ version: 4 });
    const v4 = (await t.onAir()).manifest;
    expect(v4.items.find((i) => i.id === 'welcome')).toEqual(v3.items.find((i) => i.id === 'welcome'));
    expect(v4.items.find((i) => i.id === 'map')?.title).toBe('Bản đồ cửa khẩu');
    expect(v4.emergencies).toEqual([]);
  });

  it('lists an entry changed on both sides as a conflict the author settles; nothing is saved until then', async () => {
    const t = await rigWithApprovals();
    const { rig, author } = t;
    await t.saveEdited(author, (m) => {
      itemOf(m, 'welcome').variants['vi']!.body = 'Chào mừng (bản của tác giả)';
    });
    await t.publishOther(bundleText('Chào mừng — bản đã phát'));

    const conflict = await rig.call(author, 'POST', t.rebaseUrl, { revision: 1 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatchObject({
      code: 'REBASE_CONFLICT',
      unresolved: [{ section: 'item', id: 'welcome' }],
    });
    expect((await rig.call(author, 'GET', t.workspaceUrl)).body).toMatchObject({
      revision: 1,
      basedOnVersion: 1,
    });

    const mine = await rig.call(author, 'POST', t.rebaseUrl, {
      revision: 1,
      resolutions: { 'item:welcome': 'mine' },
    });
    expect(mine.status).toBe(200);
    const welcome = mine.body.workspace.manifest.items.find((i: { id: string }) => i.id === 'welcome');
    expect(welcome.variants.vi.body).toBe('Chào mừng (bản của tác giả)');
    expect(mine.body.workspace.basedOnVersion).toBe(2);
  });

  it('shows the refusal in the page’s language with the difference, and rebases when the author asks', async () => {
    const t = await rigWithApprovals();
    const { rig, author } = t;
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(page, rig.base, 'author');
    await page.click('#nav-content');
    await page.waitForSelector('fieldset[data-item-id="welcome"]');
    // Saved from version 1 as the page loaded it; then another draft puts version 2 on air.
    await page.click('#cw-save');
    await page.waitForFunction(() => /\b1\b/.test(document.querySelector('#cw-status')?.textContent ?? ''));
    await t.publishOther(bundleText('Chào mừng — bản đã phát'));

    await page.click('#cw-submit');
    await page.waitForSelector('#cw-base-box:not([hidden])');
    const vi = (k: Parameters<typeof authoringTexts.text>[1], p = {}) => authoringTexts.text('vi', k, p);
    expect(await page.$eval('#cw-base-message', (e) => e.textContent)).toBe(
      vi('base.stale', { base: 1, onAir: 2 }),
    );
    expect(await page.$eval('#cw-base-list li[data-ref="item:welcome"]', (e) => e.textContent)).toBe(
      `${vi('section.item')} welcome: ${vi('base.undone')}`,
    );
    expect(await page.$eval('#cw-rebase', (e) => e.textContent)).toBe(vi('base.rebase', { onAir: 2 }));

    await page.click('#cw-rebase');
    await page.waitForSelector('#cw-base-box[hidden]');
    expect(await page.$eval('#cw-status', (e) => e.textContent)).toBe(vi('base.rebased', { version: 2 }));
    expect((await rig.call(author, 'GET', t.workspaceUrl)).body).toMatchObject({
      revision: 2,
      basedOnVersion: 2,
    });
    expect(errors).toEqual([]);
  });
});
