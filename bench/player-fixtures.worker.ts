/**
 * Shared set-up for the player benchmarks (transitions, first-frame, memory): a bundle of mixed
 * items built from tests/fixtures/media in a temp dir, a ContentSource over it, a device config.
 * (The `.worker` suffix keeps this file out of `npm run bench`'s list of benchmarks.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { ContentSource, InstalledBundle } from '../device/content/installed.js';
import { Daemon, type Planner } from '../device/daemon.js';
import { findChromium } from '../device/main.js';
import { ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { kioskArgs } from '../player/browser/launch-args.js';
import { systemClock } from '../protocol/clock.js';
import type { Logger } from '../platform/log.js';
import { type DeviceConfig, parseDeviceConfig } from '../protocol/config.js';
import { dirBundle, placeFixtures } from '../tests/helpers/dir-content.js';
import { playerFiles } from '../tests/helpers/player-bundle.js';

export const SITE = 'bench/gate';
const m = (f: string) => `${SITE}/media/${f}`;

const TEXT = {
  vi: { title: 'Chào mừng', body: 'Vui lòng chuẩn bị hộ chiếu và giấy tờ xuất nhập cảnh' },
  km: { title: 'សូមស្វាគមន៍', body: 'សូមរៀបចំលិខិតឆ្លងដែន និងឯកសារធ្វើដំណើររបស់អ្នក' },
  en: { title: 'Welcome', body: 'Please have your passport and travel documents ready' },
  'zh-Hans': { title: '欢迎', body: '请准备好护照和出入境证件' },
};

export const LANGUAGES = ['vi', 'km', 'en', 'zh-Hans'];

/** The gate's name, hours and the header/main/ticker layout, for the benchmarks that play a layout. */
export const BENCH_LAYOUT = {
  gate: {
    name: {
      vi: 'Cửa khẩu Quốc tế Hà Tiên',
      km: 'ច្រកព្រំដែនអន្តរជាតិហាទៀង',
      en: 'Ha Tien International Border Gate',
      'zh-Hans': '河仙国际口岸',
    },
    hours: [{ start: '07:00', end: '22:00' }],
  },
  layouts: [{ id: 'bench-layout', regions: { header: {}, ticker: {} } }],
};

/** An emergency in the four bench languages, from `startsAt` for a day. */
export function benchEmergency(startsAt: number, id = 'pause') {
  return {
    id,
    text: {
      vi: {
        title: 'Tạm dừng làm thủ tục',
        body: 'Vui lòng ở lại khu vực chờ và làm theo hướng dẫn của cán bộ.',
      },
      km: {
        title: 'ផ្អាកការត្រួតពិនិត្យបណ្ដោះអាសន្ន',
        body: 'សូមស្នាក់នៅកន្លែងរង់ចាំ ហើយធ្វើតាមការណែនាំរបស់មន្ត្រី។',
      },
      en: {
        title: 'Checks paused',
        body: 'Please stay in the waiting area and follow the officers’ instructions.',
      },
      'zh-Hans': { title: '暂停办理通关手续', body: '请留在候检区，并听从工作人员的指示。' },
    },
    startsAt: new Date(startsAt).toISOString(),
    expiresAt: new Date(startsAt + 24 * 3600_000).toISOString(),
  };
}

/**
 * image, video, HTML, image, text: each `itemMs` long, text in four languages; with `layout`, the
 * playlist plays in a header/main/ticker layout (BENCH_LAYOUT).
 */
export function benchManifest(itemMs: number, options: { layout?: boolean } = {}) {
  return {
    ...(options.layout ? BENCH_LAYOUT : {}),
    schema: 1,
    siteGroup: SITE,
    createdAt: '2026-01-01T00:00:00Z',
    items: [
      { id: 'red', title: 'Red', kind: 'image', variants: { vi: { src: m('red.png') } } },
      { id: 'clip', title: 'Clip', kind: 'video', loop: true, variants: { vi: { src: m('clip.webm') } } },
      {
        id: 'pkg',
        title: 'Package',
        kind: 'html',
        variants: { vi: { entry: m('pkg/index.html'), assets: [m('pkg/style.css'), m('pkg/app.js')] } },
      },
      { id: 'green', title: 'Green', kind: 'image', variants: { vi: { src: m('green.png') } } },
      { id: 'notice', title: 'Notice', kind: 'text', style: 'notice', variants: TEXT },
    ],
    playlists: [
      {
        id: 'main',
        name: 'Main',
        transition: 'cut',
        entries: ['red', 'clip', 'pkg', 'green', 'notice'].map((itemId) => ({ itemId, durationMs: itemMs })),
        ticker: { text: { vi: 'Xin chào', km: 'សួស្តី', en: 'Hello', 'zh-Hans': '你好' }, speedPxPerS: 100 },
        ...(options.layout ? { layoutId: 'bench-layout' } : {}),
      },
    ],
    schedule: { defaultPlaylistId: 'main' },
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Copies the fixtures into `dir` and returns the installed bundle over them. */
export function benchBundle(
  dir: string,
  itemMs: number,
  options: { layout?: boolean } = {},
): InstalledBundle {
  placeFixtures(dir, playerFiles(SITE));
  return dirBundle(dir, benchManifest(Math.max(500, itemMs), options));
}

export function staticContent(bundle: InstalledBundle | undefined): ContentSource {
  return { current: () => bundle, onChange: () => () => undefined };
}

export function benchConfig(dataDir: string): DeviceConfig {
  return parseDeviceConfig({
    deviceId: 'bench-screen',
    gate: { siteGroup: SITE, name: 'Bench gate', languages: LANGUAGES },
    dataDir,
    // Unreachable on purpose: playing must not need it.
    server: { url: 'https://127.0.0.1:9/' },
    logLevel: 'warn',
  });
}

/**
 * The daemon alone, offline, playing `bundle` in a supervised headless Chromium at 1280×720 (its
 * profile in `dir`/chromium), as the player benchmarks run it; `onSupervisor` sees the supervisor
 * each time the daemon makes one.
 */
export function headlessDaemon(o: {
  dir: string;
  config: DeviceConfig;
  /** A bundle, or a content source (a benchmark that publishes while playing). */
  bundle: InstalledBundle | ContentSource;
  log: Logger;
  chromium?: string;
  onSupervisor?: (supervisor: ChromiumSupervisor) => void;
  /** The schedule engine (emergencies included); without it the default playlist plays. */
  planner?: Planner;
}): Daemon {
  return new Daemon({
    ...(o.planner ? { hooks: { planner: o.planner } } : {}),
    config: o.config,
    content: 'manifest' in o.bundle ? staticContent(o.bundle) : o.bundle,
    clock: systemClock,
    log: o.log,
    createSurface: (server) => {
      const supervisor = new ChromiumSupervisor({
        executablePath: o.chromium ?? findChromium(undefined),
        pageUrl: server.pageUrl,
        display: 'none',
        headless: true,
        userDataDir: join(o.dir, 'chromium'),
        isRoot: process.getuid?.() === 0,
        width: 1280,
        height: 720,
        pageStallMs: o.config.player.pageStallMs,
        browserMemoryLimitBytes: o.config.player.browserMemoryLimitBytes,
        log: o.log,
      });
      o.onSupervisor?.(supervisor);
      return supervisor;
    },
  });
}

/**
 * A bare headless Chromium at 1280×720 with the player's kiosk flags (profile in `userDataDir`),
 * and its first tab: what the player benchmarks' baselines run.
 */
export async function bareChromium(
  chromium: string,
  userDataDir: string,
): Promise<{ browser: Browser; tab: Page }> {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir,
    args: kioskArgs({
      display: 'none',
      headless: true,
      width: 1280,
      height: 720,
      isRoot: process.getuid?.() === 0,
    }),
    defaultViewport: { width: 1280, height: 720 },
  });
  const tab = (await browser.pages())[0] ?? (await browser.newPage());
  return { browser, tab };
}
