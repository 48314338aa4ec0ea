/**
 * Staged rollouts through the real server (127.0.0.1:0, real SQLite) with simulated screens over real
 * ws: they answer install-release and report their release in health; the rollout's tick is run by
 * hand after the fake clock moves.
 */
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { sessionCall } from '../../helpers/fleet-rig.js';
import { startReleaseRig } from '../../helpers/release-rig.js';
import { auditLog } from '../../helpers/publish-rig.js';
import { until } from '../../helpers/sync.js';

const cleanups = cleanupsAfterEach();
const MIN = 60_000;

const twoStages = (canaries: string[], over: Record<string, unknown> = {}) => ({
  version: '1.1.0',
  stages: [
    { scope: 'canary', select: { screens: canaries } },
    { scope: 'fleet', select: { percent: 100 } },
  ],
  advance: 'auto',
  soakMs: 10 * MIN,
  ...over,
});

describe('release rollout through the server', () => {
  it('passes the canary, soaks, then offers the rest of the fleet once each, and completes', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-pass-', ['canary', 'gate-a', 'gate-b']);
    const [canary, a, b] = r.screens as [(typeof r.screens)[0], (typeof r.screens)[0], (typeof r.screens)[0]];
    const start = await r.api('POST', '/api/releases/rollouts', twoStages([canary.deviceId]));
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({
      version: '1.1.0',
      status: 'running',
      stage: 0,
      createdBy: 'ops-token',
    });
    const id = start.body.id as string;
    await r.reported(canary, '1.1.0', 'committed');
    expect(canary.installs).toEqual(['1.1.0']);
    expect(r.installCommands(a)).toEqual([]);
    r.server.releases.tick();
    let view = (await r.api('GET', `/api/releases/rollouts/${id}`)).body;
    expect(view.stages[0]).toMatchObject({ status: 'soaking', committed: 1, targets: 1 });
    expect(view.stages[1]).toMatchObject({ status: 'waiting' });
    r.clock.advance(10 * MIN - 1);
    r.server.releases.tick();
    expect(r.installCommands(a)).toEqual([]);
    r.clock.advance(1);
    r.server.releases.tick();
    await r.reported(a, '1.1.0', 'committed');
    await r.reported(b, '1.1.0', 'committed');
    r.server.releases.tick();
    view = (await r.api('GET', `/api/releases/rollouts/${id}`)).body;
    expect(view.status).toBe('completed');
    expect(view.stages[1]).toMatchObject({ status: 'done', targets: 3, offered: 3, committed: 3 });
    // Each screen was offered the version once, through the command machinery, with the version.
    for (const sc of r.screens) {
      const cmds = r.installCommands(sc);
      expect(cmds).toHaveLength(1);
      expect(cmds[0]).toMatchObject({ args: { version: '1.1.0' }, state: 'ok' });
      expect(sc.installs).toEqual(['1.1.0']);
    }
    r.clock.advance(60 * MIN);
    r.server.releases.tick();
    expect(r.screens.map((sc) => r.installCommands(sc).length)).toEqual([1, 1, 1]);
    const overview = (await r.api('GET', '/api/releases')).body;
    expect(overview.current).toBeNull();
    expect(overview.screens.map((x: { release: { running: string } }) => x.release.running)).toEqual([
      '1.1.0',
      '1.1.0',
      '1.1.0',
    ]);
    const audit = (await auditLog(r.base)).filter((e) => e.action.startsWith('release.rollout.'));
    expect(audit.map((e) => e.action)).toEqual([
      'release.rollout.offer',
      'release.rollout.start',
      'release.rollout.advance',
      'release.rollout.offer',
      'release.rollout.complete',
    ]);
    expect(audit[1]).toMatchObject({ actor: null, target: id, outcome: 'ok', details: { via: 'ops-token' } });
  });

  it('halts when the canary rolls back: an alert is raised and no other screen is offered', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-halt-', ['canary', 'gate-a']);
    const [canary, a] = r.screens as [(typeof r.screens)[0], (typeof r.screens)[0]];
    canary.outcome = 'rollback';
    const id = (await r.api('POST', '/api/releases/rollouts', twoStages([canary.deviceId], { soakMs: 0 })))
      .body.id as string;
    await r.reported(canary, '1.0.0', 'rolled-back');
    r.server.releases.tick();
    const view = (await r.api('GET', `/api/releases/rollouts/${id}`)).body;
    expect(view.status).toBe('halted');
    expect(view.halt).toMatchObject({
      reason: 'rolled-back',
      deviceId: canary.deviceId,
      screenName: 'canary',
      detail: 'player did not start',
    });
    const alert = r.server.alerts.monitor.active.find((x) => x.kind === 'release-rollout-halted');
    expect(alert).toMatchObject({
      key: `release-rollout-halted:${id}`,
      severity: 'critical',
      deviceId: canary.deviceId,
      params: { version: '1.1.0', screen: 'canary', reason: 'rolled-back' },
    });
    r.clock.advance(24 * 60 * MIN);
    r.server.releases.tick();
    expect(r.installCommands(a)).toEqual([]);
    expect(a.installs).toEqual([]);
    // Aborting ends the rollout and resolves its alert.
    const operator = await r.signIn('operator');
    const abort = await sessionCall(r.base, operator, 'POST', `/api/dashboard/releases/rollouts/${id}/abort`);
    expect(abort.status).toBe(200);
    expect(abort.body.status).toBe('aborted');
    expect(r.server.alerts.monitor.active.find((x) => x.kind === 'release-rollout-halted')).toBeUndefined();
    const audit = (await auditLog(r.base)).filter((e) => e.action.startsWith('release.rollout.'));
    expect(audit.find((e) => e.action === 'release.rollout.halt')).toMatchObject({
      target: id,
      details: { reason: 'rolled-back', deviceId: canary.deviceId },
    });
    expect(audit.at(-1)).toMatchObject({
      actor: 'operator',
      action: 'release.rollout.abort',
      details: { from: 'halted', to: 'aborted' },
    });
  });

  it('resumes after a halt with the failure accepted, and goes on to the fleet', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-resume-', ['canary', 'gate-a']);
    const [canary, a] = r.screens as [(typeof r.screens)[0], (typeof r.screens)[0]];
    canary.outcome = 'rollback';
    const id = (await r.api('POST', '/api/releases/rollouts', twoStages([canary.deviceId], { soakMs: 0 })))
      .body.id as string;
    await r.reported(canary, '1.0.0', 'rolled-back');
    r.server.releases.tick();
    const resumed = await r.api('POST', `/api/releases/rollouts/${id}/resume`);
    expect(resumed.status).toBe(200);
    await r.reported(a, '1.1.0', 'committed');
    r.server.releases.tick();
    const view = (await r.api('GET', `/api/releases/rollouts/${id}`)).body;
    expect(view.status).toBe('completed');
    expect(view.screens.find((x: { deviceId: string }) => x.deviceId === canary.deviceId)).toMatchObject({
      phase: 'failed',
      accepted: true,
    });
    // The canary is never offered the version again.
    expect(r.installCommands(canary)).toHaveLength(1);
    const audit = await auditLog(r.base);
    expect(audit.find((e) => e.action === 'release.rollout.resume')).toMatchObject({
      details: { from: 'halted', to: 'running', acceptedFailures: [canary.deviceId] },
    });
  });

  it('pauses (nothing offered), resumes, and refuses what does not apply', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-pause-', ['canary', 'gate-a']);
    const [canary, a] = r.screens as [(typeof r.screens)[0], (typeof r.screens)[0]];
    const created = await sessionCall(r.base, r.operator, 'POST', '/api/dashboard/releases/rollouts', {
      ...twoStages([canary.deviceId], { soakMs: 0 }),
    });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe('operator');
    const id = created.body.id as string;
    const pause = await sessionCall(
      r.base,
      r.operator,
      'POST',
      `/api/dashboard/releases/rollouts/${id}/pause`,
    );
    expect(pause.body.status).toBe('paused');
    await r.reported(canary, '1.1.0', 'committed');
    r.clock.advance(60 * MIN);
    r.server.releases.tick();
    expect(r.installCommands(a)).toEqual([]);
    const [operator, viewer] = [await r.signIn('operator'), await r.signIn('viewer')];
    const again = await sessionCall(r.base, operator, 'POST', `/api/dashboard/releases/rollouts/${id}/pause`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ROLLOUT_STATE');
    // A second rollout while this one is under way is refused.
    const second = await r.api('POST', '/api/releases/rollouts', twoStages([canary.deviceId]));
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('ROLLOUT_ACTIVE');
    // A viewer sees the rollout but may not change it.
    expect((await sessionCall(r.base, viewer, 'GET', '/api/dashboard/releases')).body.current.id).toBe(id);
    const denied = await sessionCall(r.base, viewer, 'POST', `/api/dashboard/releases/rollouts/${id}/resume`);
    expect(denied.status).toBe(403);
    const resume = await sessionCall(
      r.base,
      operator,
      'POST',
      `/api/dashboard/releases/rollouts/${id}/resume`,
    );
    expect(resume.status).toBe(200);
    await r.reported(a, '1.1.0', 'committed');
    expect(r.installCommands(a)).toHaveLength(1);
  });

  it('refuses a version the catalogue does not list, on every path, and changes nothing', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-unpub-', ['canary']);
    const [canary] = r.screens as [(typeof r.screens)[0]];
    const res = await r.api('POST', '/api/releases/rollouts', {
      ...twoStages([canary.deviceId]),
      version: '9.9.9',
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'RELEASE_NOT_PUBLISHED' });
    expect(res.body.error.message).toContain('9.9.9');
    expect((await r.api('GET', '/api/releases')).body.current).toBeNull();
    // Neither the dashboard's nor the ops API's plain command may offer an unpublished release.
    const cmd = await r.api('POST', `/api/devices/${canary.deviceId}/commands`, {
      name: 'install-release',
      args: { version: '9.9.9' },
    });
    expect(cmd.status).toBe(409);
    expect(cmd.body.error.code).toBe('RELEASE_NOT_PUBLISHED');
    const dash = await sessionCall(
      r.base,
      r.operator,
      'POST',
      `/api/dashboard/devices/${canary.deviceId}/commands`,
      {
        name: 'install-release',
        args: { version: '9.9.9' },
      },
    );
    expect(dash.status).toBe(409);
    expect(r.installCommands(canary)).toEqual([]);
    // A release withdrawn from the catalogue mid-rollout is offered to nobody more.
    const id = (await r.api('POST', '/api/releases/rollouts', twoStages([canary.deviceId], { soakMs: 0 })))
      .body.id as string;
    expect(r.installCommands(canary)).toHaveLength(1);
    r.catalog.withdraw('1.1.0');
    const view = (await r.api('GET', `/api/releases/rollouts/${id}`)).body;
    expect(view.published).toBe(false);
    const audit = (await auditLog(r.base)).filter((e) => e.action === 'release.rollout.start');
    expect(audit[0]).toMatchObject({
      outcome: 'failed',
      target: '9.9.9',
      details: { code: 'RELEASE_NOT_PUBLISHED' },
    });
  });

  it('refuses a definition that does not fit the fleet, naming the problems', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-bad-', ['canary']);
    const res = await r.api('POST', '/api/releases/rollouts', {
      version: '1.1.0',
      stages: [{ scope: 'fleet', select: { percent: 100 } }],
      advance: 'auto',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ROLLOUT_INVALID');
    expect(res.body.error.message).toContain('stage 1 must list the canaries');
    const schema = await r.api('POST', '/api/releases/rollouts', {
      version: '1.1.0',
      stages: [],
      advance: 'auto',
    });
    expect(schema.status).toBe(400);
    expect(schema.body.error.code).toBe('REQUEST_INVALID');
    await until(
      async () => (await r.api('GET', '/api/releases')).body.current === null,
      1000,
      'nothing created',
    );
  });
});
