/**
 * WAL checkpoints off the event loop. better-sqlite3 is synchronous, so an automatic checkpoint
 * (write back + fsync) inside an ingest commit stalls every device connection for its duration.
 * The registry turns autocheckpoint off and this worker thread, with its own connection, runs a
 * PASSIVE checkpoint every `intervalMs` (PASSIVE never blocks the writer). If the WAL still grows
 * past a limit (a long-lived reader), the registry falls back to checkpointing itself.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

export interface CheckpointReport {
  ok: boolean;
  log?: number;
  checkpointed?: number;
  error?: string;
}

export class WalCheckpointer {
  private worker?: Worker;

  constructor(
    private readonly path: string,
    private readonly intervalMs: number,
    private readonly onReport: (r: CheckpointReport) => void,
  ) {}

  start(): void {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.path, intervalMs: this.intervalMs, driver: require.resolve('better-sqlite3') },
    });
    this.worker.on('message', (r: CheckpointReport) => this.onReport(r));
    this.worker.on('error', (err) => this.onReport({ ok: false, error: err.message }));
    this.worker.unref();
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    // While stopping, the worker and the fallback keep the process alive: the caller awaits the
    // worker's exit, which would otherwise never come if nothing else held the event loop.
    w.ref();
    await new Promise<void>((resolve) => {
      const fallback = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
      w.once('exit', () => {
        clearTimeout(fallback);
        resolve();
      });
      w.postMessage('stop');
    });
  }
}
