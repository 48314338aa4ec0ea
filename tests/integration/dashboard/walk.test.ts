/**
 * The ops workflow walked end to end by the people who do it, each in their own browser context
 * signed in through the login page, every part real: the demo TUF repository (two approver keys)
 * served by a sync server on 127.0.0.1:0, and a gate screen (its daemon and headless player) that
 * installs what is published. The author replaces the Khmer welcome picture (a PDF under a picture's
 * name is refused, the real picture goes in) and rewrites the travel-documents notice in Vietnamese
 * only; approver 1 sends it back with a comment; the author reads the comment, brings the other
 * languages in line and submits again; both approvers see every language and both pictures as
 * thumbnails, and sign; the screen installs it and plays it. The author writes an emergency
 * template and makes an emergency from it; two signatures put it on the screen, and the operator on
 * duty ends it early with End now. Then "restore previous version" goes through approval like any
 * draft, and the screen plays the restored content. Every step is a click or a keystroke in the
 * dashboard; the assertions read what each person sees, in their words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { describe, expect, it, onTestFailed } from 'vitest';
import { approvalTexts, authoringTexts } from '../../../sync-server/content/texts.js';
import { reviewTexts } from '../../../sync-server/content/review-texts.js';
import { fleetTexts } from '../../../sync-server/fleet/texts.js';
import { templateTexts } from '../../../sync-server/templates/texts.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { startDemoServer } from '../../helpers/demo-server.js';
import { makePdf, makePng } from '../../helpers/media-files.js';
import { startScreen } from '../../helpers/screen.js';
import { until } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const SITE = 'kien-giang/ha-tien';
/** The demo gate's languages, in its order: every one must be seen by both approvers. */
const LANGS = ['vi', 'km', 'en', 'zh-Hans'] as const;
type Lang = (typeof LANGS)[number];

const appr = (k: Parameters<typeof approvalTexts.text>[1], p?: Record<string, string | number>) =>
  approvalTexts.text('vi', k, p);
const auth = (k: Parameters<typeof authoringTexts.text>[1], p?: Record<string, string | number>) =>
  authoringTexts.text('vi', k, p);
const review = (k: Parameters<typeof reviewTexts.text>[1], p?: Record<string, string | number>) =>
  reviewTexts.text('vi', k, p);
const fleet = (k: Parameters<typeof fleetTexts.text>[1], p?: Record<string, string | number>) =>
  fleetTexts.text('vi', k, p);

/** The travel-documents notice as the author first rewrites it (Vietnamese only)… */
const FIRST_VI = 'Xuất trình hộ chiếu còn hạn ít nhất 6 tháng tại quầy số 1–4';
/** …and in every language once approver 1 has sent it back. */
const FIXED: Record<Lang, string> = {
  vi: FIRST_VI,
  km: 'សូមបង្ហាញលិខិតឆ្លងដែនដែលនៅមានសុពលភាពយ៉ាងតិច ៦ ខែ នៅបញ្ជរលេខ ១–៤',
  en: 'Show a passport valid for at least 6 more months at counters 1–4',
  'zh-Hans': '请在1–4号柜台出示有效期至少6个月的护照',
};
const TEMPLATE = 'Tạm dừng thông quan vì bão';
const REJECTION =
  'Bản tiếng Khmer, tiếng Anh và tiếng Trung vẫn là nội dung cũ; hãy dịch theo bản tiếng Việt mới.';

/** The emergency message, in every language of the gate. */
const EMERGENCY: Record<Lang, { title: string; body: string }> = {
  vi: { title: 'Tạm dừng thông quan', body: 'Cửa khẩu tạm dừng thông quan do bão; xin chờ hướng dẫn' },
  km: { title: 'ផ្អាកការឆ្លងកាត់', body: 'ច្រកព្រំដែនផ្អាកដំណើរការដោយសារព្យុះ សូមរង់ចាំការណែនាំ' },
  en: {
    title: 'Crossing suspended',
    body: 'The gate is closed because of the storm; please wait for instructions',
  },
  'zh-Hans': { title: '暂停通关', body: '因风暴口岸暂停通关，请等候指示' },
};

/** A person at their own browser context, signed in through the login page. */
interface Person {
  name: string;
  page: Page;
}

describe('the ops workflow, walked in the dashboard by an author and two approvers', () => {
  it('refuses a wrong file, takes a rejection and a fix, publishes with two signatures to the screen, airs an emergency and ends it early, and restores the previous version through approval', async () => {
    // How far the walk got, and when: printed when the test fails (a timeout included).
    const started = Date.now();
    const reached: string[] = [];
    const step = (what: string) => reached.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
    onTestFailed(() => console.error(`the walk reached:\n${reached.join('\n')}`));
    const dir = tempFolder(cleanups, 'gc-walk-');
    const { demo, server: s } = await startDemoServer(dir, {
      users: [
        { username: 'admin', role: 'admin' },
        { username: 'author', role: 'author' },
        { username: 'ap1', role: 'approver' },
        { username: 'ap2', role: 'approver' },
        { username: 'ops', role: 'operator' },
      ],
    });
    cleanups.push(() => s.server.stop());
    const base = s.server.url;
    const [key1, key2] = demo.approverKeyFiles as [string, string];

    // The screen at the gate, playing version 1 of the sample bundle.
    const screen = await startScreen(s, join(dir, 'device'), { siteGroup: SITE, healthIntervalMs: 1000 });
    const device = screen.device;
    cleanups.push(() => device.stop());
    step('screen started');

    // Meanwhile, the three people open the dashboard in their browsers.
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    /** Script errors and unexpected dialogs on anyone's page: none is expected. */
    const problems: string[] = [];
    const signIn = async (name: string): Promise<Person> => {
      const ctx = await browser.createBrowserContext();
      const page = await ctx.newPage();
      page.on('pageerror', (e) => problems.push(`${name}: ${String(e)}`));
      page.on('dialog', (d) => {
        problems.push(`${name}: dialog "${d.message()}"`);
        void d.dismiss();
      });
      await loginThroughPage(page, base, name);
      return { name, page };
    };
    const [author, ap1, ap2] = await Promise.all([signIn('author'), signIn('ap1'), signIn('ap2')]);
    step('signed in');
    await until(() => device.content.current()?.version === 1, 60_000, 'version 1 installed');
    const v1 = device.content.current()!.manifest;
    step('version 1 on air');

    /** What the screen's row on the fleet page says, as the author reads it (live). */
    const row = `tr[data-id="${screen.deviceId}"]`;
    const waitForRow = (field: string, text: string, what: string, o: { not?: boolean } = {}) =>
      author.page
        .waitForFunction(
          (sel, t, not) => {
            const shown = document.querySelector(sel)?.textContent?.trim();
            return shown !== undefined && (shown === t) !== not;
          },
          { timeout: 30_000 },
          `${row} td[data-f="${field}"]`,
          text,
          o.not === true,
        )
        .catch((e: Error) => {
          throw new Error(`the fleet row never showed ${what} ("${text}"): ${e.message}`);
        });
    /** The screen's proof of play, as the server stored it: one record of `version` (and `itemId`). */
    const popOf = async () =>
      (
        (await s.api('GET', `/api/devices/${screen.deviceId}/pop?limit=1000`)).body as { payload: string }[]
      ).map((r) => JSON.parse(r.payload) as { bundleVersion: number; itemId: string; language: string });
    const waitForPlay = (version: number, itemId?: string) =>
      throttledUntil(
        async () =>
          (await popOf()).some((p) => p.bundleVersion === version && (!itemId || p.itemId === itemId)),
        60_000,
        `a proof-of-play record of version ${version}${itemId ? ` item ${itemId}` : ''}`,
      );
    /** After version `version` is published: the screen installs it, plays from it, and says so. */
    const screenTakes = async (version: number) => {
      await until(
        () => device.content.current()?.version === version,
        60_000,
        `version ${version} installed`,
      );
      step(`version ${version} installed`);
      await waitForPlay(version);
      await author.page.goto(`${base}/dashboard`);
      await waitForRow(
        'bundle',
        fleet('bundle.current', { installed: version, latest: version }),
        `v${version}`,
      );
    };

    /**
     * Approver 1 then approver 2 open draft `id`, look it over with `review` (what each must see
     * before signing) and sign; the second signature publishes it as `version`.
     */
    const bothApprove = async (id: string, version: number, review: (p: Person) => Promise<void>) => {
      for (const [who, key, outcome] of [
        [ap1, key1, 'signed'],
        [ap2, key2, 'published'],
      ] as const) {
        step(`${who.name} reviews ${id}`);
        await openDraft(who.page, base, id);
        await review(who);
        expect(await sign(who.page, key), who.name).toEqual({
          state: outcome,
          text:
            outcome === 'signed'
              ? appr('sign.done', { have: 1, need: 2 })
              : appr('sign.published', { version }),
        });
      }
    };

    // ---------------------------------------------------------------- the author's first draft
    step('the author’s first draft');
    const { page: a } = author;
    await Promise.all([a.waitForNavigation(), a.click('#nav-content')]);
    const welcomeKm = 'fieldset[data-item-id="welcome"] .cw-variant[data-lang="km"]';
    await a.waitForSelector(welcomeKm);
    const kmPathBefore = await a.$eval(`${welcomeKm} .cw-path`, (e) => e.textContent);
    expect(kmPathBefore).toBe(`${SITE}/media/welcome/km.png`);

    // A PDF saved under a picture's name: refused in words, the picture on air stays in place.
    const wrong = join(dir, 'chao-mung-km.png');
    makePdf(wrong);
    await (await a.$(`${welcomeKm} input.cw-file:not([data-slot])`))!.uploadFile(wrong);
    const refusal = auth('variant.uploadFailed', {
      message: 'chao-mung-km.png là một tài liệu PDF, không phải một ảnh PNG',
    });
    await a.waitForFunction(
      (sel, t) => document.querySelector(sel)?.textContent === t,
      { timeout: 20_000 },
      `${welcomeKm} .cw-note`,
      refusal,
    );
    expect(await a.$eval(`${welcomeKm} .cw-path`, (e) => e.textContent)).toBe(kmPathBefore);

    // The real picture: taken, shown as a thumbnail in the editor.
    const right = join(dir, 'chao-mung-km-moi.png');
    await makePng(right, 1920, 1080);
    await (await a.$(`${welcomeKm} input.cw-file:not([data-slot])`))!.uploadFile(right);
    await a.waitForFunction(
      (sel, was) => {
        const path = document.querySelector(`${sel} .cw-path`)?.textContent;
        const img = document.querySelector(`${sel} img.cw-thumb`) as HTMLImageElement | null;
        return path !== was && img?.complete && img.naturalWidth === 1920;
      },
      { timeout: 20_000 },
      welcomeKm,
      kmPathBefore,
    );
    const kmPath = (await a.$eval(`${welcomeKm} .cw-path`, (e) => e.textContent))!;
    expect(kmPath).toMatch(new RegExp(`^${SITE}/media/[0-9a-f]{8}-chao-mung-km-moi\\.png$`));

    // The notice, rewritten in Vietnamese only; saved and submitted.
    await typeInto(a, docBody('vi'), FIRST_VI);
    const firstDraft = await saveAndSubmit(a, 1);

    // ---------------------------------------------------------------- approver 1 sends it back
    step('approver 1 sends it back');
    const { page: p1 } = ap1;
    await openDraft(p1, base, firstDraft);
    const firstReview = await itemLanguages(p1, 'documents');
    expect(Object.keys(firstReview)).toEqual([...LANGS]);
    expect(firstReview.vi).toEqual({ changed: true, before: v1Body(v1, 'vi'), after: FIRST_VI });
    for (const l of LANGS.filter((x) => x !== 'vi'))
      expect(firstReview[l]).toEqual({ changed: false, after: v1Body(v1, l) });
    await p1.type('#reject-comment', REJECTION);
    await Promise.all([p1.waitForNavigation(), p1.click('#reject-button')]);
    await p1.waitForSelector('#sign-state[data-state="rejected"]');
    expect(await text(p1, '#sign-state')).toBe(appr('reject.state', { by: 'ap1' }));
    expect(await p1.$('#sign-form')).toBeNull(); // nothing left to sign until the author resubmits

    // ---------------------------------------------------------------- the author reads why, and fixes it
    step('the author reads why, and fixes it');
    await a.goto(`${base}/dashboard/drafts`);
    await Promise.all([a.waitForNavigation(), a.click(`#rejected tr[data-draft="${firstDraft}"] a`)]);
    expect(await a.$eval('#draft', (m) => m.getAttribute('data-status'))).toBe('rejected');
    expect(await text(a, '#sign-state')).toBe(appr('reject.state', { by: 'ap1' }));
    expect(
      await a.$$eval('#rejections blockquote[data-f="comment"]', (q) => q.map((x) => x.textContent)),
    ).toEqual([REJECTION]);
    // The fix is a new draft from the same workspace; the one sent back is discarded.
    await Promise.all([a.waitForNavigation(), a.click('#discard')]);
    expect(new URL(a.url()).pathname).toBe('/dashboard/drafts');
    expect(await a.$(`tr[data-draft="${firstDraft}"]`)).toBeNull();
    await Promise.all([a.waitForNavigation(), a.click('#nav-content')]);
    await a.waitForSelector(docBody('km'));
    // The workspace kept the first round's work: the new picture and the Vietnamese text.
    expect(await a.$eval(`${welcomeKm} .cw-path`, (e) => e.textContent)).toBe(kmPath);
    expect(await a.$eval(docBody('vi'), (t) => (t as HTMLTextAreaElement).value)).toBe(FIRST_VI);
    for (const l of ['km', 'en', 'zh-Hans'] as const) await typeInto(a, docBody(l), FIXED[l]);
    const draft = await saveAndSubmit(a, 2);

    // ---------------------------------------------------------------- both approvers see every language and sign
    step('both approvers see every language and sign');
    await bothApprove(draft, 2, async (who) => {
      const docs = await itemLanguages(who.page, 'documents');
      expect(Object.keys(docs), who.name).toEqual([...LANGS]);
      for (const l of LANGS)
        expect(docs[l], `${who.name} ${l}`).toEqual({
          changed: true,
          before: v1Body(v1, l),
          after: FIXED[l],
        });
      // The Khmer picture: what is on air beside the new one, both shown; the others unchanged.
      const welcome = await itemLanguages(who.page, 'welcome');
      expect(Object.keys(welcome), who.name).toEqual([...LANGS]);
      expect(welcome.km, who.name).toEqual({
        changed: true,
        before: `${SITE}/media/welcome/km.png`,
        after: kmPath,
      });
      // Both pictures as thumbnails, each with what its bytes are: the one on air and the new one.
      expect(await thumbnails(who.page, 'welcome', 'km'), who.name).toEqual({
        before: review('media.image', { width: 1280, height: 720 }),
        after: review('media.image', { width: 1920, height: 1080 }),
      });
    });

    // ---------------------------------------------------------------- the screen installs it and plays it
    step('the screen installs it and plays it');
    await screenTakes(2);
    const v2 = device.content.current()!.manifest;
    const docs2 = v2.items.find((i) => i.id === 'documents')!.variants as Record<string, { body: string }>;
    expect(Object.fromEntries(LANGS.map((l) => [l, docs2[l]!.body]))).toEqual(FIXED);
    const km2 = (v2.items.find((i) => i.id === 'welcome')!.variants as Record<string, { src: string }>).km!;
    expect(km2.src).toBe(kmPath);
    expect(readFileSync(device.content.current()!.filePath(kmPath)!).equals(readFileSync(right))).toBe(true);

    // ---------------------------------------------------------------- an emergency airs, and is ended early
    step('an emergency airs, and is ended early');
    // The author keeps the message ready as a template, then makes the emergency from it.
    await Promise.all([a.waitForNavigation(), a.click('#nav-templates')]);
    await a.type('#tpl-name', TEMPLATE);
    const tplLang = (l: Lang) => `#template-form fieldset[data-lang="${l}"]`;
    for (const l of LANGS) {
      await a.type(`${tplLang(l)} input[name="title"]`, EMERGENCY[l].title);
      await a.type(`${tplLang(l)} textarea[name="body"]`, EMERGENCY[l].body);
    }
    await Promise.all([a.waitForNavigation(), a.click('#tpl-save')]);
    const tplId = await a.$$eval(
      '#template-list tr[data-template]',
      (rows, name) =>
        rows
          .find((r) => r.querySelector('[data-f="name"]')?.textContent?.trim() === name)
          ?.getAttribute('data-template'),
      TEMPLATE,
    );
    expect(tplId).toBeTruthy();
    expect(await text(a, `#template-list tr[data-template="${tplId}"] [data-f="languages"]`)).toBe(
      LANGS.join(', '),
    );
    await Promise.all([a.waitForNavigation(), a.click('#nav-emergency')]);
    await a.select('#em-template', tplId!);
    await a.click('#em-template-fill');
    await a.waitForSelector('#em-template-result[data-state="filled"]');
    expect(await text(a, '#em-template-result')).toBe(
      templateTexts.text('vi', 'picker.filled', { name: TEMPLATE }),
    );
    const emLang = (l: Lang) => `.em-langs[data-site-group="${SITE}"] fieldset[data-lang="${l}"]`;
    for (const l of LANGS)
      expect(
        await a.$eval(emLang(l), (fs) => ({
          title: (fs.querySelector('input[name="title"]') as HTMLInputElement).value,
          body: (fs.querySelector('textarea[name="body"]') as HTMLTextAreaElement).value,
        })),
        l,
      ).toEqual(EMERGENCY[l]);
    await a.click('#em-submit');
    const emDraft = await createdDraft(a, 'emergency.created');
    let emId = '';
    await bothApprove(emDraft, 3, async (who) => {
      const shown = await emergencyLanguages(who.page, 'added');
      emId = shown.id;
      expect(shown.text, who.name).toEqual(
        Object.fromEntries(LANGS.map((l) => [l, `${EMERGENCY[l].title} ${EMERGENCY[l].body}`])),
      );
    });
    await screenTakes(3);
    await waitForRow('item', emId, 'the emergency on air');
    expect(device.content.current()!.manifest.emergencies.map((e) => e.id)).toEqual([emId]);

    step('ending the emergency');
    // Ended early by the operator on duty (End now is an operator's control: an author may not end
    // an emergency, and an approver cannot open the emergency page): no new signatures, the screen
    // confirms it took the message off.
    const ops = await signIn('ops');
    await Promise.all([ops.page.waitForNavigation(), ops.page.click('#nav-emergency')]);
    await ops.page.click(`#active-emergencies tr[data-emergency="${emId}"] button.em-end-now`);
    await ops.page.waitForSelector('#em-end-confirm[open]');
    expect(await text(ops.page, '#em-end-confirm-text')).toContain(emId);
    await ops.page.click('#em-end-confirm-ok');
    await ops.page
      .waitForSelector(`#active-emergencies tr[data-emergency="${emId}"] .em-end-status .em-end-done`, {
        timeout: 30_000,
      })
      .catch(async (e: Error) => {
        throw new Error(
          `${e.message}: ${await text(ops.page, `tr[data-emergency="${emId}"] .em-end-status`)}`,
        );
      });
    await waitForRow('item', emId, 'the emergency off the air', { not: true });
    await until(
      () => device.daemon.status().lastPlayed?.itemId !== emId,
      30_000,
      'the screen back on its content',
    );
    expect(device.content.current()!.version).toBe(3); // nothing new installed

    // ---------------------------------------------------------------- restore the previous version, through approval
    step('restore the previous version, through approval');
    await a.goto(`${base}/dashboard/drafts`);
    const versionRow = (v: number) => `#versions-table tr[data-site-group="${SITE}"][data-version="${v}"]`;
    const restoreButton = `${versionRow(1)} button.restore-version`;
    expect(await text(a, restoreButton)).toBe(appr('versions.restore', { version: 1 }));
    expect(await text(a, `${versionRow(3)} td:last-child`)).toBe(appr('versions.onAir'));
    await Promise.all([a.waitForNavigation(), a.click(restoreButton)]);
    const restored = decodeURIComponent(new URL(a.url()).pathname.split('/').pop()!);
    expect(await text(a, '#restored [data-f="summary"]')).toBe(
      appr('restored.summary', { version: 1, siteGroup: SITE, onAir: 3 }),
    );
    await bothApprove(restored, 4, async (who) => {
      const docs = await itemLanguages(who.page, 'documents');
      for (const l of LANGS)
        expect(docs[l], `${who.name} ${l}`).toEqual({
          changed: true,
          before: FIXED[l],
          after: v1Body(v1, l),
        });
      expect((await itemLanguages(who.page, 'welcome')).km, who.name).toEqual({
        changed: true,
        before: kmPath,
        after: `${SITE}/media/welcome/km.png`,
      });
      expect(await thumbnails(who.page, 'welcome', 'km'), who.name).toEqual({
        before: review('media.image', { width: 1920, height: 1080 }),
        after: review('media.image', { width: 1280, height: 720 }),
      });
    });
    await screenTakes(4);
    await waitForRow('item', emId, 'the ended emergency still off the air', { not: true });
    expect(device.content.current()!.manifest.items).toEqual(v1.items);
    expect(problems).toEqual([]);
  }, 600_000);
});

// ------------------------------------------------------------------------------------ what a person does

/** The body field of the travel-documents notice in language `l`, on the content page. */
const docBody = (l: Lang) =>
  `fieldset[data-item-id="documents"] .cw-variant[data-lang="${l}"] textarea[data-f="body"]`;

function v1Body(m: { items: { id: string; variants: unknown }[] }, l: Lang): string {
  return (m.items.find((i) => i.id === 'documents')!.variants as Record<string, { body: string }>)[l]!.body;
}

async function text(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/** Selects what a field holds and types `value` over it, as a person does. */
async function typeInto(page: Page, selector: string, value: string): Promise<void> {
  await page.click(selector, { count: 3 });
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
  expect(await page.$eval(selector, (t) => (t as HTMLTextAreaElement).value)).toBe(value);
}

/** Saves the workspace (expecting `revision`) and submits it; returns the new draft's id. */
async function saveAndSubmit(page: Page, revision: number): Promise<string> {
  await page.click('#cw-save');
  await page.waitForFunction(
    (t) => document.getElementById('cw-status')!.textContent === t,
    {},
    auth('status.saved', { revision }),
  );
  await page.click('#cw-submit');
  await page.waitForSelector('#cw-draft:not([hidden])');
  const href = (await page.$eval('#cw-draft-link', (l) => l.getAttribute('href')))!;
  const id = decodeURIComponent(href.split('/').pop()!);
  expect(await text(page, '#cw-draft-text')).toBe(auth('draft.created', { id, version: 2 }).trim());
  return id;
}

/**
 * An approver finds draft `id` as they do: from the fleet page, the header's "waiting for you"
 * count, then the draft in that list; opens its review and waits until the page has checked the
 * bytes it shows against the signed ones.
 */
async function openDraft(page: Page, base: string, id: string): Promise<void> {
  await page.goto(`${base}/dashboard`);
  await page.waitForFunction(
    () => Number(document.getElementById('waiting-badge')?.getAttribute('data-count')) >= 1,
  );
  await Promise.all([page.waitForNavigation(), page.click('#waiting-badge')]);
  await Promise.all([page.waitForNavigation(), page.click(`#waiting li[data-draft="${id}"] a`)]);
  expect(new URL(page.url()).pathname).toBe(`/dashboard/drafts/${encodeURIComponent(id)}`);
  await page.waitForSelector('#manifest-check.ok');
}

type LanguageView = { changed: boolean; before?: string; after: string };

/**
 * What the review shows of one item, language by language: for a text its body, for a picture the
 * file's name; `before` (what is on air) only where the language changed.
 */
async function itemLanguages(page: Page, itemId: string): Promise<Record<string, LanguageView>> {
  const langs = await page.$$eval(`#review-items .item[data-item="${itemId}"] .lang`, (cells) =>
    cells.map((c) => {
      const side = (which: string) => {
        const s = c.querySelector(`.${which}`);
        if (!s) return undefined;
        const body = s.querySelector('.text-body');
        return (body ?? s.querySelector('code'))?.textContent?.trim() ?? '';
      };
      const before = side('before');
      return [
        c.getAttribute('data-lang')!,
        {
          changed: c.classList.contains('changed'),
          ...(before !== undefined ? { before } : {}),
          after: side('after')!,
        },
      ] as const;
    }),
  );
  return Object.fromEntries(langs);
}

/**
 * Scrolls to the review's pictures of `itemId` in language `l`, as the approver does, waits until
 * every thumbnail there has really loaded (decoded, not broken), and returns what the caption under
 * each side says of its picture.
 */
async function thumbnails(page: Page, itemId: string, l: string): Promise<Record<string, string>> {
  const cell = `#review-items .item[data-item="${itemId}"] .lang[data-lang="${l}"]`;
  await page.$eval(cell, (c) => c.scrollIntoView({ block: 'center' }));
  await page.waitForFunction(
    (sel) => {
      const imgs = Array.from(document.querySelectorAll<HTMLImageElement>(`${sel} figure.media img.thumb`));
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    { timeout: 20_000 },
    cell,
  );
  return page.$$eval(`${cell} figure.media`, (figs) =>
    Object.fromEntries(
      figs.map((f) => [
        f.getAttribute('data-side')!,
        // The caption says what the picture is, then links to it in full.
        (f.querySelector('figcaption')?.textContent ?? '').split('·')[0]!.replace(/\s+/g, ' ').trim(),
      ]),
    ),
  );
}

/** Signs the open draft with the key in `keyFile`, confirming in the dialog; what the page then says. */
async function sign(page: Page, keyFile: string): Promise<{ state: string; text: string }> {
  await page.waitForSelector('#sign[data-state="ready"]');
  await (await page.$('input#sign-key'))!.uploadFile(keyFile);
  await page.click('#sign-button');
  await page.waitForFunction(
    () =>
      (document.getElementById('sign-confirm') as HTMLDialogElement | null)?.open ||
      ['failed', 'refused'].includes(
        document.getElementById('sign-result')?.getAttribute('data-state') ?? '',
      ),
  );
  if (!(await page.$('#sign-confirm[open]')))
    throw new Error(`signing refused before confirmation: ${await text(page, '#sign-result')}`);
  await page.click('#sign-confirm-ok');
  await page.waitForFunction(
    () =>
      ['signed', 'published', 'failed', 'refused'].includes(
        document.getElementById('sign-result')?.getAttribute('data-state') ?? '',
      ),
    { timeout: 20_000 },
  );
  return {
    state: (await page.$eval('#sign-result', (p) => p.getAttribute('data-state')))!,
    text: await text(page, '#sign-result'),
  };
}

/** `until` for conditions that cost a request: asks at most every 100 ms. */
async function throttledUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  let next = 0;
  await until(
    async () => {
      if (Date.now() < next) return false;
      next = Date.now() + 100;
      return cond();
    },
    timeoutMs,
    what,
  );
}

/**
 * What the emergency page says once a draft is made (`key`: emergency.created or emergency.ended),
 * up to its deadline; returns the draft's id.
 */
async function createdDraft(page: Page, key: 'emergency.created' | 'emergency.ended'): Promise<string> {
  await page.waitForSelector('#em-result[data-state="created"] a', { timeout: 20_000 });
  const id = (await page.$eval('#em-result', (p) => p.getAttribute('data-draft')))!;
  const said = appr(key, { id, deadline: '\u0000' }).split('\u0000')[0]!;
  expect(await text(page, '#em-result')).toContain(said.trim());
  return id;
}

/** The one emergency message the review shows as `change` (added, removed), with its text by language. */
async function emergencyLanguages(
  page: Page,
  change: 'added' | 'removed',
): Promise<{ id: string; text: Record<string, string> }> {
  return page.$eval(`#review-emergencies .emergency[data-change="${change}"]`, (sec) => ({
    id: sec.getAttribute('data-emergency')!,
    text: Object.fromEntries(
      Array.from(sec.querySelectorAll('dd[data-lang]')).map((dd) => [
        dd.getAttribute('data-lang')!,
        (dd as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
      ]),
    ),
  }));
}
