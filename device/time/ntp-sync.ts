/**
 * Has the system clock been set by NTP in this boot? A port with two adapters (the systemd-timesyncd
 * flag file, and `timedatectl`, which answers for chrony too) and an in-memory twin.
 */
import { existsSync } from 'node:fs';
import type { Run } from '../display/display-power.js';

export interface NtpSync {
  isSynchronized(): boolean;
}

/**
 * systemd-timesyncd touches this file on each successful sync (systemd-timesyncd.service(8), FILES;
 * docs/field-notes.md §6);
 * it lives on /run, so it exists only once the clock was synced in the current boot.
 * UNVERIFIED on a real Pi: that Raspberry Pi OS (Bookworm/Trixie) runs timesyncd rather than chrony
 * or ntpd, and that the file appears after the first sync over a 3G/4G link. With chrony the file
 * never appears and the device falls back to the server's time, which is safe but less precise.
 * `TimedatectlNtpSync` asks timedatectl first and falls back to this file.
 */
export const TIMESYNC_SYNCHRONIZED_PATH = '/run/systemd/timesync/synchronized';

export class TimesyncdNtpSync implements NtpSync {
  constructor(private readonly path: string = TIMESYNC_SYNCHRONIZED_PATH) {}

  isSynchronized(): boolean {
    return existsSync(this.path);
  }
}

/**
 * `timedatectl show -p NTPSynchronized --value` (systemd's view of the kernel's sync flag: "yes" or
 * "no"), which answers whichever NTP client disciplines the clock: timesyncd, chrony or ntpd
 * (docs/field-notes.md §6). The port is synchronous and the trusted clock asks it every few seconds,
 * so the command runs in the background (at most one at a time, at most every `recheckMs`) and each
 * question is answered from its last answer. Until timedatectl has answered, or when it cannot
 * (not installed, no systemd, an answer that is neither yes nor no), the timesyncd flag file answers.
 *
 * UNVERIFIED on a real Pi: that Raspberry Pi OS's timedatectl prints exactly "yes"/"no" here, how
 * long it takes over D-Bus on a loaded Pi 4 (the timeout below is generous), and that chrony's sync
 * shows up in NTPSynchronized (systemd reads the kernel flag, which chrony sets by default).
 */
export class TimedatectlNtpSync implements NtpSync {
  private answer: boolean | undefined;
  private askedAt = Number.NEGATIVE_INFINITY;
  private asking: Promise<void> | undefined;
  private readonly fallback: NtpSync;

  constructor(
    private readonly run: Run,
    private readonly o: {
      fallback?: NtpSync;
      /** Ask timedatectl again at most this often (ms on `now`'s clock). */
      recheckMs?: number;
      now?: () => number;
      command?: string;
    } = {},
  ) {
    this.fallback = o.fallback ?? new TimesyncdNtpSync();
  }

  isSynchronized(): boolean {
    void this.refresh();
    return this.answer ?? this.fallback.isSynchronized();
  }

  /** Asks timedatectl now unless it was asked within `recheckMs` (or is being asked); resolves when answered. */
  refresh(): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    if (this.asking) return this.asking;
    if (now - this.askedAt < (this.o.recheckMs ?? 10_000)) return Promise.resolve();
    this.askedAt = now;
    this.asking = this.run(this.o.command ?? 'timedatectl', ['show', '-p', 'NTPSynchronized', '--value'])
      .then(
        (r) => {
          const out = r.stdout.trim();
          this.answer = r.code === 0 && (out === 'yes' || out === 'no') ? out === 'yes' : undefined;
        },
        () => {
          this.answer = undefined; // the file answers meanwhile
        },
      )
      .finally(() => {
        this.asking = undefined;
      });
    return this.asking;
  }
}

/** The twin for tests and machines without timesyncd: synchronized when told so. */
export class MemoryNtpSync implements NtpSync {
  constructor(private synced = false) {}

  set(synced: boolean): void {
    this.synced = synced;
  }

  isSynchronized(): boolean {
    return this.synced;
  }
}
