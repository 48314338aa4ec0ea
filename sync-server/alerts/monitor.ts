/**
 * Runs the alert rules on a timer: reads the current input from the registry (through
 * `AlertInputSource`), applies the lifecycle reducer, hands the changes to `onChange` (store them,
 * push them to the dashboard) and queues them for the webhook. The rules and the reducer stay
 * pure; this class holds the only state (the active alerts) and the timer.
 */
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import { acknowledgeAlert, type AlertStep, reduceAlerts, resolveDeviceAlerts } from './lifecycle.js';
import { evaluateAlerts } from './rules.js';
import type { AlertEvent, AlertInput, AlertRecord, AlertResolveReason, AlertThresholds } from './types.js';
import type { WebhookSender } from './webhook.js';

/** The registry adapter: everything the rules read, as of `now`. */
export interface AlertInputSource {
  read(now: number): AlertInput;
}

export interface AlertMonitorOptions {
  source: AlertInputSource;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
  thresholds?: Partial<AlertThresholds>;
  /** Active alerts from storage, so a restart neither re-raises nor forgets them. */
  initial?: readonly AlertRecord[];
  /** Called after each evaluation or acknowledgement that changed something. */
  onChange?: (step: AlertStep) => void;
  /** Receives every event, in order; failures are logged, never thrown. */
  webhook?: Pick<WebhookSender, 'send'>;
}

export class AlertMonitor {
  private alerts: AlertRecord[];
  private timer: ReturnType<typeof setInterval> | undefined;
  private delivery: Promise<void> = Promise.resolve();

  constructor(private readonly options: AlertMonitorOptions) {
    this.alerts = [...(options.initial ?? [])];
  }

  get active(): readonly AlertRecord[] {
    return this.alerts;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.evaluate();
      } catch (err) {
        this.options.logger.error('alert evaluation failed', { err });
      }
    }, this.options.intervalMs ?? 30_000);
  }

  /** Stops the timer and waits for queued webhook deliveries to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.delivery;
  }

  /** Evaluates once, now. */
  evaluate(): AlertStep {
    const now = this.options.clock.now();
    const held = evaluateAlerts(this.options.source.read(now), this.options.thresholds);
    return this.apply(reduceAlerts(this.alerts, held, now));
  }

  /** An operator acknowledges an active alert (throws AlertNotFoundError for an unknown key). */
  acknowledge(key: string, user: string): AlertStep {
    return this.apply(acknowledgeAlert(this.alerts, key, user, this.options.clock.now()));
  }

  /** A device left the fleet: its active alerts resolve now, with the reason, for the feed and the webhook. */
  resolveDevice(deviceId: string, reason: AlertResolveReason): AlertStep {
    return this.apply(resolveDeviceAlerts(this.alerts, deviceId, reason, this.options.clock.now()));
  }

  /** Resolves when every event queued so far has been delivered or given up on. */
  flush(): Promise<void> {
    return this.delivery;
  }

  private apply(step: AlertStep): AlertStep {
    this.alerts = step.active;
    if (step.events.length === 0) return step;
    this.options.onChange?.(step);
    const webhook = this.options.webhook;
    if (webhook) this.delivery = this.delivery.then(() => this.deliver(webhook, step.events));
    return step;
  }

  private async deliver(webhook: Pick<WebhookSender, 'send'>, events: AlertEvent[]): Promise<void> {
    try {
      await webhook.send(events);
    } catch (err) {
      this.options.logger.error('alert webhook gave up', {
        err,
        events: events.map((e) => `${e.type}:${e.alert.key}`),
      });
    }
  }
}
