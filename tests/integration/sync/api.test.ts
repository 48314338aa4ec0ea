import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrolTestDevice, GATE, healthAt, makeDevice, startTempServer, until } from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

describe('REST API', () => {
  it('serves gates, groups, device detail, events, proof-of-play and health history', async () => {
    const s = await startTempServer(cleanups, 'gc-api-');
    const gate2 = {
      siteGroup: 'an-giang/tinh-bien',
      name: 'Cửa khẩu Quốc tế Tịnh Biên',
      languages: ['vi', 'km'],
    };
    expect((await s.api('POST', '/api/gates', gate2)).status).toBe(201);
    expect(
      (await s.api('POST', '/api/gates', { siteGroup: 'Bad Group', name: '', languages: [] })).body,
    ).toMatchObject({
      error: {
        code: 'REQUEST_INVALID',
        problems: expect.arrayContaining([expect.objectContaining({ path: 'siteGroup' })]),
      },
    });
    expect((await s.api('GET', '/api/gates')).body.map((g: { siteGroup: string }) => g.siteGroup)).toEqual([
      gate2.siteGroup,
      GATE.siteGroup,
    ]);
    expect(
      (await s.api('POST', '/api/enrolment-tokens', { siteGroup: 'nowhere/x', screenName: 's' })).body.error
        .code,
    ).toBe('ENROL_GATE_UNKNOWN');

    const e = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'd'));
    const dev = makeDevice(join(s.dir, 'd'), e.deviceId, s.server.url);
    cleanups.push(() => dev.close());
    const t0 = Date.now() - 60_000;
    dev.outbox.appendHealth(healthAt(t0));
    dev.outbox.appendEvent({
      at: t0,
      kind: 'player-restart',
      level: 'warn',
      message: 'watchdog restarted Chromium',
      data: { reason: 'stall' },
    });
    dev.pop.record('welcome-vi', t0);
    dev.pop.record('welcome-km', t0 + 10_000);
    dev.client.start();
    await until(
      () =>
        dev.pop.stats().rows === 0 &&
        dev.outbox.stats().event.rows === 0 &&
        dev.outbox.stats().health.rows === 0,
    );

    expect((await s.api('PUT', `/api/groups/pilot/devices/${e.deviceId}`)).status).toBe(200);
    expect((await s.api('GET', '/api/groups')).body).toEqual([{ name: 'pilot', devices: 1 }]);
    expect((await s.api('GET', '/api/devices?group=pilot')).body).toHaveLength(1);
    const detail = (await s.api('GET', `/api/devices/${e.deviceId}`)).body;
    expect(detail).toMatchObject({
      online: true,
      streams: { health: { ackedSeq: 1 }, event: { ackedSeq: 1 }, pop: { ackedSeq: 2, droppedOnDevice: 0 } },
    });
    expect(detail.lastSeenMs).toBeGreaterThan(t0);
    const events = (await s.api('GET', `/api/devices/${e.deviceId}/events`)).body;
    expect(events[0]).toMatchObject({
      seq: 1,
      kind: 'player-restart',
      level: 'warn',
      payload: { data: { reason: 'stall' } },
    });
    const pop = (await s.api('GET', `/api/devices/${e.deviceId}/pop?after=1`)).body;
    expect(pop).toHaveLength(1);
    expect(pop[0]).toMatchObject({ seq: 2, itemId: 'welcome-km' });
    expect(JSON.parse(pop[0].payload)).toMatchObject({ itemId: 'welcome-km', prevHash: expect.any(String) });
    s.server.registry.health.rollup(Date.now());
    const five = (await s.api('GET', `/api/devices/${e.deviceId}/health?resolution=5m&from=0`)).body;
    expect(five.points[0]).toMatchObject({ samples: 1, cpuTempC: 48.5 });
    expect((await s.api('GET', `/api/devices/${e.deviceId}/health?resolution=1d`)).status).toBe(400);
    expect((await s.api('GET', '/api/devices/gc-nope/events')).status).toBe(404);
    expect((await s.api('GET', '/api/status')).body).toMatchObject({ online: 1, authenticated: 1 });
  });
});
