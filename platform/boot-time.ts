/**
 * This boot's id and CLOCK_BOOTTIME, read from the kernel (Linux): a time that only moves forward
 * within one boot, whatever the wall clock does (a Pi has no RTC; its clock jumps at the first sync).
 */
import { readFileSync } from 'node:fs';
import { coded } from '../protocol/errors.js';

export interface BootNow {
  /** /proc/sys/kernel/random/boot_id: new at every boot. */
  bootId: string;
  /** Milliseconds since this boot (CLOCK_BOOTTIME, suspend included), from /proc/uptime. */
  uptimeMs: number;
}

export class BootTimeError extends coded('BOOT_TIME_UNREADABLE') {}

/** Reads the boot id and the time since boot; throws BootTimeError where /proc does not have them. */
export function readBootNow(): BootNow {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    if (!bootId || !Number.isFinite(up) || up < 0) throw new Error('unexpected contents');
    return { bootId, uptimeMs: Math.round(up * 1000) };
  } catch (err) {
    throw new BootTimeError(`cannot read the boot id and uptime from /proc: ${(err as Error).message}`);
  }
}
