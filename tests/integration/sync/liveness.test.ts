import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrolTestDevice, healthAt, makeDevice, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

/** A TCP relay that can go silent without closing anything: a half-open link, as a dropped 4G path makes. */
async function relay(target: { port: number }) {
  const pairs: [Socket, Socket][] = [];
  let silent = false;
  const server = createServer((client) => {
    const upstream = tcpConnect(target.port, '127.0.0.1');
    pairs.push([client, upstream]);
    client.on('data', (d) => {
      if (!silent) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!silent) client.write(d);
    });
    // While silent, even a close does not get through: the far side must find out by itself.
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => {
      if (!silent) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!silent) client.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    goSilent: () => {
      silent = true;
    },
    restore: () => {
      silent = false;
    },
    close: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('link liveness', () => {
  it('finds a half-open link by missing pongs on both sides and reconnects', async () => {
    const dir = tempDir('gc-live-');
    cleanups.push(dir.cleanup);
    const target = { port: 0 };
    const r = await relay(target);
    cleanups.push(() => r.close());
    // Devices reach the server through the relay and sign its origin: that is the server's public URL.
    const s2 = await startServer(dir.path, { publicUrl: r.url, ws: { pingIntervalMs: 1000 } });
    cleanups.push(() => s2.server.stop());
    target.port = Number(new URL(s2.server.url).port);
    const e = await enrolTestDevice(s2.api, s2.server.url, join(dir.path, 'd'));
    const dev = makeDevice(join(dir.path, 'd'), e.deviceId, r.url, {
      client: { pingIntervalMs: 100, connectTimeoutMs: 300 },
    });
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(() => dev.client.currentState === 'online', 5000, 'online');
    r.goSilent();
    await until(() => dev.client.currentState !== 'online', 5000, 'device notices the dead link');
    expect(dev.client.counters.disconnects).toBe(1);
    await until(() => !s2.server.hub.isOnline(e.deviceId), 5000, 'server notices the dead link');
    expect(s2.log.records.some((l) => l.msg === 'device link dead (no pong), terminating')).toBe(true);
    r.restore();
    await until(() => dev.client.currentState === 'online', 5000, 'back online');
    dev.outbox.appendHealth(healthAt(Date.now() - 1));
    await until(() => dev.outbox.stats().health.rows === 0, 5000, 'delivered after reconnect');
  });
});
