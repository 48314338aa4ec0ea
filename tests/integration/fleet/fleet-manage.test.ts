import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { LAO_CAI_GATE, sessionCall, startFleetRig } from '../../helpers/fleet-rig.js';
import { enrolTestDevice, GATE } from '../../helpers/sync.js';

const cleanups = cleanupsAfterEach();
const LAO_CAI = LAO_CAI_GATE;
const call = sessionCall;
const setUp = () => startFleetRig(cleanups, 'gc-fleet-manage-');

describe('fleet management through the dashboard API', () => {
  it('creates a token with its QR code, lists and revokes it, refuses bad input, and audits each change', async () => {
    const s = await setUp();
    const bad = await call(s.base, s.op, 'POST', '/api/dashboard/enrolment-tokens', {
      siteGroup: GATE.siteGroup,
      screenName: 'entrance',
      ttlHours: 0,
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ENROL_TTL_INVALID']);
    const made = await call(s.base, s.op, 'POST', '/api/dashboard/enrolment-tokens', {
      siteGroup: GATE.siteGroup,
      screenName: 'entrance',
      ttlHours: 24,
    });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^gce_/);
    expect(made.body.qrSvg).toMatch(/^<svg[^>]*>.*<path/s);
    expect(made.body.expiresAtMs).toBe(s.clock.now() + 24 * 3600_000);
    const listed = await call(s.base, s.op, 'GET', '/api/dashboard/enrolment-tokens');
    expect(listed.body.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      [made.body.id, 'pending'],
    ]);
    const revoked = await call(
      s.base,
      s.op,
      'POST',
      `/api/dashboard/enrolment-tokens/${made.body.id}/revoke`,
      {},
    );
    expect([revoked.status, revoked.body.status]).toEqual([200, 'revoked']);
    const audit = await call(s.base, s.admin, 'GET', '/api/audit');
    const mine = audit.body.entries
      .filter((e: { action: string }) => e.action.startsWith('enrolment.token.'))
      .map((e: { actor: string; action: string; target: string }) => [e.actor, e.action, e.target]);
    expect(mine).toEqual([
      ['operator', 'enrolment.token.revoke', made.body.id],
      ['operator', 'enrolment.token.create', made.body.id],
    ]);
  });

  it('audits token and screen changes made with the ops token as the ops API, with the caller’s address', async () => {
    const s = await setUp();
    const made = await s.api('POST', '/api/enrolment-tokens', {
      siteGroup: GATE.siteGroup,
      screenName: 'exit',
    });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^gce_/);
    expect(made.body.qrSvg).toBeUndefined();
    const revoked = await s.api('DELETE', `/api/enrolment-tokens/${made.body.id}`);
    expect([revoked.status, revoked.body.status]).toEqual([200, 'revoked']);
    const { deviceId } = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'hall'), 'hall');
    expect((await s.api('POST', `/api/devices/${deviceId}/revoke`)).status).toBe(200);
    // The same rule as the dashboard's: a retired screen is not revoked again.
    expect((await call(s.base, s.op, 'POST', `/api/dashboard/devices/${deviceId}/retire`, {})).status).toBe(
      200,
    );
    const again = await s.api('POST', `/api/devices/${deviceId}/revoke`);
    expect([again.status, again.body.error.code]).toEqual([409, 'DEVICE_RETIRED']);

    const audit = await call(s.base, s.admin, 'GET', '/api/audit');
    const byOps = audit.body.entries
      .filter(
        (e: { details: { via?: string }; target: string }) =>
          e.details.via === 'ops-token' && [deviceId, made.body.id].includes(e.target),
      )
      .map((e: { actor: string | null; action: string; target: string; ip: string }) => [
        e.actor,
        e.action,
        e.target,
        e.ip,
      ]);
    expect(byOps).toEqual([
      [null, 'device.revoke', deviceId, '127.0.0.1'],
      [null, 'enrolment.token.revoke', made.body.id, '127.0.0.1'],
      [null, 'enrolment.token.create', made.body.id, '127.0.0.1'],
    ]);
  });

  it('renames and moves a screen, and retiring one that never connected resolves its offline alert', async () => {
    const s = await setUp();
    const e = await enrolTestDevice(s.api, s.base, join(s.dir, 'd'), 'entrnace');
    s.clock.advance(11 * 60_000);
    s.server.alerts.monitor.evaluate();
    expect(s.server.alerts.monitor.active.map((a) => a.key)).toEqual([`offline:${e.deviceId}`]);

    const dev = (what: string, body: unknown = {}) =>
      call(s.base, s.op, 'POST', `/api/dashboard/devices/${e.deviceId}/${what}`, body);
    expect((await dev('rename', { screenName: '  ' })).body.error.code).toBe('ENROL_SCREEN_NAME_INVALID');
    expect((await dev('move', { siteGroup: 'nowhere/x' })).status).toBe(404);
    expect((await dev('rename', { screenName: ' entrance ' })).body.screenName).toBe('entrance');
    expect((await dev('move', { siteGroup: LAO_CAI.siteGroup })).body.siteGroup).toBe(LAO_CAI.siteGroup);

    const retired = await dev('retire');
    expect(retired.status).toBe(200);
    expect(retired.body.retiredAtMs).toBe(s.clock.now());
    expect(retired.body.revokedAtMs).toBe(s.clock.now());
    expect(s.server.alerts.monitor.active).toEqual([]);
    const history = await call(s.base, s.op, 'GET', '/api/alerts/history');
    expect(
      history.body.history.map((h: { type: string; alert: { key: string; resolvedReason?: string } }) => [
        h.type,
        h.alert.key,
        h.alert.resolvedReason,
      ]),
    ).toEqual([
      ['resolved', `offline:${e.deviceId}`, 'retired'],
      ['raised', `offline:${e.deviceId}`, undefined],
    ]);
    // It stays resolved: a retired screen is no longer judged, and leaves the fleet page.
    s.clock.advance(5 * 60_000);
    s.server.alerts.monitor.evaluate();
    expect(s.server.alerts.monitor.active).toEqual([]);
    expect((await call(s.base, s.op, 'GET', '/api/dashboard/fleet')).body).toEqual({ rows: [] });
    expect((await dev('retire')).body.error.code).toBe('DEVICE_RETIRED');
    const audit = await call(s.base, s.admin, 'GET', '/api/audit');
    expect(
      audit.body.entries
        .filter((x: { target: string }) => x.target === e.deviceId)
        .map((x: { action: string }) => x.action),
    ).toEqual(['device.retire', 'device.move', 'device.rename']);
  });

  it('a viewer gets neither the page, the link, nor the routes', async () => {
    const s = await setUp();
    const e = await enrolTestDevice(s.api, s.base, join(s.dir, 'd'), 'entrance');
    expect((await call(s.base, s.viewer, 'GET', '/dashboard/fleet/manage')).status).toBe(403);
    expect((await call(s.base, s.viewer, 'GET', '/dashboard')).body).not.toContain('/dashboard/fleet/manage');
    expect((await call(s.base, s.op, 'GET', '/dashboard')).body).toContain('/dashboard/fleet/manage');
    const tries: [string, string, unknown][] = [
      ['GET', '/api/dashboard/enrolment-tokens', undefined],
      [
        'POST',
        '/api/dashboard/enrolment-tokens',
        { siteGroup: GATE.siteGroup, screenName: 'x', ttlHours: 1 },
      ],
      ['POST', `/api/dashboard/devices/${e.deviceId}/rename`, { screenName: 'x' }],
      ['POST', `/api/dashboard/devices/${e.deviceId}/move`, { siteGroup: LAO_CAI.siteGroup }],
      ['POST', `/api/dashboard/devices/${e.deviceId}/revoke`, {}],
      ['POST', `/api/dashboard/devices/${e.deviceId}/retire`, {}],
    ];
    for (const [method, path, body] of tries)
      expect([path, (await call(s.base, s.viewer, method, path, body)).status]).toEqual([path, 403]);
    const d = (await s.api('GET', `/api/devices/${e.deviceId}`)).body;
    expect([d.screenName, d.revokedAtMs]).toEqual(['entrance', null]);
    expect((await s.api('GET', '/api/enrolment-tokens')).body).toHaveLength(1);
  });
});
