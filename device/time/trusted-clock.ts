/**
 * The time the device schedules by, on a board with no real-time clock and often no NTP.
 *
 * Sources, best first:
 * - 'ntp': the system clock, once NTP has synced it in this boot (timedatectl, or timesyncd's flag file);
 * - 'server': the sync server's time from the last connect, carried forward on the monotonic clock
 *   (immune to later jumps of the system clock);
 * - 'last-known-good': the time stored on disk plus the monotonic time elapsed since start; the
 *   system clock is used when it is later (it may have been advanced at boot by timesyncd or
 *   fake-hwclock) by at most `maxUnverifiedAheadMs`, never when it is earlier — the device never
 *   schedules before a time it has known;
 * - 'unverified': the system clock is ahead of that floor by more than `maxUnverifiedAheadMs` with
 *   nothing to back it (no NTP sync, no server time): a bad RTC, GPS or hand-set clock. The time is
 *   the floor (stored time + elapsed), the best evidence there is, and records say 'unverified' rather
 *   than passing the floor or the system clock off as last-known-good;
 * - 'unknown': none of the above. The time then follows the monotonic clock from the system clock's
 *   value at start, and the player plays the default playlist (source 'time-unknown').
 *
 * The last-known-good time is written at most every `persistIntervalMs` (SD cards wear), and only
 * from a trusted source or as stored value + elapsed: an unverified system clock never raises it.
 */
import type { Clock } from '../../protocol/clock.js';
import { coded } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { LastKnownGood, LastKnownGoodStore } from './last-known-good.js';
import type { NtpSync } from './ntp-sync.js';

export class TimeError extends coded('TIME_INVALID') {}
export const isTimeError = (e: unknown): e is TimeError => e instanceof TimeError;

export type TimeStatus = 'ntp' | 'server' | 'last-known-good' | 'unverified' | 'unknown';

/** A server time earlier than this is refused as nonsense. */
export const MIN_PLAUSIBLE_MS = Date.parse('2025-01-01T00:00:00Z');
/** A server time measured over a longer round trip is too vague to use. */
export const MAX_SERVER_RTT_MS = 30_000;
export const PERSIST_INTERVAL_MS = 5 * 60_000;
/**
 * How far the system clock may run ahead of the last-known-good floor, unbacked, and still be used.
 * Without an RTC the clock only ever starts at or behind the floor (fake-hwclock, timesyncd's saved
 * clock), so an unbacked clock far ahead comes from an RTC or GPS. An hour keeps a small drift, and
 * stays below the 7 hours of an RTC kept in Vietnam's local time and read as UTC. An RTC that is
 * right after a longer power cut is also set aside until NTP or the server confirms it: the screen
 * then runs from the floor, as a board without an RTC would.
 */
export const MAX_UNVERIFIED_AHEAD_MS = 3_600_000;
const NTP_RECHECK_MS = 10_000;

/** "now" together with how far it is trusted. */
export interface ClockReading {
  ms: number;
  status: TimeStatus;
}

/** For health reports. */
export interface TimeHealth extends ClockReading {
  ntpSynchronized: boolean;
  /** The value stored on disk (as read at start or last written). */
  lastKnownGoodMs?: number;
  /** Half the round trip of the server time in use, when the source is the server. */
  serverUncertaintyMs?: number;
  /** System clock minus `ms`: how wrong the system clock is believed to be. */
  systemSkewMs: number;
  /** When the clock entered 'unknown' (on its own time line), if it is unknown. */
  unknownSinceMs?: number;
}

export interface TrustedClockDeps {
  /** The system wall clock. */
  system: Clock;
  /** A clock that never goes backwards (e.g. performance.now), any origin. */
  monotonic: Clock;
  store: LastKnownGoodStore;
  ntp: NtpSync;
  log?: Logger;
  persistIntervalMs?: number;
  /** How often to look at the NTP flag again (a stat on the device). */
  ntpRecheckMs?: number;
  /** See MAX_UNVERIFIED_AHEAD_MS (config `time.maxUnverifiedAheadMs`). */
  maxUnverifiedAheadMs?: number;
}

export class TrustedClock implements Clock {
  private lkg: { ms: number; atMono: number } | undefined;
  private server: { offsetMs: number; uncertaintyMs: number } | undefined;
  private unknownBase: { ms: number; atMono: number } | undefined;
  private lastWriteAtMono: number | undefined;
  private storedMs: number | undefined;
  private ntpCache: { synced: boolean; atMono: number } | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastStatus: TimeStatus | undefined;

  constructor(private readonly deps: TrustedClockDeps) {}

  /** Reads the stored time and starts the periodic write. */
  start(): void {
    if (this.timer) return;
    const stored = this.deps.store.read();
    const atMono = this.deps.monotonic.now();
    if (stored) {
      this.lkg = { ms: stored.ms, atMono };
      this.storedMs = stored.ms;
    }
    this.unknownBase = { ms: this.deps.system.now(), atMono };
    const interval = this.deps.persistIntervalMs ?? PERSIST_INTERVAL_MS;
    this.timer = setInterval(() => this.persistIfDue(), interval);
    this.timer.unref?.();
    const r = this.read();
    this.deps.log?.info('clock started', { status: r.status, lastKnownGoodMs: this.storedMs });
  }

  /** Stops the periodic write and stores the time a last time (if it is known). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.persist();
  }

  now(): number {
    return this.read().ms;
  }

  status(): TimeStatus {
    return this.read().status;
  }

  /** The time and its status, read together so they agree. */
  read(): ClockReading {
    const mono = this.deps.monotonic.now();
    const sys = this.deps.system.now();
    let reading: ClockReading;
    // The monotonic clock has sub-millisecond precision; readings are whole epoch milliseconds.
    if (this.ntpSynchronized(mono)) reading = { ms: sys, status: 'ntp' };
    else if (this.server) reading = { ms: mono + this.server.offsetMs, status: 'server' };
    else if (this.lkg) {
      const floor = this.lkg.ms + (mono - this.lkg.atMono);
      reading =
        sys - floor > (this.deps.maxUnverifiedAheadMs ?? MAX_UNVERIFIED_AHEAD_MS)
          ? { ms: floor, status: 'unverified' }
          : { ms: Math.max(sys, floor), status: 'last-known-good' };
    } else {
      const base = this.unknownBase ?? { ms: sys, atMono: mono };
      reading = { ms: base.ms + (mono - base.atMono), status: 'unknown' };
    }
    reading.ms = Math.floor(reading.ms);
    if (reading.status !== this.lastStatus) {
      if (this.lastStatus !== undefined)
        this.deps.log?.info('clock source changed', {
          from: this.lastStatus,
          to: reading.status,
          ms: reading.ms,
        });
      if (reading.status === 'unverified')
        this.deps.log?.warn(
          'system clock is far ahead of the last-known-good time with no NTP or server time to back it; ' +
            'scheduling from the last-known-good time until the link or NTP confirms the time',
          { systemMs: sys, ms: reading.ms, aheadMs: sys - reading.ms },
        );
      this.lastStatus = reading.status;
    }
    return reading;
  }

  /**
   * Takes the server's time: `serverMs` as the server stamped it and the round trip it took. Carried
   * forward on the monotonic clock from now on. Throws TimeError for values that cannot be a time.
   */
  acceptServerTime(serverMs: number, rttMs: number): void {
    if (!Number.isFinite(serverMs) || serverMs < MIN_PLAUSIBLE_MS)
      throw new TimeError(`server time ${serverMs} is not a plausible epoch ms`);
    if (!Number.isFinite(rttMs) || rttMs < 0 || rttMs > MAX_SERVER_RTT_MS)
      throw new TimeError(`round trip ${rttMs} ms must be between 0 and ${MAX_SERVER_RTT_MS} ms`);
    const mono = this.deps.monotonic.now();
    const offsetMs = serverMs + rttMs / 2 - mono;
    if (this.lkg && offsetMs + mono < this.lkg.ms + (mono - this.lkg.atMono) - 60_000)
      this.deps.log?.warn('server time is before the last-known-good time; trusting the server', {
        serverMs,
        lastKnownGoodMs: this.lkg.ms,
      });
    this.server = { offsetMs, uncertaintyMs: rttMs / 2 };
    this.persistIfDue();
  }

  /** Drops the server time (e.g. the server's certificate turned out bad). */
  forgetServerTime(): void {
    this.server = undefined;
  }

  health(): TimeHealth {
    const mono = this.deps.monotonic.now();
    const r = this.read();
    const h: TimeHealth = {
      ...r,
      ntpSynchronized: this.ntpSynchronized(mono),
      systemSkewMs: this.deps.system.now() - r.ms,
    };
    if (this.storedMs !== undefined) h.lastKnownGoodMs = this.storedMs;
    if (r.status === 'server' && this.server) h.serverUncertaintyMs = this.server.uncertaintyMs;
    if (r.status === 'unknown' && this.unknownBase) h.unknownSinceMs = this.unknownBase.ms;
    return h;
  }

  /**
   * When the time is unknown, the instant (on this clock's time line) the default playlist started
   * cycling from: pass it to the schedule engine as `timeUnknownSince`. Undefined when time is known.
   */
  unknownSince(): number | undefined {
    return this.read().status === 'unknown' ? this.unknownBase?.ms : undefined;
  }

  /** Writes the time if the last write is older than the persist interval (or there was none). */
  persistIfDue(): boolean {
    const interval = this.deps.persistIntervalMs ?? PERSIST_INTERVAL_MS;
    const mono = this.deps.monotonic.now();
    if (this.lastWriteAtMono !== undefined && mono - this.lastWriteAtMono < interval) return false;
    return this.persist();
  }

  private persist(): boolean {
    const value = this.trustedValue();
    if (!value) return false;
    try {
      this.deps.store.write(value);
    } catch (err) {
      // The clock keeps working from memory; the next attempt may succeed (e.g. after a full disk).
      this.deps.log?.warn('cannot store the last-known-good time', { err });
      return false;
    }
    const mono = this.deps.monotonic.now();
    this.lastWriteAtMono = mono;
    this.storedMs = value.ms;
    // A trusted time becomes the floor should the better sources go away.
    this.lkg = { ms: value.ms, atMono: mono };
    return true;
  }

  /** What may be stored: never an unverified system clock. */
  private trustedValue(): LastKnownGood | undefined {
    const mono = this.deps.monotonic.now();
    const r = this.read();
    if (r.status === 'ntp' || r.status === 'server') return { v: 1, ms: Math.floor(r.ms), source: r.status };
    if ((r.status === 'last-known-good' || r.status === 'unverified') && this.lkg) {
      const ms = Math.floor(this.lkg.ms + (mono - this.lkg.atMono));
      return ms > (this.storedMs ?? 0) ? { v: 1, ms, source: 'last-known-good' } : undefined;
    }
    return undefined;
  }

  private ntpSynchronized(mono: number): boolean {
    if (!this.ntpCache || mono - this.ntpCache.atMono >= (this.deps.ntpRecheckMs ?? NTP_RECHECK_MS)) {
      this.ntpCache = { synced: this.deps.ntp.isSynchronized(), atMono: mono };
    }
    return this.ntpCache.synced;
  }
}

/** The monotonic clock of this process, in ms. */
export const processMonotonic: Clock = { now: () => performance.now() };
