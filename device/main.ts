/**
 * The screen daemon's entry point: `node dist/device/main.js --config /etc/gatecast/device.json`.
 * The only file that reads the environment and picks adapters. Exits 1 on anything unexpected, so
 * systemd restarts it; SIGTERM stops it cleanly.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserError, ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { chromiumCandidates, type DisplayKind } from '../player/browser/launch-args.js';
import { systemClock } from '../protocol/clock.js';
import { type DeviceConfig, parseDeviceConfig } from '../protocol/config.js';
import { ConfigError, isGatecastError } from '../protocol/errors.js';
import { createLogger, setLogLevel } from '../protocol/log.js';
import type { ContentSource, InstalledBundle } from './content/installed.js';
import { Daemon, type DaemonHooks } from './daemon.js';

const log = createLogger('device:main');

export const DEFAULT_CONFIG_PATH = '/etc/gatecast/device.json';

/** `--config PATH`, `--config=PATH` or a lone path; the default otherwise. */
export function configPathFrom(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') {
      const v = argv[i + 1];
      if (!v) throw new ConfigError('--config needs a path');
      return v;
    }
    if (a.startsWith('--config=')) return a.slice('--config='.length);
    if (!a.startsWith('-')) return a;
  }
  return DEFAULT_CONFIG_PATH;
}

export function loadConfig(path: string): DeviceConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as Error).message}`, [], { cause: err });
  }
  return parseDeviceConfig(raw);
}

/** Wayland first (Raspberry Pi OS's default session), then X11; none means headless. */
export function displayFrom(env: Record<string, string | undefined>): DisplayKind {
  if (env['WAYLAND_DISPLAY']) return 'wayland';
  if (env['DISPLAY']) return 'x11';
  return 'none';
}

export function findChromium(configured: string | undefined): string {
  const candidates = chromiumCandidates(configured);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new BrowserError(`Chromium not found (tried ${candidates.join(', ')})`);
  return found;
}

/**
 * CONTENT STORE hook: the verified content store (device/content/) is wired here. Until it is, the
 * daemon runs with nothing installed and shows the "waiting for content" card.
 */
export function openContentSource(_config: DeviceConfig): ContentSource {
  return {
    current: (): InstalledBundle | undefined => undefined,
    onChange: () => () => undefined,
  };
}

/** UPDATE/SYNC/PROOF-OF-PLAY/SCHEDULE hooks are wired here (see DaemonHooks). */
export function daemonHooks(_config: DeviceConfig): DaemonHooks {
  return {};
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<Daemon> {
  const config = loadConfig(configPathFrom(argv));
  setLogLevel(config.logLevel);
  const display = displayFrom(env);
  const headless = config.player.headless === 'auto' ? display === 'none' : config.player.headless;
  const executablePath = findChromium(config.player.chromiumPath);
  const userDataDir = join(config.dataDir, 'chromium');
  mkdirSync(userDataDir, { recursive: true });
  if (display === 'none' && !headless) log.warn('no display found but headless is off; Chromium may fail');

  const daemon = new Daemon({
    config,
    content: openContentSource(config),
    clock: systemClock,
    createSurface: (server) =>
      new ChromiumSupervisor({
        executablePath,
        pageUrl: server.pageUrl,
        reports: server,
        display,
        headless,
        userDataDir,
        isRoot: process.getuid?.() === 0,
        pageStallMs: config.player.pageStallMs,
        browserMemoryLimitBytes: config.player.browserMemoryLimitBytes,
        env: { ...env },
      }),
    hooks: daemonHooks(config),
  });
  await daemon.start();
  return daemon;
}

function fatal(err: unknown): never {
  if (isGatecastError(err)) log.error(err.message, { code: err.code });
  else log.error('unexpected error; exiting', { err });
  process.exit(1);
}

// Run only when executed directly (tests import the helpers above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let stopping = false;
  const daemon = await main().catch(fatal);
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    daemon.stop().then(
      () => process.exit(0),
      (err) => fatal(err),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
