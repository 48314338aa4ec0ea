import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../../protocol/messages.js';
import {
  enrolTestDevice,
  rawAuth,
  rawSocket,
  type RawSocket,
  startTempServer,
  until,
} from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

async function setup(over: Parameters<typeof startTempServer>[2] = {}) {
  const s = await startTempServer(cleanups, 'gc-preauth-', over);
  const a = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'a'), 'a');
  return { ...s, a: a.deviceId, idA: a.identity };
}

/** Opens a socket and keeps it for cleanup; resolves to the socket or the HTTP status refusing it. */
async function open(url: string, localAddress?: string): Promise<RawSocket | number> {
  try {
    const sock = await rawSocket(url, localAddress ? { localAddress } : {});
    cleanups.push(() => sock.ws.terminate());
    return sock;
  } catch (err) {
    const m = /Unexpected server response: (\d+)/.exec((err as Error).message);
    if (!m) throw err;
    return Number(m[1]);
  }
}

const sockets = (v: (RawSocket | number)[]) => v.filter((x): x is RawSocket => typeof x !== 'number');

describe('device socket before authentication', () => {
  it('cuts a 1 MB frame off at its header before authentication (1009), unparsed', async () => {
    const s = await setup();
    const sock = (await open(s.server.url)) as RawSocket;
    const framesBefore = s.server.hub.stats.framesReceived;
    sock.ws.send(Buffer.alloc(1024 * 1024, 0x20));
    expect((await sock.closed).code).toBe(1009);
    expect(s.server.hub.stats.framesReceived).toBe(framesBefore);
    // A hello is well within the limit.
    const ok = (await open(s.server.url)) as RawSocket;
    expect((await rawAuth(ok, s.server.url, s.a, s.idA)).reply.type).toBe('welcome');
  });

  it('takes a 1 MB screenshot result once the device is authenticated', async () => {
    const s = await setup();
    const sock = (await open(s.server.url)) as RawSocket;
    expect((await rawAuth(sock, s.server.url, s.a, s.idA)).reply.type).toBe('welcome');
    const cmd = await s.api('POST', `/api/devices/${s.a}/commands`, { name: 'screenshot' });
    expect(cmd.status).toBe(201);
    let m = await sock.next();
    while (m.type !== 'command') m = await sock.next();
    const png = Buffer.alloc(1024 * 1024, 7);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    const frame = JSON.stringify({
      type: 'command-result',
      v: 1,
      commandId: cmd.body.id,
      status: 'ok',
      screenshot: { mime: 'image/png', base64: png.toString('base64') },
    });
    expect(frame.length).toBeGreaterThan(1024 * 1024);
    sock.sendJson(JSON.parse(frame));
    await until(async () => (await s.api('GET', `/api/commands/${cmd.body.id}`)).body.state === 'ok');
    const shot = await s.api('GET', `/api/commands/${cmd.body.id}/screenshot`);
    expect(Buffer.compare(shot.body as Buffer, png)).toBe(0);
    expect(sock.ws.readyState).toBe(sock.ws.OPEN);
  });

  it('refuses unauthenticated connections past the per-address cap (429); authenticated ones do not count', async () => {
    const s = await setup({ ws: { maxUnauthenticatedPerAddress: 3, maxUnauthenticated: 100 } });
    const first = await Promise.all(Array.from({ length: 5 }, () => open(s.server.url)));
    expect(first.filter((x) => x === 429)).toHaveLength(2);
    const idle = sockets(first);
    expect(idle).toHaveLength(3);
    // Another address is not held back by this one's idle connections.
    const other = await open(s.server.url, '127.0.0.2');
    expect(typeof other).not.toBe('number');
    expect(
      s.log.records.some(
        (r) =>
          r.msg === 'device connection refused: too many unauthenticated connections' &&
          r.fields['remote'] === '127.0.0.1',
      ),
    ).toBe(true);

    // One idle connection goes away: once the server has seen it close, the device gets its slot.
    idle[0]!.ws.close();
    await idle[0]!.closed;
    let device: RawSocket | undefined;
    await until(
      async () => {
        const r = await open(s.server.url);
        if (typeof r !== 'number') device = r;
        return device !== undefined;
      },
      5000,
      'a free slot',
    );
    expect((await rawAuth(device!, s.server.url, s.a, s.idA)).reply.type).toBe('welcome');
    // Authenticated, it no longer holds an unauthenticated slot: one more connection fits.
    expect(typeof (await open(s.server.url))).not.toBe('number');
    expect(await open(s.server.url)).toBe(429);
  });

  it('frees the slots of connections that time out before authenticating, and caps the total (503)', async () => {
    const s = await setup({
      ws: { maxUnauthenticatedPerAddress: 2, maxUnauthenticated: 3, authTimeoutMs: 1000 },
    });
    const a = sockets([await open(s.server.url), await open(s.server.url)]);
    expect(a).toHaveLength(2);
    expect(await open(s.server.url)).toBe(429);
    expect(typeof (await open(s.server.url, '127.0.0.2'))).not.toBe('number');
    // Three unauthenticated in all: a third address is refused as well.
    expect(await open(s.server.url, '127.0.0.3')).toBe(503);
    // Nobody authenticates: the server closes them at the auth timeout, and the slots come back.
    expect((await a[0]!.closed).code).toBe(CloseCode.authTimeout);
    expect((await a[1]!.closed).code).toBe(CloseCode.authTimeout);
    const dev = await open(s.server.url);
    expect(typeof dev).not.toBe('number');
    expect((await rawAuth(dev as RawSocket, s.server.url, s.a, s.idA)).reply.type).toBe('welcome');
  });
});
