import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { actor, approvalRig, bundleText, HOSTILE_HTML, mapFile, SG } from '../../helpers/approval.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { hashedTargetPath } from '../../../sync-server/tuf/layout.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

const NOTICE = `${SG}/media/notice.html`;
const noticeBytes = Buffer.from(HOSTILE_HTML);
const noticeFile = {
  path: NOTICE,
  length: noticeBytes.length,
  sha256: createHash('sha256').update(noticeBytes).digest('hex'),
};

/** The sample bundle plus an HTML notice item whose script would act as the dashboard. */
function bundleWithNotice(): string {
  const m = JSON.parse(bundleText()) as {
    items: unknown[];
    playlists: { entries: { itemId: string }[] }[];
  };
  m.items.push({ id: 'notice', title: 'Thông báo', kind: 'html', variants: { zxx: { entry: NOTICE } } });
  m.playlists[0]!.entries.push({ itemId: 'notice' });
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** Records every request the page and its frames make, and script errors. */
function record(page: Page) {
  const posts: string[] = [];
  page.on('request', (r: HTTPRequest) => {
    if (r.method() !== 'GET') posts.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  return posts;
}

describe('the draft page shows every signed file without giving it the origin', () => {
  it("an HTML item's script never runs, neither opened directly nor previewed; its source is text", async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const drafts = rig.s.server.tuf!.drafts;
    const d = await drafts.create(
      { siteGroup: SG, manifest: bundleWithNotice(), files: [mapFile, noticeFile] },
      actor('author'),
    );
    await drafts.upload(d.id, NOTICE, Readable.from([noticeBytes]));
    // The same bytes already on air as a target, opened by URL.
    await rig.tuf.publish({ [NOTICE]: noticeBytes });
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const posts = record(page);
    await loginThroughPage(page, rig.base, 'ap1');

    // Opened directly: a download, never a page of the dashboard's origin.
    const target = `${rig.base}/tuf/targets/${hashedTargetPath(NOTICE, noticeFile.sha256)}`;
    await page.goto(target).catch((e: Error) => expect(e.message).toMatch(/ERR_ABORTED/));
    await page.goto(`${rig.base}/dashboard/drafts/${d.id}`);

    // The item, rendered in a sandboxed frame: its markup shows, its script does not run.
    const frameEl = await page.waitForSelector(
      `#review-items .item[data-item="notice"] iframe.html-preview[sandbox=""]`,
    );
    const frame = await frameEl!.contentFrame();
    await frame.waitForSelector('h1');
    expect(await frame.$eval('h1', (h) => h.textContent)).toBe('Thông báo');
    expect(await frame.evaluate(() => (window as { __owned?: string }).__owned)).toBeUndefined();
    expect(await page.evaluate(() => (window as { __owned?: string }).__owned)).toBeUndefined();

    // The file: its type from its bytes, sha256, and its source as text (all lines added).
    const file = `#review-files .file[data-path="${NOTICE}"]`;
    expect(
      await page.$eval(file, (s) => [s.getAttribute('data-kind'), s.getAttribute('data-change')]),
    ).toEqual(['html', 'added']);
    expect(await page.$eval(file, (s) => s.textContent)).toContain(noticeFile.sha256);
    const source = await page.$eval(`${file} pre.source`, (p) => p.textContent ?? '');
    expect(source).toContain("+ <script>window.top.__owned = 'target';");
    expect(source).toContain("fetch('/api/users'");
    expect(await page.$$(`${file} pre.source script`)).toHaveLength(0);
    // The changed text item shows every language side by side.
    expect(
      await page.$$eval('#review-items .item[data-item="welcome"] .lang', (ls) =>
        ls.map((l) => l.getAttribute('data-lang')),
      ),
    ).toEqual(['vi', 'km', 'en']);
    // The frame route itself, opened as a page: rendered under CSP sandbox, no script.
    await page.goto(
      `${rig.base}/api/content/drafts/${d.id}/files/frame?path=${encodeURIComponent(NOTICE)}&side=after`,
    );
    await page.waitForSelector('h1');
    expect(await page.evaluate(() => (window as { __owned?: string }).__owned)).toBeUndefined();

    expect(posts.filter((p) => p.includes('/api/users'))).toEqual([]);
    const [admin] = await rig.logins('admin');
    const users = (await rig.call(admin, 'GET', '/api/users')).body as { users: { username: string }[] };
    expect(users.users.map((u) => u.username)).not.toContain('evil');
  }, 90_000);

  it("a remembered key serves only its account, and each signature needs the approver's confirmation", async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const keyFiles = rig.approverKeyFiles();
    const d = await rig.contentDraft(actor('author'));
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    // One browser profile, one tab, two approvers after each other (a shared PC).
    const page = await browser.newPage();
    const choose = async (f: string) =>
      ((await page.$('#sign-key')) as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(f);
    const openDraft = async (username: string) => {
      await loginThroughPage(page, rig.base, username);
      await page.goto(`${rig.base}/dashboard/drafts/${d.id}`);
      await page.waitForSelector('#sign[data-state="ready"]');
    };

    await openDraft('ap1');
    await choose(keyFiles[0]!);
    await page.click('#sign-remember');
    await page.click('#sign-button');
    await page.waitForSelector('#sign-confirm[open]');
    const digest = createHash('sha256')
      .update(await rig.s.server.tuf!.drafts.canonical(d.id))
      .digest('hex');
    const text = await page.$eval('#sign-confirm-text', (p) => p.textContent ?? '');
    for (const part of [d.id, SG, '2 ', digest, 'ap1']) expect(text).toContain(part);
    // A script's click is not the approver's: nothing is signed, the dialog stays.
    await page.evaluate(() => (document.getElementById('sign-confirm-ok') as HTMLButtonElement).click());
    expect(await page.$('#sign-confirm[open]')).not.toBeNull();
    expect((await rig.s.server.tuf!.drafts.get(d.id)).signatures).toEqual([]);
    await page.click('#sign-confirm-ok');
    await page.waitForSelector('#sign-result[data-state="signed"]');
    expect((await rig.s.server.tuf!.drafts.get(d.id)).signatures).toEqual([
      expect.objectContaining({ keyid: rig.tuf.keys.approvers[0]!.keyId, by: 'ap1' }),
    ]);
    await page.reload();
    await page.waitForFunction(
      () => (document.getElementById('sign-saved') as HTMLSelectElement).options.length === 2,
    );
    await Promise.all([page.waitForNavigation(), page.click('#logout')]);

    // ap2 on the same profile: ap1's key is neither offered nor used.
    await openDraft('ap2');
    await page.waitForFunction(() => document.getElementById('sign-saved') !== null);
    expect(await page.$$eval('#sign-saved option', (os) => os.map((o) => o.value))).toEqual(['']);
    await page.click('#sign-button');
    await page.waitForSelector('#sign-result[data-state="failed"]');
    expect(await page.$('#sign-confirm[open]')).toBeNull();
    // Cancelling signs nothing.
    await choose(keyFiles[1]!);
    await page.click('#sign-button');
    await page.waitForSelector('#sign-confirm[open]');
    expect(await page.$eval('#sign-confirm-text', (p) => p.textContent)).toContain('ap2');
    await page.click('#sign-confirm-cancel');
    await page.waitForSelector('#sign-result[data-state="cancelled"]');
    expect((await rig.s.server.tuf!.drafts.get(d.id)).signatures).toHaveLength(1);
    // Confirmed: the key from the chosen file signs.
    await page.click('#sign-button');
    await page.waitForSelector('#sign-confirm[open]');
    await page.click('#sign-confirm-ok');
    await page.waitForSelector('#sign-result[data-state="published"]');
    const after = await rig.s.server.tuf!.drafts.get(d.id);
    expect(after.signatures.map((s) => [s.by, s.keyid])).toEqual([
      ['ap1', rig.tuf.keys.approvers[0]!.keyId],
      ['ap2', rig.tuf.keys.approvers[1]!.keyId],
    ]);
  }, 40_000);
});
