/**
 * Out-of-date drafts: a draft sent back to its author, then overtaken by newer content on air (or
 * carrying an emergency no longer on air), is out of date by DraftService's one rule. The API, the
 * waiting counts, the rebase and the discard all go through the real server.
 */
import type { Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { actor, approvalRig, bundleText, mapFile, SG } from '../../helpers/approval.js';
import { approveTwice, signTwice, staleScene } from '../../helpers/stale-drafts.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';

const cleanups = cleanupsAfterEach();
const code = (r: { body: { error?: { code?: string } } }) => r.body.error?.code;

/** An emergency on air from 08:00 to 09:00 on 1 December 2026 (the tests' clock starts at 08:00). */
const expiringAt9 = (id: string, body: string) => ({
  id,
  text: { vi: { body } },
  startsAt: '2026-12-01T08:00:00Z',
  expiresAt: '2026-12-01T09:00:00Z',
  perLanguageMs: 8000,
});

describe('out-of-date drafts', () => {
  it('names both versions, waits for its author only, is discarded with an audit entry and rebased on the version on air', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const { call } = rig;
    const { author, ap1, ap2, admin, sentBack, open } = await staleScene(rig);

    // The one rule, as the API shows it.
    const list = (await call(ap1, 'GET', '/api/content/drafts')).body.drafts as {
      id: string;
      stale?: unknown;
    }[];
    const staleOf = (id: string) => list.find((d) => d.id === id)?.stale;
    expect(staleOf(sentBack.id)).toEqual({ basedOnVersion: 1, onAirVersion: 2, endedEmergencies: [] });
    expect(staleOf(open.id)).toEqual({ basedOnVersion: 1, onAirVersion: 2, endedEmergencies: [] });
    expect(
      list
        .filter((d) => d.stale)
        .map((d) => d.id)
        .sort(),
    ).toEqual([sentBack.id, open.id].sort());

    // Waiting: no approver counts an out-of-date draft; its author counts both, and sees why.
    for (const who of [ap1, ap2]) expect((await call(who, 'GET', '/api/content/waiting')).body.count).toBe(0);
    const mine = (await call(author, 'GET', '/api/content/waiting')).body;
    expect(mine.count).toBe(2);
    expect(mine.drafts.map((d: { id: string }) => d.id).sort()).toEqual([sentBack.id, open.id].sort());
    expect(mine.drafts[0].stale).toMatchObject({ basedOnVersion: 1, onAirVersion: 2 });

    // Discard: someone else may not; its author may, and the audit log names who did.
    expect(code(await call(ap1, 'DELETE', `/api/content/drafts/${open.id}`))).toBe('FORBIDDEN');
    expect((await call(author, 'DELETE', `/api/content/drafts/${open.id}`)).status).toBe(204);
    const audit = (await call(admin, 'GET', '/api/audit?limit=100')).body.entries as {
      action: string;
      outcome: string;
      actor: string | null;
      target: string;
    }[];
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'draft.discard', outcome: 'ok', actor: 'author', target: open.id }),
    );
    expect((await call(author, 'GET', '/api/content/waiting')).body.count).toBe(1);

    // Rebase: the difference first (the welcome text changed on both sides: a choice)...
    const diff = await call(author, 'GET', `/api/content/drafts/${sentBack.id}/rebase`);
    expect(diff.status).toBe(200);
    expect(diff.body.difference).toMatchObject({
      basedOnVersion: 1,
      onAirVersion: 2,
      conflicts: [{ section: 'item', id: 'welcome' }],
    });
    // ...only its author rebases, and not without the choice.
    expect(code(await call(ap1, 'POST', `/api/content/drafts/${sentBack.id}/rebase`, {}))).toBe('FORBIDDEN');
    const unsettled = await call(author, 'POST', `/api/content/drafts/${sentBack.id}/rebase`, {});
    expect([unsettled.status, code(unsettled)]).toEqual([409, 'REBASE_CONFLICT']);
    expect((await rig.s.server.tuf!.drafts.get(sentBack.id)).basedOnVersion).toBe(1);
    const rebased = await call(author, 'POST', `/api/content/drafts/${sentBack.id}/rebase`, {
      resolutions: { 'item:welcome': 'mine' },
    });
    expect(rebased.status).toBe(200);
    expect(rebased.body.draft).toMatchObject({ status: 'rejected', basedOnVersion: 2, version: 3 });
    expect(rebased.body.draft.stale).toBeUndefined();
    const manifest = JSON.parse((await rig.s.server.tuf!.drafts.manifest(sentBack.id)).toString('utf8'));
    expect(JSON.stringify(manifest.items)).toContain('Lời chào của bản nháp bị trả lại');
    expect(rebased.body.draft.files.map((f: { path: string }) => f.path)).toEqual([mapFile.path]);
    expect((await call(author, 'GET', '/api/content/waiting')).body.count).toBe(0);
    const audit2 = (await call(admin, 'GET', '/api/audit?limit=100')).body.entries as {
      action: string;
      outcome: string;
      actor: string | null;
    }[];
    expect(audit2).toContainEqual(
      expect.objectContaining({ action: 'draft.rebase', outcome: 'ok', actor: 'author' }),
    );

    // It goes through: resubmitted, it waits for the approvers again and publishes version 3.
    expect((await call(author, 'POST', `/api/content/drafts/${sentBack.id}/resubmit`, {})).status).toBe(200);
    expect((await call(ap1, 'GET', '/api/content/waiting')).body.count).toBe(1);
    expect((await approveTwice(rig, sentBack.id, ap1, ap2)).published).toMatchObject({ version: 3 });
  });

  it('a sent-back draft carrying an emergency that has since expired is out of date', async () => {
    const clock = fakeClock(Date.parse('2026-12-01T08:00:00Z'));
    const rig = await approvalRig(clock);
    cleanups.push(rig.close);
    const { call } = rig;
    const [ap1] = await rig.logins('ap1');
    const emergency = expiringAt9('em-flood', 'Ngập lụt');
    const d = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: bundleText('Chào', { emergencies: [emergency] }), files: [mapFile] },
      actor('author'),
    );
    expect((await call(ap1, 'POST', `/api/content/drafts/${d.id}/reject`, { comment: 'Chưa' })).status).toBe(
      200,
    );
    expect((await rig.s.server.tuf!.drafts.get(d.id)).stale).toBeUndefined();
    clock.advance(2 * 3600_000);
    expect((await rig.s.server.tuf!.drafts.get(d.id)).stale).toEqual({
      basedOnVersion: 1,
      onAirVersion: 1,
      endedEmergencies: ['em-flood'],
    });
    const author = await rig.login('author');
    expect((await call(author, 'GET', '/api/content/waiting')).body.count).toBe(1);
    // Sent for approval again as it is, it would bring the message back: refused, nothing changes.
    const resubmitted = await call(author, 'POST', `/api/content/drafts/${d.id}/resubmit`, {});
    expect(resubmitted.status).toBe(409);
    expect(resubmitted.body.error).toMatchObject({
      code: 'DRAFT_EMERGENCY_NOT_ON_AIR',
      emergencies: ['em-flood'],
    });
    expect((await rig.s.server.tuf!.drafts.get(d.id)).status).toBe('rejected');
    // Rebased, the expired message is dropped and the draft is up to date.
    const diff = (await call(author, 'GET', `/api/content/drafts/${d.id}/rebase`)).body.difference;
    expect(diff.endedEmergencies).toEqual(['em-flood']);
    const rebased = await call(author, 'POST', `/api/content/drafts/${d.id}/rebase`, {});
    expect(rebased.status).toBe(200);
    expect(rebased.body.draft.stale).toBeUndefined();
    const manifest = JSON.parse((await rig.s.server.tuf!.drafts.manifest(d.id)).toString('utf8'));
    expect(manifest.emergencies).toEqual([]);
  });

  it('an open draft carrying an emergency that has since expired is not published by the second signature', async () => {
    const clock = fakeClock(Date.parse('2026-12-01T08:00:00Z'));
    const rig = await approvalRig(clock);
    cleanups.push(rig.close);
    const emergency = expiringAt9('em-storm', 'Bão');
    const d = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: bundleText('Chào', { emergencies: [emergency] }), files: [mapFile] },
      actor('author'),
    );
    clock.advance(2 * 3600_000);
    const [ap1, ap2] = await rig.logins('ap1', 'ap2');
    const second = await signTwice(rig, d.id, ap1, ap2);
    // The signature is kept; the draft does not go on air, and says why.
    expect(second.status).toBe(200);
    expect(second.body.published).toBeNull();
    expect(second.body.publishProblem).toMatchObject({ code: 'DRAFT_EMERGENCY_NOT_ON_AIR' });
    expect(second.body.publishProblem.message).toContain('em-storm');
    expect((await rig.s.server.tuf!.drafts.get(d.id)).status).not.toBe('published');
    expect(rig.tuf.repo.roleMetadata(SG)?.signed.version).toBe(1);
  });

  it('lists them apart on the drafts page in Chromium, in Vietnamese and English; the author discards one and rebases the other after confirming', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const { call } = rig;
    const { admin, sentBack, open } = await staleScene(rig);
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const pageOf = async (username: string) => {
      const page = await (await browser.createBrowserContext()).newPage();
      await loginThroughPage(page, rig.base, username);
      await page.goto(`${rig.base}/dashboard/drafts`);
      return page;
    };
    const rows = (page: Page, table: string) =>
      page.$$eval(`#${table} tr[data-draft]`, (trs) => trs.map((tr) => tr.getAttribute('data-draft')));
    const why = (page: Page, id: string) =>
      page.$eval(`#stale tr[data-draft="${id}"] [data-f="why"]`, (td) => td.textContent?.trim());

    // An approver: both apart, under "out of date", none waiting for them, no actions of the author's.
    const ap1 = await pageOf('ap1');
    await ap1.waitForSelector('#waiting-badge[data-count="0"]');
    expect((await rows(ap1, 'stale')).sort()).toEqual([sentBack.id, open.id].sort());
    expect(await ap1.$('#rejected')).toBeNull();
    expect(await rows(ap1, 'pending')).toEqual([]);
    expect(await ap1.$('#stale .stale-rebase, #stale .stale-discard')).toBeNull();
    expect(await why(ap1, sentBack.id)).toBe('Đã lỗi thời: soạn từ phiên bản 1, nay phiên bản 2 đang phát');

    // Its author: counted for them, with why, in both languages.
    const author = await pageOf('author');
    await author.waitForSelector('#waiting-badge[data-count="2"]');
    const waiting = await author.$$eval('#waiting li [data-f="stale"]', (s) =>
      s.map((x) => x.textContent?.trim()),
    );
    expect(waiting).toEqual([
      'Đã lỗi thời: soạn từ phiên bản 1, nay phiên bản 2 đang phát',
      'Đã lỗi thời: soạn từ phiên bản 1, nay phiên bản 2 đang phát',
    ]);
    await author.goto(`${rig.base}/dashboard/lang/en?next=/dashboard/drafts`);
    await author.waitForSelector('#stale');
    expect(await why(author, open.id)).toBe('Out of date: based on version 1, version 2 is on air now');
    expect(await author.$eval('#stale-drafts h2', (h) => h.textContent?.trim())).toBe('Out of date');
    // Only the sent-back one is rebased (an open one is discarded or left to the approvers' refusal).
    expect(await author.$(`#stale tr[data-draft="${open.id}"] .stale-rebase`)).toBeNull();

    // Its own page says why, and offers no resubmission that would be refused.
    await author.goto(`${rig.base}/dashboard/drafts/${sentBack.id}`);
    expect(await author.$eval('#stale-state [data-f="stale"]', (s) => s.textContent?.trim())).toBe(
      'Out of date: based on version 1, version 2 is on air now',
    );
    expect(await author.$('#resubmit-form')).toBeNull();
    await author.goto(`${rig.base}/dashboard/drafts`);

    // Discard, confirmed in the dialog; cancelling first changes nothing.
    await author.click(`#stale tr[data-draft="${open.id}"] .stale-discard`);
    await author.waitForSelector('#stale-dialog[open]');
    expect(await author.$eval('#stale-dialog-title', (h) => h.textContent)).toContain(open.id);
    await author.click('#stale-cancel');
    expect((await call(admin, 'GET', `/api/content/drafts/${open.id}`)).status).toBe(200);
    await author.click(`#stale tr[data-draft="${open.id}"] .stale-discard`);
    await author.waitForSelector('#stale-dialog[open]');
    await author.click('#stale-confirm');
    await author.waitForSelector('#stale-result[data-state="discarded"]');
    expect(await rows(author, 'stale')).toEqual([sentBack.id]);
    expect((await call(admin, 'GET', `/api/content/drafts/${open.id}`)).status).toBe(404);
    const audit = (await call(admin, 'GET', '/api/audit?limit=100')).body.entries as {
      action: string;
      outcome: string;
      actor: string | null;
      target: string;
    }[];
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'draft.discard', outcome: 'ok', actor: 'author', target: open.id }),
    );

    // Rebase: the dialog shows the three-way difference and asks for the welcome text, changed on both sides.
    await author.click(`#stale tr[data-draft="${sentBack.id}"] .stale-rebase`);
    await author.waitForSelector('#stale-dialog[open]');
    expect(await author.$eval('#stale-dialog-title', (h) => h.textContent)).toContain('version 2');
    expect(await author.$eval('#stale-diff li[data-ref="item:welcome"]', (li) => li.textContent)).toContain(
      'Changed on both sides',
    );
    await author.select('#stale-diff select[name="item:welcome"]', 'mine');
    await author.click('#stale-confirm');
    await author.waitForSelector('#stale-result[data-state="rebased"]');
    expect(await author.$eval('#stale-result', (p) => p.textContent)).toContain('Rebased onto version 2');
    const after = await rig.s.server.tuf!.drafts.get(sentBack.id);
    expect(after).toMatchObject({ status: 'rejected', basedOnVersion: 2, version: 3 });
    expect(after.stale).toBeUndefined();

    // Reloaded: nothing is out of date any more; it is sent back again, waiting for its author to resubmit it.
    await author.goto(`${rig.base}/dashboard/drafts`);
    await author.waitForSelector('#waiting-badge[data-count="0"]');
    expect(await author.$('#stale')).toBeNull();
    expect(await rows(author, 'rejected')).toEqual([sentBack.id]);
    await author.goto(`${rig.base}/dashboard/drafts/${sentBack.id}`);
    await author.waitForSelector('#resubmit-form');
    expect(await author.$('#stale-state')).toBeNull();
  });
});
