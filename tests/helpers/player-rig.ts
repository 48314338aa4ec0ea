/** A page server plus a supervised headless Chromium, for the player's integration tests. */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  ChromiumSupervisor,
  type RestartInfo,
  type SupervisorOptions,
} from '../../player/browser/chromium-supervisor.js';
import { PageServer, type ServedContent } from '../../player/page-server.js';
import type { PageReport, Slide } from '../../player/slide.js';
import { memoryLogger } from '../../platform/log.js';
import { chromiumPath } from './chromium.js';
import { MutableContentSource } from './dir-content.js';
import { playerBundle } from './player-bundle.js';
import { tempDir } from './temp.js';

export interface Rig {
  server: PageServer;
  surface: ChromiumSupervisor;
  reports: PageReport[];
  log: ReturnType<typeof memoryLogger>;
  /** Resolves with the first report (from now on) matching `pred`. */
  waitFor(pred: (r: PageReport) => boolean, timeoutMs?: number): Promise<PageReport>;
  stop(): Promise<void>;
}

export async function startRig(
  content: ServedContent,
  profileDir: string,
  options: Partial<SupervisorOptions> = {},
): Promise<Rig> {
  const log = memoryLogger('rig');
  const server = new PageServer({ content, log: log.child('server') });
  await server.start();
  const surface = new ChromiumSupervisor({
    executablePath: chromiumPath(),
    pageUrl: server.pageUrl,
    display: 'none',
    headless: true,
    userDataDir: join(profileDir, 'chromium'),
    isRoot: process.getuid?.() === 0,
    width: 800,
    height: 450,
    pageStallMs: 5000,
    browserMemoryLimitBytes: 4 * 1024 ** 3,
    log: log.child('browser'),
    ...options,
  });
  const reports: PageReport[] = [];
  const waiters = new Set<{ pred: (r: PageReport) => boolean; resolve: (r: PageReport) => void }>();
  surface.onReport((r) => {
    reports.push(r);
    for (const w of waiters) {
      if (w.pred(r)) {
        waiters.delete(w);
        w.resolve(r);
      }
    }
  });
  await surface.start();
  return {
    server,
    surface,
    reports,
    log,
    waitFor: (pred, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (r: PageReport) => {
            clearTimeout(t);
            resolve(r);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching page report within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      }),
    stop: async () => {
      await surface.stop();
      await server.stop();
    },
  };
}

export function slide(partial: Partial<Slide> & Pick<Slide, 'id' | 'content'>): Slide {
  return {
    startAt: 0,
    durationMs: 1000,
    transition: 'cut',
    fadeMs: 0,
    lang: 'vi',
    ticker: null,
    ...partial,
  };
}

/** The supervisor's next restart of the browser; rejects when none comes within `timeoutMs`. */
export function nextRestart(rig: Rig, timeoutMs = 30_000): Promise<RestartInfo> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no restart')), timeoutMs);
    const off = rig.surface.onRestart((info) => {
      clearTimeout(t);
      off();
      resolve(info);
    });
  });
}

export const started = (id: string) => (r: PageReport) => r.type === 'started' && r.slideId === id;

/**
 * One rig per test over the sample player bundle in a fresh temp dir. Call in a describe block;
 * `await rigs.start(options)` in a test; the rig is stopped and its dir removed after each test.
 */
export function rigPerTest(prefix: string): { start(options?: Partial<SupervisorOptions>): Promise<Rig> } {
  let dir: ReturnType<typeof tempDir> | undefined;
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.stop();
    dir?.cleanup();
    rig = undefined;
    dir = undefined;
  });
  return {
    async start(options = {}) {
      dir = tempDir(prefix);
      rig = await startRig(new MutableContentSource(playerBundle(dir.path)), dir.path, options);
      return rig;
    },
  };
}
