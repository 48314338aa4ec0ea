import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import type { OutboxStream } from '../../../protocol/messages.js';
import { enrolTestDevice, healthAt, makeDevice, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('store and forward', () => {
  it('keeps 72 simulated offline hours of records and delivers every one exactly once', async () => {
    const dir = tempDir('gc-offline-');
    cleanups.push(dir.cleanup);
    let s = await startServer(dir.path);
    const port = Number(new URL(s.server.url).port);
    const url = s.server.url;
    const e = await enrolTestDevice(s.api, url, join(dir.path, 'dev'));
    await s.server.stop(); // the link is down: the server is unreachable for three days
    const clock = fakeClock(Date.now() - 72 * 3600_000);
    const dev = makeDevice(join(dir.path, 'dev'), e.deviceId, url, { clock });
    cleanups.push(() => dev.close());
    dev.client.start(); // keeps retrying against a closed port
    let health = 0;
    let events = 0;
    let pops = 0;
    for (let t = 0; t < 72 * 3600; t += 30) {
      clock.advance(30_000);
      dev.outbox.appendHealth(healthAt(clock.now()));
      health++;
      if (t % 60 === 0) {
        dev.pop.record(`item-${t}`, clock.now());
        pops++;
      }
      if (t % 3600 === 0) {
        dev.outbox.appendEvent({
          at: clock.now(),
          kind: 'heartbeat',
          level: 'info',
          message: `hour ${t / 3600}`,
        });
        events++;
      }
    }
    expect(dev.client.currentState).not.toBe('online');
    expect(dev.outbox.stats().health.rows).toBe(health);
    expect(dev.pop.stats().rows).toBe(pops);

    s = await startServer(dir.path, { port });
    cleanups.push(() => s.server.stop());
    await until(() => dev.client.currentState === 'online', 5000, 'reconnect');
    dev.outbox.popAppended();
    await until(
      () =>
        dev.outbox.stats().health.rows === 0 &&
        dev.outbox.stats().event.rows === 0 &&
        dev.pop.stats().rows === 0,
      30_000,
      'outbox drained',
    );
    expect(s.server.registry.ingest.seqs(e.deviceId, 'health')).toEqual(range(health));
    expect(s.server.registry.ingest.seqs(e.deviceId, 'event')).toEqual(range(events));
    expect(s.server.registry.ingest.seqs(e.deviceId, 'pop')).toEqual(range(pops));
    expect(dev.outbox.stats().health.droppedRecords).toBe(0);
    expect(s.server.hub.stats.badFrames).toBe(0);
  });

  it('loses and doubles nothing when the server dies mid-stream and a new one opens the same database', async () => {
    const dir = tempDir('gc-crash-');
    cleanups.push(dir.cleanup);
    const a = await startServer(dir.path);
    const port = Number(new URL(a.server.url).port);
    const e = await enrolTestDevice(a.api, a.server.url, join(dir.path, 'dev'));
    const dev = makeDevice(join(dir.path, 'dev'), e.deviceId, a.server.url, {
      client: { batchMaxRecords: 50 },
    });
    cleanups.push(() => dev.close());
    const N = 3000;
    const t0 = Date.now() - 3600_000;
    for (let i = 0; i < N; i++) {
      dev.outbox.appendHealth(healthAt(t0 + i));
      if (i % 3 === 0) dev.pop.record(`item-${i}`, t0 + i);
    }
    dev.client.start();
    await until(
      () => a.server.registry.ingest.countRecords(e.deviceId, 'health') >= 300,
      10_000,
      'some records stored',
    );
    await a.server.abort();
    const storedAtCrash = dev.outbox.stats().health.ackedSeq;
    expect(storedAtCrash).toBeLessThan(N);
    // More records while the server is down.
    for (let i = N; i < N + 100; i++) dev.outbox.appendHealth(healthAt(t0 + i));
    const b = await startServer(dir.path, { port });
    cleanups.push(() => b.server.stop());
    dev.outbox.popAppended();
    await until(
      () => dev.outbox.stats().health.rows === 0 && dev.pop.stats().rows === 0,
      20_000,
      'drained after restart',
    );
    const count = (stream: OutboxStream) => b.server.registry.ingest.seqs(e.deviceId, stream);
    expect(count('health')).toEqual(range(N + 100));
    expect(count('pop')).toEqual(range(N / 3));
    expect(b.server.registry.ingest.watermark(e.deviceId, 'health')).toBe(N + 100);
  });
});
