/**
 * The sync server: reads its config, opens the registry, serves the REST API, enrolment and the
 * device WebSocket on one http(s) server. The only file that knows every server part.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Clock, systemClock } from '../protocol/clock.js';
import { ConfigError } from '../protocol/errors.js';
import { createLogger, type Logger } from '../protocol/log.js';
import { registerApi } from './api.js';
import { type ServerConfig, trustedRootFileOf } from './config.js';
import { type MountedTuf, mountTufRepository } from './tuf/mount.js';
import { Enrolment, FileTrustedRootProvider, type TrustedRootProvider } from './enrolment.js';
import { createHttpApp } from './http-app.js';
import { DEFAULT_RETENTION, Registry } from './registry/registry.js';
import { DeviceHub } from './ws-hub.js';

export interface SyncServerDeps {
  clock?: Clock;
  log?: Logger;
  trustedRoots?: TrustedRootProvider;
}

export class SyncServer {
  readonly registry: Registry;
  private app?: FastifyInstance;
  private hubInstance?: DeviceHub;
  private rollupTimer?: NodeJS.Timeout;
  private tufInstance?: MountedTuf;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    private readonly config: ServerConfig,
    private readonly deps: SyncServerDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? createLogger('sync-server');
    this.registry = new Registry(join(config.dataDir, 'registry.db'));
  }

  /** The served TUF repository and its drafts, when configured. */
  get tuf(): MountedTuf | undefined {
    return this.tufInstance;
  }

  get hub(): DeviceHub {
    if (!this.hubInstance) throw new Error('server not started');
    return this.hubInstance;
  }

  /** Base URL the server listens on (http(s)://host:port), once started. */
  get url(): string {
    const addr = this.app?.server.address() as AddressInfo | null;
    if (!addr) throw new Error('server not started');
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `${this.config.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  }

  async start(): Promise<void> {
    const c = this.config;
    mkdirSync(c.dataDir, { recursive: true });
    let https: { key: Buffer; cert: Buffer } | undefined;
    if (c.tls) {
      try {
        https = { key: readFileSync(c.tls.keyFile), cert: readFileSync(c.tls.certFile) };
      } catch (err) {
        throw new ConfigError(`cannot read TLS key/cert: ${(err as Error).message}`, [], { cause: err });
      }
    }
    this.registry.open({
      backgroundCheckpointMs: 1000,
      onCheckpointError: (error) => this.log.warn('WAL checkpoint failed', { error }),
    });
    this.registry.markAllOffline();
    for (const gate of c.gates) this.registry.upsertGate(gate);
    const enrolment = new Enrolment(
      this.registry,
      this.deps.trustedRoots ?? new FileTrustedRootProvider(trustedRootFileOf(c)),
      this.clock,
      this.log.child('enrolment'),
    );
    this.hubInstance = new DeviceHub(this.registry, this.clock, this.log.child('ws'), {
      origin: c.publicUrl ? new URL(c.publicUrl).origin : undefined,
      secure: Boolean(c.tls),
      challengeTtlMs: c.ws.challengeTtlMs,
      authTimeoutMs: c.ws.authTimeoutMs,
      pingIntervalMs: c.ws.pingIntervalMs,
      rateLimit: { perSecond: c.ws.rateLimitPerSecond, capacity: c.ws.rateLimitBurst },
      maxBadFrames: c.ws.maxBadFrames,
      commandSweepMs: 5_000,
      retryAfterMs: c.ws.retryAfterMs,
    });
    this.app = createHttpApp({ https });
    registerApi(this.app, {
      registry: this.registry,
      enrolment,
      hub: this.hubInstance,
      clock: this.clock,
      log: this.log.child('api'),
      opsToken: c.opsToken,
      enrolmentTokenTtlMs: c.enrolmentTokenTtlMs,
      commandTtlMs: c.commands.defaultTtlMs,
    });
    if (c.tuf) {
      const hub = this.hubInstance;
      this.tufInstance = await mountTufRepository(this.app, {
        repoDir: c.tuf.repoDir,
        clock: this.clock,
        log: this.log.child('tuf'),
        ...(c.tuf.authorToken ? { authorToken: c.tuf.authorToken } : {}),
        // Devices of the site group refresh at once instead of at their next periodic refresh.
        onPublished: (r) => {
          const notified = hub.notifyUpdate(r.siteGroup, String(r.version));
          this.log.info('bundle published', { siteGroup: r.siteGroup, version: r.version, notified });
        },
      });
    }
    this.hubInstance.start(this.app.server);
    await this.app.listen({ host: c.host, port: c.port });
    const retention = {
      rawMs: c.health.rawRetentionMs ?? DEFAULT_RETENTION.rawMs,
      fiveMinuteMs: c.health.fiveMinuteRetentionMs,
      hourlyMs: c.health.hourlyRetentionMs,
    };
    this.rollupTimer = setInterval(() => {
      try {
        this.registry.rollupHealth(this.clock.now(), retention);
      } catch (err) {
        this.log.error('health rollup failed', { err });
      }
    }, c.health.rollupIntervalMs).unref();
    this.log.info('sync server listening', { url: this.url });
  }

  /** Stops abruptly (see DeviceHub.abort): no goodbye to devices, unstored ingest lost, DB closed. */
  async abort(): Promise<void> {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    await this.tufInstance?.stop();
    this.hubInstance?.abort();
    this.app?.server.closeAllConnections();
    await this.app?.close();
    await this.registry.close();
  }

  async stop(): Promise<void> {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    await this.tufInstance?.stop();
    await this.hubInstance?.stop();
    // A half-open client (no request yet, or never finishing one) must not hold the shutdown.
    this.app?.server.closeAllConnections();
    await this.app?.close();
    await this.registry.close();
  }
}
