import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrolTestDevice, makeDevice, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

describe('reconnect', () => {
  it('checks for updates as soon as the link is back, not at the next refresh timer', async () => {
    const dir = tempDir('gc-reconnect-');
    cleanups.push(dir.cleanup);
    let s = await startServer(dir.path);
    const port = Number(new URL(s.server.url).port);
    const e = await enrolTestDevice(s.api, s.server.url, join(dir.path, 'dev'));
    const dev = makeDevice(join(dir.path, 'dev'), e.deviceId, s.server.url);
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(() => dev.client.currentState === 'online', 5000, 'online');
    // The first link at start: the update client's own start-up refresh covers it.
    expect(dev.refreshes).toBe(0);

    await s.server.stop(); // the link drops
    await until(() => dev.client.currentState !== 'online', 5000, 'offline');
    s = await startServer(dir.path, { port });
    cleanups.push(() => s.server.stop());
    await until(() => dev.client.currentState === 'online', 5000, 'back online');
    await until(() => dev.refreshes === 1, 5000, 'refresh after reconnect');
  });

  it('a device that could not connect at start checks for updates once it does', async () => {
    const dir = tempDir('gc-reconnect-');
    cleanups.push(dir.cleanup);
    let s = await startServer(dir.path);
    const port = Number(new URL(s.server.url).port);
    const url = s.server.url;
    const e = await enrolTestDevice(s.api, url, join(dir.path, 'dev'));
    await s.server.stop();
    const dev = makeDevice(join(dir.path, 'dev'), e.deviceId, url);
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(
      () => dev.log.records.some((r) => r.msg === 'sync link closed; reconnecting'),
      5000,
      'a failed try',
    );
    s = await startServer(dir.path, { port });
    cleanups.push(() => s.server.stop());
    await until(() => dev.client.currentState === 'online', 5000, 'online');
    await until(() => dev.refreshes === 1, 5000, 'refresh once online');
  });
});
