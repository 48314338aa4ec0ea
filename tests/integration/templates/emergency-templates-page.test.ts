/**
 * The Templates page and the emergency page's template picker in real Chromium against a real
 * server: an author writes a template in every gate language, makes an emergency from it (every
 * language filled, then submitted for approval as any emergency), a template lacking a gate
 * language fills nothing and names the language, and deleting asks first.
 */
import type { Browser, Dialog, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { approvalRig, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';

const cleanups = cleanupsAfterEach();

const WORDS = {
  vi: {
    title: 'Tạm dừng thông quan',
    body: 'Cửa khẩu tạm dừng thông quan. Xin vui lòng chờ thông báo tiếp theo.',
  },
  km: { title: 'ផ្អាកការឆ្លងកាត់', body: 'ច្រកទ្វារផ្អាកការឆ្លងកាត់ជាបណ្ដោះអាសន្ន។' },
  en: { title: 'Border crossing suspended', body: 'Crossing is suspended. Please wait for further notice.' },
};

function watch(page: Page, errors: string[]) {
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) errors.push(m.text());
  });
}

/** The title and text of each language box of the emergency form, for the test site group. */
const emergencyForm = (page: Page) =>
  page.$$eval(`.em-langs[data-site-group="${SG}"] fieldset`, (fs) =>
    fs.map((f) => ({
      lang: f.getAttribute('data-lang'),
      title: (f.querySelector('input[name="title"]') as HTMLInputElement).value,
      body: (f.querySelector('textarea') as HTMLTextAreaElement).value,
    })),
  );

describe('emergency templates in Chromium', () => {
  it('an author writes a template, makes an emergency from it with every language filled, and sends it for approval', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const page = await browser.newPage();
    watch(page, errors);
    await loginThroughPage(page, rig.base, 'author');
    await Promise.all([page.waitForNavigation(), page.click('#nav-templates')]);
    await page.waitForSelector('#template-list.empty');

    // The form has a box per gate language (the test gate: vi, km, en).
    expect(
      await page.$$eval('#template-form fieldset', (fs) => fs.map((f) => f.getAttribute('data-lang'))),
    ).toEqual(['vi', 'km', 'en']);
    await page.type('#tpl-name', 'Tạm dừng thông quan');
    for (const [lang, w] of Object.entries(WORDS)) {
      await page.type(`#template-form fieldset[data-lang="${lang}"] input[name="title"]`, w.title);
      await page.type(`#template-form fieldset[data-lang="${lang}"] textarea`, w.body);
    }
    await page.$eval('#tpl-duration', (i) => ((i as HTMLInputElement).value = '45'));
    await Promise.all([page.waitForNavigation(), page.click('#tpl-save')]);
    const row = '#template-list tr[data-template]';
    await page.waitForSelector(row);
    expect(await page.$eval(`${row} td[data-f="languages"]`, (td) => td.textContent)).toBe('vi, km, en');
    const [saved] = (await rig.call(await rig.login('ap1'), 'GET', '/api/emergency-templates')).body
      .templates;
    expect(saved).toMatchObject({ name: 'Tạm dừng thông quan', durationMinutes: 45, text: WORDS });
    // Writing a template made no draft.
    expect(await rig.s.server.tuf!.drafts.list()).toEqual([]);

    // A template lacking Khmer, written through the API.
    const author = await rig.login('author');
    const partial = await rig.call(author, 'POST', '/api/emergency-templates', {
      name: 'Thời tiết xấu',
      text: { vi: { body: 'Mưa bão, xin cẩn thận.' }, en: { body: 'Storm: please take care.' } },
    });
    expect(partial.status).toBe(201);

    await Promise.all([page.waitForNavigation(), page.click('#nav-emergency')]);
    await page.waitForSelector('#em-template');
    await page.select('#em-template', partial.body.id);
    await page.click('#em-template-fill');
    await page.waitForSelector('#em-template-result[data-state="failed"]');
    expect(await page.$eval('#em-template-result', (p) => p.textContent)).toContain('km');
    expect((await emergencyForm(page)).every((f) => !f.title && !f.body)).toBe(true);

    await page.select('#em-template', saved.id);
    await page.click('#em-template-fill');
    await page.waitForSelector('#em-template-result[data-state="filled"]');
    expect(await emergencyForm(page)).toEqual(Object.entries(WORDS).map(([lang, w]) => ({ lang, ...w })));
    expect(await page.$eval('#em-duration', (i) => (i as HTMLInputElement).value)).toBe('45');

    await page.click('#em-submit');
    await page.waitForSelector('#em-result[data-state="created"] a');
    const draftId = await page.$eval('#em-result', (p) => p.getAttribute('data-draft'));
    const draft = await rig.s.server.tuf!.drafts.get(draftId!);
    expect(draft).toMatchObject({ kind: 'emergency', status: 'open', createdBy: 'author', threshold: 2 });
    expect(draft.signatures).toEqual([]);
    const review = (await rig.call(await rig.login('ap1'), 'GET', `/api/content/drafts/${draftId}`)).body;
    const manifest = JSON.parse(Buffer.from(review.manifest, 'base64').toString('utf8'));
    expect(manifest.emergencies).toHaveLength(1);
    expect(manifest.emergencies[0].text).toEqual(WORDS);
    // Nothing is on air until two approvers sign.
    expect(rig.s.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(1);
    expect(errors).toEqual([]);
  }, 90_000);

  it('deletes a template only once the author confirms it', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const author = await rig.login('author');
    const t = await rig.call(author, 'POST', '/api/emergency-templates', {
      name: 'Đóng cửa khẩu sớm',
      text: { vi: { body: 'Hôm nay cửa khẩu đóng cửa sớm.' } },
    });
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const page = await browser.newPage();
    watch(page, errors);
    await loginThroughPage(page, rig.base, 'author');
    await page.goto(`${rig.base}/dashboard/templates`);
    const button = `#template-list tr[data-template="${t.body.id}"] button.tpl-delete`;
    await page.waitForSelector(button);

    const asked: string[] = [];
    const answer = (accept: boolean) => (d: Dialog) => {
      asked.push(d.message());
      void (accept ? d.accept() : d.dismiss());
    };
    page.once('dialog', answer(false));
    await page.click(button);
    // Answers once the dialog is closed: the page's script has gone on (or not) by then.
    await page.evaluate(() => document.readyState);
    expect(asked).toEqual(['Xóa mẫu “Đóng cửa khẩu sớm”? Không thể hoàn tác.']);
    expect((await rig.call(author, 'GET', `/api/emergency-templates/${t.body.id}`)).status).toBe(200);

    page.once('dialog', answer(true));
    await page.click(button);
    await page.waitForSelector('#tpl-result[data-state="deleted"]');
    expect(await page.$(button)).toBeNull();
    expect((await rig.call(author, 'GET', `/api/emergency-templates/${t.body.id}`)).status).toBe(404);
    expect(errors).toEqual([]);
  }, 90_000);
});
