/**
 * `npm run bench -- selftest [runs]`: wall time of `selftest` (config, Chromium launch, the screenshot
 * glyph check for vi/km/lo/zh-Hans/en, display probe, disk, memory, clock, server GET, keys) against
 * the baseline of a bare Chromium launch + one screenshot, same run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadOrCreateIdentity } from '../device/identity.js';
import { trustRootPath } from '../provisioning/paths.js';
import { findChromium } from '../provisioning/probes.js';
import { selftest } from '../provisioning/selftest.js';
import { launchCheckBrowser } from '../provisioning/selftest-glyphs.js';
import { medianResultLine, printRunTimes } from './lib.js';

export default async function (args: string[]): Promise<void> {
  const runs = Number(args[0] ?? 5);
  const chromium = await findChromium(process.env['CHROMIUM_PATH']);
  if (!chromium) throw new Error('Chromium not found');
  // stands in for the sync server's GET /api/health (the bench times the device side)
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true,"version":"bench","uptimeS":0}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'gatecast-bench-st-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dirname(trustRootPath(dataDir)), { recursive: true });
  writeFileSync(trustRootPath(dataDir), JSON.stringify({ signed: { _type: 'root' } }));
  loadOrCreateIdentity(dataDir); // the device key, at deviceKeyPath(dataDir)
  const configPath = join(dir, 'device.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      deviceId: 'bench',
      gate: {
        siteGroup: 'kien-giang/ha-tien',
        name: 'Hà Tiên',
        languages: ['vi', 'km', 'lo', 'zh-Hans', 'en'],
      },
      dataDir,
      server: { url },
    }),
  );
  const full: number[] = [];
  const base: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await selftest({
        configPath,
        lang: 'en',
        env: { PATH: process.env['PATH'] },
        chromiumPath: chromium,
      });
      full.push(performance.now() - t0);
      if (i === 0) process.stdout.write(`checks: ${r.checks.length}, ok: ${r.ok}\n`);
      const t1 = performance.now();
      const b = await launchCheckBrowser(chromium);
      const page = await b.newPage();
      await page.setContent('<p>x</p>');
      await page.screenshot({ type: 'png' });
      await b.close();
      base.push(performance.now() - t1);
    }
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
  printRunTimes(runs, 'selftest', full, 'launch + 1 screenshot', base);
  medianResultLine('selftest', 'ms median', full, base, '< 2x the bare launch');
}
