/**
 * `npm run bench -- dashboard [--devices N] [--updates U] [--runs R]`
 *
 * The fleet page of the real sync server with N devices (default 5,000; the registry seeded
 * directly: 10 provinces, 5 gates each, one health report per device) in headless Chromium:
 * 1. time to first render: navigation start → the page loaded with every row in the DOM;
 * 2. time to apply U live updates (default 1,000): health reports for U distinct devices fed to the
 *    hub's event stream as ingest would (in batches of 10 per event-loop turn, as devices report
 *    independently), → every changed row applied in the page (SSE → DOM).
 * Baseline, same run: a static HTML file with the same N rows in plain tables, no script, loaded
 * from disk (file://).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../platform/log.js';
import { parseServerConfig } from '../sync-server/config/config.js';
import { REGISTRY_DB, SyncServer } from '../sync-server/main.js';
import { Registry } from '../sync-server/registry/registry.js';
import { escapeHtml } from '../sync-server/web/escape.js';
import type { HubEvent } from '../sync-server/ingest/ws-connection.js';
import { apiLogin, createUsers, launchChromium } from '../tests/helpers/dashboard.js';
import { healthAt } from '../tests/helpers/health.js';
import { median, medianResultLine, positiveArg } from './lib.js';

const health = (at: number, i: number, item: string) =>
  healthAt(at, {
    cpuTempC: 45 + (i % 20),
    display: i % 17 === 0 ? 'off' : 'on',
    currentItem: item,
    currentLanguage: ['vi', 'km', 'en', 'zh-Hans'][i % 4]!,
    network: null,
  });

export default async function dashboard(args: string[]): Promise<void> {
  const n = positiveArg(args, 'devices', 5000);
  const updates = Math.min(positiveArg(args, 'updates', 1000), n);
  const runs = positiveArg(args, 'runs', 5);
  const dir = mkdtempSync(join(tmpdir(), 'gatecast-bench-dashboard-'));
  const dataDir = join(dir, 'server');
  const now = Date.now();
  try {
    // Seed the registry directly.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const gates = Array.from({ length: 50 }, (_, g) => ({
      siteGroup: `province-${Math.floor(g / 5)}/gate-${g % 5}`,
      name: `Cửa khẩu ${g} <Quốc tế>`,
      timezone: 'Asia/Ho_Chi_Minh',
      languages: ['vi', 'km', 'en'],
      missingVariant: { mode: 'skip' as const },
    }));
    const reg = new Registry(join(dataDir, REGISTRY_DB));
    reg.open();
    for (const g of gates) reg.gates.upsert(g);
    const devices = Array.from({ length: n }, (_, i) => ({
      id: `dev-${String(i).padStart(5, '0')}`,
      siteGroup: gates[i % gates.length]!.siteGroup,
      screenName: `Màn hình ${i}`,
      publicKey: `key-${i}`,
      nowMs: now,
    }));
    reg.devices.addMany(devices);
    reg.ingest.storeBatches(
      devices.map((d, i) => ({
        deviceId: d.id,
        stream: 'health' as const,
        fromSeq: 1,
        records: [{ seq: 1, at: now - 60_000, payload: health(now - 60_000, i, `item-${i % 40}`) }],
      })),
    );
    await reg.close();
    await createUsers(dataDir, [{ username: 'bench', role: 'admin' }]);
    writeFileSync(join(dir, 'root.json'), '{}');
    const server = new SyncServer(
      parseServerConfig({
        dataDir,
        port: 0,
        opsToken: 'bench-ops-token-0123456789abcdef',
        trustedRootFile: join(dir, 'root.json'),
      }),
      { log: memoryLogger('server') },
    );
    await server.start();

    // The static baseline: the same rows, plain tables, from a file.
    const rows = server.fleet.rows();
    const staticHtml = `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>static</title></head><body>${gates
      .map(
        (g) =>
          `<h3>${escapeHtml(g.name)}</h3><table><tbody>${rows
            .filter((r) => r.siteGroup === g.siteGroup)
            .map(
              (r) =>
                `<tr><td>${escapeHtml(r.screenName)}</td><td>${r.state}</td><td>${r.lastSeenMs}</td><td>${escapeHtml(r.currentItem)}</td><td>${escapeHtml(r.currentLanguage)}</td><td>${escapeHtml(r.installedVersion)}</td><td></td></tr>`,
            )
            .join('')}</tbody></table>`,
      )
      .join('')}</body></html>`;
    const staticFile = join(dir, 'static.html');
    writeFileSync(staticFile, staticHtml);

    const browser = await launchChromium();
    try {
      const [name, value] = (await apiLogin(server.url, 'bench')).cookie.split('=') as [string, string];
      const url = new URL(server.url);

      const firstRender: number[] = [];
      const baseline: number[] = [];
      const apply: number[] = [];
      // The hub's own event path (private): what ingest calls after storing a batch.
      const emit = (e: HubEvent) => (server.hub as unknown as { emit(e: HubEvent): void }).emit(e);
      let seq = 2;
      for (let r = 0; r < runs + 1; r++) {
        // A fresh tab each run, so that one run's DOM and history do not slow the next.
        const page = await browser.newPage();
        await page.setCookie({ name, value, domain: url.hostname, path: '/' });
        let t = performance.now();
        await page.goto(`file://${staticFile}`, { waitUntil: 'load' });
        const staticRows = await page.$$eval('tr', (x) => x.length);
        const tStatic = performance.now() - t;
        t = performance.now();
        await page.goto(`${server.url}/dashboard`, { waitUntil: 'load' });
        const liveRows = await page.$$eval('tr[data-id]', (x) => x.length);
        const tFleet = performance.now() - t;
        if (liveRows !== n || staticRows !== n)
          throw new Error(`rows: fleet ${liveRows}, static ${staticRows}, want ${n}`);
        await page.waitForFunction(() => document.getElementById('live')?.textContent !== '');
        // Live updates: U devices report a new current item, 10 per event-loop turn.
        t = performance.now();
        const item = `live-${r}`;
        for (let i = 0; i < updates; i += 10) {
          for (let k = i; k < Math.min(i + 10, updates); k++) {
            const d = devices[(k * 7) % n]!;
            emit({
              type: 'stored',
              deviceId: d.id,
              stream: 'health',
              records: [{ seq, at: Date.now(), payload: health(Date.now(), k, item) }],
            });
          }
          seq++;
          await new Promise((res) => setImmediate(res));
        }
        await page.waitForFunction(
          (u) => (window as unknown as { gcApplied: number }).gcApplied >= u,
          { timeout: 60_000, polling: 'raf' },
          updates,
        );
        const tApply = performance.now() - t;
        await page.close();
        if (r === 0) continue; // warm-up
        firstRender.push(tFleet);
        baseline.push(tStatic);
        apply.push(tApply);
        process.stdout.write(
          `run ${r}: first render ${tFleet.toFixed(0)} ms (static ${tStatic.toFixed(0)} ms), ${updates} live updates applied in ${tApply.toFixed(0)} ms\n`,
        );
      }
      process.stdout.write(
        `dashboard: ${n} devices; median first render ${median(firstRender).toFixed(0)} ms, static table ${median(baseline).toFixed(0)} ms; ${updates} live updates ${median(apply).toFixed(0)} ms\n`,
      );
      medianResultLine(
        'dashboard',
        'ms first render',
        firstRender,
        baseline,
        '< 2000 ms first render; 1,000 updates < 1000 ms',
      );
    } finally {
      await browser.close();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
