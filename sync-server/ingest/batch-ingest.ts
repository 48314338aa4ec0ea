/**
 * Outbox batches from authenticated devices: each is checked (size, contiguous sequence numbers,
 * every payload against its stream's schema, proof-of-play signatures), queued, and stored with
 * the others of the same turn in one transaction (group commit), then acked by watermark.
 */
import type { Logger } from '../../platform/log.js';
import {
  BATCH_MAX_BYTES,
  DeviceEvent,
  type DeviceMessage,
  HealthReport,
  type OutboxRecord,
  type OutboxStream,
  PopPayload,
} from '../../protocol/messages.js';
import type { IngestBatch, IngestStore } from '../registry/ingest-store.js';
import type { PopVerdict } from '../registry/pop-store.js';
import type { Registry } from '../registry/registry.js';
import type { DeviceKeys } from './device-keys.js';
import { checkPopBatch } from './pop-ingest.js';
import type { Conn, HubLink } from './ws-connection.js';

const payloadSchemas = { health: HealthReport, event: DeviceEvent, pop: PopPayload } as const;

/** The hub's counters this part keeps up to date. */
export interface IngestCounters {
  batchesStored: number;
  recordsStored: number;
  quarantined: number;
  popBadSignatures: number;
}

export class BatchIngest {
  private pending: { batch: IngestBatch; conn: Conn }[] = [];
  private flushScheduled = false;

  constructor(
    private readonly registry: Registry,
    private readonly keys: DeviceKeys,
    private readonly log: Logger,
    private readonly stats: IngestCounters,
    private readonly link: HubLink,
  ) {}

  /**
   * Checks a batch from the authenticated connection `c` and queues it for the next flush. A record
   * whose payload fails its schema is quarantined (stored and marked), never refused: refusing
   * would block the stream behind it forever.
   */
  accept(c: Conn, msg: Extract<DeviceMessage, { type: 'batch' }>, size: number): void {
    if (size > BATCH_MAX_BYTES) {
      this.link.badFrame(c, `batch of ${size} bytes exceeds ${BATCH_MAX_BYTES}`);
      return;
    }
    const schema = payloadSchemas[msg.stream as OutboxStream];
    if (msg.records[0]!.seq < msg.fromSeq) {
      this.link.badFrame(c, 'batch records start below fromSeq');
      return;
    }
    let expect = msg.records[0]!.seq;
    let rejected: Map<number, string> | undefined;
    for (const r of msg.records) {
      if (r.seq !== expect) {
        this.link.badFrame(c, `batch records must be contiguous: expected ${expect}, got ${r.seq}`);
        return;
      }
      expect++;
      const res = schema.safeParse(r.payload);
      if (!res.success) {
        // Kept in quarantine, not refused: refusing would block the stream behind this record forever.
        const reason = res.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ');
        rejected ??= new Map();
        rejected.set(r.seq, reason);
        this.stats.quarantined++;
        this.log.warn('record quarantined: payload fails its schema', {
          deviceId: c.deviceId,
          stream: msg.stream,
          seq: r.seq,
          reason,
        });
      }
    }
    const batch: IngestBatch = {
      deviceId: c.deviceId!,
      stream: msg.stream,
      fromSeq: msg.fromSeq,
      records: msg.records,
    };
    if (rejected) batch.rejected = rejected;
    if (msg.stream === 'pop') batch.popVerdicts = this.checkPop(c.deviceId!, msg.records, rejected);
    this.pending.push({ batch, conn: c });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Forgets the batches not stored yet: their senders got no ack, so they resend. */
  discard(): void {
    this.pending = [];
  }

  /** Verifies PoP records once, before they are stored: the verdicts are stored with them. */
  private checkPop(
    deviceId: string,
    records: readonly OutboxRecord[],
    rejected: ReadonlyMap<number, string> | undefined,
  ): Map<number, PopVerdict> {
    let key = this.keys.get(deviceId);
    if (!key) {
      const device = this.registry.devices.get(deviceId);
      try {
        key = device ? this.keys.keyFor(deviceId, device.publicKey) : undefined;
      } catch (err) {
        this.log.warn('stored device key unusable: proof of play marked unsigned', { deviceId, err });
      }
    }
    const check = checkPopBatch(records, key, rejected);
    for (const p of check.problems) {
      if (p.problem === 'bad-signature') this.stats.popBadSignatures++;
      this.log.warn('proof-of-play record fails its check; stored and marked', {
        deviceId,
        seq: p.seq,
        problem: p.problem,
      });
    }
    return check.verdicts;
  }

  /**
   * Stores every pending batch in one transaction (group commit), then acks each. A batch that
   * storage refuses is rolled back alone and refused to its device like a malformed frame; the
   * other devices of the flush are acked as usual.
   */
  flush(): void {
    this.flushScheduled = false;
    const work = this.pending;
    if (work.length === 0) return;
    this.pending = [];
    let marks: ReturnType<IngestStore['storeBatches']>;
    try {
      marks = this.registry.ingest.storeBatches(work.map((w) => w.batch));
    } catch (err) {
      this.log.error('storing batches failed; devices will resend', { batches: work.length, err });
      for (const w of work)
        this.link.send(w.conn, {
          type: 'error',
          v: 1,
          code: 'server-busy',
          message: 'storage failed',
          retryAfterMs: 5_000,
        });
      return;
    }
    work.forEach((w, i) => {
      const mark = marks[i]!;
      if (typeof mark !== 'number') {
        this.log.error('batch not stored; refused to its device', {
          deviceId: w.batch.deviceId,
          stream: w.batch.stream,
          fromSeq: w.batch.fromSeq,
          records: w.batch.records.length,
          batchesInFlush: work.length,
          err: mark,
        });
        this.link.badFrame(w.conn, mark.message);
        return;
      }
      this.stats.batchesStored++;
      this.stats.recordsStored += w.batch.records.length;
      this.link.send(w.conn, { type: 'ack', v: 1, stream: w.batch.stream, uptoSeq: mark });
      this.link.emit({
        type: 'stored',
        deviceId: w.batch.deviceId,
        stream: w.batch.stream,
        records: w.batch.records,
      });
    });
  }
}
