/**
 * Everything the sync link needs on the device, assembled from the device config: the health
 * reporter feeding the outbox, and the sync client sending it. The outbox itself (over the device
 * database, with PoP as one of its streams) is opened by main.ts before anything can emit an event,
 * so what happens during start-up is stored and sent once the link is up. device/main.ts creates
 * one `DeviceSync`, calls start() and, on shutdown, stop().
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../protocol/clock.js';
import type { DeviceConfig } from '../../protocol/config.js';
import { ConfigError } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { AppHealth } from '../health/health-report.js';
import { HealthReporter } from '../health/reporter.js';
import type { SystemSensors } from '../health/sensors.js';
import { loadIdentity } from '../identity.js';
import type { Outbox } from '../outbox/outbox.js';
import { type Db, migrate } from '../store/sqlite.js';
import { SyncClient, type SyncState } from './client.js';
import { COMMAND_LEDGER_MIGRATIONS, SqliteCommandLedger } from './command-ledger.js';
import type { CommandHandlers } from './commands.js';

export interface DeviceSyncOptions {
  config: DeviceConfig;
  appVersion: string;
  db: Db;
  /** Already started (main.ts starts it first, so start-up events are kept). */
  outbox: Outbox;
  sensors: SystemSensors;
  appHealth: () => AppHealth;
  handlers: CommandHandlers;
  refreshNow: () => void | Promise<void>;
  onServerTime?: (serverMs: number, rttMs: number) => void;
  onState?: (state: SyncState) => void;
  /** Plain ws to a non-loopback host (development only). */
  allowInsecure?: boolean;
  /** Keeps the link off, saying why (an enrolled device whose key is lost cannot authenticate). */
  linkOffBecause?: string;
  clock: Clock;
  log: Logger;
}

export class DeviceSync {
  private client?: SyncClient;
  private reporter?: HealthReporter;

  constructor(private readonly o: DeviceSyncOptions) {}

  get outbox(): Outbox {
    return this.o.outbox;
  }

  get syncClient(): SyncClient | undefined {
    return this.client;
  }

  start(): void {
    const { config: c, log } = this.o;
    migrate(this.o.db, COMMAND_LEDGER_MIGRATIONS);
    this.reporter = new HealthReporter({
      intervalMs: c.health.intervalMs,
      appVersion: this.o.appVersion,
      sensors: this.o.sensors,
      app: this.o.appHealth,
      send: (r) => this.outbox.appendHealth(r),
      clock: this.o.clock,
      log: log.child('health'),
    });
    this.reporter.start();
    if (!c.server || !c.deviceId) {
      // Not enrolled: health is still recorded, and sent once the device is enrolled.
      log.warn('no server or device id in config: sync link off until enrolment');
      return;
    }
    if (this.o.linkOffBecause) {
      // Health is still recorded; it leaves once a technician has put things right.
      log.error('sync link off', { why: this.o.linkOffBecause });
      return;
    }
    let ca: Buffer | undefined;
    if (c.server.caFile) {
      try {
        ca = readFileSync(c.server.caFile);
      } catch (err) {
        throw new ConfigError(`cannot read server.caFile ${c.server.caFile}`, [], { cause: err });
      }
    }
    this.client = new SyncClient({
      serverUrl: c.server.url,
      deviceId: c.deviceId,
      identity: loadIdentity(c.dataDir),
      appVersion: this.o.appVersion,
      outbox: this.outbox,
      handlers: this.o.handlers,
      commandLedger: new SqliteCommandLedger(this.o.db),
      refreshNow: this.o.refreshNow,
      ...(this.o.onServerTime ? { onServerTime: this.o.onServerTime } : {}),
      ...(this.o.onState ? { onState: this.o.onState } : {}),
      ...(ca ? { ca } : {}),
      allowInsecure: this.o.allowInsecure ?? false,
      clock: this.o.clock,
      log: log.child('link'),
    });
    this.client.start();
  }

  /** Takes and queues a health sample now (besides the periodic ones). */
  async reportNow(): Promise<void> {
    await this.reporter?.tick();
  }

  async stop(): Promise<void> {
    this.reporter?.stop();
    await this.client?.stop();
  }
}
