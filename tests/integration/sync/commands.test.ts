import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrolDevice } from '../../../device/sync/enrol.js';
import { fakeClock } from '../../../protocol/clock.js';
import {
  enrolTestDevice,
  GATE,
  healthAt,
  makeDevice,
  OPS_TOKEN,
  startServer,
  startTempServer,
  until,
} from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { selfSignedCert } from '../../helpers/tls.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

// The smallest valid PNG: 1x1, one grey pixel.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==',
  'base64',
);

describe('remote commands', () => {
  it('queues commands for an offline device, delivers them on return, and stores the screenshot', async () => {
    const s = await startTempServer(cleanups, 'gc-cmd-');
    const e = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'd'));
    const calls: string[] = [];
    const dev = makeDevice(join(s.dir, 'd'), e.deviceId, s.server.url, {
      handlers: {
        screenshot: async () => {
          calls.push('screenshot');
          return PNG;
        },
        display: async (on) => {
          calls.push(`display:${on}`);
        },
        identify: async (ms) => {
          calls.push(`identify:${ms}`);
        },
      },
    });
    cleanups.push(() => dev.close());
    const shot = await s.api('POST', `/api/devices/${e.deviceId}/commands`, { name: 'screenshot' });
    expect(shot.status).toBe(201);
    expect(shot.body.state).toBe('queued');
    const off = await s.api('POST', `/api/devices/${e.deviceId}/commands`, { name: 'display-off' });
    const reboot = await s.api('POST', `/api/devices/${e.deviceId}/commands`, { name: 'reboot' });
    dev.client.start();
    const state = async (id: string) => (await s.api('GET', `/api/commands/${id}`)).body.state;
    await until(async () => (await state(reboot.body.id)) === 'unsupported', 5000, 'commands answered');
    expect(await state(shot.body.id)).toBe('ok');
    expect(await state(off.body.id)).toBe('ok');
    expect(calls).toEqual(['screenshot', 'display:false']);
    const png = await s.api('GET', `/api/commands/${shot.body.id}/screenshot`);
    expect(png.status).toBe(200);
    expect(Buffer.compare(png.body, PNG)).toBe(0);
    // Online now: a new command goes out at once.
    const ident = await s.api('POST', `/api/devices/${e.deviceId}/commands`, {
      name: 'identify',
      args: { durationMs: 5000 },
    });
    await until(async () => (await state(ident.body.id)) === 'ok', 5000, 'identify');
    expect(calls).toContain('identify:5000');
    expect((await s.api('POST', `/api/devices/${e.deviceId}/commands`, { name: 'format-disk' })).status).toBe(
      400,
    );
  });

  it('expires a command whose device does not return in time', async () => {
    const clock = fakeClock(Date.now());
    const s = await startTempServer(cleanups, 'gc-cmdexp-', {}, clock);
    const e = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'd'));
    let reloads = 0;
    const dev = makeDevice(join(s.dir, 'd'), e.deviceId, s.server.url, {
      handlers: {
        reloadPlayer: async () => {
          reloads++;
        },
      },
    });
    cleanups.push(() => dev.close());
    const cmd = await s.api('POST', `/api/devices/${e.deviceId}/commands`, {
      name: 'reload-player',
      ttlMs: 60_000,
    });
    clock.advance(61_000);
    dev.client.start();
    await until(() => dev.client.currentState === 'online');
    dev.outbox.appendHealth(healthAt(Date.now() - 1)); // a round trip after welcome: commands were handled by now
    await until(() => dev.outbox.stats().health.rows === 0);
    const row = (await s.api('GET', `/api/commands/${cmd.body.id}`)).body;
    expect(row.state).toBe('expired');
    expect(reloads).toBe(0);
  });
});

describe('command arguments from ops', () => {
  it('refuses arguments nested beyond the protocol bounds, by name, and queues nothing', async () => {
    const s = await startTempServer(cleanups, 'gc-cmdargs-');
    const e = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'd'));
    // 5,000 levels: written as text (JSON.stringify itself would overflow the stack).
    const body = `{"name":"identify","args":${'{"x":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const res = await fetch(`${s.server.url}/api/devices/${e.deviceId}/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPS_TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/args/);
    expect((await s.api('GET', `/api/devices/${e.deviceId}/commands`)).body).toEqual([]);
    // Within the bounds it is queued as before.
    const ok = await s.api('POST', `/api/devices/${e.deviceId}/commands`, {
      name: 'identify',
      args: { s: 5 },
    });
    expect(ok.status).toBe(201);
  });
});

describe('TLS', () => {
  it('enrols and links over https/wss with a self-signed certificate given at enrolment', async () => {
    const dir = tempDir('gc-tls-');
    cleanups.push(dir.cleanup);
    const { key, cert } = selfSignedCert(dir.path);
    const s = await startServer(dir.path, { tls: { certFile: cert, keyFile: key } });
    cleanups.push(() => s.server.stop());
    const url = s.server.url;
    expect(url.startsWith('https://')).toBe(true);
    // Without the CA the device refuses the server's certificate.
    expect(await fetch(`${url}/api/status`).catch((err: Error) => err)).toBeInstanceOf(Error);
    const t = await createTokenDirect(s);
    await expect(enrolDevice({ serverUrl: url, token: t, dataDir: join(dir.path, 'nocas') })).rejects.toThrow(
      /self-signed|certificate/,
    );
    const enrolled = await enrolDevice({
      serverUrl: url,
      token: t,
      dataDir: join(dir.path, 'd'),
      caFile: cert,
    });
    const caPem = readFileSync(join(dir.path, 'd', 'server-ca.pem'));
    const dev = makeDevice(join(dir.path, 'd'), enrolled.deviceId, url, { client: { ca: caPem } });
    cleanups.push(() => dev.close());
    dev.client.start();
    dev.outbox.appendHealth(healthAt(Date.now() - 1));
    await until(() => dev.outbox.stats().health.rows === 0, 5000, 'delivered over wss');
    // The same device without the CA never gets online.
    const noCa = makeDevice(join(dir.path, 'd'), enrolled.deviceId, url);
    cleanups.push(() => noCa.close());
    noCa.client.start();
    await until(() => noCa.client.currentState === 'waiting', 5000, 'refused certificate');
    expect(noCa.client.counters.connects).toBe(0);
    expect(s.server.registry.ingest.seqs(enrolled.deviceId, 'health')).toEqual([1]);
    expect(enrolled.response.gate.siteGroup).toBe(GATE.siteGroup);
  });
});

/** Creates an enrolment token through the server's own service (the test's fetch has no CA). */
async function createTokenDirect(s: Awaited<ReturnType<typeof startServer>>): Promise<string> {
  const { Enrolment, FileTrustedRootProvider } = await import('../../../sync-server/enrolment/enrolment.js');
  const { memoryLogger } = await import('../../../platform/log.js');
  const { systemClock } = await import('../../../protocol/clock.js');
  const en = new Enrolment(
    s.server.registry,
    new FileTrustedRootProvider(s.config.trustedRootFile!),
    systemClock,
    memoryLogger(),
  );
  return en.createToken(GATE.siteGroup, 'tls-screen', 3600_000).token;
}
