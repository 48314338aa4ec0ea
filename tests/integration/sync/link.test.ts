import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { identityKeyPath, loadIdentity } from '../../../device/identity.js';
import { enrolDevice } from '../../../device/sync/enrol.js';
import { DeviceConfig } from '../../../protocol/config.js';
import { REGISTRY_DB } from '../../../sync-server/main.js';
import {
  enrolTestDevice,
  FAKE_ROOT,
  GATE,
  healthAt,
  makeDevice,
  startTempServer,
  type TestDevice,
  until,
} from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

async function setup() {
  return startTempServer(cleanups, 'gc-sync-');
}

describe('enrolment and the device link', () => {
  it('enrols, connects, and delivers health, events and proof-of-play exactly once', async () => {
    const { dir, server, api } = await setup();
    const dataDir = join(dir, 'dev1');
    const enrolled = await enrolTestDevice(api, server.url, dataDir);
    const cfg = DeviceConfig.parse(JSON.parse(readFileSync(enrolled.configPath, 'utf8')));
    expect(cfg.deviceId).toBe(enrolled.deviceId);
    expect(cfg.gate.siteGroup).toBe(GATE.siteGroup);
    expect(JSON.parse(readFileSync(enrolled.trustedRootPath, 'utf8'))).toEqual(FAKE_ROOT);
    expect(statSync(identityKeyPath(dataDir)).mode & 0o777).toBe(0o600);

    const dev: TestDevice = makeDevice(dataDir, enrolled.deviceId, server.url);
    cleanups.push(() => dev.close());
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) dev.outbox.appendHealth(healthAt(t0 + i * 1000));
    dev.outbox.appendEvent({ at: t0, kind: 'boot', level: 'info', message: 'started' });
    for (let i = 0; i < 7; i++) dev.pop.record(`item-${i}`, t0 + i);
    dev.client.start();
    await until(() => dev.client.currentState === 'online', 5000, 'online');
    dev.outbox.popAppended();
    await until(
      () =>
        dev.outbox.stats().health.rows === 0 &&
        dev.outbox.stats().event.rows === 0 &&
        dev.pop.stats().rows === 0,
    );
    const reg = server.registry;
    expect(reg.ingest.seqs(enrolled.deviceId, 'health')).toEqual([1, 2, 3, 4, 5]);
    expect(reg.ingest.seqs(enrolled.deviceId, 'event')).toEqual([1]);
    expect(reg.ingest.seqs(enrolled.deviceId, 'pop')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const pop = reg.pop.list(enrolled.deviceId);
    expect(pop[1]!.prevHash).toBe(pop[0]!.hash);
    expect(JSON.parse(pop[0]!.payload).itemId).toBe('item-0');
    expect(dev.serverTimes.length).toBe(1);
    expect(Math.abs(dev.serverTimes[0]!.serverMs - Date.now())).toBeLessThan(5000);

    const devices = await api('GET', '/api/devices');
    expect(devices.body[0]).toMatchObject({ id: enrolled.deviceId, online: true, siteGroup: GATE.siteGroup });
    const health = await api('GET', `/api/devices/${enrolled.deviceId}/health?from=0&to=${t0 + 10_000}`);
    expect(health.body.points).toHaveLength(5);
    expect(health.body.points[0].memUsedPct).toBe(25);
  });

  it('refuses a used, an expired, a revoked and an unknown token with a clear error', async () => {
    const { dir, server, api } = await setup();
    const tok = await api('POST', '/api/enrolment-tokens', { siteGroup: GATE.siteGroup, screenName: 's' });
    await enrolDevice({ serverUrl: server.url, token: tok.body.token, dataDir: join(dir, 'a') });
    await expect(
      enrolDevice({ serverUrl: server.url, token: tok.body.token, dataDir: join(dir, 'b') }),
    ).rejects.toThrow(/already used \[ENROL_TOKEN_USED\]/);
    await expect(
      enrolDevice({
        serverUrl: server.url,
        token: 'gce_nonexistent-token-xxxxxxxx',
        dataDir: join(dir, 'c'),
      }),
    ).rejects.toThrow(/ENROL_TOKEN_UNKNOWN/);
    const tok2 = await api('POST', '/api/enrolment-tokens', { siteGroup: GATE.siteGroup, screenName: 's2' });
    expect((await api('DELETE', `/api/enrolment-tokens/${tok2.body.id}`)).status).toBe(200);
    await expect(
      enrolDevice({ serverUrl: server.url, token: tok2.body.token, dataDir: join(dir, 'd') }),
    ).rejects.toThrow(/ENROL_TOKEN_REVOKED/);
    // Expiry: a token created with the shortest TTL, then the registry row aged past it.
    const tok3 = await api('POST', '/api/enrolment-tokens', {
      siteGroup: GATE.siteGroup,
      screenName: 's3',
      ttlMs: 60_000,
    });
    // A second connection to the server's registry file (WAL: alongside the server's own).
    const aged = new Database(join(dir, 'server', REGISTRY_DB));
    aged.prepare('UPDATE enrolment_tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 1, tok3.body.id);
    aged.close();
    await expect(
      enrolDevice({ serverUrl: server.url, token: tok3.body.token, dataDir: join(dir, 'e') }),
    ).rejects.toThrow(/ENROL_TOKEN_EXPIRED/);
    // Nothing was written for the refused devices, not even a key.
    expect(() => statSync(join(dir, 'b', 'device.json'))).toThrow();
    for (const d of ['b', 'c', 'd', 'e']) expect(existsSync(identityKeyPath(join(dir, d)))).toBe(false);
  });

  it('enrols again with --force under a new key; the old key stays with the old device', async () => {
    const { dir, server, api } = await setup();
    const dataDir = join(dir, 'a');
    const first = await enrolTestDevice(api, server.url, dataDir);
    const key1 = loadIdentity(dataDir).publicKey;
    const tok = await api('POST', '/api/enrolment-tokens', { siteGroup: GATE.siteGroup, screenName: 's2' });
    await expect(enrolDevice({ serverUrl: server.url, token: tok.body.token, dataDir })).rejects.toThrow(
      /already enrolled as gc-/,
    );
    const again = await enrolDevice({ serverUrl: server.url, token: tok.body.token, dataDir, force: true });
    const key2 = loadIdentity(dataDir).publicKey;
    expect(key2).not.toBe(key1);
    expect(again.deviceId).not.toBe(first.deviceId);
    expect(server.registry.devices.get(again.deviceId)?.publicKey).toBe(key2);
    expect(server.registry.devices.get(first.deviceId)?.publicKey).toBe(key1);
    expect(JSON.parse(readFileSync(join(dataDir, 'device.json'), 'utf8')).deviceId).toBe(again.deviceId);
  });

  it('refuses plain http to a non-loopback host unless the dev flag is given', async () => {
    const { dir } = await setup();
    await expect(
      enrolDevice({
        serverUrl: 'http://signage.example.gov.vn',
        token: 'x'.repeat(20),
        dataDir: join(dir, 'x'),
      }),
    ).rejects.toThrow(/SYNC_INSECURE_URL|refusing plain http/);
  });

  it('calls refreshNow on an update notification and closes a revoked device', async () => {
    const { dir, server, api } = await setup();
    const e = await enrolTestDevice(api, server.url, join(dir, 'd'));
    const dev = makeDevice(join(dir, 'd'), e.deviceId, server.url);
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(() => dev.client.currentState === 'online');
    expect(
      (await api('POST', '/api/updates/notify', { siteGroup: GATE.siteGroup, version: '13' })).body.notified,
    ).toBe(1);
    await until(() => dev.refreshes === 1);
    await api('POST', `/api/devices/${e.deviceId}/revoke`);
    await until(() => dev.client.currentState !== 'online');
    expect((await api('GET', `/api/devices/${e.deviceId}`)).body.revokedAtMs).not.toBeNull();
  });

  it('keeps the REST API behind the ops token', async () => {
    const { server } = await setup();
    const res = await fetch(`${server.url}/api/devices`);
    expect(res.status).toBe(401);
    const wrong = await fetch(`${server.url}/api/devices`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });
});

describe('DeviceSync wiring', () => {
  async function wiring() {
    const { DeviceSync } = await import('../../../device/sync/device-sync.js');
    const { MemorySystemSensors } = await import('../../../device/health/sensors.js');
    const { UNKNOWN_APP_HEALTH } = await import('../../../device/health/health-report.js');
    const { Outbox } = await import('../../../device/outbox/outbox.js');
    const { openDeviceDb } = await import('../../../device/store/sqlite.js');
    const { parseDeviceConfig } = await import('../../../protocol/config.js');
    const { memoryLogger } = await import('../../../platform/log.js');
    const { systemClock } = await import('../../../protocol/clock.js');
    const { dir, server, api } = await setup();
    const dataDir = join(dir, 'ds');
    const e = await enrolTestDevice(api, server.url, dataDir);
    const config = parseDeviceConfig(JSON.parse(readFileSync(e.configPath, 'utf8')));
    const db = openDeviceDb(join(dataDir, 'device.db'));
    // As main.ts does: the outbox is open before the sync link is even constructed.
    const outbox = new Outbox(db, systemClock, memoryLogger());
    outbox.start();
    const times: number[] = [];
    const createSync = () => {
      const ds = new DeviceSync({
        config,
        appVersion: '0.1.0',
        db,
        outbox,
        sensors: new MemorySystemSensors({ cpuTempC: 50, uptimeS: 5 }),
        appHealth: () => ({ ...UNKNOWN_APP_HEALTH, display: 'on' }),
        handlers: {},
        refreshNow: () => undefined,
        onServerTime: (ms) => times.push(ms),
        clock: systemClock,
        log: memoryLogger(),
      });
      cleanups.push(async () => {
        await ds.stop();
        db.close();
      });
      return ds;
    };
    return { server, api, deviceId: e.deviceId, outbox, times, createSync };
  }

  it('builds health reporter and client from the enrolled config and delivers a health sample', async () => {
    const { server, deviceId, times, createSync } = await wiring();
    const ds = createSync();
    ds.start();
    await ds.reportNow();
    await until(() => server.registry.ingest.countRecords(deviceId, 'health') === 1, 5000, 'health stored');
    expect(times).toHaveLength(1);
    expect(ds.syncClient?.currentState).toBe('online');
  });

  it('delivers an event emitted during start-up, before the sync client exists', async () => {
    const { OutboxEventSink, deviceEvents } = await import('../../../device/events/event-sink.js');
    const { memoryLogger } = await import('../../../platform/log.js');
    const { server, api, deviceId, outbox, createSync } = await wiring();
    const events = new OutboxEventSink(outbox, memoryLogger());
    const at = Date.now();
    events.emit(deviceEvents.browserRestart(at, { reason: 'page stalled', count: 1, at }));
    const ds = createSync();
    expect(ds.syncClient).toBeUndefined();
    ds.start();
    await until(() => server.registry.ingest.countRecords(deviceId, 'event') === 1, 5000, 'event stored');
    const stored = (await api('GET', `/api/devices/${deviceId}/events`)).body as unknown[];
    expect(JSON.stringify(stored)).toContain('Chromium restarted: page stalled');
  });
});
