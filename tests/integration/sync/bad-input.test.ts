import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode, PRE_AUTH_FRAME_MAX_BYTES } from '../../../protocol/messages.js';
import {
  enrolTestDevice,
  healthAt,
  makeDevice,
  rawAuth,
  rawSocket,
  startTempServer,
  until,
} from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

async function setup(over: Parameters<typeof startTempServer>[2] = {}) {
  const s = await startTempServer(cleanups, 'gc-bad-', over);
  const a = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'a'), 'a');
  const b = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'b'), 'b');
  return { ...s, a, b, idA: a.identity, idB: b.identity };
}

/** Frames a fuzzer throws: broken JSON, wrong shapes, unknown types and versions, hostile values. */
function fuzzFrame(i: number): string | Buffer {
  const kinds: (() => string | Buffer)[] = [
    () => randomBytes(1 + (i % 300)),
    () => '{"type":"batch","v":1,'.slice(0, i % 22),
    () => JSON.stringify({ type: `t${i}`, v: 1 }),
    () => JSON.stringify({ type: 'batch', v: 2, stream: 'health', fromSeq: 1, records: [] }),
    () =>
      JSON.stringify({
        type: 'batch',
        v: 1,
        stream: 'logs',
        fromSeq: 1,
        records: [{ seq: 1, at: 1, payload: {} }],
      }),
    () =>
      JSON.stringify({
        type: 'batch',
        v: 1,
        stream: 'health',
        fromSeq: -5,
        records: [{ seq: 1e308, at: 'x', payload: null }],
      }),
    () =>
      JSON.stringify({
        type: 'batch',
        v: 1,
        stream: 'health',
        fromSeq: 1,
        records: [{ seq: 1, at: 1, payload: { bogus: true } }],
      }),
    () =>
      JSON.stringify({
        type: 'batch',
        v: 1,
        stream: 'event',
        fromSeq: 1,
        records: [
          { seq: 3, at: 1, payload: {} },
          { seq: 9, at: 1, payload: {} },
        ],
      }),
    () => '{"__proto__":{"polluted":true},"type":"command-ack","v":1,"commandId":"x"}',
    () => `${'['.repeat(5000)}${']'.repeat(5000)}`,
    () =>
      JSON.stringify({
        type: 'command-result',
        v: 1,
        commandId: 'nope',
        status: 'ok',
        screenshot: { mime: 'image/png', base64: '!!!' },
      }),
    () => 'null',
    () => '"string"',
    () => JSON.stringify([1, 2, 3]),
  ];
  return kinds[i % kinds.length]!();
}

describe('bad input on the device socket', () => {
  it('survives thousands of malformed frames; other devices keep working', async () => {
    const s = await setup({
      // 100 unauthenticated fuzz connections at once from 127.0.0.1 below.
      ws: {
        maxBadFrames: 100_000,
        rateLimitPerSecond: 1e6,
        rateLimitBurst: 1e6,
        maxUnauthenticatedPerAddress: 200,
      },
    });
    const devA = makeDevice(join(s.dir, 'a'), s.a.deviceId, s.server.url);
    cleanups.push(() => devA.close());
    devA.client.start();
    await until(() => devA.client.currentState === 'online');

    // An authenticated device gone wrong: 3000 malformed frames on one connection.
    const fuzz = await rawSocket(s.server.url);
    expect((await rawAuth(fuzz, s.server.url, s.b.deviceId, s.idB)).reply.type).toBe('welcome');
    for (let i = 0; i < 3000; i++) fuzz.ws.send(fuzzFrame(i));
    // Unauthenticated garbage: each connection is closed at its first bad frame; one larger than
    // the pre-authentication limit is cut off at its header (1009) before it is read.
    const pre = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const sock = await rawSocket(s.server.url);
        const frame = fuzzFrame(i);
        sock.ws.send(frame);
        const { code } = await sock.closed;
        return frame.length > PRE_AUTH_FRAME_MAX_BYTES
          ? code === 1009
          : code === CloseCode.badMessage || code === CloseCode.unknownDevice;
      }),
    );
    expect(pre.every(Boolean)).toBe(true);
    // An oversize frame is cut off by maxPayload (1009).
    const big = await rawSocket(s.server.url);
    big.ws.send(Buffer.alloc(6 * 1024 * 1024, 0x20));
    expect((await big.closed).code).toBe(1009);

    // A valid batch after the storm: its ack proves every frame before it was handled.
    fuzz.sendJson({
      type: 'batch',
      v: 1,
      stream: 'health',
      fromSeq: 1000,
      records: [{ seq: 1000, at: Date.now() - 5, payload: healthAt(Date.now() - 5) }],
    });
    let m = await fuzz.next();
    while (m.type !== 'ack' || m.uptoSeq !== 1000) m = await fuzz.next();
    // Every frame but the well-framed health record with a bogus payload (quarantined, below).
    expect(s.server.hub.stats.badFrames).toBeGreaterThanOrEqual(2700);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // The well-behaved device still delivers; the server still answers.
    devA.outbox.appendHealth(healthAt(Date.now() - 10));
    await until(() => devA.outbox.stats().health.rows === 0, 5000, 'device A delivered');
    expect(s.server.registry.ingest.seqs(s.a.deviceId, 'health')).toEqual([1]);
    expect((await s.api('GET', '/api/status')).status).toBe(200);
    // Nothing of the fuzz reached the telemetry tables: only the one valid record. The one
    // well-framed record with a bad payload sits in quarantine, verbatim, once.
    expect(s.server.registry.ingest.seqs(s.b.deviceId, 'health')).toEqual([1000]);
    expect(s.server.registry.ingest.listQuarantined(s.b.deviceId)).toEqual([
      {
        stream: 'health',
        seq: 1,
        at: 1,
        payload: '{"bogus":true}',
        reason: expect.stringContaining('appVersion'),
      },
    ]);
    expect(
      s.server.registry.ingest.countRecords(s.b.deviceId, 'event') +
        s.server.registry.ingest.countRecords(s.b.deviceId, 'pop'),
    ).toBe(0);
    expect(s.log.records.some((r) => r.msg === 'malformed frame from device')).toBe(true);
    fuzz.ws.terminate();
  });

  it('refuses a replayed challenge answer', async () => {
    const s = await setup();
    const first = await rawSocket(s.server.url);
    const ok = await rawAuth(first, s.server.url, s.a.deviceId, s.idA);
    expect(ok.reply.type).toBe('welcome');
    first.ws.close();
    // Someone who recorded that exchange replays the answer on a new connection.
    const replay = await rawSocket(s.server.url);
    replay.sendJson({ type: 'hello', v: 1, deviceId: s.a.deviceId, appVersion: 'x' });
    expect((await replay.next()).type).toBe('challenge');
    replay.sendJson(ok.auth);
    const err = await replay.next();
    expect(err).toMatchObject({ type: 'error', code: 'challenge-expired' });
    expect(await replay.closed).toMatchObject({ code: CloseCode.challengeInvalid });
    // Replayed without hello: refused too.
    const bare = await rawSocket(s.server.url);
    bare.sendJson(ok.auth);
    expect((await bare.closed).code).toBe(CloseCode.badMessage);
    expect(
      s.log.records.some(
        (r) => r.msg === 'device connection refused' && /already used/.test(String(r.fields['reason'])),
      ),
    ).toBe(true);
  });

  it('refuses a device claiming another device id, an unknown and a revoked device', async () => {
    const s = await setup();
    // B signs as A: its key is not A's.
    const claim = await rawSocket(s.server.url);
    const r = await rawAuth(claim, s.server.url, s.a.deviceId, s.idB);
    expect(r.reply).toMatchObject({ type: 'error', code: 'bad-signature' });
    expect((await claim.closed).code).toBe(CloseCode.badSignature);
    // B says hello as B, then answers as A.
    const swap = await rawSocket(s.server.url);
    swap.sendJson({ type: 'hello', v: 1, deviceId: s.b.deviceId, appVersion: 'x' });
    const ch = await swap.next();
    swap.sendJson({
      type: 'auth',
      v: 1,
      deviceId: s.a.deviceId,
      nonce: (ch as { nonce: string }).nonce,
      signature: 'A'.repeat(86),
    });
    expect((await swap.closed).code).toBe(CloseCode.wrongDevice);
    // An authenticated B that later claims to be A.
    const later = await rawSocket(s.server.url);
    expect((await rawAuth(later, s.server.url, s.b.deviceId, s.idB)).reply.type).toBe('welcome');
    later.sendJson({ type: 'hello', v: 1, deviceId: s.a.deviceId, appVersion: 'x' });
    expect((await later.closed).code).toBe(CloseCode.wrongDevice);
    // Unknown id.
    const unknown = await rawSocket(s.server.url);
    unknown.sendJson({ type: 'hello', v: 1, deviceId: 'gc-0000000000000000', appVersion: 'x' });
    expect(await unknown.closed).toMatchObject({
      code: CloseCode.unknownDevice,
      reason: expect.stringContaining('unknown device'),
    });
    // Revoked key.
    await s.api('POST', `/api/devices/${s.a.deviceId}/revoke`);
    const revoked = await rawSocket(s.server.url);
    revoked.sendJson({ type: 'hello', v: 1, deviceId: s.a.deviceId, appVersion: 'x' });
    expect((await revoked.closed).code).toBe(CloseCode.revoked);
  });

  it('closes a flooding device with retry-after and leaves the others alone', async () => {
    const s = await setup({ ws: { rateLimitPerSecond: 5, rateLimitBurst: 20, retryAfterMs: 60_000 } });
    const devA = makeDevice(join(s.dir, 'a'), s.a.deviceId, s.server.url);
    cleanups.push(() => devA.close());
    devA.client.start();
    await until(() => devA.client.currentState === 'online');
    const flood = await rawSocket(s.server.url);
    expect((await rawAuth(flood, s.server.url, s.b.deviceId, s.idB)).reply.type).toBe('welcome');
    for (let i = 0; i < 200; i++) flood.sendJson({ type: 'command-ack', v: 1, commandId: `c${i}` });
    let msg = await flood.next();
    while (msg.type !== 'error' || msg.code !== 'rate-limited') msg = await flood.next();
    expect(msg).toMatchObject({ code: 'rate-limited', retryAfterMs: 60_000 });
    expect((await flood.closed).code).toBe(CloseCode.rateLimited);
    devA.outbox.appendHealth(healthAt(Date.now() - 10));
    await until(() => devA.outbox.stats().health.rows === 0, 5000, 'device A unaffected');
    expect(devA.client.currentState).toBe('online');
  });
});

describe('quarantine', () => {
  it('keeps a well-framed record with a bad payload aside and lets the stream go on', async () => {
    const s = await setup();
    const sock = await rawSocket(s.server.url);
    expect((await rawAuth(sock, s.server.url, s.a.deviceId, s.idA)).reply.type).toBe('welcome');
    const at = Date.now() - 10;
    const good = (seq: number) => ({
      seq,
      at,
      payload: { at, kind: 'k', level: 'info', message: `m${seq}` },
    });
    sock.sendJson({
      type: 'batch',
      v: 1,
      stream: 'event',
      fromSeq: 1,
      records: [good(1), { seq: 2, at, payload: { kind: 'k', level: 'fatal' } }, good(3)],
    });
    expect(await sock.next()).toMatchObject({ type: 'ack', stream: 'event', uptoSeq: 3 });
    expect(s.server.registry.ingest.seqs(s.a.deviceId, 'event')).toEqual([1, 3]);
    expect(s.server.registry.ingest.listQuarantined(s.a.deviceId)).toMatchObject([
      { stream: 'event', seq: 2, reason: expect.stringContaining('level') },
    ]);
    expect(s.log.records.some((r) => r.msg === 'record quarantined: payload fails its schema')).toBe(true);
    expect((await s.api('GET', `/api/devices/${s.a.deviceId}/quarantine`)).body).toHaveLength(1);
    sock.ws.close();
  });
});

describe('retry-after', () => {
  it('a rate-limited device waits at least the retry-after the server gave before reconnecting', async () => {
    const s = await setup({ ws: { rateLimitPerSecond: 1, rateLimitBurst: 5, retryAfterMs: 7_000 } });
    const dev = makeDevice(join(s.dir, 'a'), s.a.deviceId, s.server.url, { client: { batchMaxRecords: 1 } });
    cleanups.push(() => dev.close());
    for (let i = 0; i < 20; i++) dev.outbox.appendHealth(healthAt(Date.now() - 100 + i));
    dev.client.start();
    await until(() => dev.client.currentState === 'waiting', 5000, 'rate-limited and closed');
    const closed = dev.log.records.find((r) => r.msg === 'sync link closed; reconnecting')!;
    expect(closed.fields['code']).toBe(CloseCode.rateLimited);
    expect(closed.fields['delayMs']).toBeGreaterThanOrEqual(7_000);
  });
});
