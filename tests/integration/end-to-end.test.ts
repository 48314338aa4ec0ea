/**
 * The whole path, with every part real: a TUF repository signed by two approvers, served by the sync
 * server; a device enrolled with a one-time token; the daemon installing the signed bundle and
 * playing it in headless Chromium; proof of play and health reaching the server; a new publication
 * reaching the screen through the server's update notification; a screenshot command.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceHandle } from '../../device/main.js';
import { identityKeyPath } from '../../device/identity.js';
import { verifyChain } from '../../protocol/proof-of-play.js';
import { publishFolder, sampleBundleDir } from '../../sync-server/tuf/demo-repository.js';
import { startServer, until } from '../helpers/sync.js';
import { startScreen } from '../helpers/screen.js';
import { tempDir } from '../helpers/temp.js';
import { startDemoServer } from '../helpers/demo-server.js';

describe('end to end: signed content from the server to the screen', () => {
  let dir: ReturnType<typeof tempDir>;
  let device: DeviceHandle | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await device?.stop();
    await server?.server.stop();
    device = undefined;
    server = undefined;
    dir.cleanup();
  });

  it('enrols, installs the approved bundle, plays it, reports, and follows a new publication', async () => {
    dir = tempDir();
    const started = await startDemoServer(dir.path);
    const demo = started.demo;
    server = started.server;
    expect(demo.published?.version).toBe(1);
    const devDir = join(dir.path, 'device');
    const screen = await startScreen(server, devDir, {
      siteGroup: 'kien-giang/ha-tien',
      healthIntervalMs: 2000,
    });
    const enrolled = { deviceId: screen.deviceId };
    const dlog = screen.log;
    device = screen.device;
    const d = device;
    await until(() => d.content.current()?.version === 1, 30_000);
    await until(() => d.daemon.status().played > 0, 30_000);

    // Proof of play and health arrive at the server, and the chain verifies there.
    const api = server.api;
    await until(
      async () => (await api('GET', `/api/devices/${enrolled.deviceId}/pop`)).body.length > 0,
      30_000,
    );
    const pop = (await api('GET', `/api/devices/${enrolled.deviceId}/pop`)).body as { payload: string }[];
    const records = pop.map((r) => JSON.parse(r.payload) as unknown);
    const chain = verifyChain(records, createPublicKey(readFileSync(identityKeyPath(devDir), 'utf8')));
    expect(chain.problems).toEqual([]);
    await until(
      async () => (await api('GET', `/api/devices/${enrolled.deviceId}/health`)).body.points.length > 0,
      30_000,
    );
    // The server's time reached the device (no NTP here), says the health it sent; nothing went wrong.
    expect(['server', 'ntp']).toContain(d.clock.status());
    const points = (await api('GET', `/api/devices/${enrolled.deviceId}/health`)).body.points;
    const last = points[points.length - 1];
    expect(['server', 'ntp', 'unknown']).toContain((last.payload ?? last).clockSource);
    expect(dlog.records.filter((r) => r.level === 'error')).toEqual([]);

    // A second publication: one changed text; the device is told and installs it at once.
    const v2 = join(dir.path, 'v2');
    cpSync(sampleBundleDir(), v2, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(v2, 'bundle.json'), 'utf8'));
    const text = manifest.items.find((i: { kind: string }) => i.kind === 'text');
    text.variants.vi.body = 'Nội dung mới đã được phê duyệt';
    writeFileSync(join(v2, 'bundle.json'), JSON.stringify(manifest, null, 2));
    const published = await publishFolder(server.server.tuf!.drafts, {
      siteGroup: 'kien-giang/ha-tien',
      folder: v2,
      approvers: demo.keys.approvers,
    });
    expect(published.version).toBe(2);
    expect(published.uploaded).toBe(0); // only bundle.json changed (sent with the draft): no media again
    await until(() => d.content.current()?.version === 2, 30_000);

    // Identify: the LED blinks and the device id goes on screen; the command reports success.
    const identify = await api('POST', `/api/devices/${enrolled.deviceId}/commands`, { name: 'identify' });
    await until(
      async () => (await api('GET', `/api/commands/${identify.body.id}`)).body.state === 'ok',
      30_000,
    );

    // A screenshot command comes back as a PNG.
    const cmd = await api('POST', `/api/devices/${enrolled.deviceId}/commands`, { name: 'screenshot' });
    expect(cmd.status).toBe(201);
    await until(async () => (await api('GET', `/api/commands/${cmd.body.id}`)).body.state === 'ok', 30_000);
    const png = await api('GET', `/api/commands/${cmd.body.id}/screenshot`);
    expect(png.status).toBe(200);
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
  });
});
