/**
 * Child process for the memory benchmark: the daemon alone (page server, supervised headless
 * Chromium, player loop) playing a bundle of `--item-ms` items, with the server unreachable. Prints
 * one JSON line per event on stdout: `{"ready":true}`, then `{"restart":…}` and `{"played":N}`.
 */
import { ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { createLogger, setLogLevel } from '../platform/log.js';
import { benchBundle, benchConfig, headlessDaemon, tempDir } from './player-fixtures.worker.js';

const i = process.argv.indexOf('--item-ms');
const itemMs = i >= 0 ? Number(process.argv[i + 1]) : 1000;
const dir = tempDir('gatecast-bench-mem-');
const config = benchConfig(dir);
// Warnings and errors only, as JSON lines on stdout (the parent skips them); nothing kept in memory.
setLogLevel('warn');
const log = createLogger('bench:memory-daemon');
let supervisor: ChromiumSupervisor | undefined;
const daemon = headlessDaemon({
  dir,
  config,
  bundle: benchBundle(dir, itemMs),
  log,
  onSupervisor: (s) => {
    supervisor = s;
    s.onRestart((r) =>
      process.stdout.write(`${JSON.stringify({ restart: r.reason })}
`),
    );
  },
});
let played = 0;
daemon.onPlayed(() => {
  played++;
});
setInterval(() => process.stdout.write(`${JSON.stringify({ played, browserPid: supervisor?.pid })}\n`), 5000);
await daemon.start();
process.stdout.write(`${JSON.stringify({ ready: true, browserPid: supervisor?.pid })}\n`);
process.on('SIGTERM', () => {
  void daemon.stop().then(() => process.exit(0));
});
