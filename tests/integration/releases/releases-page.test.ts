/**
 * The releases page in real Chromium over the real server, with simulated screens over ws: states
 * and the halt's reason shown and kept live from the stream, resume (confirmed), pause, advance and
 * abort (confirmed) through the buttons, nothing to press for a viewer, and the page in English.
 */
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { launchChromium, loginThroughPage } from '../../helpers/dashboard.js';
import { startReleaseRig } from '../../helpers/release-rig.js';

const cleanups = cleanupsAfterEach();

describe('releases page in Chromium', () => {
  it('shows each screen’s release state, the halt’s reason and the stages, and its buttons work', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-page-', ['canary', 'gate-a']);
    const [canary, a] = r.screens as [(typeof r.screens)[0], (typeof r.screens)[0]];
    canary.outcome = 'rollback';
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const errors: string[] = [];
    const op = await (await browser.createBrowserContext()).newPage();
    const viewer = await (await browser.createBrowserContext()).newPage();
    for (const p of [op, viewer]) p.on('pageerror', (x) => errors.push(String(x)));
    await loginThroughPage(op, r.base, 'operator');
    await loginThroughPage(viewer, r.base, 'viewer');
    await op.click('#nav-releases');
    await op.waitForSelector('#no-rollout');
    await op.waitForSelector('#releases-live-state[data-live="open"]');
    expect(await op.$eval('#published tr[data-version="1.1.0"]', (x) => x.textContent?.trim())).toContain(
      'linux-arm64',
    );
    const row = (sc: { deviceId: string }) => `#release-screens tr[data-device="${sc.deviceId}"]`;
    expect(await op.$eval(`${row(a)} [data-f="running"]`, (x) => x.textContent?.trim())).toBe('1.0.0');
    expect(await op.$eval(`${row(a)} [data-f="state"]`, (x) => x.textContent?.trim())).toBe('Đã xác nhận');

    // A rollout started elsewhere (the CLI) appears live; the canary rolls back and it halts.
    const id = (
      await r.api('POST', '/api/releases/rollouts', {
        version: '1.1.0',
        stages: [
          { scope: 'canary', select: { screens: [canary.deviceId] } },
          { scope: 'fleet', select: { percent: 100 } },
        ],
        advance: 'manual',
      })
    ).body.id as string;
    await op.waitForSelector(`#rollout[data-id="${id}"][data-status="running"]`);
    await r.reported(canary, '1.0.0', 'rolled-back');
    r.server.releases.tick();
    await op.waitForSelector('#rollout[data-status="halted"] #halt-reason');
    expect(await op.$eval('#halt-reason', (x) => x.textContent?.trim())).toBe(
      'Đã dừng: màn hình canary đã quay về bản cũ (player did not start)',
    );
    await op.waitForSelector(`${row(canary)}[data-state="rolled-back"][data-phase="failed"]`);
    expect(await op.$eval(`${row(canary)} [data-f="rollback"]`, (x) => x.textContent?.trim())).toBe(
      '1.1.0: player did not start',
    );
    expect(await op.$eval('#stages tr[data-stage="0"] [data-f="failed"]', (x) => x.textContent?.trim())).toBe(
      '1',
    );

    // Resuming after a halt asks first: Cancel sends nothing, Yes resumes with the failure accepted.
    await op.click('#rollout-actions button[data-act="resume"]');
    await op.waitForSelector('#releases-confirm[open]');
    expect(await op.$eval('#releases-confirm-text', (x) => x.textContent?.trim())).toContain('canary');
    await op.click('#releases-confirm-cancel');
    expect((await r.api('GET', `/api/releases/rollouts/${id}`)).body.status).toBe('halted');
    await op.click('#rollout-actions button[data-act="resume"]');
    await op.waitForSelector('#releases-confirm[open]');
    await op.click('#releases-confirm-ok');
    await op.waitForSelector('#rollout[data-status="running"]');
    await op.waitForSelector('#stages tr[data-stage="0"][data-status="soaking"]');
    expect(await op.$('#halt-reason')).toBeNull();
    await op.waitForSelector(`${row(canary)}[data-phase="accepted"]`);

    // Pause: no confirmation, the rollout is paused.
    await op.click('#rollout-actions button[data-act="pause"]');
    await op.waitForSelector('#rollout[data-status="paused"]');
    expect((await r.api('GET', `/api/releases/rollouts/${id}`)).body.status).toBe('paused');
    expect(await op.$eval('#rollout-status', (x) => x.textContent?.trim())).toBe('Tạm dừng');

    // The viewer sees the same, with nothing to press.
    await viewer.goto(`${r.base}/dashboard/releases`);
    await viewer.waitForSelector('#rollout[data-status="paused"]');
    expect(await viewer.$('#rollout-actions')).toBeNull();

    // Advance (confirmed) moves on to the fleet stage; paused, nobody is offered yet.
    await op.click('#rollout-actions button[data-act="advance"]');
    await op.waitForSelector('#releases-confirm[open]');
    await op.click('#releases-confirm-ok');
    await op.waitForSelector('#stages tr[data-stage="1"][data-status="offering"]');
    expect(r.installCommands(a)).toEqual([]);
    // Abort (confirmed) ends it; the page says no rollout is under way and lists it as aborted.
    await op.click('#rollout-actions button[data-act="abort"]');
    await op.waitForSelector('#releases-confirm[open]');
    expect(await op.$eval('#releases-confirm-text', (x) => x.textContent?.trim())).toContain('1.1.0');
    await op.click('#releases-confirm-ok');
    await op.waitForSelector('#no-rollout');
    await op.waitForSelector(`#rollouts tr[data-rollout="${id}"][data-status="aborted"]`);
    expect(r.installCommands(a)).toEqual([]);

    // In English.
    await viewer.goto(`${r.base}/dashboard/lang/en?next=/dashboard/releases`);
    await viewer.waitForSelector('#releases');
    expect(await viewer.$eval('h2', (x) => x.textContent?.trim())).toBe('gatecast releases');
    expect(await viewer.$eval(`${row(canary)} [data-f="state"]`, (x) => x.textContent?.trim())).toBe(
      'Rolled back',
    );
    expect(errors).toEqual([]);
  }, 120_000);
});
