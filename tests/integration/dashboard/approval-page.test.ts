import type { Browser, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { actor, approvalRig, SG } from '../../helpers/approval.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

const XSS_TEXT = `<img src=x onerror="window.__xss='emergency'">Bão <b>số 9</b>`;

/** The confirmation dialog names the draft and site group; the approver clicks "Sign". */
async function confirmSignature(page: Page, draftId: string) {
  await page.waitForSelector('#sign-confirm[open]');
  const text = await page.$eval('#sign-confirm-text', (p) => p.textContent ?? '');
  expect(text).toContain(draftId);
  expect(text).toContain(SG);
  await page.click('#sign-confirm-ok');
}

function watch(page: Page, errors: string[]) {
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) errors.push(m.text());
  });
}

describe('approval pages in Chromium', () => {
  it('two approvers sign a draft in the browser with WebCrypto Ed25519 and it is published', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const keyFiles = rig.approverKeyFiles();
    const d = await rig.contentDraft(actor('author'));
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];

    const signAs = async (username: string, keyFile: string, remember: boolean, signedBefore: number) => {
      const ctx = await browser.createBrowserContext();
      const page = await ctx.newPage();
      watch(page, errors);
      await loginThroughPage(page, rig.base, username);
      await page.click('#nav-drafts');
      await page.waitForSelector(`#pending tr[data-draft="${d.id}"]`);
      expect(
        await page.$eval(`#pending tr[data-draft="${d.id}"] td[data-f="signatures"]`, (td) =>
          td.textContent?.trim(),
        ),
      ).toBe(`${signedBefore}/2`);
      await Promise.all([page.waitForNavigation(), page.click(`#pending tr[data-draft="${d.id}"] a`)]);
      // The diff names the changed text and its language; the manifest shown matches the signed hash.
      expect(
        await page.$eval('section[data-diff="items"] li.changed', (li) => li.getAttribute('data-id')),
      ).toBe('welcome');
      await page.waitForSelector('#manifest-check.ok');
      await page.waitForSelector('#sign[data-state="ready"]');
      expect(await page.$eval('#sign-cli', (p) => p.textContent)).toContain(
        `--user ${username} --draft ${d.id}`,
      );
      const input = await page.$('#sign-key');
      await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(keyFile);
      if (remember) await page.click('#sign-remember');
      await page.click('#sign-button');
      await confirmSignature(page, d.id);
      await page.waitForFunction(
        () =>
          ['signed', 'published', 'failed', 'refused'].includes(
            document.getElementById('sign-result')?.getAttribute('data-state') ?? '',
          ),
        { timeout: 8000 },
      );
      return { page, ctx };
    };

    const one = await signAs('ap1', keyFiles[0]!, true, 0);
    expect(await one.page.$eval('#sign-result', (p) => p.getAttribute('data-state'))).toBe('signed');
    expect(await one.page.$eval('#sign-result', (p) => p.textContent)).toBe('Đã ký: 1/2 chữ ký');
    const after1 = await rig.s.server.tuf!.drafts.get(d.id);
    expect(after1.signatures).toEqual([
      expect.objectContaining({ keyid: rig.tuf.keys.approvers[0]!.keyId, by: 'ap1' }),
    ]);
    // The key stays in this browser: remembered (non-extractable) and offered after a reload.
    await one.page.reload();
    await one.page.waitForSelector('#sign[data-state="ready"]');
    await one.page.waitForFunction(
      () => (document.getElementById('sign-saved') as HTMLSelectElement).options.length === 2,
    );
    const stored = await one.page.evaluate(
      () =>
        new Promise<{ extractable: boolean; type: string; name: string; username: string }>(
          (resolve, reject) => {
            const r = indexedDB.open('gatecast-approver-keys', 2);
            r.onsuccess = () => {
              const g = r.result.transaction('account-keys').objectStore('account-keys').getAll();
              g.onsuccess = () => {
                const k = g.result[0] as { key: CryptoKey; name: string; username: string };
                resolve({
                  extractable: k.key.extractable,
                  type: k.key.type,
                  name: k.name,
                  username: k.username,
                });
              };
              g.onerror = () => reject(g.error);
            };
          },
        ),
    );
    expect(stored).toEqual({ extractable: false, type: 'private', name: 'approver-1', username: 'ap1' });
    // Signing again from the same account with the remembered key: refused by the two-person rule.
    await one.page.click('#sign-button');
    await confirmSignature(one.page, d.id);
    await one.page.waitForSelector('#sign-result[data-state="failed"]');
    expect(await one.page.$eval('#sign-result', (p) => p.textContent)).toContain(
      'cần một người phê duyệt khác',
    );

    const two = await signAs('ap2', keyFiles[1]!, false, 1);
    expect(await two.page.$eval('#sign-result', (p) => p.getAttribute('data-state'))).toBe('published');
    expect(await two.page.$eval('#sign-result', (p) => p.textContent)).toBe(
      'Đủ chữ ký: đã xuất bản phiên bản 2',
    );
    expect(rig.s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(2);
    expect((await rig.s.server.tuf!.drafts.get(d.id)).status).toBe('published');
    await Promise.all([two.page.waitForNavigation(), two.page.click('#nav-drafts')]);
    await two.page.waitForSelector(`#published tr[data-draft="${d.id}"]`);
    expect(errors).toEqual([]);
  }, 90_000);

  it('refuses to sign when the bundle.json shown is not the one inside the signed payload', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const keyFile = rig.approverKeyFiles()[0]!;
    const d = await rig.contentDraft(actor('author'));
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const page = await browser.newPage();
    watch(page, errors);
    await loginThroughPage(page, rig.base, 'ap1');
    // A man in the middle swaps the bundle.json the page displays (the signed payload is untouched).
    const honest = Buffer.from(await rig.s.server.tuf!.drafts.manifest(d.id)).toString('base64');
    const forged = Buffer.from(
      Buffer.from(honest, 'base64').toString('utf8').replace('Hà Tiên"', 'Hà Tiên (forged)"'),
    ).toString('base64');
    expect(forged).not.toBe(honest);
    const cookie = (await page.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (!req.url().endsWith(`/dashboard/drafts/${d.id}`)) return void req.continue();
      void fetch(req.url(), { headers: { cookie } }).then(async (res) => {
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          if (k !== 'content-length' && k !== 'content-encoding') headers[k] = v;
        });
        return req.respond({
          status: res.status,
          headers,
          body: (await res.text()).replace(honest, forged),
        });
      });
    });
    await page.goto(`${rig.base}/dashboard/drafts/${d.id}`);
    await page.waitForSelector('#manifest-check.bad');
    await page.waitForSelector('#sign[data-state="ready"]');
    const input = await page.$('#sign-key');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(keyFile);
    await page.click('#sign-button');
    await page.waitForSelector('#sign-result[data-state="refused"]');
    expect(await page.$eval('#sign-result', (p) => p.textContent)).toContain('từ chối ký');
    expect((await rig.s.server.tuf!.drafts.get(d.id)).signatures).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);

  it('sends an emergency message from the form, keeps hostile text inert, and ends it', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const page = await browser.newPage();
    watch(page, errors);
    await loginThroughPage(page, rig.base, 'op');
    await Promise.all([page.waitForNavigation(), page.click('#nav-emergency')]);
    // One text field per gate language (vi, km, en).
    expect(
      await page.$$eval(`.em-langs[data-site-group="${SG}"] fieldset`, (fs) =>
        fs.map((f) => f.getAttribute('data-lang')),
      ),
    ).toEqual(['vi', 'km', 'en']);
    await page.type('fieldset[data-lang="vi"] input[name="title"]', 'Đóng cửa khẩu');
    await page.type('fieldset[data-lang="vi"] textarea', XSS_TEXT);
    await page.type('fieldset[data-lang="en"] textarea', 'Gate closed');
    await page.click('#em-submit');
    await page.waitForSelector('#em-result[data-state="failed"]');
    expect(await page.$eval('#em-result', (p) => p.textContent)).toContain('km');
    await page.type('fieldset[data-lang="km"] textarea', 'បិទ');
    await page.click('#em-submit');
    await page.waitForSelector('#em-result[data-state="created"] a');
    const draftId = await page.$eval('#em-result', (p) => p.getAttribute('data-draft'));
    const draft = await rig.s.server.tuf!.drafts.get(draftId!);
    expect(draft).toMatchObject({ kind: 'emergency', createdBy: 'op' });

    // Its review page shows the new message; the hostile text is text.
    await Promise.all([page.waitForNavigation(), page.click('#em-result a')]);
    expect(await page.$eval('main#draft', (m) => m.getAttribute('data-kind'))).toBe('emergency');
    expect(await page.$eval('#manifest', (p) => p.textContent)).toContain(XSS_TEXT.replace(/"/g, '\\"'));
    expect(await page.$$('section[data-diff="emergencies"] li.added')).toHaveLength(1);
    expect(await page.$('#sign-not-allowed')).not.toBeNull();

    // Two approvers sign (as the CLI would); the message is on air and listed with an end button.
    const [ap1, ap2] = await rig.logins('ap1', 'ap2');
    const review = (await rig.call(ap1, 'GET', `/api/content/drafts/${draftId}`)).body;
    for (const [who, k] of [
      [ap1, rig.tuf.keys.approvers[0]!],
      [ap2, rig.tuf.keys.approvers[1]!],
    ] as const)
      await rig.call(who, 'POST', `/api/content/drafts/${draftId}/signatures`, {
        sig: k.signer(Buffer.from(review.canonical, 'base64')).sig,
      });
    expect(rig.s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(2);
    await page.goto(`${rig.base}/dashboard/emergency`);
    const row = '#active-emergencies tr[data-emergency]';
    await page.waitForSelector(row);
    expect(await page.$eval(`${row} div[lang="vi"]`, (d) => d.textContent)).toContain(XSS_TEXT);
    await page.click(`${row} button.em-end`);
    await page.waitForSelector('#em-result[data-state="created"] a');
    const endId = await page.$eval('#em-result', (p) => p.getAttribute('data-draft'));
    expect((await rig.s.server.tuf!.drafts.get(endId!)).kind).toBe('emergency');

    expect(await page.evaluate(() => (window as { __xss?: string }).__xss)).toBeUndefined();
    expect(await page.$$('img[src="x"]')).toHaveLength(0);
    expect(errors).toEqual([]);
  }, 90_000);
});
