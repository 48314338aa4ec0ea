/**
 * A pending release proving itself while it runs: once an item has gone on air and the server link
 * has come up since this start, it is committed (one atomic state write, the `committed` link, the
 * database backup and releases no longer needed removed). If `commitWithinMs` passes first, the
 * rollback is begun (its reason written atomically) and the daemon restarts; the start-up check of
 * the next start finishes it (database restored, `current` switched back). Nothing to do for a
 * release that is not pending.
 */
import { rmSync } from 'node:fs';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { Timers } from '../timers.js';
import type { DaemonRestart } from './release-installer.js';
import { beginRollback, committedState, proofVerdict } from './release-state.js';
import type { ReleaseStore } from './release-store.js';

export interface ReleaseProofDeps {
  store: ReleaseStore;
  /** The version this process runs. */
  running: string;
  commitWithinMs: number;
  /** Monotonic: the proof time is counted from this process's start, whatever the wall clock does. */
  monotonic: Clock;
  /** Wall clock, for the time recorded with a rollback. */
  clock: Clock;
  timers: Timers;
  restart: DaemonRestart;
  log: Logger;
  /** Told once the release is committed (main.ts raises an event). */
  onCommitted?: (version: string, from: string) => void;
}

export class ReleaseProof {
  #startedAt = 0;
  #onAir = false;
  #linkUp = false;
  #timer: unknown;
  #done = true;

  constructor(private readonly d: ReleaseProofDeps) {}

  /** True while this process runs a pending release that has not yet proved itself. */
  get isPending(): boolean {
    return !this.#done;
  }

  start(): void {
    const s = this.d.store.state();
    if (!s?.pending || s.pending.version !== this.d.running || s.pending.rollingBack) return;
    this.#done = false;
    this.#startedAt = this.d.monotonic.now();
    this.#timer = this.d.timers.setTimeout(() => this.#evaluate(), this.d.commitWithinMs);
    this.d.log.info('release pending: proving itself', {
      version: this.d.running,
      commitWithinMs: this.d.commitWithinMs,
    });
  }

  stop(): void {
    if (this.#timer !== undefined) this.d.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** An item went on air. */
  onAir(): void {
    this.#onAir = true;
    this.#evaluate();
  }

  /** The server link came up. */
  linkUp(): void {
    this.#linkUp = true;
    this.#evaluate();
  }

  #evaluate(): void {
    if (this.#done) return;
    const v = proofVerdict({
      onAir: this.#onAir,
      linkUp: this.#linkUp,
      sinceStartMs: this.d.monotonic.now() - this.#startedAt,
      commitWithinMs: this.d.commitWithinMs,
    });
    if (v.kind === 'wait') return;
    this.#done = true;
    this.stop();
    const { store, log } = this.d;
    const s = store.state();
    if (!s?.pending || s.pending.version !== this.d.running) return;
    if (v.kind === 'commit') {
      store.writeState(committedState(s));
      store.switchLink('committed', this.d.running);
      if (s.pending.dbBackup) rmSync(s.pending.dbBackup, { force: true });
      const removed = store.prune();
      log.info('release committed', { version: this.d.running, from: s.pending.from, removed });
      this.d.onCommitted?.(this.d.running, s.pending.from);
      return;
    }
    store.writeState(beginRollback(s, v.reason, this.d.clock.now()));
    log.error('release did not prove itself; rolling back', { version: this.d.running, reason: v.reason });
    this.d.restart.restart(`roll back release ${this.d.running}: ${v.reason}`);
  }
}
