/**
 * An enrolled screen whose key or trust root is lost: the real daemon (headless Chromium) against a
 * real server, with real files in a temp folder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ledStateFor } from '../../../device/gpio/status-led.js';
import { identityKeyPath } from '../../../device/identity.js';
import { type DeviceHandle, keyNoticeLines, loadConfig, startDevice } from '../../../device/main.js';
import { enrolDevice, trustedRootPath } from '../../../device/sync/enrol.js';
import { memoryLogger } from '../../../platform/log.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { GATE, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

async function enrolled(prefix: string) {
  const dir = tempDir(prefix);
  cleanups.push(dir.cleanup);
  const s = await startServer(dir.path);
  cleanups.push(() => s.server.stop());
  const token = await s.api('POST', '/api/enrolment-tokens', {
    siteGroup: GATE.siteGroup,
    screenName: 'arrivals-1',
  });
  const dataDir = join(dir.path, 'device');
  const e = await enrolDevice({ serverUrl: s.server.url, token: token.body.token, dataDir });
  const raw = JSON.parse(readFileSync(e.configPath, 'utf8'));
  raw.player = { ...raw.player, chromiumPath: chromiumPath(), headless: true };
  raw.health = { intervalMs: 1000 };
  writeFileSync(e.configPath, JSON.stringify(raw));
  const start = async () => {
    const log = memoryLogger('device');
    const device: DeviceHandle = await startDevice(loadConfig(e.configPath), { log, env: {} });
    cleanups.push(() => device.stop());
    return { device, log };
  };
  return { s, dataDir, deviceId: e.deviceId, start };
}

describe('an enrolled screen that lost its key or trust root', () => {
  it('never makes a new key: keeps playing, shows the technician code and a notice, and says what to do', async () => {
    const x = await enrolled('gc-lostkey-');
    const keyPath = identityKeyPath(x.dataDir);
    const enrolledKey = (await x.s.api('GET', `/api/devices/${x.deviceId}`)).body.publicKey;
    rmSync(keyPath);
    const { device, log } = await x.start();
    expect(existsSync(keyPath)).toBe(false);
    expect(ledStateFor(device.led.inputs())).toBe('technician');
    expect(device.daemon.status().notice).toEqual([x.deviceId, ...keyNoticeLines]);
    const advice = log.records.find((r) => r.level === 'error' && r.msg.includes('enrolled as'));
    expect(advice?.msg).toContain('--reenrol');
    expect(device.sync.syncClient).toBeUndefined(); // no link with a key the server does not know
    expect((await x.s.api('GET', `/api/devices/${x.deviceId}`)).body.publicKey).toBe(enrolledKey);
    expect(device.daemon.status().startedAt).toBeGreaterThan(0);
  });

  it('a missing trust root keeps the installed content and is reported to the server', async () => {
    const x = await enrolled('gc-lostroot-');
    rmSync(trustedRootPath(x.dataDir));
    const { device } = await x.start();
    expect(device.update).toBeUndefined();
    await until(
      () =>
        x.s.server.registry.ingest.seqs(x.deviceId, 'event').length > 0 &&
        x.s.server.registry.ingest.seqs(x.deviceId, 'health').length > 0,
      15_000,
      'event and health delivered',
    );
    const events = x.s.server.registry.ingest.eventsSince(['trust-root-missing'], 0).get(x.deviceId);
    expect(events?.map((e) => e.kind)).toEqual(['trust-root-missing']);
    const health = x.s.server.registry.health.latest(x.deviceId).get(x.deviceId);
    expect(health?.payload).toMatchObject({ trustRoot: 'missing' });
  });
});
