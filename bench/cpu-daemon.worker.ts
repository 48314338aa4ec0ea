/**
 * Child process for the CPU benchmark: the daemon alone (page server, supervised headless Chromium,
 * player loop) playing the six one-second items offline, as on a screen (no frame accounting).
 * Prints `{"ready":true}` once the first item is on air; on SIGTERM prints the start jitter of every
 * item shown (`{"jitterMs":[…]}`) and exits.
 */
import { createLogger, setLogLevel } from '../platform/log.js';
import { cpuBundle } from './cpu-fixtures.worker.js';
import { benchConfig, headlessDaemon, tempDir } from './player-fixtures.worker.js';

const dir = tempDir('gatecast-bench-cpu-');
const config = benchConfig(dir);
setLogLevel('warn');
const log = createLogger('bench:cpu-daemon');
const { bundle } = cpuBundle(dir, 1000);
const daemon = headlessDaemon({ dir, config, bundle, log });
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
