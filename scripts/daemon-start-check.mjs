#!/usr/bin/env node
// Starts the demo headless from the build (a local sync server, a screen enrolled with a one-time
// token, the screen daemon playing the signed sample bundle in headless Chromium) and checks that
// the daemon came up: the first item goes on air, and a health sample reaches the server through
// the device link (read back from the ops API). Prints how long each took and exits 0, or says
// what did not happen within --timeout-s and exits 1. Used by scripts/arm64-root.sh check.
//
//   node scripts/daemon-start-check.mjs [--timeout-s 900] [--protocol-timeout-s 15] [--dir DIR]
//
// --protocol-timeout-s sets the screen's player.protocolTimeoutMs (and its page-stall limit to the
// same): under qemu user emulation Chromium's first DevTools answers take minutes, not the
// milliseconds a Pi needs; the default is the Pi's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'timeout-s': { type: 'string', default: '900' },
    'protocol-timeout-s': { type: 'string', default: '15' },
    dir: { type: 'string' },
  },
});
const timeoutS = Number(values['timeout-s']);
if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
  console.error(`--timeout-s must be a positive number of seconds (got ${values['timeout-s']})`);
  process.exit(2);
}
const protocolTimeoutS = Number(values['protocol-timeout-s']);
if (!Number.isFinite(protocolTimeoutS) || protocolTimeoutS < 1) {
  console.error(`--protocol-timeout-s must be at least 1 second (got ${values['protocol-timeout-s']})`);
  process.exit(2);
}
const slow = protocolTimeoutS > 15;
// A folder that does not exist yet: the demo makes it and marks it as its own.
const dir = values.dir ?? join(mkdtempSync(join(tmpdir(), 'gatecast-start-')), 'demo');

const { startDemo } = await import('../dist/cli/demo.js');
const { setLogLevel } = await import('../dist/platform/log.js');
setLogLevel('warn');

const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);
const lines = [];
const running = await startDemo({
  dir,
  port: 0,
  durationS: 0,
  headless: true,
  out: (l) => lines.push(l),
  ...(slow
    ? { player: { protocolTimeoutMs: protocolTimeoutS * 1000, pageStallMs: protocolTimeoutS * 1000 } }
    : {}),
});
console.log(`daemon started: ${seconds()} s (server ${running.server.url}, device ${running.deviceId})`);

let firstItem;
const onAir = new Promise((resolve) => {
  if (running.device.daemon.status().played > 0) {
    firstItem = 'played before the check subscribed';
    resolve(seconds());
    return;
  }
  const unsubscribe = running.device.daemon.onPlayed((e) => {
    unsubscribe();
    firstItem = `${e.item.itemId} [${e.language}]`;
    resolve(seconds());
  });
});

async function healthSamples() {
  const res = await fetch(`${running.server.url}/api/devices/${running.deviceId}/health`, {
    headers: { authorization: `Bearer ${running.opsToken}` },
  });
  if (!res.ok) throw new Error(`GET /api/devices/${running.deviceId}/health: HTTP ${res.status}`);
  const body = await res.json();
  return body.points.length;
}

const healthReached = (async () => {
  for (;;) {
    // The server may refuse for a moment while it starts; only the timeout ends the wait.
    if ((await healthSamples().catch(() => 0)) > 0) return seconds();
    await new Promise((r) => setTimeout(r, 1000));
  }
})();

let timer;
const timedOut = new Promise((resolve) => {
  timer = setTimeout(() => resolve('timeout'), timeoutS * 1000);
});
const outcome = await Promise.race([Promise.all([onAir, healthReached]), timedOut]);
clearTimeout(timer);

let ok = false;
if (outcome === 'timeout') {
  const played = running.device.daemon.status().played;
  console.log(
    `daemon start check failed: after ${timeoutS} s, ${played} items on air, ` +
      `${await healthSamples().catch((e) => `? (${e.message})`)} health samples on the server`,
  );
} else {
  const [itemS, healthS] = outcome;
  console.log(`first item on air: ${itemS} s (${firstItem})`);
  console.log(`first health sample on the server: ${healthS} s`);
  console.log(`daemon up: ${Math.max(Number(itemS), Number(healthS)).toFixed(1)} s (on air and reporting)`);
  ok = true;
}
await running.stop();
console.log(`stopped: ${seconds()} s; demo folder ${dir}`);
process.exit(ok ? 0 : 1);
