/** A real gate screen for end-to-end tests: enrolled with a one-time token, its daemon in headless Chromium. */
import { readFileSync, writeFileSync } from 'node:fs';
import { type DeviceHandle, loadConfig, startDevice } from '../../device/main.js';
import { enrolDevice } from '../../device/sync/enrol.js';
import { memoryLogger } from '../../platform/log.js';
import { chromiumPath } from './chromium.js';
import type { startServer } from './sync.js';

export interface Screen {
  device: DeviceHandle;
  deviceId: string;
  log: ReturnType<typeof memoryLogger>;
}

/** Enrols a screen at `siteGroup` through the server's API into `dataDir` and starts its daemon. */
export async function startScreen(
  s: Awaited<ReturnType<typeof startServer>>,
  dataDir: string,
  opts: { siteGroup: string; screenName?: string; healthIntervalMs?: number },
): Promise<Screen> {
  const token = await s.api('POST', '/api/enrolment-tokens', {
    siteGroup: opts.siteGroup,
    screenName: opts.screenName ?? 'arrivals-1',
  });
  if (token.status !== 201) throw new Error(`enrolment token: ${token.status}`);
  const enrolled = await enrolDevice({ serverUrl: s.server.url, token: token.body.token, dataDir });
  const raw = JSON.parse(readFileSync(enrolled.configPath, 'utf8'));
  raw.player = { ...raw.player, chromiumPath: chromiumPath(), headless: true };
  if (opts.healthIntervalMs) raw.health = { intervalMs: opts.healthIntervalMs };
  writeFileSync(enrolled.configPath, JSON.stringify(raw));
  const log = memoryLogger('device');
  const device = await startDevice(loadConfig(enrolled.configPath), { log, env: {} });
  return { device, deviceId: enrolled.deviceId, log };
}
