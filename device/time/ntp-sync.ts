/**
 * Has the system clock been set by NTP in this boot? A port with the systemd-timesyncd adapter and an
 * in-memory twin.
 */
import { existsSync } from 'node:fs';

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
 * (`timedatectl show -p NTPSynchronized --value` is the documented equivalent.)
 */
export const TIMESYNC_SYNCHRONIZED_PATH = '/run/systemd/timesync/synchronized';

export class TimesyncdNtpSync implements NtpSync {
  constructor(private readonly path: string = TIMESYNC_SYNCHRONIZED_PATH) {}

  isSynchronized(): boolean {
    return existsSync(this.path);
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
