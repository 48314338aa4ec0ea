import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../protocol/messages.js';
import { REGISTRY_DB } from '../../../sync-server/main.js';
import { enrolTestDevice, rawAuth, rawSocket, type RawSocket, startTempServer } from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

/** A server with two enrolled devices, each authenticated on a raw socket. */
async function twoDevices() {
  const s = await startTempServer(cleanups, 'gc-ingest-');
  const a = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'a'), 'a');
  const b = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'b'), 'b');
  const sockA = await rawSocket(s.server.url);
  const sockB = await rawSocket(s.server.url);
  cleanups.push(
    () => sockA.ws.terminate(),
    () => sockB.ws.terminate(),
  );
  expect((await rawAuth(sockA, s.server.url, a.deviceId, a.identity)).reply.type).toBe('welcome');
  expect((await rawAuth(sockB, s.server.url, b.deviceId, b.identity)).reply.type).toBe('welcome');
  return { ...s, a: a.deviceId, b: b.deviceId, sockA, sockB };
}

const at = Date.now() - 1000;
const event = (seq: number, kind = 'boot') => ({
  seq,
  at,
  payload: { at, kind, level: 'info', message: `event ${seq}` },
});
const eventBatch = (records: unknown[]) =>
  JSON.stringify({ type: 'batch', v: 1, stream: 'event', fromSeq: 1, records });

/**
 * An event batch whose `data` nests `depth` arrays deep, written by hand: JSON.stringify itself
 * overflows the stack on such a value. Arrays keep 100k levels under the batch size cap.
 */
const deepEventBatch = (depth: number) =>
  `{"type":"batch","v":1,"stream":"event","fromSeq":1,"records":[{"seq":1,"at":${at},"payload":` +
  `{"at":${at},"kind":"boot","level":"info","message":"deep","data":` +
  `{"x":${'['.repeat(depth)}1${']'.repeat(depth)}}}}]}`;

/** The next message that is an ack or an error (the watermark acks after welcome come first). */
async function nextReply(sock: RawSocket): Promise<ServerMessage> {
  for (;;) {
    const m = await sock.next();
    if (m.type === 'error' || (m.type === 'ack' && m.uptoSeq > 0)) return m;
  }
}

describe('one device batch cannot fail the group commit for the others', () => {
  it('refuses a deeply nested event.data by name; the other device in the same flush is stored and acked once', async () => {
    const s = await twoDevices();
    // Both frames are small enough to be on the wire before the server reads either: one flush.
    s.sockA.ws.send(eventBatch([event(1), event(2)]));
    s.sockB.ws.send(deepEventBatch(10_000));

    expect(await nextReply(s.sockA)).toEqual({ type: 'ack', v: 1, stream: 'event', uptoSeq: 2 });
    const refused = await nextReply(s.sockB);
    expect(refused).toMatchObject({ type: 'error', code: 'bad-message' });
    expect((refused as { message: string }).message).toMatch(
      /records\.\[0\]\.payload\.data\.x(\.\[0\])+: nests deeper than/,
    );
    // 100k levels: refused the same way, without a stack overflow anywhere.
    s.sockB.ws.send(deepEventBatch(100_000));
    expect(await nextReply(s.sockB)).toMatchObject({
      type: 'error',
      code: 'bad-message',
      message: expect.stringMatching(/payload\.data\.x(\.\[0\])+: nests deeper than/),
    });
    expect(s.server.registry.ingest.seqs(s.a, 'event')).toEqual([1, 2]);
    expect(s.server.registry.ingest.countRecords(s.b, 'event')).toBe(0);
    expect(s.server.registry.ingest.listQuarantined(s.b)).toEqual([]);
    expect(s.server.registry.ingest.watermark(s.b, 'event')).toBe(0);
    expect(s.log.records.some((r) => r.msg === 'storing batches failed; devices will resend')).toBe(false);

    // B's link is still usable, and A's resend of the same records is stored once.
    s.sockB.ws.send(eventBatch([event(1)]));
    expect(await nextReply(s.sockB)).toEqual({ type: 'ack', v: 1, stream: 'event', uptoSeq: 1 });
    s.sockA.ws.send(eventBatch([event(1), event(2)]));
    expect(await nextReply(s.sockA)).toEqual({ type: 'ack', v: 1, stream: 'event', uptoSeq: 2 });
    expect(s.server.registry.ingest.countRecords(s.a, 'event')).toBe(2);
    expect((await s.api('GET', '/api/status')).status).toBe(200);
  });

  it('a batch that fails in storage fails alone: the other batches of the flush are committed', async () => {
    const s = await twoDevices();
    // A failure no schema can foresee: the database itself refuses one device's insert.
    const db = new Database(join(s.dir, 'server', REGISTRY_DB));
    cleanups.push(() => void db.close());
    db.exec(
      `CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.kind = 'poison'
       BEGIN SELECT RAISE(ABORT, 'poisoned record'); END`,
    );
    s.sockA.ws.send(eventBatch([event(1), event(2), event(3)]));
    // B's first record stores fine; its second one fails: the whole batch must roll back.
    s.sockB.ws.send(eventBatch([event(1), event(2, 'poison')]));

    expect(await nextReply(s.sockA)).toEqual({ type: 'ack', v: 1, stream: 'event', uptoSeq: 3 });
    const refused = await nextReply(s.sockB);
    expect(refused).toMatchObject({ type: 'error', code: 'bad-message' });
    expect((refused as { message: string }).message).toMatch(/batch not stored: .*poisoned record/);
    expect(s.server.registry.ingest.seqs(s.a, 'event')).toEqual([1, 2, 3]);
    expect(s.server.registry.ingest.countRecords(s.b, 'event')).toBe(0);
    expect(s.server.registry.ingest.watermark(s.b, 'event')).toBe(0);
    // Proof that both batches were in the same transaction.
    const failed = s.log.records.find((r) => r.msg === 'batch not stored; refused to its device');
    expect(failed?.fields).toMatchObject({ deviceId: s.b, stream: 'event', batchesInFlush: 2 });

    // Once the cause is gone, B's resend is stored exactly once.
    db.exec('DROP TRIGGER poison');
    s.sockB.ws.send(eventBatch([event(1), event(2, 'poison')]));
    expect(await nextReply(s.sockB)).toEqual({ type: 'ack', v: 1, stream: 'event', uptoSeq: 2 });
    expect(s.server.registry.ingest.seqs(s.b, 'event')).toEqual([1, 2]);
  });
});
