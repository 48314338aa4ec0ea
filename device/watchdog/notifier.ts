import type { Run } from '../display/display-power.js';

/** Sends sd_notify(3) state lines ("READY=1", "WATCHDOG=1", "STATUS=…") to the service manager. */
export interface Notifier {
  notify(lines: readonly string[]): Promise<void>;
}

/** What systemd told us through the environment; `watchdogSettings` reads it, main.ts passes process.env. */
export interface WatchdogSettings {
  /** NOTIFY_SOCKET is set: we run under systemd with Type=notify. */
  isSupervised: boolean;
  /** Ping interval: WATCHDOG_USEC / 2, or undefined when the watchdog is off or meant for another PID. */
  pingIntervalMs: number | undefined;
}

/**
 * Pings every WATCHDOG_USEC/2, and only when WATCHDOG_PID is unset or equals our PID
 * (systemd's sd_watchdog_enabled; docs/field-notes.md §5 [V]).
 */
export function watchdogSettings(env: Record<string, string | undefined>, pid: number): WatchdogSettings {
  const isSupervised = !!env['NOTIFY_SOCKET'];
  const usec = Number(env['WATCHDOG_USEC']);
  const forPid = env['WATCHDOG_PID'];
  const mine = forPid === undefined || forPid === '' || Number(forPid) === pid;
  const pingIntervalMs =
    isSupervised && Number.isFinite(usec) && usec > 0 && mine
      ? Math.max(1, Math.floor(usec / 2000))
      : undefined;
  return { isSupervised, pingIntervalMs };
}

/**
 * sd_notify through the `systemd-notify` binary. Node has no AF_UNIX datagram sockets
 * (nodejs/node#30059), and the npm options are all native: `sd-notify` (needs libsystemd-dev and a
 * compiler on every box), `systemd-daemon` (silently sends nothing without the native `unix-dgram`),
 * `unix-dgram` (native; needed a fix for newer Node). systemd-notify ships with systemd itself, so
 * nothing is built on the Pi; the cost is one short process per ping (every WatchdogSec/2).
 * Because the sender is a child, the unit needs NotifyAccess=all (systemd.service(5)), and since
 * v246 systemd-notify waits with sd_notify_barrier so a short-lived sender is still attributed
 * (docs/field-notes.md §5 [V]). `--pid=` names us as the main PID explicitly (MAINPID=, unchanged value).
 * Not exercised against a real systemd watchdog on a Pi [U].
 */
export class SystemdNotifyCli implements Notifier {
  constructor(
    private readonly run: Run,
    private readonly pid: number,
  ) {}

  async notify(lines: readonly string[]): Promise<void> {
    const r = await this.run('systemd-notify', [`--pid=${this.pid}`, ...lines]);
    if (r.code !== 0) throw new Error(`systemd-notify exited ${r.code}: ${r.stderr.trim()}`);
  }
}

/** In-memory twin: records what was sent. */
export class MemoryNotifier implements Notifier {
  readonly sent: string[][] = [];
  async notify(lines: readonly string[]): Promise<void> {
    this.sent.push([...lines]);
  }
}
