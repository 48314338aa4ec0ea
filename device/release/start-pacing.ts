/**
 * How long a start of the daemon waits before it runs (pure), so that a crash loop is backed off
 * while a planned restart (a release switch, a rollback) or a stop by hand starts again at once.
 *
 * systemd waits the unit's `RestartSec=` after every exit alike: a planned exit 75 waited as long as
 * a crash. The A/B unit therefore restarts after `RestartSec=100ms`, and the start-up check (the
 * unit's ExecStartPre, or the daemon's own when that did not run) paces the start from this record,
 * `<release root>/starts.json`:
 *
 * - the daemon writes `ended` when it leaves on purpose: exit 75 into another release, or a stop
 *   (SIGTERM, SIGINT). A crash, an uncaught error, a watchdog kill leave no such mark;
 * - a start right after an exit without that mark, of the same release, in the same boot, within
 *   `quietMs` of the start before it, is a quick restart: the n-th in a row waits
 *   `backoffDelayMs(n - 1)` (2 s, 4 s, 8 s … 30 s);
 * - the first start of a boot, of another release than last time, after a run of `quietMs` or
 *   more, or after an exit on purpose does not wait;
 * - the same start (systemd's INVOCATION_ID) is paced once: ExecStartPre's check and the daemon's.
 *
 * Times are CLOCK_BOOTTIME (/proc/uptime) within one boot id: a Pi has no RTC and its wall clock may
 * jump at the first time sync; the boot time only moves forward.
 *
 * The longest wait (30 s) and a start must fit the unit's TimeoutStartSec (120 s), since
 * ExecStartPre's wait counts against it.
 */
import { z } from 'zod';
import { type BackoffPolicy, backoffDelayMs } from '../../protocol/backoff.js';
import { ReleaseVersion } from '../../protocol/release.js';
import type { BootNow } from '../../platform/boot-time.js';

const Ms = z.number().int().nonnegative();

export const StartRecord = z
  .object({
    schema: z.literal(1),
    /** /proc/sys/kernel/random/boot_id of the boot the last start was in. */
    bootId: z.string().max(64),
    /** systemd's INVOCATION_ID of the last paced start. */
    startId: z.string().max(64),
    /** The release that start ran (what `current` named). */
    version: ReleaseVersion,
    /** CLOCK_BOOTTIME of that start, after its wait. */
    startedAtMs: Ms,
    /** Quick restarts in a row up to and including that start (0: it was not one). */
    quickRestarts: z.number().int().nonnegative(),
    /** Set by the daemon when the run of that start ended on purpose; null while it runs, or after a crash. */
    ended: z
      .object({
        how: z.enum(['restart', 'stop']),
        reason: z.string().max(500),
        atMs: Ms,
      })
      .strict()
      .nullable(),
  })
  .strict();
export type StartRecord = z.infer<typeof StartRecord>;

export interface PacingPolicy {
  /** The wait of the first quick restart, doubling with each further one up to `maxMs`. */
  backoff: BackoffPolicy;
  /** Starts this far apart (or more) are not a crash loop. */
  quietMs: number;
}

export const DEFAULT_PACING: PacingPolicy = {
  backoff: { baseMs: 2_000, maxMs: 30_000 },
  quietMs: 5 * 60_000,
};

export interface StartNow extends BootNow {
  /** systemd's INVOCATION_ID of this start. */
  startId: string;
  /** The release about to run (what `current` names after the release check). */
  version: string;
}

export interface PacingDecision {
  delayMs: number;
  /** Why it waits or not, for the journal. */
  reason: string;
  /** The record to write before waiting; null when this start was already paced. */
  record: StartRecord | null;
}

/** How long this start waits and what it records (pure). */
export function paceStart(
  last: StartRecord | null,
  now: StartNow,
  policy: PacingPolicy = DEFAULT_PACING,
): PacingDecision {
  if (last && last.startId === now.startId && last.bootId === now.bootId)
    return { delayMs: 0, reason: 'this start was already paced', record: null };
  const fresh = (reason: string): PacingDecision => ({
    delayMs: 0,
    reason,
    record: {
      schema: 1,
      bootId: now.bootId,
      startId: now.startId,
      version: now.version,
      startedAtMs: now.uptimeMs,
      quickRestarts: 0,
      ended: null,
    },
  });
  if (!last) return fresh('first start on record');
  if (last.bootId !== now.bootId) return fresh('first start of this boot');
  if (last.version !== now.version) return fresh(`another release than last start (${last.version})`);
  if (last.ended) return fresh(`the last run ended on purpose (${last.ended.how}: ${last.ended.reason})`);
  const since = now.uptimeMs - last.startedAtMs;
  if (since >= policy.quietMs) return fresh(`the last start was ${Math.round(since / 1000)} s ago`);
  const quickRestarts = last.quickRestarts + 1;
  const delayMs = backoffDelayMs(quickRestarts - 1, policy.backoff);
  return {
    delayMs,
    reason:
      `quick restart ${quickRestarts} in a row: the last run of ${now.version} ended without stopping ` +
      `on purpose ${Math.round(since / 1000)} s after it started`,
    record: {
      schema: 1,
      bootId: now.bootId,
      startId: now.startId,
      version: now.version,
      startedAtMs: now.uptimeMs + delayMs,
      quickRestarts,
      ended: null,
    },
  };
}

/**
 * The record after the run of start `startId` ended on purpose (pure); null when the record is of
 * another start (or boot), which this run must not speak for.
 */
export function endedOnPurpose(
  last: StartRecord | null,
  startId: string,
  how: 'restart' | 'stop',
  reason: string,
  bootId: string,
  uptimeMs: number,
): StartRecord | null {
  if (!last || last.startId !== startId || last.bootId !== bootId) return null;
  return { ...last, ended: { how, reason: reason.slice(0, 500), atMs: uptimeMs } };
}
