/**
 * Child process for the CPU benchmark: the daemon alone (page server, supervised headless Chromium,
 * player loop) playing the six one-second items offline, as on a screen (no frame accounting).
 * Prints `{"ready":true}` once the first item is on air; on SIGTERM prints the start jitter of every
 * item shown (`{"jitterMs":[…]}`) and exits.
 */
import { join } from 'node:path';
import { Daemon } from '../device/daemon.js';
import { findChromium } from '../device/main.js';
import { ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { systemClock } from '../protocol/clock.js';
import { createLogger, setLogLevel } from '../platform/log.js';
import { cpuBundle } from './cpu-fixtures.worker.js';
import { benchConfig, staticContent, tempDir } from './player-fixtures.worker.js';

const dir = tempDir('gatecast-bench-cpu-');
const config = benchConfig(dir);
setLogLevel('warn');
const log = createLogger('bench:cpu-daemon');
const { bundle } = cpuBundle(dir, 1000);
const daemon = new Daemon({
  config,
  content: staticContent(bundle),
  clock: systemClock,
  log,
  createSurface: (server) =>
    new ChromiumSupervisor({
      executablePath: findChromium(undefined),
      pageUrl: server.pageUrl,
      display: 'none',
      headless: true,
      userDataDir: join(dir, 'chromium'),
      isRoot: process.getuid?.() === 0,
      width: 1280,
      height: 720,
      pageStallMs: config.player.pageStallMs,
      browserMemoryLimitBytes: config.player.browserMemoryLimitBytes,
      log,
    }),
});
const jitterMs: number[] = [];
let first = true;
daemon.onPlayed((e) => {
  if (e.scheduledStart > 0) jitterMs.push(e.actualStart - e.scheduledStart);
  if (first) process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  first = false;
});
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ jitterMs })}\n`);
  void daemon.stop().then(() => process.exit(0));
});
await daemon.start();
