/**
 * The A/B release state of a screen and the pure decisions over it.
 *
 * On disk (see release-store.ts): `<root>/releases/<version>/` per unpacked release, the `current`
 * link the systemd unit follows, `previous` and `committed` links, and `state.json` (this schema,
 * written atomically). A release switched to is **pending** until it proves itself (an item on air
 * and the server link up within `commitWithinMs` of its start); then it is **committed**. Otherwise
 * (or after `maxStarts` starts, or once `pendingDeadlineMs` since the switch has passed) the device
 * switches back by itself.
 *
 * Every step writes one thing atomically, and `decideAtStart` reads what is there, so a power cut
 * between any two steps leads, at the next start, to a release that plays:
 *
 * - switch: state gets `pending` (from = the committed release) → `current` is renamed to the new one.
 *   Cut before the rename: `current` still names `from` → the pending entry is dropped ('abandon').
 * - start of a pending release: its start is counted in state (the count survives the cut).
 * - commit: one state write (pending → committed).
 * - rollback: state gets `rollingBack` (the reason) → the database backup is copied back → `current`
 *   is renamed to `from` → state gets committed = from and `lastRollback`. A cut anywhere repeats
 *   the rollback from its start: each step is idempotent.
 */
import { z } from 'zod';
import { ReleaseVersion } from '../../protocol/release.js';

const EpochMs = z.number().int().nonnegative();

export const ReleaseState = z
  .object({
    schema: z.literal(1),
    /** The release that last proved itself (or was installed by hand). */
    committed: ReleaseVersion,
    pending: z
      .object({
        version: ReleaseVersion,
        /** The committed release switched away from: where a rollback goes. */
        from: ReleaseVersion,
        switchedAtMs: EpochMs,
        /** Starts of the pending release counted so far. */
        starts: z.number().int().nonnegative(),
        /** systemd's INVOCATION_ID of the last counted start (ExecStartPre and the daemon count once). */
        lastStartId: z.string().max(64).nullable(),
        /** The database backup taken before the first start, restored by a rollback. */
        dbBackup: z.string().max(4096).nullable(),
        /** Set once a rollback has begun; a cut makes the next start finish it. */
        rollingBack: z.object({ reason: z.string().max(500), at: EpochMs }).nullable(),
      })
      .strict()
      .nullable(),
    lastRollback: z
      .object({ version: ReleaseVersion, reason: z.string().max(500), at: EpochMs })
      .strict()
      .nullable(),
    /** How the last update ended: committed (or none yet), or rolled back (`lastRollback` says why). */
    outcome: z.enum(['committed', 'rolled-back']),
    /** False until the daemon has put `lastRollback` in its outbox as an event. */
    rollbackReported: z.boolean(),
  })
  .strict();
export type ReleaseState = z.infer<typeof ReleaseState>;
export type PendingRelease = NonNullable<ReleaseState['pending']>;

/** What the start-up check finds on disk. */
export interface DiskFacts {
  /** The parsed state file; 'missing' before the first managed install, 'corrupt' if unreadable. */
  state: ReleaseState | 'missing' | 'corrupt';
  /** The version `current` names when it points at an unpacked release; null otherwise. */
  current: string | null;
  /** Versions unpacked under `releases/`. */
  installed: readonly string[];
}

export interface ReleasePolicy {
  /** Starts a pending release may use to prove itself (counting the first). */
  maxStarts: number;
  /** A pending release not committed this long after the switch is rolled back at the next start. */
  pendingDeadlineMs: number;
}

export type StartAction =
  /** Run what `current` names; nothing to write. */
  | { kind: 'run' }
  /** Not an A/B layout (no state, no `current`): run as installed by hand, nothing managed. */
  | { kind: 'unmanaged' }
  /** No state yet but `current` names a release: record it as committed, then run. */
  | { kind: 'adopt'; version: string }
  /** A pending release starts again: record the start (count, start id), then run it. */
  | { kind: 'count-start'; starts: number; startId: string | null }
  /** Go back to `to`: restore the database backup, switch `current`, record the reason. */
  | { kind: 'rollback'; version: string; to: string; reason: string }
  /** The switch never happened (`current` still names `from`): drop the pending entry. */
  | { kind: 'abandon'; version: string }
  /** `current` is missing or names something other than the committed release: point it back. */
  | { kind: 'repair'; to: string }
  /** Nothing safe to switch to; run what is there and say why. */
  | { kind: 'stuck'; reason: string };

/**
 * What to do at start, given the disk and the wall clock (pure). `startId` is systemd's
 * INVOCATION_ID, so the check run by ExecStartPre and again by the daemon counts one start.
 */
export function decideAtStart(
  disk: DiskFacts,
  nowMs: number,
  policy: ReleasePolicy,
  startId: string | null,
): StartAction {
  const { state, current, installed } = disk;
  const has = (v: string) => installed.includes(v);
  if (state === 'missing' || state === 'corrupt') {
    if (current !== null) return { kind: 'adopt', version: current };
    return state === 'missing'
      ? { kind: 'unmanaged' }
      : { kind: 'stuck', reason: 'release state unreadable and no current release' };
  }
  const p = state.pending;
  if (p) {
    const back = has(p.from) ? p.from : has(state.committed) ? state.committed : null;
    const rollback = (reason: string): StartAction =>
      back
        ? { kind: 'rollback', version: p.version, to: back, reason }
        : { kind: 'stuck', reason: `cannot roll back ${p.version} (${reason}): release ${p.from} is gone` };
    if (p.rollingBack) return rollback(p.rollingBack.reason);
    if (current === p.from && current !== p.version) return { kind: 'abandon', version: p.version };
    if (current !== p.version)
      return rollback(`the current link names ${current ?? 'nothing'} instead of ${p.version}`);
    if (startId !== null && startId === p.lastStartId) return { kind: 'run' };
    if (p.starts >= policy.maxStarts)
      return rollback(`did not prove itself in ${p.starts} start${p.starts === 1 ? '' : 's'}`);
    // No RTC: a clock behind the switch time counts as no time passed (the start count still bounds it).
    const elapsed = Math.max(0, nowMs - p.switchedAtMs);
    if (elapsed >= policy.pendingDeadlineMs)
      return rollback(`not committed within ${Math.round(policy.pendingDeadlineMs / 1000)} s of the switch`);
    return { kind: 'count-start', starts: p.starts + 1, startId };
  }
  if (current === state.committed) return { kind: 'run' };
  if (has(state.committed)) return { kind: 'repair', to: state.committed };
  if (current !== null) return { kind: 'adopt', version: current };
  return { kind: 'stuck', reason: `committed release ${state.committed} is gone and no current release` };
}

/** The state after `action` (pure); the store writes it. Actions that write nothing return `state`. */
export function stateAfter(
  state: ReleaseState | null,
  action: StartAction,
  nowMs: number,
): ReleaseState | null {
  switch (action.kind) {
    case 'adopt':
      return {
        schema: 1,
        committed: action.version,
        pending: null,
        lastRollback: state?.lastRollback ?? null,
        outcome: state?.outcome ?? 'committed',
        rollbackReported: state?.rollbackReported ?? true,
      };
    case 'count-start':
      if (!state?.pending) return state;
      return {
        ...state,
        pending: { ...state.pending, starts: action.starts, lastStartId: action.startId },
      };
    case 'abandon':
      return state ? { ...state, pending: null } : state;
    case 'rollback':
      return {
        schema: 1,
        committed: action.to,
        pending: null,
        lastRollback: { version: action.version, reason: action.reason, at: nowMs },
        outcome: 'rolled-back',
        rollbackReported: false,
      };
    default:
      return state;
  }
}

/** Marks a rollback begun (the first, atomic step of every rollback). */
export function beginRollback(state: ReleaseState, reason: string, nowMs: number): ReleaseState {
  if (!state.pending) return state;
  if (state.pending.rollingBack) return state;
  return { ...state, pending: { ...state.pending, rollingBack: { reason, at: nowMs } } };
}

/** The state a switch writes before renaming `current` (pure). */
export function pendingSwitch(
  state: ReleaseState,
  version: string,
  nowMs: number,
  dbBackup: string | null,
): ReleaseState {
  return {
    ...state,
    pending: {
      version,
      from: state.committed,
      switchedAtMs: nowMs,
      starts: 0,
      lastStartId: null,
      dbBackup,
      rollingBack: null,
    },
  };
}

/** The state after the pending release proved itself. */
export function committedState(state: ReleaseState): ReleaseState {
  if (!state.pending || state.pending.rollingBack) return state;
  return { ...state, committed: state.pending.version, pending: null, outcome: 'committed' };
}

export interface ProofFacts {
  /** An item went on air since this start. */
  onAir: boolean;
  /** The server link came up since this start. */
  linkUp: boolean;
  /** Monotonic ms since this start. */
  sinceStartMs: number;
  commitWithinMs: number;
}

/** Whether a pending release, running, has proved itself (pure). */
export function proofVerdict(
  f: ProofFacts,
): { kind: 'commit' } | { kind: 'wait' } | { kind: 'rollback'; reason: string } {
  if (f.onAir && f.linkUp) return { kind: 'commit' };
  if (f.sinceStartMs < f.commitWithinMs) return { kind: 'wait' };
  const missing = [!f.onAir ? 'no content on air' : null, !f.linkUp ? 'no server link' : null].filter(
    Boolean,
  );
  return {
    kind: 'rollback',
    reason: `${missing.join(' and ')} within ${Math.round(f.commitWithinMs / 1000)} s of its start`,
  };
}

/** The health report's `release` (pure). */
export function releaseHealth(
  state: ReleaseState | null,
  running: string,
  staging: string | null,
): {
  running: string;
  state: 'committed' | 'pending' | 'rolled-back';
  staging: string | null;
  lastRollback: { version: string; reason: string; at: number } | null;
} {
  const lastRollback = state?.lastRollback ?? null;
  const s = state?.pending?.version === running ? 'pending' : (state?.outcome ?? 'committed');
  return { running, state: s, staging, lastRollback };
}
