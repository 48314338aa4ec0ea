/**
 * The alert monitor as the sync server runs it: input from the registry, hub and TUF repository
 * (RegistryAlertSource), active alerts and acknowledgements persisted in the registry, events to the
 * configured webhook. `start` loads the stored alerts and starts the timer; `stop` cancels webhook
 * retries still waiting and stops the timer.
 */
import { setTimeout as wait } from 'node:timers/promises';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { ServerConfig } from '../config/config.js';
import type { Registry } from '../registry/registry.js';
import type { TufRepository } from '../tuf/repository.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import type { AlertStep } from './lifecycle.js';
import { alertStateOf } from './alert-state-store.js';
import { AlertMonitor } from './monitor.js';
import { RegistryAlertSource } from './registry-source.js';
import { FAULT_EVENT_KINDS, type HaltedRollout } from './types.js';
import { loadActiveAlerts, saveActiveAlerts, saveAlertEvents } from './store.js';
import { type FetchLike, WebhookSender } from './webhook.js';

export interface AlertServiceOptions {
  config: ServerConfig['alerts'];
  registry: Registry;
  hub: Pick<DeviceHub, 'isOnline' | 'lastSeenMs'>;
  tuf?: { repo: TufRepository; repoDir: string } | undefined;
  clock: Clock;
  logger: Logger;
  /** Called after the change is stored (refresh the fleet view). */
  onChange?: (step: AlertStep) => void;
  /** The webhook's fetch (default: global fetch). */
  fetch?: FetchLike;
  /** Release rollouts halted now (releases/service.ts); without it none are judged. */
  haltedRollouts?: () => HaltedRollout[];
}

export class AlertService {
  private monitorInstance?: AlertMonitor;
  private sourceInstance?: RegistryAlertSource;
  private readonly stopping = new AbortController();
  private evaluationQueued = false;

  constructor(private readonly o: AlertServiceOptions) {}

  get monitor(): AlertMonitor {
    if (!this.monitorInstance) throw new Error('alert service not started');
    return this.monitorInstance;
  }

  get source(): RegistryAlertSource {
    if (!this.sourceInstance) throw new Error('alert service not started');
    return this.sourceInstance;
  }

  /** Loads the stored alerts and the latest manifests, then evaluates every `evaluateIntervalMs`. */
  async start(): Promise<void> {
    const { config, registry, clock, logger } = this.o;
    const thresholds = config.thresholds;
    this.sourceInstance = new RegistryAlertSource({
      registry,
      hub: this.o.hub,
      tuf: this.o.tuf,
      logger,
      ...(this.o.haltedRollouts ? { haltedRollouts: this.o.haltedRollouts } : {}),
      ...(thresholds.playbackErrorWindowMs
        ? { playbackErrorWindowMs: thresholds.playbackErrorWindowMs }
        : {}),
      ...(thresholds.fileUnusableWindowMs ? { fileUnusableWindowMs: thresholds.fileUnusableWindowMs } : {}),
    });
    await this.sourceInstance.refreshManifests();
    const signal = this.stopping.signal;
    const baseFetch = this.o.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
    const webhook = config.webhook
      ? new WebhookSender(
          { url: config.webhook.url, ...(config.webhook.secret ? { secret: config.webhook.secret } : {}) },
          {
            // Stopping the server cuts a delivery short instead of waiting out its retries.
            fetch: (url, init) =>
              baseFetch(url, {
                ...init,
                signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal,
              }),
            clock,
            sleep: (ms) => wait(ms, undefined, { signal }),
            logger: logger.child('webhook'),
          },
        )
      : undefined;
    const alertState = alertStateOf(registry);
    this.monitorInstance = new AlertMonitor({
      source: this.sourceInstance,
      clock,
      logger,
      intervalMs: config.evaluateIntervalMs,
      thresholds,
      initial: loadActiveAlerts(alertState, logger),
      onChange: (step) => {
        try {
          saveActiveAlerts(alertState, step.active);
        } catch (err) {
          logger.error('cannot store the active alerts', { err });
        }
        try {
          saveAlertEvents(alertState, step.events, clock.now());
        } catch (err) {
          logger.error('cannot store the alert history', { err });
        }
        this.o.onChange?.(step);
      },
      ...(webhook ? { webhook } : {}),
    });
    this.monitorInstance.start();
  }

  /**
   * A batch of device events was stored: one that raises an alert by itself (a missing trust root, a
   * full disk, an unusable file) is judged now, not at the next evaluation.
   */
  noteStoredEvents(records: readonly { payload: unknown }[]): void {
    if (!this.monitorInstance) return;
    const raises = records.some((r) =>
      FAULT_EVENT_KINDS.includes(String((r.payload as { kind?: unknown } | null)?.kind)),
    );
    if (!raises || this.evaluationQueued) return;
    // One evaluation per event-loop turn, however many such batches the turn stored.
    this.evaluationQueued = true;
    setImmediate(() => {
      this.evaluationQueued = false;
      if (this.stopping.signal.aborted) return;
      try {
        this.monitorInstance?.evaluate();
      } catch (err) {
        this.o.logger.error('alert evaluation failed', { err });
      }
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.monitorInstance?.stop();
  }
}
