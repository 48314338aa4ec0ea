/**
 * The reports page's re-audit in Chromium: an operator follows a running re-audit (progress bar,
 * percent, records and time left), sees its result when it ends, starts one with the button and
 * sees it run and what it found, and cancels one; a viewer follows without the buttons. In Vietnamese
 * and in English, from the text catalogue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { identityKeyPath } from '../../../device/identity.js';
import { popSourceOf } from '../../../device/proof-of-play/pop-source.js';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { systemClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { REGISTRY_DB } from '../../../sync-server/main.js';
import { reauditStore } from '../../../sync-server/registry/reaudit-store.js';
import { Reauditor } from '../../../sync-server/reports/reaudit.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage, startServerWithUsers } from '../../helpers/dashboard.js';
import { popEntry } from '../../helpers/pop-entry.js';
import { enrolTestDevice, startPopSender, until } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const H = 3_600_000;
const day = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026 00:00 in Asia/Ho_Chi_Minh

const text = (p: Page, id: string) => p.$eval(`#${id}`, (x) => x.textContent!.replace(/\s+/g, ' ').trim());
const state = (p: Page) =>
  p.$eval('#reaudit', (s) => ({
    running: s.getAttribute('data-running'),
    bar: (document.getElementById('reaudit-progress') as HTMLProgressElement).hidden
      ? null
      : (document.getElementById('reaudit-progress') as HTMLProgressElement).value,
    start: (() => {
      const b = document.getElementById('reaudit-start') as HTMLButtonElement | null;
      return b ? (b.disabled ? 'disabled' : 'enabled') : 'absent';
    })(),
    cancel: (() => {
      const b = document.getElementById('reaudit-cancel') as HTMLButtonElement | null;
      return b ? (b.hidden ? 'hidden' : 'shown') : 'absent';
    })(),
  }));
const waitStatus = (p: Page, status: string) =>
  p.waitForFunction((s) => document.getElementById('reaudit')?.getAttribute('data-status') === s, {}, status);

describe('reports page: the re-audit', () => {
  it('shows a running re-audit with its progress, then its result; starts one and cancels one', async () => {
    const dir = tempFolder(cleanups, 'gc-reports-page-');
    const s = await startServerWithUsers(cleanups, dir, { admin: 'admin', op: 'operator', viewer: 'viewer' });
    const base = s.base;
    // Six real signed records from a screen, through the hub's ingest.
    const devDir = join(dir, 'device');
    const { deviceId } = await enrolTestDevice(s.api, base, devDir, 'arrivals-1');
    const db = openDeviceDb(join(devDir, 'device.db'), { synchronous: 'FULL' });
    const pop = new SqlitePopLog(db, ed25519Signer(readFileSync(identityKeyPath(devDir), 'utf8')));
    pop.start();
    for (let n = 0; n < 6; n++) pop.append(popEntry(deviceId, day + 8 * H + n * 10_000, { itemId: 'visa' }));
    startPopSender(cleanups, s.server, { deviceId, dataDir: devDir, db, source: popSourceOf(pop) });
    const registry = s.server.registry;
    await until(() => registry.ingest.countRecords(deviceId, 'pop') === 6, 10_000);

    // A re-audit under way, paused after its first chunk (2 of 6 records): as a long one looks mid-way.
    const store = registry.featureStore(reauditStore);
    const source = new RegistryReportSource(registry);
    const runner = () =>
      new Reauditor({
        store,
        keyOf: (id) => source.deviceKey(id),
        clock: systemClock,
        log: memoryLogger('reaudit'),
        chunkRecords: 2,
      });
    const pausedMidway = async () => {
      const r = runner();
      r.start({ startedBy: 'op', period: null, fromMs: null, toMs: null });
      await new Promise<void>((resolve) => setImmediate(resolve)); // one chunk
      r.stop();
      expect(r.progress()!.run.done).toBe(2);
    };
    await pausedMidway();

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const op = await (await browser.createBrowserContext()).newPage();
    const viewer = await (await browser.createBrowserContext()).newPage();
    for (const p of [op, viewer]) p.on('pageerror', (e) => errors.push(String(e)));
    await loginThroughPage(op, base, 'op');
    await loginThroughPage(viewer, base, 'viewer');
    for (const p of [op, viewer]) await p.goto(`${base}/dashboard/reports`);

    // Vietnamese: the progress with the time left at the rate so far, nothing finished yet.
    expect(await text(op, 'reaudit-status')).toMatch(
      /^Đang kiểm tra lại: 33% \(2\/6 bản ghi\), còn khoảng \d+ (giây|phút)$/,
    );
    expect(await text(op, 'reaudit-last')).toBe(
      'Bằng chứng phát đã lưu chưa từng được kiểm tra lại kể từ khi nhận',
    );
    expect(await state(op)).toEqual({ running: 'yes', bar: 33, start: 'disabled', cancel: 'shown' });
    // A viewer follows it but has no buttons (starting one is for operators and admins).
    expect(await state(viewer)).toEqual({ running: 'yes', bar: 33, start: 'absent', cancel: 'absent' });

    // It goes on (a restarted server's runner) and ends: both pages show the result without a reload.
    const rest = runner();
    rest.resume();
    cleanups.push(() => rest.stop());
    for (const p of [op, viewer]) await waitStatus(p, 'done');
    expect(await text(op, 'reaudit-status')).toBe('Đã xong');
    expect(await text(op, 'reaudit-last')).toMatch(
      /^Đã kiểm tra lại ngày \d\d\/\d\d\/\d{4}: 6 bản ghi \(toàn bộ dữ liệu\), không có vấn đề; khớp với kết quả kiểm tra khi nhận$/,
    );
    expect(await state(op)).toEqual({ running: 'no', bar: null, start: 'enabled', cancel: 'hidden' });

    // English. Someone edits record 2 in the registry; the operator starts a re-audit with the button.
    await op.goto(`${base}/dashboard/lang/en?next=${encodeURIComponent('/dashboard/reports')}`);
    await op.waitForSelector('#reaudit');
    expect(await text(op, 'reaudit-last')).toMatch(
      /^Re-verified on [^:]+: 6 records \(the whole registry\), no problems; agrees with what was checked on receipt$/,
    );
    const edit = new Database(join(dir, 'server', REGISTRY_DB));
    try {
      const row = edit
        .prepare('SELECT payload FROM pop_records WHERE device_id = ? AND seq = 2')
        .get(deviceId) as { payload: string };
      edit
        .prepare('UPDATE pop_records SET payload = ? WHERE device_id = ? AND seq = 2')
        .run(JSON.stringify({ ...JSON.parse(row.payload), language: 'en' }), deviceId);
    } finally {
      edit.close();
    }
    // The page shows it running as soon as the server took it, then what it found.
    const seenRunning = op.waitForFunction(
      () => document.getElementById('reaudit')?.getAttribute('data-running') === 'yes',
      { polling: 'mutation' },
    );
    await op.click('#reaudit-start');
    await seenRunning;
    expect(await text(op, 'reaudit-status')).toMatch(/^Re-verifying: \d+% \(\d\/6 records\), about .+ left$/);
    await waitStatus(op, 'done');
    expect(await text(op, 'reaudit-status')).toBe('Done');
    expect(await text(op, 'reaudit-last')).toMatch(
      /^Re-verified on [^:]+: 6 records \(the whole registry\); found: 1 altered record; 1 record judged differently than on receipt \(changed since\): screen [\w-]+, record 2: on receipt “ok”, now “edit”$/,
    );

    // Cancel: a re-audit under way again; the operator cancels it, the last result stays.
    await pausedMidway();
    await op.reload();
    expect(await state(op)).toEqual({ running: 'yes', bar: 33, start: 'disabled', cancel: 'shown' });
    await op.click('#reaudit-cancel');
    await waitStatus(op, 'cancelled');
    expect(await text(op, 'reaudit-status')).toBe('Cancelled (2/6 records)');
    expect(await text(op, 'reaudit-last')).toMatch(/found: 1 altered record/);
    expect(await state(op)).toEqual({ running: 'no', bar: null, start: 'enabled', cancel: 'hidden' });
    expect(store.last()!.status).toBe('cancelled');
    expect(errors).toEqual([]);
  }, 180_000);
});
