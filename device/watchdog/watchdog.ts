import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { Timers } from '../timers.js';
import type { Notifier, WatchdogSettings } from './notifier.js';

/** A liveness check: true when healthy. It may be async; a throw or a rejection counts as unhealthy. */
export type LivenessCheck = () => boolean | Promise<boolean>;

export interface LivenessResult {
  name: string;
  ok: boolean;
  detail?: string;
}

/**
 * The daemon's side of the systemd watchdog: WATCHDOG=1 goes out only while every registered check
 * passes, so a hung or sick daemon (player dead, store not writable, a loop stuck) stops pinging and
 * systemd restarts it after WatchdogSec.
 */
export class Watchdog {
  private readonly checks = new Map<string, LivenessCheck>();
  private timer: unknown;
  private running = false;
  private last: LivenessResult[] = [];
  private lastPingMs: number | undefined;

  constructor(
    private readonly notifier: Notifier,
    private readonly settings: WatchdogSettings,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly log: Logger,
  ) {}

  /** Registers a named check (e.g. 'player', 'store'). */
  register(name: string, check: LivenessCheck): void {
    this.checks.set(name, check);
  }

  /**
   * A heartbeat for a loop: call the returned `beat()` each time round; the check fails once no beat
   * came for `maxAgeMs` (the loop is stuck, even though the process is alive).
   */
  heartbeat(name: string, maxAgeMs: number): () => void {
    let lastMs = this.clock.now();
    this.register(name, () => this.clock.now() - lastMs <= maxAgeMs);
    return () => {
      lastMs = this.clock.now();
    };
  }

  /** Sends READY=1 (call once start-up is done) and starts pinging if systemd asked for it. */
  async start(): Promise<void> {
    this.running = true;
    if (this.settings.isSupervised) await this.send(['READY=1', 'STATUS=running']);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.settings.isSupervised) await this.send(['STOPPING=1']);
  }

  /** Runs every check once; exported for health reports and the self-test. */
  async evaluate(): Promise<LivenessResult[]> {
    const results: LivenessResult[] = [];
    for (const [name, check] of this.checks) {
      try {
        results.push({ name, ok: (await check()) === true });
      } catch (err) {
        results.push({ name, ok: false, detail: (err as Error).message });
      }
    }
    this.last = results;
    return results;
  }

  status(): { checks: LivenessResult[]; lastPingAt: string | undefined } {
    return {
      checks: this.last,
      lastPingAt: this.lastPingMs === undefined ? undefined : new Date(this.lastPingMs).toISOString(),
    };
  }

  private schedule(): void {
    const every = this.settings.pingIntervalMs;
    if (!this.running || every === undefined) return;
    this.timer = this.timers.setTimeout(() => void this.tick(), every);
  }

  private async tick(): Promise<void> {
    const results = await this.evaluate();
    const failing = results.filter((r) => !r.ok).map((r) => r.name);
    if (failing.length === 0) {
      if (await this.send(['WATCHDOG=1'])) this.lastPingMs = this.clock.now();
    } else {
      // no ping: systemd will restart us after WatchdogSec unless the loops recover first
      this.log.error('liveness check failed; withholding watchdog ping', { failing });
      await this.send([`STATUS=unhealthy: ${failing.join(', ')}`]);
    }
    this.schedule();
  }

  private async send(lines: string[]): Promise<boolean> {
    try {
      await this.notifier.notify(lines);
      return true;
    } catch (err) {
      this.log.warn('sd_notify failed', { lines, err });
      return false;
    }
  }
}
