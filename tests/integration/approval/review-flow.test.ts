import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import type { SigningKey } from '../../../platform/tuf-keys.js';
import { actor, approvalRig, bundleText, mapFile, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';

const cleanups = cleanupsAfterEach();
const code = (r: { body: { error?: { code?: string } } }) => r.body.error?.code;
const signCanonical = (canonicalB64: string, key: SigningKey) =>
  key.signer(Buffer.from(canonicalB64, 'base64')).sig;
const TEXT = { vi: { body: 'Cửa khẩu tạm đóng' }, km: { body: 'បិទ' }, en: { body: 'Gate closed' } };

/** A webhook receiver on 127.0.0.1:0: every body it was posted, and a wait for the n-th. */
async function webhookReceiver() {
  const bodies: unknown[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(204).end();
      for (const w of waiters.filter((x) => bodies.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    received: (n: number) =>
      bodies.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('sending a draft back, notes, what waits for whom, and the webhook', () => {
  it('a rejected draft goes back with its comment, voids its signatures and takes none until resubmitted', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const { call, tuf, s } = rig;
    const [k1, k2] = tuf.keys.approvers as [SigningKey, SigningKey];
    const [author, ap1, ap2] = await rig.logins('author', 'ap1', 'ap2');
    const d = await s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: bundleText('Giờ mở cửa mới'), files: [mapFile], note: 'Giờ mở cửa từ 1/12' },
      actor('author'),
    );
    const path = (what: string) => `/api/content/drafts/${d.id}/${what}`;
    const review = (await call(ap1, 'GET', `/api/content/drafts/${d.id}`)).body;
    expect(review.draft.note).toBe('Giờ mở cửa từ 1/12');
    const sig1 = signCanonical(review.canonical, k1);
    expect((await call(ap1, 'POST', path('signatures'), { sig: sig1, keyid: k1.keyId })).status).toBe(200);

    // No comment, the author, an admin: refused, nothing changes.
    expect(code(await call(ap2, 'POST', path('reject'), { comment: '   ' }))).toBe(
      'REJECTION_COMMENT_REQUIRED',
    );
    expect((await call(author, 'POST', path('reject'), { comment: 'x' })).status).toBe(403);
    expect((await s.server.tuf!.drafts.get(d.id)).signatures).toHaveLength(1);

    const rejected = await call(ap2, 'POST', path('reject'), { comment: 'Sai giờ: phải là 6 giờ sáng' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.draft).toMatchObject({
      status: 'rejected',
      signatures: [],
      rejections: [{ by: 'ap2', comment: 'Sai giờ: phải là 6 giờ sáng', voidedSignatures: 1 }],
    });
    // Nobody can sign it now, not even with a signature made before.
    const late = await call(ap2, 'POST', path('signatures'), {
      sig: signCanonical(review.canonical, k2),
      keyid: k2.keyId,
    });
    expect([late.status, code(late)]).toEqual([409, 'DRAFT_REJECTED']);
    expect(code(await call(ap1, 'POST', path('signatures'), { sig: sig1, keyid: k1.keyId }))).toBe(
      'DRAFT_REJECTED',
    );
    await expect(s.server.tuf!.drafts.publish(d.id)).rejects.toMatchObject({ code: 'DRAFT_REJECTED' });
    // Only its author resubmits it.
    expect((await call(ap1, 'POST', path('resubmit'), {})).status).toBe(403);

    // The author reads the comment in the page and resubmits it with a new note.
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await (await browser.createBrowserContext()).newPage();
    await loginThroughPage(page, rig.base, 'author');
    await page.goto(`${rig.base}/dashboard/drafts`);
    await page.waitForSelector(`#rejected tr[data-draft="${d.id}"]`);
    await page.goto(`${rig.base}/dashboard/drafts/${d.id}`);
    expect(await page.$eval('#rejections [data-f="comment"]', (b) => b.textContent?.trim())).toBe(
      'Sai giờ: phải là 6 giờ sáng',
    );
    expect(await page.$eval('#sign-state', (p) => p.getAttribute('data-state'))).toBe('rejected');
    await page.$eval('#resubmit-note', (t) => ((t as HTMLTextAreaElement).value = ''));
    await page.type('#resubmit-note', 'Đã sửa: 6 giờ sáng');
    await Promise.all([page.waitForNavigation(), page.click('#resubmit-button')]);
    await page.waitForSelector('#sign-form, #sign-not-allowed');
    expect(await page.$eval('#author-note blockquote', (b) => b.textContent?.trim())).toBe(
      'Đã sửa: 6 giờ sáng',
    );

    // Open again with no signatures: ap1's earlier one does not count, two new ones publish it.
    const again = await s.server.tuf!.drafts.get(d.id);
    expect([again.status, again.signatures.length]).toEqual(['open', 0]);
    const first = await call(ap1, 'POST', path('signatures'), { sig: sig1, keyid: k1.keyId });
    expect([first.status, first.body.published, first.body.draft.signatures.length]).toEqual([200, null, 1]);
    const second = await call(ap2, 'POST', path('signatures'), {
      sig: signCanonical(review.canonical, k2),
      keyid: k2.keyId,
    });
    expect(second.body.published).toMatchObject({ version: 2 });
  });

  it('an approver rejects with a comment in the browser after reading the author’s note', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const d = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: bundleText('Mới'), files: [mapFile], note: 'Xem kỹ giờ mở cửa' },
      actor('author'),
    );
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await (await browser.createBrowserContext()).newPage();
    await loginThroughPage(page, rig.base, 'ap2');
    await page.goto(`${rig.base}/dashboard/drafts/${d.id}`);
    expect(await page.$eval('#author-note blockquote', (b) => b.textContent?.trim())).toBe(
      'Xem kỹ giờ mở cửa',
    );
    await page.type('#reject-comment', 'Thiếu bản tiếng Khmer');
    await Promise.all([page.waitForNavigation(), page.click('#reject-button')]);
    await page.waitForSelector('#sign-state[data-state="rejected"]');
    expect(await page.$eval('#rejections [data-f="comment"]', (b) => b.textContent?.trim())).toBe(
      'Thiếu bản tiếng Khmer',
    );
    expect((await rig.s.server.tuf!.drafts.get(d.id)).status).toBe('rejected');
  });

  it('counts what waits for each approver, emergencies first with the time left, in the header and the list', async () => {
    const clock = fakeClock(Date.parse('2026-12-01T03:00:00Z'));
    const rig = await approvalRig(clock);
    cleanups.push(rig.close);
    const { call, tuf } = rig;
    const [k1] = tuf.keys.approvers as [SigningKey];
    const [op, ap1, ap2, author] = await rig.logins('op', 'ap1', 'ap2', 'author');
    const d = await rig.contentDraft(actor('author'));
    clock.advance(60_000);
    const em = await call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: TEXT,
      note: 'Bão số 9',
    });
    expect(em.status).toBe(201);
    clock.advance(5 * 60_000);

    const w1 = (await call(ap1, 'GET', '/api/content/waiting')).body;
    expect(w1.count).toBe(2);
    expect(w1.drafts.map((x: { id: string }) => x.id)).toEqual([em.body.draft.id, d.id]);
    expect(w1.drafts[0]).toMatchObject({ kind: 'emergency', msLeft: 25 * 60_000, note: 'Bão số 9' });
    expect((await call(author, 'GET', '/api/content/waiting')).body.count).toBe(0);
    const review = (await call(ap1, 'GET', `/api/content/drafts/${d.id}`)).body;
    await call(ap1, 'POST', `/api/content/drafts/${d.id}/signatures`, {
      sig: signCanonical(review.canonical, k1),
      keyid: k1.keyId,
    });
    expect((await call(ap1, 'GET', '/api/content/waiting')).body.count).toBe(1);
    expect((await call(ap2, 'GET', '/api/content/waiting')).body.count).toBe(2);

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await (await browser.createBrowserContext()).newPage();
    await loginThroughPage(page, rig.base, 'ap2');
    await page.waitForSelector('#waiting-badge[data-count="2"]');
    expect(await page.$eval('#waiting-count', (s) => s.textContent)).toBe('2');
    await page.click('#waiting-badge');
    await page.waitForSelector('#waiting[data-count="2"]');
    const items = await page.$$eval('#waiting li', (lis) =>
      lis.map((li) => ({
        id: li.getAttribute('data-draft'),
        left: li.querySelector('[data-f="time-left"]')?.textContent,
      })),
    );
    expect(items.map((i) => i.id)).toEqual([em.body.draft.id, d.id]);
    expect(items[0]!.left).toContain('25');
    expect(items[0]!.left).toContain('2');
    // Not an approver: the header counts only the author's own out-of-date drafts (none here).
    const authorPage = await (await browser.createBrowserContext()).newPage();
    await loginThroughPage(authorPage, rig.base, 'author');
    await authorPage.waitForSelector('#waiting-badge[data-count="0"]');
  });

  it('posts each draft waiting for approval to the webhook; an emergency says it needs two signatures within 30 minutes', async () => {
    const hook = await webhookReceiver();
    cleanups.push(hook.close);
    const clock = fakeClock(Date.parse('2026-12-01T03:00:00Z'));
    const rig = await approvalRig(clock, { alerts: { webhook: { url: hook.url } } });
    cleanups.push(rig.close);
    const [op, ap1, author] = await rig.logins('op', 'ap1', 'author');
    const em = await rig.call(op, 'POST', '/api/content/emergencies', { siteGroup: SG, text: TEXT });
    expect(em.status).toBe(201);
    await hook.received(1);
    const [first] = (hook.bodies[0] as { events: Record<string, unknown>[] }).events;
    expect(first).toMatchObject({
      type: 'approval.pending',
      draftId: em.body.draft.id,
      kind: 'emergency',
      siteGroup: SG,
      threshold: 2,
      signatures: 0,
      approveBy: '2026-12-01T03:30:00Z',
      minutesLeft: 30,
      createdBy: 'op',
    });
    expect((first!['link'] as string).endsWith(`/dashboard/drafts/${em.body.draft.id}`)).toBe(true);
    expect((first!['text'] as { en: string }).en).toContain(
      'needs 2 signatures by 2026-12-01T03:30:00Z (30 minutes left)',
    );
    expect((first!['text'] as { vi: string }).vi).toContain('còn 30 phút');

    // A content draft, and the same draft again once its author resubmits it.
    const d = await rig.s.server.tuf!.drafts.create(
      { siteGroup: SG, manifest: bundleText('Mới'), files: [mapFile], note: 'Giờ mở cửa' },
      actor('author'),
    );
    await hook.received(2);
    expect((hook.bodies[1] as { events: unknown[] }).events[0]).toMatchObject({
      draftId: d.id,
      kind: 'content',
      note: 'Giờ mở cửa',
      approveBy: null,
      minutesLeft: null,
    });
    await rig.call(ap1, 'POST', `/api/content/drafts/${d.id}/reject`, { comment: 'Sai' });
    expect((await rig.call(author, 'POST', `/api/content/drafts/${d.id}/resubmit`, {})).status).toBe(200);
    await hook.received(3);
    expect((hook.bodies[2] as { events: unknown[] }).events[0]).toMatchObject({
      draftId: d.id,
      signatures: 0,
    });
  });
});
