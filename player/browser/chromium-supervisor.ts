/**
 * The real PlayerSurface: the system Chromium driven through puppeteer-core (the only module that
 * imports it). It keeps the screen alive:
 * - restarts the browser when it crashes or disconnects, when the page has not answered for
 *   `pageStallMs`, and when the browser's process tree (sum of PSS) passes `browserMemoryLimitBytes`;
 * - recycles the page (a reload right after an item switch) at most once per `recycleEveryMs`;
 * - after any restart or reload shows again what was on air and what was waiting;
 * - launches Chromium so that it refuses every request that is not for the page server's origin
 *   (launch-args.ts: the proxy rules), and logs the refusals it hears of.
 *
 * Liveness costs the page nothing: instead of the page posting a heartbeat every second, the
 * supervisor reads `gatecast.state()` over the pipe once the page has said nothing for
 * `pageStallMs / 3` (its own reports are signs of life too: a page switching items is not asked) and
 * hands it to its listeners as a `heartbeat` report; a page whose main thread hangs does not answer.
 *
 * The page's reports (ready, started, error) come over the pipe too: the page calls a DevTools
 * binding (`REPORT_BINDING`) instead of posting to the page server, so a switch costs no request,
 * and a report counts only when it comes from the player page's own frame: neither an HTML item
 * (which sees the binding too) nor another local process can report a switch that did not happen.
 *
 * Chromium is launched with --remote-debugging-pipe (puppeteer's `pipe: true`) and never with a
 * DevTools TCP port: a port on 127.0.0.1 lets any local user drive the browser, read file:// and
 * carry the 0600 device key out through a download. Downloads are denied as well, for whatever
 * page content may start. Unverified on a Pi: --remote-debugging-pipe under Wayland/labwc (and
 * X11) sessions; it was checked with headless Chromium on x86 only.
 */
import type { ChildProcess } from 'node:child_process';
import puppeteer, {
  type Browser,
  type CDPSession,
  type ConsoleMessage,
  type LaunchOptions,
  type Page,
} from 'puppeteer-core';
import { backoffDelayMs } from '../../protocol/backoff.js';
import { type Clock, systemClock } from '../../protocol/clock.js';
import { coded } from '../../protocol/errors.js';
import { createLogger, type Logger } from '../../platform/log.js';
import { type PageReport, parsePageReport, type Slide } from '../slide.js';
import type { Notice, PlayerSurface } from '../surface.js';
import { type DisplayKind, kioskArgs } from './launch-args.js';
import {
  isPssBoundUnder,
  killProcessGroup,
  processGroupOf,
  ProcessTree,
  type PssReading,
  treePssBytes,
} from './proc-tree.js';
import { Listeners } from '../../protocol/listeners.js';

export class BrowserError extends coded('BROWSER_FAILED') {}

export interface SupervisorOptions {
  executablePath: string;
  /** The page server's player page, e.g. http://127.0.0.1:PORT/ */
  pageUrl: string;
  display: DisplayKind;
  headless: boolean;
  /** A dedicated profile directory (kept across restarts, never the user's default one). */
  userDataDir: string;
  isRoot: boolean;
  /** Headless window size. */
  width?: number;
  height?: number;
  pageStallMs: number;
  /**
   * How long one DevTools call may go unanswered (default 15 s; raised only for emulated machines);
   * the wait for Chromium to start is at least as long.
   */
  protocolTimeoutMs?: number;
  browserMemoryLimitBytes: number;
  memoryCheckIntervalMs?: number;
  /** Reload the page at an item boundary at most this often; 0 never. */
  recycleEveryMs?: number;
  /** Environment for the Chromium process (DISPLAY, WAYLAND_DISPLAY, XDG_RUNTIME_DIR). */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** The supervisor's timers (tests count them); the global ones by default. */
  timers?: SupervisorTimers;
  log?: Logger;
}

/** Timers, as device/timers.ts's `Timers` (player/ does not import device/). */
export interface SupervisorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: SupervisorTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface RestartInfo {
  reason: string;
  count: number;
  at: number;
}

const CLOSE_TIMEOUT_MS = 3000;
const PAGE_READY_TIMEOUT_MS = 20_000;
const MAX_BACKOFF_MS = 30_000;
/** The function the player page reports through (player.js calls it; a DevTools binding). */
export const REPORT_BINDING = '__gatecastReport';
const MAX_REPORT_CHARS = 16 * 1024;
/** What `send` runs in the player document: `gatecast[f](a)`. */
const CALL_GATECAST = 'function (f, a) { window.gatecast[f](a); }';

export class ChromiumSupervisor implements PlayerSurface {
  private browser: Browser | undefined;
  /** The browser's process group (its pid), killed whole when the browser goes. */
  private browserGroup: number | undefined;
  private page: Page | undefined;
  private onAir: Slide | undefined;
  private pending: Slide[] = [];
  private lastReportAt = 0;
  private lastRecycleAt = 0;
  private op: Promise<void> = Promise.resolve();
  private busy = false;
  private probing: Page | undefined;
  private stopped = true;
  private readonly timers: SupervisorTimers;
  /** Fires once the page has been quiet for probeEveryMs (re-armed by every sign of life). */
  private quietTimer: unknown;
  private memoryTimer: unknown;
  /** The player page's own DevTools session (reports in, calls out), and its document's context. */
  private session: { page: Page; cdp: CDPSession; contextId: number | undefined } | undefined;
  private readonly listeners = new Listeners<PageReport>();
  private readonly restartListeners = new Listeners<RestartInfo>();
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Restarts since start() (not counting the first launch). */
  restartCount = 0;
  /** Last measured memory (PSS) of the browser's process tree. */
  lastMemoryBytes = 0;
  /** The last PSS reading of the current browser's tree (see isPssBoundUnder). */
  private pssReading: PssReading | undefined;
  /** The current browser's process tree, its members kept between PSS readings. */
  private tree: ProcessTree | undefined;
  private currentNotice: Notice | null = null;

  constructor(private readonly o: SupervisorOptions) {
    this.clock = o.clock ?? systemClock;
    this.timers = o.timers ?? globalTimers;
    this.log = o.log ?? createLogger('player:browser');
  }

  /**
   * How long the page may say nothing before it is asked for its state: while it reports its
   * switches (each a report over the pipe) it is never asked.
   */
  private get probeEveryMs(): number {
    return Math.max(200, Math.min(5000, Math.floor(this.o.pageStallMs / 3)));
  }

  private get origin(): string {
    return new URL(this.o.pageUrl).origin;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.serial(async () => {
      this.busy = true;
      try {
        await this.launchAndOpen();
      } finally {
        this.busy = false;
        // The page has not been asked yet: its silence counts from now.
        this.heard();
      }
    });
    this.armMemoryCheck();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.quietTimer);
    this.timers.clearTimeout(this.memoryTimer);
    this.quietTimer = this.memoryTimer = undefined;
    await this.op;
    await this.closeBrowser();
  }

  /** The browser's main process id, while it runs. */
  get pid(): number | undefined {
    return this.browser?.process()?.pid;
  }

  /**
   * Runs `fn` on the player page over the supervisor's own pipe (diagnostics, benchmarks, tests):
   * with no DevTools port there is no other way into the browser.
   */
  async inspectPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
    const page = this.page;
    if (!page || this.busy) throw new BrowserError('no page to inspect (browser restarting)');
    return fn(page);
  }

  onReport(listener: (r: PageReport) => void): () => void {
    return this.listeners.subscribe(listener);
  }

  /** Called after each restart (crash, stall, memory, or asked for). */
  onRestart(listener: (info: RestartInfo) => void): () => void {
    return this.restartListeners.subscribe(listener);
  }

  async enqueue(slide: Slide): Promise<void> {
    this.pending = [...this.pending.filter((s) => s.id !== slide.id), slide].sort(
      (a, b) => a.startAt - b.startAt,
    );
    this.send('enqueue', slide);
  }

  async replace(slides: Slide[]): Promise<void> {
    this.pending = [...slides].sort((a, b) => a.startAt - b.startAt);
    this.send('replace', slides);
  }

  async screenshot(): Promise<Buffer> {
    const page = this.page;
    if (!page || this.busy) throw new BrowserError('no page to take a screenshot of (browser restarting)');
    try {
      return Buffer.from(await page.screenshot({ type: 'png' }));
    } catch (err) {
      throw new BrowserError('screenshot failed', { cause: err });
    }
  }

  reload(): Promise<void> {
    return this.serial(() => this.recycle('asked'));
  }

  async notice(notice: Notice | null): Promise<void> {
    this.currentNotice = notice;
    this.send('notice', notice);
  }

  restart(reason: string): Promise<void> {
    return this.serial(() => this.relaunch(reason));
  }

  /** Memory of the browser's process tree (sum of PSS, see proc-tree.ts), measured now. */
  memoryBytes(): number {
    const pid = this.pid;
    if (!pid) this.lastMemoryBytes = 0;
    else this.lastMemoryBytes = this.tree?.root === pid ? this.tree.pssBytes() : treePssBytes(pid);
    return this.lastMemoryBytes;
  }

  // ---------------------------------------------------------------------------------------------

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.op.then(fn, fn);
    this.op = run.catch((err) => this.log.error('browser operation failed', { err }));
    return run;
  }

  /**
   * Fire and forget: a hung page must not block the player loop; the stall watchdog handles it.
   * One raw call over the page's own session, in the player document's context: puppeteer's
   * evaluate costs more per item (a source URL built from a stack trace, its context looked up).
   */
  private send(fn: 'enqueue' | 'replace' | 'notice', arg: unknown): void {
    const session = this.session;
    // Restored from `pending` once the page is back.
    if (!session || session.page !== this.page || this.busy || session.contextId === undefined) return;
    session.cdp
      .send('Runtime.callFunctionOn', {
        functionDeclaration: CALL_GATECAST,
        executionContextId: session.contextId,
        arguments: [{ value: fn }, { value: arg ?? null }],
        silent: true,
      })
      .then(({ exceptionDetails: e }) => {
        if (e) this.log.warn('page call failed', { fn, err: e.exception?.description ?? e.text });
      })
      .catch((err) => this.log.warn('page call failed', { fn, err: String(err) }));
  }

  private received(r: PageReport): void {
    if (!this.busy) this.heard();
    // A side or footer region's switches are not main's: what is on air, and when to recycle, are main's.
    if (r.type === 'started' && !r.region) {
      const slide = this.pending.find((s) => s.id === r.slideId) ?? this.onAir;
      if (slide && slide.id === r.slideId) {
        this.onAir = slide;
        this.pending = this.pending.filter((s) => s.id !== slide.id && s.startAt >= slide.startAt);
      }
      const every = this.o.recycleEveryMs ?? 6 * 3600_000;
      if (every > 0 && !this.busy && this.clock.now() - this.lastRecycleAt >= every) {
        // Right after a switch is the quietest moment: the next item is a whole item away.
        void this.serial(() => this.recycle('periodic'));
      }
    } else if (r.type === 'error') {
      this.pending = this.pending.filter((s) => s.id !== r.slideId);
    }
    for (const l of this.listeners) {
      try {
        l(r);
      } catch (err) {
        this.log.error('report listener failed', { err });
      }
    }
  }

  /** Reads the page's state over the pipe: an answer is a sign of life, reported as a heartbeat. */
  private async probe(): Promise<void> {
    const page = this.page;
    // One question at a time: a hung page keeps the last one unanswered until the restart.
    if (this.stopped || this.busy || !page || this.probing === page) return;
    this.probing = page;
    try {
      const s = await page.evaluate(() => {
        const g = (
          window as unknown as {
            gatecast: {
              pageId: string;
              state(): { current: string | null; loading: string[]; queued: string[] };
            };
          }
        ).gatecast;
        const st = g.state();
        return { pageId: g.pageId, current: st.current, queued: st.loading.length + st.queued.length };
      });
      if (page !== this.page || this.busy) return;
      this.received({ type: 'heartbeat', at: this.clock.now(), ...s });
    } catch {
      // No answer (page reloading, browser gone, protocol timeout): the stall check counts the silence.
    } finally {
      if (this.probing === page) this.probing = undefined;
    }
  }

  /** A sign of life (a report, an answer, the page just opened): the page's silence counts from now. */
  private heard(): void {
    this.lastReportAt = this.clock.now();
    this.armQuiet(this.probeEveryMs);
  }

  private armQuiet(ms: number): void {
    this.timers.clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    if (this.stopped) return;
    this.quietTimer = this.timers.setTimeout(() => {
      this.quietTimer = undefined;
      this.onQuiet();
    }, ms);
  }

  /**
   * The page has said nothing for probeEveryMs: it is asked for its state, again every quarter of
   * that while it does not answer, and the browser is restarted once it has been silent for
   * pageStallMs. No timer runs while the page reports: each report re-arms this one.
   */
  private onQuiet(): void {
    // An operation under way (launch, reload, restart) re-arms when it is done.
    if (this.stopped || this.busy || !this.browser) return;
    const now = this.clock.now();
    const silentMs = now - this.lastReportAt;
    if (silentMs > this.o.pageStallMs) {
      this.log.warn('page stopped reporting', { silentMs });
      void this.serial(() => this.relaunch(`page silent for ${silentMs} ms`));
      return;
    }
    const every = this.probeEveryMs;
    if (silentMs >= every) void this.probe();
    const untilStallMs = this.lastReportAt + this.o.pageStallMs + 1 - now;
    this.armQuiet(Math.max(1, Math.min(silentMs >= every ? every / 4 : every - silentMs, untilStallMs)));
  }

  private armMemoryCheck(): void {
    if (this.stopped) return;
    this.memoryTimer = this.timers.setTimeout(() => {
      this.memoryTimer = undefined;
      this.checkMemory();
      this.armMemoryCheck();
    }, this.o.memoryCheckIntervalMs ?? 15_000);
  }

  private checkMemory(): void {
    if (this.stopped || this.busy || !this.browser) return;
    const pid = this.pid;
    if (!pid) return;
    // PSS is read again only when the RSS sum has grown enough since the last reading to matter;
    // the RSS sum is of the members found at the last PSS reading (or since, if one has gone).
    if (this.tree?.root !== pid) this.tree = new ProcessTree(pid);
    const rss = this.tree.rssBytes();
    const now = this.clock.now();
    const limit = this.o.browserMemoryLimitBytes;
    // A reading is trusted for 20 checks (5 minutes with the default 15 s): the limit is there for
    // slow growth over hours, the health report's figure is at most that old, and each reading
    // costs the daemon ~170 ms of CPU (once a minute, it was a third of its CPU while playing).
    const maxAgeMs = 20 * (this.o.memoryCheckIntervalMs ?? 15_000);
    if (isPssBoundUnder(this.pssReading, rss, now, limit, maxAgeMs)) return;
    const bytes = this.memoryBytes();
    this.pssReading = { pssBytes: bytes, rssBytes: rss, at: now };
    if (bytes > this.o.browserMemoryLimitBytes) {
      this.log.warn('browser memory over limit', { bytes, limit: this.o.browserMemoryLimitBytes });
      void this.serial(() => this.relaunch(`memory ${bytes} bytes over limit`));
    }
  }

  private async relaunch(reason: string): Promise<void> {
    if (this.stopped) return;
    this.busy = true;
    try {
      this.restartCount++;
      this.log.warn('restarting browser', { reason, count: this.restartCount });
      await this.closeBrowser();
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          await this.launchAndOpen();
          break;
        } catch (err) {
          const delayMs = backoffDelayMs(attempt, { baseMs: 500, maxMs: MAX_BACKOFF_MS });
          this.log.error('browser launch failed', { attempt, delayMs, err });
          await this.closeBrowser();
          await new Promise((r) => setTimeout(r, delayMs));
        }
      }
    } finally {
      this.busy = false;
      this.heard();
    }
    const info = { reason, count: this.restartCount, at: this.clock.now() };
    for (const l of this.restartListeners) l(info);
  }

  private async recycle(why: string): Promise<void> {
    const page = this.page;
    if (this.stopped || !page) return;
    this.busy = true;
    try {
      this.log.info('recycling page', { why });
      await this.openPlayer(page);
    } catch (err) {
      this.log.error('page recycle failed; restarting browser', { err });
      await this.relaunch('page recycle failed');
    } finally {
      this.busy = false;
      this.heard();
    }
  }

  private async launchAndOpen(): Promise<void> {
    const o = this.o;
    const width = o.width ?? 1280;
    const height = o.height ?? 720;
    const args = kioskArgs({
      display: o.display,
      headless: o.headless,
      width,
      height,
      isRoot: o.isRoot,
      pageOrigin: this.origin,
    });
    const options: LaunchOptions = {
      executablePath: o.executablePath,
      headless: o.headless,
      userDataDir: o.userDataDir,
      args,
      // CDP over fds 3 and 4 (--remote-debugging-pipe) instead of puppeteer's default
      // --remote-debugging-port=0: nothing but this process can drive the browser.
      pipe: true,
      // Nothing on a kiosk screen is ever meant to be saved to disk.
      downloadBehavior: { policy: 'deny' },
      // No network or issue events over the pipe: Chromium enforces the request policy itself (launch
      // flags, CSP), and an event per request and per frame kept this process busy while playing.
      networkEnabled: false,
      issuesEnabled: false,
      // The automation info bar would show on a kiosk screen; and Chromium's own popup blocker stays
      // on (puppeteer turns it off by default): nothing on air may open a window.
      ignoreDefaultArgs: ['--enable-automation', '--disable-popup-blocking'],
      defaultViewport: o.headless ? { width, height } : null,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      protocolTimeout: o.protocolTimeoutMs ?? 15_000,
      // Waiting for the browser to start: puppeteer's 30 s, or longer where DevTools calls are allowed longer.
      timeout: Math.max(30_000, o.protocolTimeoutMs ?? 0),
      ...(o.env ? { env: o.env } : {}),
    };
    const portFlag = args.find((a) => /^--remote-debugging-(port|address)/.test(a));
    if (portFlag)
      throw new BrowserError(`refusing to launch Chromium with ${portFlag}: the supervisor uses a pipe`);
    let browser: Browser;
    try {
      browser = await puppeteer.launch(options);
    } catch (err) {
      throw new BrowserError(`cannot launch Chromium at ${o.executablePath}`, { cause: err });
    }
    this.browser = browser;
    this.pssReading = undefined;
    this.tree = undefined;
    this.noteProcessGroup(browser);
    // Over a pipe, 'disconnected' waits until every child that inherited the pipe has gone too
    // (seconds after the browser process was killed), so the process's own exit counts as well.
    let lost = false;
    const onLost = (how: string) => {
      if (lost || this.browser !== browser || this.stopped) return;
      lost = true;
      this.log.error('browser disconnected', { how });
      void this.serial(() => this.relaunch('browser disconnected'));
    };
    browser.once('disconnected', () => onLost('connection closed'));
    browser.process()?.once('exit', (code, signal) => onLost(`process exited (${signal ?? code})`));
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    page.on('console', (msg) => this.refused(msg));
    page.on('error', (err) => {
      // The renderer crashed ("Aw, Snap"): a fresh browser is the sure way back.
      if (this.page !== page || this.stopped) return;
      this.log.error('page crashed', { err });
      void this.serial(() => this.relaunch('page crashed'));
    });
    this.page = page;
    await this.listenForReports(page);
    await this.openPlayer(page);
    this.lastRecycleAt = this.clock.now();
    this.log.info('browser up', { pid: browser.process()?.pid, headless: o.headless, display: o.display });
  }

  /** Loads the player page and shows again what was on air and waiting. */
  private async openPlayer(page: Page): Promise<void> {
    // player.js is deferred: it has run by DOMContentLoaded; no need to wait for `load`.
    await page.goto(this.o.pageUrl, { waitUntil: 'domcontentloaded', timeout: PAGE_READY_TIMEOUT_MS });
    if (!(await page.evaluate(() => 'gatecast' in window)))
      await page.waitForFunction(() => 'gatecast' in window, { timeout: PAGE_READY_TIMEOUT_MS });
    this.lastRecycleAt = this.clock.now();
    const restore = this.restoreList();
    if (restore.length) {
      await page.evaluate((slides) => {
        (window as unknown as { gatecast: { replace(s: unknown): void } }).gatecast.replace(slides);
      }, restore as never);
    }
    const notice = this.currentNotice;
    if (notice && notice.untilEpochMs > this.clock.now()) {
      await page.evaluate((n) => {
        (window as unknown as { gatecast: { notice(n: unknown): void } }).gatecast.notice(n);
      }, notice as never);
    }
  }

  /**
   * Exposes `REPORT_BINDING` to the page (for every document it loads from now on) and takes the
   * reports of the player page's own frame: the binding is there in every frame of the page, HTML
   * items' iframes included, so a call from any other execution context is dropped.
   */
  private async listenForReports(page: Page): Promise<void> {
    const session: CDPSession = await page.createCDPSession();
    const own: NonNullable<typeof this.session> = { page, cdp: session, contextId: undefined };
    this.session = own;
    const { frameTree } = await session.send('Page.getFrameTree');
    const playerFrame = frameTree.frame.id;
    const playerContexts = new Set<number>();
    const refusedContexts = new Set<number>();
    session.on('Runtime.executionContextCreated', ({ context }) => {
      const aux = context.auxData as { frameId?: string; isDefault?: boolean } | undefined;
      if (aux?.isDefault === true && aux.frameId === playerFrame) {
        playerContexts.add(context.id);
        own.contextId = context.id;
      }
    });
    session.on('Runtime.executionContextDestroyed', ({ executionContextId }) => {
      playerContexts.delete(executionContextId);
      refusedContexts.delete(executionContextId);
      if (own.contextId === executionContextId) own.contextId = undefined;
    });
    session.on('Runtime.executionContextsCleared', () => {
      playerContexts.clear();
      refusedContexts.clear();
      own.contextId = undefined;
    });
    session.on('Runtime.bindingCalled', ({ name, payload, executionContextId }) => {
      if (name !== REPORT_BINDING || page !== this.page) return;
      if (!playerContexts.has(executionContextId)) {
        if (!refusedContexts.has(executionContextId)) {
          refusedContexts.add(executionContextId);
          this.log.warn('report from a frame other than the player page ignored', {
            payload: payload.slice(0, 200),
          });
        }
        return;
      }
      let report: PageReport;
      try {
        if (payload.length > MAX_REPORT_CHARS) throw new Error(`${payload.length} characters`);
        report = parsePageReport(JSON.parse(payload));
      } catch (err) {
        this.log.warn('bad page report', { err });
        return;
      }
      this.received(report);
    });
    await session.send('Runtime.enable');
    await session.send('Runtime.addBinding', { name: REPORT_BINDING });
  }

  /** What should be on air now (shown at once), then what is still to come. */
  private restoreList(): Slide[] {
    const now = this.clock.now();
    let current = this.onAir;
    const future: Slide[] = [];
    for (const s of this.pending) {
      if (s.startAt <= now) current = s;
      else future.push(s);
    }
    return current ? [{ ...current, startAt: 0, transition: 'cut' }, ...future] : future;
  }

  /**
   * Chromium logs each load it refused to the page's console (a failed load: the proxy rules; a
   * refusal: CSP): worth a line here when it was for anything but the page server.
   */
  private refused(msg: ConsoleMessage): void {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location().url ?? /(?:https?|wss?|file):\/\/[^\s'"]+/.exec(text)?.[0] ?? '';
    if (!/net::ERR_|^Refused to /.test(text) || url.startsWith(`${this.origin}/`)) return;
    this.log.warn('blocked request off the page server', {
      url: url.slice(0, 200),
      error: text.slice(0, 200),
    });
  }

  /**
   * puppeteer spawns Chromium detached (@puppeteer/browsers: `detached` defaults to true off
   * Windows), so the browser leads its own process group and its zygotes, renderers and GPU process
   * stay in it. Checked rather than assumed: a browser that is not its group's leader is only ever
   * killed by pid.
   */
  private noteProcessGroup(browser: Browser): void {
    const pid = browser.process()?.pid;
    const pgid = pid === undefined ? undefined : processGroupOf(pid);
    this.browserGroup = pid !== undefined && pgid === pid ? pgid : undefined;
    if (pid !== undefined && this.browserGroup === undefined)
      this.log.warn('browser does not lead its own process group; frozen children may outlive it', {
        pid,
        pgid,
      });
  }

  /** Whatever is left of the last browser's group (renderers frozen by SIGSTOP ignore every close). */
  private killBrowserGroup(): void {
    const pgid = this.browserGroup;
    this.browserGroup = undefined;
    if (pgid === undefined) return;
    try {
      if (killProcessGroup(pgid)) this.log.info('killed what was left of the browser', { pgid });
    } catch (err) {
      this.log.warn('cannot kill the browser process group', { pgid, err });
    }
  }

  private async closeBrowser(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    this.page = undefined;
    this.session = undefined;
    if (!browser) return;
    const proc: ChildProcess | null = browser.process();
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) {
      // Already gone: no one would answer a close over the pipe (its children may still hold it).
      this.killBrowserGroup();
      await browser.disconnect().catch(() => undefined); // only drops our end of the pipe
      return;
    }
    try {
      await Promise.race([
        browser.close(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('close timed out')), CLOSE_TIMEOUT_MS)),
      ]);
    } catch (err) {
      this.log.warn('browser did not close cleanly; killing it', { err: String(err) });
    }
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    this.killBrowserGroup();
  }
}
