/**
 * The screen's daemon: page server, browser, player loop. Nothing here touches the network: the
 * screen comes up showing what is installed (or the neutral "waiting for content" card) from the
 * first second, and the update and sync clients plug in afterwards through the hooks below, started
 * without being awaited, so a dead link can never hold the screen back.
 */

import { PageServer } from '../player/page-server.js';
import type { Notice, PlayerSurface } from '../player/surface.js';
import type { Clock } from '../protocol/clock.js';
import type { DeviceConfig } from '../protocol/config.js';
import { createLogger, type Logger } from '../platform/log.js';
import type { ContentSource, InstalledBundle } from './content/installed.js';
import { defaultPlaylistPlan } from './playback/default-playlist-plan.js';
import {
  type PlanAt,
  type PlayEvent,
  PlayerLoop,
  type SkipEvent,
  type StartEvent,
} from './playback/player-loop.js';
import { Listeners } from '../protocol/listeners.js';

/** Something the daemon starts after the screen is up and stops on shutdown. */
export interface DaemonService {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** A surface the daemon owns: started after the page server, stopped before it. */
export interface ManagedSurface extends PlayerSurface {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The browser's memory at its last measurement (0 before the first). */
  readonly lastMemoryBytes?: number;
}

/** The schedule engine, given the bundle it plans for. */
export type Planner = (bundle: InstalledBundle, config: DeviceConfig) => PlanAt;

export interface DaemonHooks {
  /**
   * SCHEDULE ENGINE hook: what plays when. Until it is plugged in (and whenever it throws) the
   * default playlist loops in the gate's languages.
   */
  planner?: Planner;
  /** PROOF OF PLAY hook: each item actually shown, once it has left the air (actual start and time up). */
  onPlayed?: (e: PlayEvent) => void;
  /** CONTENT GAP hook: each item that could not be shown, and why. */
  onSkipped?: (e: SkipEvent) => void;
  /**
   * UPDATE CLIENT hook: installs verified bundles into the content store; the player hears of them
   * through ContentSource.onChange, so the client needs nothing else from the daemon.
   */
  updateClient?: DaemonService;
  /**
   * SYNC CLIENT hook: built with the daemon so it can run remote commands (`daemon.screenshot()`,
   * `daemon.reloadPage()`, `daemon.restartBrowser()`) and read `daemon.status()`.
   */
  syncClient?: (daemon: Daemon) => DaemonService;
}

export interface DaemonOptions {
  config: DeviceConfig;
  content: ContentSource;
  clock: Clock;
  /** Builds the browser surface once the page server is listening (main.ts: ChromiumSupervisor). */
  createSurface: (server: PageServer) => ManagedSurface;
  hooks?: DaemonHooks;
  log?: Logger;
}

export interface DaemonStatus {
  startedAt: number;
  pageOrigin: string;
  lastPlayed?: { itemId: string; language: string; actualStart: number };
  played: number;
  skipped: number;
  planner: 'engine' | 'default-playlist';
  /** The lines of the notice the daemon last put over the content, while it lasts. */
  notice?: string[];
}

export class Daemon {
  private server: PageServer | undefined;
  private surface: ManagedSurface | undefined;
  private loop: PlayerLoop | undefined;
  private services: DaemonService[] = [];
  private readonly log: Logger;
  private readonly stats = {
    played: 0,
    skipped: 0,
    startedAt: 0,
    lastPlayed: undefined as DaemonStatus['lastPlayed'],
  };
  private lastNotice: Notice | undefined;
  private readonly playedListeners = new Listeners<PlayEvent>();
  private readonly startedListeners = new Listeners<StartEvent>();

  constructor(private readonly o: DaemonOptions) {
    this.log = o.log ?? createLogger('device:daemon');
  }

  async start(): Promise<void> {
    const { config, content, clock } = this.o;
    const hooks = this.o.hooks ?? {};
    this.stats.startedAt = clock.now();
    this.server = new PageServer({ content, port: config.player.port, log: this.log.child('page-server') });
    await this.server.start();
    this.surface = this.o.createSurface(this.server);

    this.loop = new PlayerLoop({
      surface: this.surface,
      content,
      planAt: this.planAt(hooks.planner),
      clock,
      gate: { name: config.gate.name, languages: config.gate.languages, timezone: config.gate.timezone },
      ...(config.deviceId ? { deviceId: config.deviceId } : {}),
      log: this.log.child('player-loop'),
    });
    this.loop.onStarted((e) => {
      this.stats.lastPlayed = { itemId: e.item.itemId, language: e.language, actualStart: e.actualStart };
      for (const l of this.startedListeners) this.safely('started listener', () => l(e));
    });
    this.loop.onPlayed((e) => {
      this.stats.played++;
      this.safely('onPlayed', () => hooks.onPlayed?.(e));
      for (const l of this.playedListeners) this.safely('played listener', () => l(e));
    });
    this.loop.onSkipped((e) => {
      this.stats.skipped++;
      this.safely('onSkipped', () => hooks.onSkipped?.(e));
    });
    // The loop queues what is on air before the browser is up; the surface shows it as soon as
    // the page has loaded, saving a round trip on the way to the first frame.
    this.loop.start();
    await this.surface.start();
    this.log.info('screen up', {
      page: this.server.pageUrl,
      bundle: content.current()?.version ?? null,
      gate: config.gate.siteGroup,
    });

    // Network clients come last and are not awaited: the screen never waits for the link.
    if (hooks.updateClient) this.services.push(hooks.updateClient);
    if (hooks.syncClient) this.services.push(hooks.syncClient(this));
    for (const s of this.services) {
      Promise.resolve()
        .then(() => s.start())
        .catch((err) => this.log.error('service failed to start', { service: s.name, err }));
    }
  }

  async stop(): Promise<void> {
    for (const s of this.services.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        this.log.error('service failed to stop', { service: s.name, err });
      }
    }
    this.services = [];
    this.loop?.stop();
    await this.surface?.stop();
    await this.server?.stop();
    this.loop = undefined;
    this.surface = undefined;
    this.server = undefined;
  }

  /** Each item as it goes on air (the status LED). */
  onStarted(listener: (e: StartEvent) => void): () => void {
    return this.startedListeners.subscribe(listener);
  }

  /**
   * Each item actually shown, once it has left the air (proof of play, tests); the one on air when
   * the daemon stops is told during `stop()`.
   */
  onPlayed(listener: (e: PlayEvent) => void): () => void {
    return this.playedListeners.subscribe(listener);
  }

  /** The browser's memory at its last measurement; undefined before the surface is up. */
  browserMemoryBytes(): number | undefined {
    return this.surface?.lastMemoryBytes;
  }

  screenshot(): Promise<Buffer> {
    if (!this.surface) throw new Error('daemon not started');
    return this.surface.screenshot();
  }

  /** Shows lines over the content until `untilEpochMs` (identify, technician button); null clears. */
  notice(notice: Notice | null): Promise<void> {
    if (!this.surface) throw new Error('daemon not started');
    this.lastNotice = notice ?? undefined;
    return this.surface.notice(notice);
  }

  reloadPage(): Promise<void> {
    if (!this.surface) throw new Error('daemon not started');
    return this.surface.reload();
  }

  restartBrowser(reason = 'asked by ops'): Promise<void> {
    if (!this.surface) throw new Error('daemon not started');
    return this.surface.restart(reason);
  }

  status(): DaemonStatus {
    return {
      startedAt: this.stats.startedAt,
      pageOrigin: this.server?.origin ?? '',
      ...(this.stats.lastPlayed ? { lastPlayed: this.stats.lastPlayed } : {}),
      played: this.stats.played,
      skipped: this.stats.skipped,
      planner: this.o.hooks?.planner ? 'engine' : 'default-playlist',
      ...(this.lastNotice && this.lastNotice.untilEpochMs > this.o.clock.now()
        ? { notice: [...this.lastNotice.lines] }
        : {}),
    };
  }

  /** The engine's plan for the current bundle, falling back to the default playlist if it throws. */
  private planAt(planner: Planner | undefined): PlanAt {
    const { config, content } = this.o;
    let cached: { bundle: InstalledBundle; plan: PlanAt; fallback: PlanAt } | undefined;
    return (t) => {
      const bundle = content.current();
      if (!bundle) return {};
      if (cached?.bundle !== bundle) {
        const fallback = defaultPlaylistPlan(bundle, config.gate.languages);
        let plan = fallback;
        if (planner) {
          try {
            plan = planner(bundle, config);
          } catch (err) {
            this.log.error('schedule engine failed; playing the default playlist', { err });
          }
        }
        cached = { bundle, plan, fallback };
      }
      if (cached.plan === cached.fallback) return cached.plan(t);
      try {
        return cached.plan(t);
      } catch (err) {
        this.log.error('schedule engine failed; playing the default playlist', { at: t, err });
        return cached.fallback(t);
      }
    };
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error(`${what} hook failed`, { err });
    }
  }
}
