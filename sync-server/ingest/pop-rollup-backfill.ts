/**
 * One pass adding the proof-of-play rows stored before the rollups (a registry from before
 * migration registry-rollups-2) to them, a chunk per event-loop turn, so ingest and requests go on
 * meanwhile. Each chunk and the cursor move in one transaction (PopRollupStore.backfill): a stop or
 * a crash leaves every row added once or not yet, and the next start goes on from the cursor. Until
 * it is done, reports read the raw records (RegistryReportSource.rollupsReady).
 */
import type { Logger } from '../../platform/log.js';
import type { BackfillProgress, PopRollupStore } from '../registry/pop-rollups.js';

export class PopRollupBackfill {
  private stopped = true;
  private timer?: NodeJS.Immediate;
  private finished?: Promise<BackfillProgress>;
  private settle?: (p: BackfillProgress) => void;

  constructor(
    private readonly rollups: Pick<PopRollupStore, 'backfill' | 'backfillProgress'>,
    private readonly log: Logger,
    private readonly chunkRows = 2000,
  ) {}

  /** Where it stands: rows up to `doneRowid` of `toRowid` are added. */
  progress(): BackfillProgress {
    return this.rollups.backfillProgress();
  }

  /** Starts the pass; the promise settles with where it stands when done or stopped. */
  start(): Promise<BackfillProgress> {
    if (this.finished) return this.finished;
    this.stopped = false;
    const first = this.progress();
    if (!first.done) this.log.info('proof-of-play rollup backfill started', { ...first });
    this.finished = new Promise<BackfillProgress>((resolve) => {
      this.settle = resolve;
      const step = () => {
        this.timer = undefined;
        if (this.stopped) return resolve(this.progress());
        let p: BackfillProgress;
        try {
          p = this.rollups.backfill(this.chunkRows);
        } catch (err) {
          this.log.error('proof-of-play rollup backfill failed; reports read the records', { err });
          return resolve(this.progress());
        }
        if (!p.done) this.timer = setImmediate(step);
        else {
          if (!first.done) this.log.info('proof-of-play rollup backfill done', { ...p });
          resolve(p);
        }
      };
      this.timer = setImmediate(step);
    });
    return this.finished;
  }

  /** Stops between chunks; the next start goes on from the cursor. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearImmediate(this.timer); // the next step will not run: settle here
      this.timer = undefined;
      this.settle?.(this.progress());
    }
    await this.finished;
  }
}
