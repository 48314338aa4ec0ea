/** Every `intervalMs`: read the sensors, build a report, hand it to the injected `send` (the outbox). */
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { HealthReport } from '../../protocol/messages.js';
import { type AppHealth, buildHealthReport } from './health-report.js';
import type { SystemSensors } from './sensors.js';

export interface HealthReporterOptions {
  intervalMs: number;
  appVersion: string;
  sensors: SystemSensors;
  app: () => AppHealth;
  send: (report: HealthReport) => void;
  clock: Clock;
  log: Logger;
}

export class HealthReporter {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly o: HealthReporterOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One report now; a failure is logged and the next tick tries again. */
  async tick(): Promise<HealthReport | undefined> {
    if (this.running) return undefined; // a slow read (vcgencmd) must not pile up
    this.running = true;
    try {
      const readings = await this.o.sensors.read();
      const report = buildHealthReport(this.o.clock.now(), this.o.appVersion, readings, this.o.app());
      this.o.send(report);
      return report;
    } catch (err) {
      this.o.log.warn('health report failed', { err });
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
