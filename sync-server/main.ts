/**
 * The sync server: reads its config, opens the registry, serves the REST API, enrolment and the
 * device WebSocket on one http(s) server. The only file that knows every server part.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { type Clock, systemClock } from '../protocol/clock.js';
import { ConfigError } from '../protocol/errors.js';
import { createLogger, type Logger } from '../protocol/log.js';
import { registerApi } from './api.js';
import { type ServerConfig, TUF_AUTHOR_TOKEN_DEPRECATED, trustedRootFileOf } from './config.js';
import { type MountedTuf, mountTufRepository } from './tuf/mount.js';
import { publishRoutes } from './tuf/publish-routes.js';
import { Enrolment, FileTrustedRootProvider, type TrustedRootProvider } from './enrolment.js';
import { createHttpApp } from './http-app.js';
import { DEFAULT_RETENTION, Registry } from './registry/registry.js';
import { DeviceHub } from './ws-hub.js';
import { installAccessControl, type RouteAccess } from './accounts/access-control.js';
import { LoginRateLimiter } from './accounts/rate-limit.js';
import { accountRoutes } from './accounts/routes.js';
import { AccountService } from './accounts/service.js';
import { openSqliteAccountStore, type SqliteAccountStore } from './accounts/sqlite-accounts.js';
import { type AlertCountSource, FleetView, openAlertCounter } from './dashboard/fleet-view.js';
import { AlertFeed } from './alerts/feed.js';
import { alertRoutes } from './alerts/routes.js';
import { AlertService } from './alerts/service.js';
import { accountPagesRoutes } from './dashboard/accounts-pages-routes.js';
import { alertsPageRoutes } from './dashboard/alerts-page-routes.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { registerOpsRoutes } from './metrics.js';
import { installSecurityHeaders } from './web/security-headers.js';
import { renderPdf } from './reports/pdf.js';
import { PopVerdictBackfill } from './pop-backfill.js';
import { RegistryReportSource } from './reports/registry-source.js';
import { reportRoutes } from './reports/routes.js';
import { ApprovalService } from './content/approval-service.js';
import { approvalRoutes } from './content/approval-routes.js';
import { contentPlugin } from './content/plugin.js';

/** The accounts database in the data directory (`gatecast admin create` writes the same file). */
export const ACCOUNTS_DB = 'accounts.db';
export const REGISTRY_DB = 'registry.db';

/** /api paths served by session-guarded routes (or open), not by the ops bearer token; the publishing API (`gatecast draft …`) included. */
const SESSION_API =
  /^\/api\/(session|users|keys|audit|dashboard|health|reports|alerts|content|publish)(\/|\.csv$|$)/;

export interface SyncServerDeps {
  clock?: Clock;
  log?: Logger;
  trustedRoots?: TrustedRootProvider;
  /**
   * Open alerts per screen for the fleet view (e.g. openAlertCounter(() => monitor.active) from
   * dashboard/fleet-view.ts); call `server.fleet.refresh()` when the alerts change. Without it the
   * alert column shows "—".
   */
  alertCount?: AlertCountSource;
}

/** One HTTP route as registered: `access` is its declared access inside the session scope, null outside it. */
export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess | null;
}

/** Chromium for report PDFs when the config names none. */
function findChromium(): string {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? '/usr/bin/chromium';
}

export class SyncServer {
  readonly registry: Registry;
  private app?: FastifyInstance;
  private hubInstance?: DeviceHub;
  private rollupTimer?: NodeJS.Timeout;
  private popBackfill?: PopVerdictBackfill;
  private tufInstance?: MountedTuf;
  private accountStore?: SqliteAccountStore;
  private fleetView?: FleetView;
  private alertService?: AlertService;
  private alertFeed?: AlertFeed;
  private readonly routeTable = new Map<string, RouteInfo>();
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    private readonly config: ServerConfig,
    private readonly deps: SyncServerDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? createLogger('sync-server');
    this.registry = new Registry(join(config.dataDir, REGISTRY_DB));
  }

  /** The served TUF repository and its drafts, when configured. */
  get tuf(): MountedTuf | undefined {
    return this.tufInstance;
  }

  /** The dashboard's live fleet, once started. */
  get fleet(): FleetView {
    if (!this.fleetView) throw new Error('server not started');
    return this.fleetView;
  }

  /** The alert monitor's service (active alerts, evaluate now), once started. */
  get alerts(): AlertService {
    if (!this.alertService) throw new Error('server not started');
    return this.alertService;
  }

  get hub(): DeviceHub {
    if (!this.hubInstance) throw new Error('server not started');
    return this.hubInstance;
  }

  /**
   * Every HTTP route registered, in registration order (read-only; the route guard test walks them).
   * Routes of the session scope carry their declared access; the others (ops bearer API, enrolment,
   * TUF, metrics, health) carry null.
   */
  routes(): RouteInfo[] {
    return [...this.routeTable.values()];
  }

  private noteRoute(route: RouteOptions, access: RouteAccess | null): void {
    for (const method of [route.method].flat())
      this.routeTable.set(`${method} ${route.url}`, { method, url: route.url, access });
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
    this.app.addHook('onRoute', (route) => this.noteRoute(route, null));
    // Every response, not only the dashboard's (a 404, the ops API), carries the strict CSP.
    installSecurityHeaders(this.app);
    registerApi(this.app, {
      registry: this.registry,
      enrolment,
      hub: this.hubInstance,
      clock: this.clock,
      log: this.log.child('api'),
      opsToken: c.opsToken,
      enrolmentTokenTtlMs: c.enrolmentTokenTtlMs,
      commandTtlMs: c.commands.defaultTtlMs,
      exempt: (path) => SESSION_API.test(path),
    });
    this.accountStore = openSqliteAccountStore(join(c.dataDir, ACCOUNTS_DB));
    const accounts = new AccountService(
      this.accountStore,
      this.clock,
      new LoginRateLimiter(),
      this.log.child('accounts'),
    );
    if (c.tuf) {
      if (c.tuf.authorToken !== undefined) this.log.warn(TUF_AUTHOR_TOKEN_DEPRECATED);
      const hub = this.hubInstance;
      this.tufInstance = await mountTufRepository(this.app, {
        repoDir: c.tuf.repoDir,
        clock: this.clock,
        log: this.log.child('tuf'),
        // A signature through an account counts only with a key registered to that account.
        keyOwners: accounts,
        // Devices of the site group refresh at once instead of at their next periodic refresh.
        onPublished: (r) => {
          this.fleetView?.refresh();
          void this.alertService?.source.notePublished(r.siteGroup, String(r.version), this.clock.now());
          const notified = hub.notifyUpdate(r.siteGroup, String(r.version));
          this.log.info('bundle published', { siteGroup: r.siteGroup, version: r.version, notified });
        },
      });
    }
    const tuf = this.tufInstance;
    const alerts = (this.alertService = new AlertService({
      config: c.alerts,
      registry: this.registry,
      hub: this.hubInstance,
      tuf: tuf ? { repo: tuf.repo, repoDir: c.tuf!.repoDir } : undefined,
      clock: this.clock,
      logger: this.log.child('alerts'),
      onChange: (step) => {
        this.fleetView?.refresh();
        this.alertFeed?.publish(step);
      },
    }));
    const alertFeed = (this.alertFeed = new AlertFeed());
    await alerts.start();
    this.fleetView = new FleetView({
      registry: this.registry,
      hub: this.hubInstance,
      clock: this.clock,
      alertCount: this.deps.alertCount ?? openAlertCounter(() => alerts.monitor.active),
      ...(tuf
        ? {
            latestVersion: (siteGroup: string) => {
              const v = tuf.repo.roleMetadata(siteGroup)?.signed.version;
              return v === undefined ? null : String(v);
            },
          }
        : {}),
    });
    this.fleetView.start();
    const secureCookies = Boolean(c.tls);
    const fleet = this.fleetView;
    const deps = { registry: this.registry, hub: this.hubInstance, clock: this.clock };
    // Operator sessions, the dashboard and (later) the other session-guarded parts: an encapsulated
    // scope whose every route declares its access.
    await this.app.register(async (scope) => {
      installAccessControl(scope, { service: accounts, logger: this.log.child('access'), secureCookies });
      scope.addHook('onRoute', (route) => this.noteRoute(route, route.config?.access ?? null));
      await scope.register(accountRoutes, { service: accounts, secureCookies });
      // The publishing API (`gatecast draft …`): authors and approvers with their own accounts.
      if (tuf)
        await scope.register(publishRoutes, {
          repo: tuf.repo,
          drafts: tuf.drafts,
          auth: { session: { accounts } },
        });
      await scope.register(dashboardRoutes, {
        ...deps,
        fleet,
        accounts,
        log: this.log.child('dashboard'),
        secureCookies,
        commandTtlMs: c.commands.defaultTtlMs,
        tuf: tuf ? { repo: tuf.repo, repoDir: c.tuf!.repoDir } : undefined,
      });
      const reports = new RegistryReportSource(this.registry);
      const executablePath = c.reports.chromiumPath ?? findChromium();
      await scope.register(reportRoutes, {
        source: reports,
        verifyChain: reports.verifyChain,
        clock: this.clock,
        renderPdf: (html) => renderPdf(html, { executablePath }),
      });
      await scope.register(alertRoutes, { monitor: alerts.monitor, accounts });
      if (tuf)
        await scope.register(approvalRoutes, {
          service: new ApprovalService({
            repo: tuf.repo,
            repoDir: c.tuf!.repoDir,
            drafts: tuf.drafts,
            gates: this.registry,
            clock: this.clock,
            log: this.log.child('approval'),
          }),
          accounts,
          clock: this.clock,
          secureCookies,
        });
      await scope.register(contentPlugin, {
        dataDir: c.dataDir,
        tuf: tuf ? { repo: tuf.repo, repoDir: c.tuf!.repoDir, drafts: tuf.drafts } : undefined,
        gate: (siteGroup) => this.registry.getGate(siteGroup),
        accounts,
        clock: this.clock,
        log: this.log.child('content'),
        mediaMaxBytes: c.content.mediaMaxBytes,
        secureCookies,
      });
      await scope.register(alertsPageRoutes, {
        active: () => alerts.monitor.active,
        registry: this.registry,
        feed: alertFeed,
        accounts,
        log: this.log.child('alerts-page'),
        secureCookies,
      });
      await scope.register(accountPagesRoutes, { accounts, secureCookies });
    });
    registerOpsRoutes(this.app, {
      ...deps,
      log: this.log.child('ops'),
      startedAtMs: this.clock.now(),
      fleetStates: () => fleet.rows().map((r) => r.state),
      metricsToken: c.metricsToken,
    });
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
    // Proof of play stored before verification at ingest: verified once, in the background.
    this.popBackfill = new PopVerdictBackfill(this.registry, this.log.child('pop-backfill'));
    void this.popBackfill.start();
    this.log.info('sync server listening', { url: this.url });
  }

  /** Stops abruptly (see DeviceHub.abort): no goodbye to devices, unstored ingest lost, DB closed. */
  async abort(): Promise<void> {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    await this.popBackfill?.stop();
    await this.tufInstance?.stop();
    this.hubInstance?.abort();
    this.app?.server.closeAllConnections();
    await this.app?.close();
    await this.alertService?.stop();
    this.alertFeed?.clear();
    this.fleetView?.stop();
    this.accountStore?.close();
    await this.registry.close();
  }

  async stop(): Promise<void> {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    await this.popBackfill?.stop();
    await this.tufInstance?.stop();
    await this.hubInstance?.stop();
    // A half-open client (no request yet, or never finishing one) must not hold the shutdown.
    this.app?.server.closeAllConnections();
    await this.app?.close();
    await this.alertService?.stop();
    this.alertFeed?.clear();
    this.fleetView?.stop();
    this.accountStore?.close();
    await this.registry.close();
  }
}
