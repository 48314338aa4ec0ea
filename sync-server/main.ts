/**
 * The sync server: reads its config, opens the registry, serves the REST API, enrolment and the
 * device WebSocket on one http(s) server. The only file that knows every server part.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Clock, systemClock } from '../protocol/clock.js';
import { ConfigError } from '../protocol/errors.js';
import { createLogger, type Logger } from '../platform/log.js';
import { type ServerConfig, TUF_AUTHOR_TOKEN_DEPRECATED, trustedRootFileOf } from './config/config.js';
import { type MountedTuf, mountTufRepository } from './tuf/mount.js';
import { mediaLimitsFor } from './content/screen-limits.js';
import { Enrolment, FileTrustedRootProvider, type TrustedRootProvider } from './enrolment/enrolment.js';
import { createHttpApp } from './web/http-app.js';
import { DEFAULT_RETENTION } from './registry/health-store.js';
import { Registry } from './registry/registry.js';
import { DeviceHub } from './ingest/ws-hub.js';
import { accessControlGuards } from './accounts/access-control.js';
import { LoginRateLimiter } from './accounts/rate-limit.js';
import { AccountService } from './accounts/service.js';
import type { ScryptParams } from './accounts/password.js';
import { openSqliteAccountStore, type SqliteAccountStore } from './accounts/sqlite-accounts.js';
import { type AlertCountSource, FleetView, openAlertCounter } from './fleet/fleet-view.js';
import { AlertFeed } from './alerts/feed.js';
import { AlertService } from './alerts/service.js';
import { fleetFeature } from './fleet/plugin.js';
import { FleetManager } from './fleet/fleet-manage.js';
import { enrolmentFeature } from './enrolment/plugin.js';
import { askedLanguageOf } from './dashboard/language.js';
import { installDashboardErrorPages } from './dashboard/error-page.js';
import { installOpenApi } from './web/openapi.js';
import { dashboardShell } from './dashboard/shell.js';
import { accountsFeature } from './accounts/plugin.js';
import { alertsFeature } from './alerts/plugin.js';
import { registerOpsRoutes } from './metrics/metrics.js';
import { installSecurityHeaders } from './web/security-headers.js';
import {
  bearerGuard,
  type Guard,
  type InstalledRouteAccess,
  installRouteAccess,
  type RouteInfo,
} from './web/route-access.js';
import { assertPrivate, ensurePrivateDir, makePrivate } from '../platform/private-files.js';
import { repoLayout } from './tuf/layout.js';
import { JobQueue } from './reports/job-queue.js';
import { renderPdf } from './reports/pdf.js';
import { PopVerdictBackfill } from './ingest/pop-backfill.js';
import { PopRollupBackfill } from './ingest/pop-rollup-backfill.js';
import { RegistryReportSource } from './reports/registry-source.js';
import { reportRoutes } from './reports/routes.js';
import { Reauditor } from './reports/reaudit.js';
import { reauditStore } from './registry/reaudit-store.js';
import { ReportFormStore } from './reports/form-settings.js';
import { titlesOfManifest } from './reports/names.js';
import { latestManifest } from './content/schedule-preview.js';
import { contentFeature } from './content/plugin.js';
import { isAllowed } from './web/roles.js';
import { renderTemplatePicker } from './templates/page.js';
import { templatesFeature } from './templates/plugin.js';
import { TemplateService } from './templates/service.js';
import { templateStoreOf } from './templates/store.js';
import { EmergencyEndService } from './content/emergency-end-service.js';
import { emergencyEndStore } from './content/emergency-end-store.js';
import { queueEmergencyEnd } from './fleet/commands.js';
import type { ReleaseCatalog } from './releases/catalog.js';
import { MemoryReleaseCatalog } from './releases/memory-catalog.js';
import { TufReleaseCatalog } from './releases/tuf-catalog.js';
import { releasesFeature } from './releases/plugin.js';
import { publishedReleaseCheck } from './releases/command-check.js';
import { RolloutService } from './releases/service.js';
import { ApprovalNotifier } from './content/approval-notify.js';
import type { DraftView } from '../protocol/publish-api.js';
import { WebhookSender } from './alerts/webhook.js';
import { setTimeout as wait } from 'node:timers/promises';

/** The accounts database in the data directory (`gatecast admin create` writes the same file). */
export const ACCOUNTS_DB = 'accounts.db';
export const REGISTRY_DB = 'registry.db';

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
  /**
   * Password hashing cost for accounts; default DEFAULT_SCRYPT_PARAMS. Not a config value: only tests
   * lower it (a full-strength hash at every test sign-in costs seconds on a loaded machine).
   */
  scrypt?: ScryptParams;
  /** Prints report HTML to PDF; default Chromium (reports/pdf.ts) at config reports.chromiumPath. */
  renderPdf?: (html: string) => Promise<Uint8Array>;
  /**
   * The published gatecast releases; rollouts offer only these. Default: the TUF repository's
   * `releases` role, or none without a repository.
   */
  releases?: ReleaseCatalog;
}

export type { RouteInfo } from './web/route-access.js';

/** Whether a request comes from this machine (the socket's peer, not a header). */
function isLoopbackPeer(request: FastifyRequest): boolean {
  const a = request.socket.remoteAddress ?? '';
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}

/** Chromium for report PDFs when the config names none. */
function findChromium(): string {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? '/usr/bin/chromium';
}

/** A part of the server that exists once it has started. */
function started<T>(part: T | undefined): T {
  if (!part) throw new Error('server not started');
  return part;
}

export class SyncServer {
  readonly registry: Registry;
  private app?: FastifyInstance;
  private hubInstance?: DeviceHub;
  private rollupTimer?: NodeJS.Timeout;
  private popBackfill?: PopVerdictBackfill;
  private rollupBackfill?: PopRollupBackfill;
  private reauditor?: Reauditor;
  private tufInstance?: MountedTuf;
  private accountStore?: SqliteAccountStore;
  private fleetView?: FleetView;
  private alertService?: AlertService;
  private alertFeed?: AlertFeed;
  private rolloutService?: RolloutService;
  private routeAccess?: InstalledRouteAccess;
  private approvalNotifier?: ApprovalNotifier;
  /** Cuts the approval webhook's retries short when the server stops. */
  private readonly stopping = new AbortController();
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
    return started(this.fleetView);
  }

  /** The alert monitor's service (active alerts, evaluate now), once started. */
  get alerts(): AlertService {
    return started(this.alertService);
  }

  /** The release rollouts (start, pause, resume, abort, advance, tick now), once started. */
  get releases(): RolloutService {
    return started(this.rolloutService);
  }

  get hub(): DeviceHub {
    return started(this.hubInstance);
  }

  /**
   * Every HTTP route registered, in registration order, with its declared access (read-only; the
   * route guard test walks them).
   */
  routes(): RouteInfo[] {
    return this.routeAccess?.routes() ?? [];
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
    ensurePrivateDir(c.dataDir);
    assertPrivate([
      c.dataDir,
      ...(c.tuf ? [repoLayout(c.tuf.repoDir).keysDir] : []),
      ...(c.tls ? [c.tls.keyFile] : []),
    ]);
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
    makePrivate(['', '-wal', '-shm'].map((x) => join(c.dataDir, REGISTRY_DB + x)));
    this.registry.devices.markAllOffline();
    for (const gate of c.gates) this.registry.gates.upsert(gate);
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
      preAuthFrameMaxBytes: c.ws.preAuthFrameMaxBytes,
      frameMaxBytes: c.ws.frameMaxBytes,
      maxUnauthenticatedPerAddress: c.ws.maxUnauthenticatedPerAddress,
      maxUnauthenticated: c.ws.maxUnauthenticated,
    });
    this.app = createHttpApp({ https, log: this.log.child('http'), language: askedLanguageOf });
    installDashboardErrorPages(this.app, askedLanguageOf);
    this.accountStore = openSqliteAccountStore(join(c.dataDir, ACCOUNTS_DB));
    makePrivate(['', '-wal', '-shm'].map((x) => join(c.dataDir, ACCOUNTS_DB + x)));
    const accounts = new AccountService(
      this.accountStore,
      this.clock,
      new LoginRateLimiter(),
      this.log.child('accounts'),
      this.deps.scrypt ? { scrypt: this.deps.scrypt } : {},
    );
    const secureCookies = Boolean(c.tls);
    const apiLog = this.log.child('api');
    // Without a metrics token (allowed on loopback only, see config.ts) /metrics answers this machine only.
    const loopbackOnly: Guard = async (request, reply) => {
      if (!isLoopbackPeer(request))
        return reply.code(401).send({ error: { code: 'UNAUTHORISED', message: 'metrics token required' } });
    };
    // The route table: every route declares its access; this guard authorises the matched route.
    this.routeAccess = installRouteAccess(this.app, {
      ...accessControlGuards(this.app, {
        service: accounts,
        logger: this.log.child('access'),
        secureCookies,
      }),
      'ops-token': bearerGuard(c.opsToken, 'ops', (req) =>
        apiLog.warn('api request without a valid ops token', { route: req.routeOptions.url, remote: req.ip }),
      ),
      'metrics-token': c.metricsToken ? bearerGuard(c.metricsToken, 'metrics') : loopbackOnly,
    });
    // Every response, not only the dashboard's (a 404, the ops API), carries the strict CSP.
    installSecurityHeaders(this.app, { hsts: Boolean(c.tls) });
    // The OpenAPI document collects every route registered from here on.
    await installOpenApi(this.app);
    await this.app.register(enrolmentFeature, { enrolment });
    // Drafts waiting for approval are announced on the alerts' webhook too.
    const hook = c.alerts.webhook;
    if (hook) {
      const signal = this.stopping.signal;
      const sender = new WebhookSender(
        { url: hook.url, ...(hook.secret ? { secret: hook.secret } : {}) },
        {
          fetch: (url, init) =>
            fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal }),
          clock: this.clock,
          sleep: (ms) => wait(ms, undefined, { signal }),
          logger: this.log.child('approval-webhook'),
        },
      );
      this.approvalNotifier = new ApprovalNotifier({
        post: (body) => sender.post(body),
        clock: this.clock,
        log: this.log.child('approval-webhook'),
        dashboardUrl: () => c.publicUrl ?? this.url,
      });
    }
    const notifier = this.approvalNotifier;
    if (c.tuf) {
      if (c.tuf.authorToken !== undefined) this.log.warn(TUF_AUTHOR_TOKEN_DEPRECATED);
      const hub = this.hubInstance;
      this.tufInstance = await mountTufRepository(this.app, {
        repoDir: c.tuf.repoDir,
        // Drafts never carry forward, nor call on air, an emergency ended early (docs/drafts.md §7).
        endedEarly: (siteGroup, id) =>
          this.registry.featureStore(emergencyEndStore).get(siteGroup, id)?.endedAtMs != null,
        clock: this.clock,
        log: this.log.child('tuf'),
        // A signature through an account counts only with a key registered to that account.
        keyOwners: accounts,
        ...(notifier ? { onPending: (d: DraftView) => notifier.notePending(d) } : {}),
        // Uploads are normalised for the largest screen the site group's devices report.
        mediaLimits: (siteGroup) => {
          const payloads = this.registry.devices
            .list(siteGroup)
            .map((d) => this.registry.health.latest(d.id).get(d.id)?.payload);
          return mediaLimitsFor(payloads, c.media);
        },
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
      haltedRollouts: () => this.rolloutService?.halted() ?? [],
    }));
    const alertFeed = (this.alertFeed = new AlertFeed());
    await alerts.start();
    this.hubInstance.subscribe((e) => {
      if (e.type === 'stored' && e.stream === 'event') alerts.noteStoredEvents(e.records);
    });
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
    const fleet = this.fleetView;
    const deps = { registry: this.registry, hub: this.hubInstance, clock: this.clock };
    // The releases the TUF `releases` role lists (signed by the release approvers); without a TUF
    // repository, none: every rollout and install-release command is refused as unpublished.
    const releaseCatalog =
      this.deps.releases ??
      (this.tufInstance ? new TufReleaseCatalog(this.tufInstance.repo) : new MemoryReleaseCatalog());
    const rollouts = (this.rolloutService = new RolloutService({
      ...deps,
      catalog: releaseCatalog,
      accounts,
      log: this.log.child('releases'),
      commandTtlMs: c.commands.defaultTtlMs,
      tickIntervalMs: c.releases.rolloutTickMs,
      // A halt raises its alert now, a resume or an abort resolves it now.
      onChange: () => {
        try {
          alerts.monitor.evaluate();
        } catch (err) {
          this.log.error('alert evaluation failed', { err });
        }
      },
    }));
    // The features, each one plugin owning its routes and pages; each route declares its access.
    await this.app.register(async (scope) => {
      await scope.register(dashboardShell, { secureCookies });
      await scope.register(accountsFeature, { service: accounts, secureCookies });
      // One manager for the dashboard and the ops API: token and screen changes checked and audited alike.
      const fleetManager = new FleetManager({
        ...deps,
        enrolment,
        accounts,
        resolveAlerts: (id, reason) => alerts.monitor.resolveDevice(id, reason),
        refresh: (id) => fleet.refresh(id),
      });
      await scope.register(fleetFeature, {
        dashboard: {
          ...deps,
          fleet,
          accounts,
          log: this.log.child('dashboard'),
          secureCookies,
          commandTtlMs: c.commands.defaultTtlMs,
          checkCommand: publishedReleaseCheck(releaseCatalog),
          tuf: tuf ? { repo: tuf.repo, repoDir: c.tuf!.repoDir } : undefined,
        },
        ops: {
          ...deps,
          enrolment,
          manager: fleetManager,
          log: apiLog,
          enrolmentTokenTtlMs: c.enrolmentTokenTtlMs,
          commandTtlMs: c.commands.defaultTtlMs,
          checkCommand: publishedReleaseCheck(releaseCatalog),
        },
        manage: {
          manager: fleetManager,
          registry: this.registry,
          accounts,
          secureCookies,
          enrolmentTokenTtlMs: c.enrolmentTokenTtlMs,
        },
      });
      const templates = new TemplateService({
        store: templateStoreOf(this.registry),
        gates: this.registry.gates,
        clock: this.clock,
        log: this.log.child('templates'),
      });
      await scope.register(templatesFeature, {
        service: templates,
        gates: this.registry.gates,
        accounts,
        secureCookies,
      });
      const emergencyEnds =
        tuf &&
        new EmergencyEndService({
          ...deps,
          repo: tuf.repo,
          repoDir: c.tuf!.repoDir,
          drafts: tuf.drafts,
          queueEnd: (cmd) => queueEmergencyEnd(deps, cmd),
          log: this.log.child('emergency-end'),
        });
      // A screen that connects is sent the early ends it has not had (queued before the hub delivers).
      if (emergencyEnds)
        deps.hub.subscribe((e) => {
          if (e.type === 'presence' && e.online) emergencyEnds.deviceOnline(e.deviceId);
        });
      await scope.register(contentFeature, {
        emergencyExtras: (lang, user) =>
          renderTemplatePicker(lang, templates.list(), isAllowed(user.roles, 'content.view')),
        ...(emergencyEnds ? { emergencyEnds } : {}),
        dataDir: c.dataDir,
        tuf: tuf ? { repo: tuf.repo, repoDir: c.tuf!.repoDir, drafts: tuf.drafts } : undefined,
        gates: this.registry.gates,
        accounts,
        clock: this.clock,
        log: this.log.child('content'),
        mediaMaxBytes: c.content.mediaMaxBytes,
        secureCookies,
      });
      await scope.register(releasesFeature, {
        service: rollouts,
        catalog: releaseCatalog,
        registry: this.registry,
        fleet,
        accounts,
        secureCookies,
      });
      await scope.register(alertsFeature, {
        alerts,
        feed: alertFeed,
        registry: this.registry,
        accounts,
        log: this.log.child('alerts-page'),
        secureCookies,
      });
      const reaudits = this.registry.featureStore(reauditStore);
      const reauditSource = new RegistryReportSource(this.registry);
      this.reauditor = new Reauditor({
        store: reaudits,
        keyOf: (deviceId) => reauditSource.deviceKey(deviceId),
        clock: this.clock,
        log: this.log.child('pop-reaudit'),
      });
      const reports = new RegistryReportSource(
        this.registry,
        undefined,
        async () => {
          // What is published now names the items (and emergencies, whose words outlive their bundle).
          if (!tuf) return [];
          const out = [];
          for (const { siteGroup } of tuf.repo.siteGroups()) {
            const m = await latestManifest(tuf.repo, c.tuf!.repoDir, siteGroup);
            if (m) out.push(...titlesOfManifest(m.manifest));
          }
          return out;
        },
        reaudits,
      );
      const executablePath = c.reports.chromiumPath ?? findChromium();
      await scope.register(reportRoutes, {
        source: reports,
        verifyChain: reports.verifyChain,
        clock: this.clock,
        renderPdf: this.deps.renderPdf ?? ((html) => renderPdf(html, { executablePath })),
        pdfJobs: new JobQueue({
          concurrency: c.reports.pdfConcurrency,
          maxQueued: c.reports.pdfQueueMax,
          retryAfterMs: c.reports.pdfRetryAfterMs,
        }),
        maxPeriodDays: c.reports.maxPeriodDays,
        minOutageMs: c.reports.minOutageMs,
        page: { accounts, secureCookies },
        form: new ReportFormStore(c.dataDir, c.reports.form),
        gateNames: this.registry.reportNames,
        reaudit: this.reauditor,
        audit: (actor, action, target, outcome, details) =>
          accounts.audit(actor, action, target, outcome, details),
      });
    });
    registerOpsRoutes(this.app, {
      ...deps,
      log: this.log.child('ops'),
      startedAtMs: this.clock.now(),
      fleetStates: () => fleet.rows().map((r) => r.state),
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
        this.registry.health.rollup(this.clock.now(), retention);
      } catch (err) {
        this.log.error('health rollup failed', { err });
      }
    }, c.health.rollupIntervalMs).unref();
    // Proof of play stored before verification at ingest: verified once, in the background.
    this.popBackfill = new PopVerdictBackfill(this.registry, this.log.child('pop-backfill'));
    void this.popBackfill.start();
    rollouts.start();
    // Proof of play stored before the rollups: added to them once, in the background, resumably.
    this.rollupBackfill = new PopRollupBackfill(this.registry.rollups, this.log.child('pop-rollup-backfill'));
    void this.rollupBackfill.start();
    // A re-audit a stop interrupted goes on from its cursor.
    this.reauditor?.resume();
    this.log.info('sync server listening', { url: this.url });
  }

  /** Stops abruptly (see DeviceHub.abort): no goodbye to devices, unstored ingest lost, DB closed. */
  async abort(): Promise<void> {
    await this.shutDown((hub) => hub.abort());
  }

  async stop(): Promise<void> {
    await this.shutDown((hub) => hub.stop());
  }

  /** Stops every part, in order; `endHub` ends the devices' connections (with a goodbye, or abruptly). */
  private async shutDown(endHub: (hub: DeviceHub) => void | Promise<void>): Promise<void> {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    this.rolloutService?.stop();
    await this.popBackfill?.stop();
    await this.rollupBackfill?.stop();
    this.reauditor?.stop();
    await this.tufInstance?.stop();
    this.stopping.abort();
    await this.approvalNotifier?.flush();
    if (this.hubInstance) await endHub(this.hubInstance);
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
