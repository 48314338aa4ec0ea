/**
 * The emergency page's End now control in Chromium (docs/drafts.md §7): a real server and TUF
 * repository, two enrolled screens (one connected over the real device link, its commands handled by
 * the real ended-emergency content; one never connected). The operator ends a signed emergency
 * after confirming; the page says, screen by screen, which confirmed and which not yet, in Vietnamese
 * and in English.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { EndedEmergencyContent, EndedEmergencyFile } from '../../../device/emergency/ended-emergencies.js';
import { memoryLogger } from '../../../platform/log.js';
import { systemClock } from '../../../protocol/clock.js';
import { parseBundleManifest } from '../../../protocol/content.js';
import { approvalRig, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { MutableContentSource } from '../../helpers/dir-content.js';
import { memoryBundle } from '../../helpers/memory-bundle.js';
import { enrolTestDevice, makeDevice, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

function watch(page: Page, errors: string[]) {
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) errors.push(m.text());
  });
}

describe('ending an emergency early from the emergency page', () => {
  it('lets an approver end it from the header’s page: asks for confirmation, ends it, and shows which screens confirmed and which not yet', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const dirs = tempDir('gc-em-end-');
    cleanups.push(dirs.cleanup);
    const [op, ap1, ap2] = await rig.logins('op', 'ap1', 'ap2');

    // An emergency through the two-signature flow.
    const created = await rig.call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: {
        vi: { body: 'Tạm dừng thông quan' },
        km: { body: 'ផ្អាក' },
        en: { body: 'Border crossing suspended' },
      },
      durationMinutes: 60,
    });
    expect(created.status).toBe(201);
    const id = created.body.emergency.id as string;
    const review = (await rig.call(ap1, 'GET', `/api/content/drafts/${created.body.draft.id}`)).body;
    for (const [who, k] of [
      [ap1, rig.tuf.keys.approvers[0]!],
      [ap2, rig.tuf.keys.approvers[1]!],
    ] as const)
      await rig.call(who, 'POST', `/api/content/drafts/${created.body.draft.id}/signatures`, {
        sig: k.signer(Buffer.from(review.canonical, 'base64')).sig,
      });
    const signed = parseBundleManifest(JSON.parse(Buffer.from(review.manifest, 'base64').toString()));

    // Screen 1 is connected and plays the signed bundle; screen 2 is enrolled but offline.
    const one = await enrolTestDevice(rig.s.api, rig.base, join(dirs.path, 'one'), 'arrivals-1');
    await enrolTestDevice(rig.s.api, rig.base, join(dirs.path, 'two'), 'arrivals-2');
    const content = new EndedEmergencyContent(
      new MutableContentSource(memoryBundle(signed, { version: 2 })),
      new EndedEmergencyFile(join(dirs.path, 'one')),
      systemClock,
      memoryLogger(),
    );
    content.start();
    const dev = makeDevice(join(dirs.path, 'one'), one.deviceId, rig.base, {
      handlers: { endEmergency: async (emergencyId, secret) => content.end(emergencyId, secret).message },
    });
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(
      async () => (await rig.s.api('GET', `/api/devices/${one.deviceId}`)).body.online === true,
      10_000,
      'screen 1 online',
    );

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const page = await browser.newPage();
    watch(page, errors);
    // An approver ends it: they reach the page (from the header) without the form to write one.
    await loginThroughPage(page, rig.base, 'ap1');
    await Promise.all([page.waitForNavigation(), page.click('#nav-emergency')]);
    const row = `#active-emergencies tr[data-emergency="${id}"]`;
    await page.waitForSelector(`${row} button.em-end-now`);
    expect(await page.$('#emergency-form')).toBeNull();
    expect(await page.$eval('#em-no-create', (p) => p.textContent ?? '')).toContain('kết thúc sớm');

    // Cancelling changes nothing.
    await page.click(`${row} button.em-end-now`);
    await page.waitForSelector('#em-end-confirm[open]');
    const question = await page.$eval('#em-end-confirm-text', (p) => p.textContent ?? '');
    expect(question).toContain(id);
    expect(question).toContain(SG);
    expect(question).toContain('Kết thúc sớm');
    await page.click('#em-end-confirm-cancel');
    const notEnded = await rig.call(
      op,
      'GET',
      `/api/content/emergencies/end-status?siteGroup=${SG}&id=${id}`,
    );
    expect([notEnded.status, notEnded.body.error.code]).toEqual([409, 'EMERGENCY_NOT_ENDED']);
    expect(content.current()!.manifest.emergencies.map((e) => e.id)).toEqual([id]);

    // Confirmed: the connected screen takes it off; the page says which screen has not confirmed.
    await page.click(`${row} button.em-end-now`);
    await page.waitForSelector('#em-end-confirm[open]');
    await page.click('#em-end-confirm-ok');
    await page.waitForSelector(`${row} .em-end-status[data-confirmed="1"]`, { timeout: 15_000 });
    expect(content.current()!.manifest.emergencies).toEqual([]);
    const text = await page.$eval(`${row} .em-end-status`, (d) => d.textContent ?? '');
    expect(text).toContain('Đã kết thúc sớm bởi ap1');
    expect(text).toContain('Màn hình đã xác nhận: 1/2');
    expect(text).toContain('Chưa xác nhận: arrivals-2 (ngoại tuyến)');
    expect(await page.$(`${row} button.em-end-now`)).toBeNull();

    // In English, from the page's load: the same facts.
    await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
    await page.waitForSelector(`${row} .em-end-status[data-confirmed="1"]`);
    const en = await page.$eval(`${row} .em-end-status`, (d) => d.textContent ?? '');
    expect(en).toContain('Ended early by ap1');
    expect(en).toContain('Screens confirmed: 1 of 2.');
    expect(en).toContain('Not confirmed yet: arrivals-2 (offline)');
    expect(await page.$(`${row} button.em-end-now`)).toBeNull();
    expect(errors).toEqual([]);
  }, 90_000);
});
