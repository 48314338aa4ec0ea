/**
 * One pass over the proof-of-play rows stored before verification at ingest (NULL verdict, after
 * migration registry-reports-2): each is verified with its device's key and the verdict stored, a
 * chunk per event-loop turn, so ingest and requests go on meanwhile. A report that reaches such
 * rows first verifies them itself (RegistryReportSource); either way each row is verified once.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../platform/log.js';
import { popVerdict } from './pop-ingest.js';
import type { PopStore, PopVerdict } from '../registry/pop-store.js';
import type { DeviceStore } from '../registry/device-store.js';
import { devicePublicKey } from '../reports/registry-source.js';

export interface BackfillRegistry {
  pop: Pick<PopStore, 'unverified' | 'setVerdicts'>;
  devices: Pick<DeviceStore, 'get'>;
}

export class PopVerdictBackfill {
  private cursor = 0;
  private stopped = true;
  private timer?: NodeJS.Immediate;
  private finished?: Promise<number>;
  private settle?: (verified: number) => void;
  private readonly keys = new Map<string, KeyObject | undefined>();
  private verified = 0;

  constructor(
    private readonly registry: BackfillRegistry,
    private readonly log: Logger,
    private readonly chunkRows = 500,
  ) {}

  /** Starts the pass; the promise settles with the number of rows verified (also when stopped). */
  start(): Promise<number> {
    if (this.finished) return this.finished;
    this.stopped = false;
    this.finished = new Promise<number>((resolve) => {
      this.settle = resolve;
      const step = () => {
        this.timer = undefined;
        if (this.stopped) return resolve(this.verified);
        let more: boolean;
        try {
          more = this.runChunk() === this.chunkRows;
        } catch (err) {
          this.log.error('proof-of-play verdict backfill failed; the report verifies what is left', { err });
          return resolve(this.verified);
        }
        if (more) this.timer = setImmediate(step);
        else {
          if (this.verified > 0)
            this.log.info('proof-of-play verdict backfill done', { rows: this.verified });
          resolve(this.verified);
        }
      };
      this.timer = setImmediate(step);
    });
    return this.finished;
  }

  /** Stops between chunks; rows not reached keep their NULL verdict (the report verifies them). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearImmediate(this.timer); // the next step will not run: settle here
      this.timer = undefined;
      this.settle?.(this.verified);
    }
    await this.finished;
  }

  /** Verifies the next chunk of rows without a verdict; returns how many it read. */
  runChunk(): number {
    const rows = this.registry.pop.unverified(this.cursor, this.chunkRows);
    if (rows.length === 0) return 0;
    const byDevice = new Map<string, [number, PopVerdict][]>();
    for (const row of rows) {
      let raw: unknown;
      try {
        raw = JSON.parse(row.payload);
      } catch {
        raw = undefined; // not JSON: malformed
      }
      let list = byDevice.get(row.deviceId);
      if (!list) byDevice.set(row.deviceId, (list = []));
      list.push([row.seq, popVerdict(raw, this.keyOf(row.deviceId))]);
    }
    for (const [deviceId, list] of byDevice) this.registry.pop.setVerdicts(deviceId, list);
    this.cursor = rows[rows.length - 1]!.id;
    this.verified += rows.length;
    return rows.length;
  }

  private keyOf(deviceId: string): KeyObject | undefined {
    if (!this.keys.has(deviceId)) {
      const pk = this.registry.devices.get(deviceId)?.publicKey;
      let key: KeyObject | undefined;
      try {
        key = pk ? devicePublicKey(pk) : undefined;
      } catch {
        key = undefined; // an unusable stored key: every signature fails
      }
      this.keys.set(deviceId, key);
    }
    return this.keys.get(deviceId);
  }
}
