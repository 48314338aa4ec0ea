/**
 * Report PDFs are bounded on the real server: a fixed number built and printed at once, a short
 * queue, and a clear 429 beyond it; and a report period has a maximum length.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../platform/log.js';
import { parseServerConfig } from '../../../sync-server/config/config.js';
import { SyncServer } from '../../../sync-server/main.js';
import { apiLogin, createUsers } from '../../helpers/dashboard.js';
import { FAKE_ROOT, GATE, OPS_TOKEN, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

describe('report limits on the real server', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServer;
  let cookie: string;
  let running = 0;
  let maxRunning = 0;
  let started = 0;
  const release: (() => void)[] = [];

  beforeEach(async () => {
    dir = tempDir();
    running = maxRunning = started = 0;
    release.length = 0;
    const dataDir = join(dir.path, 'server');
    await createUsers(dataDir, [
      { username: 'admin', role: 'admin' },
      { username: 'viewer', role: 'viewer' },
    ]);
    writeFileSync(join(dir.path, 'root.json'), JSON.stringify(FAKE_ROOT));
    const config = parseServerConfig({
      dataDir,
      port: 0,
      opsToken: OPS_TOKEN,
      trustedRootFile: join(dir.path, 'root.json'),
      gates: [GATE],
      reports: { pdfConcurrency: 1, pdfQueueMax: 2, pdfRetryAfterMs: 20_000 },
    });
    // Printing is injected: each job holds its slot until the test lets it finish.
    server = new SyncServer(config, {
      log: memoryLogger('server'),
      renderPdf: async () => {
        started++;
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        return new TextEncoder().encode('%PDF-1.7 test');
      },
    });
    await server.start();
    cookie = (await apiLogin(server.url, 'viewer')).cookie;
  });

  afterEach(async () => {
    for (const r of release.splice(0)) r();
    await server.stop();
    dir.cleanup();
  });

  const get = (query: string) => fetch(`${server.url}/api/reports?${query}`, { headers: { cookie } });

  it('prints at most the configured number of PDFs at once, queues a few and refuses the rest with 429', async () => {
    const responses = Array.from({ length: 6 }, () => get('period=2026-Q1&format=pdf&lang=en'));
    await until(() => started === 1);
    // 1 printing, 2 waiting: the other 3 are refused at once, before anything else finishes.
    const settled: Response[] = [];
    for (const p of responses) void p.then((r) => settled.push(r));
    await until(() => settled.length === 3);
    for (const r of settled) {
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('20');
      expect(await r.json()).toEqual({
        error: {
          code: 'REPORT_BUSY',
          message: 'The server is busy printing other report PDFs, try again in 20 seconds',
          retryAfterS: 20,
        },
      });
    }
    for (let done = 1; done <= 3; done++) {
      await until(() => release.length === 1);
      release.shift()!();
      await until(() => settled.length === 3 + done);
    }
    expect(maxRunning).toBe(1);
    expect(started).toBe(3);
    expect(settled.slice(3).map((r) => r.status)).toEqual([200, 200, 200]);
    // Free again: the next one is printed.
    const next = get('period=2026&format=pdf');
    await until(() => release.length === 1);
    release.shift()!();
    expect((await next).status).toBe(200);
  });

  it('refuses a five-year period with a named error in the asked language, and serves a year', async () => {
    const vi = await get('period=2021-01-01..2025-12-31&format=csv');
    expect(vi.status).toBe(400);
    expect(await vi.json()).toEqual({
      error: {
        code: 'REPORT_PERIOD_TOO_LONG',
        message: 'Kỳ báo cáo dài tối đa 400 ngày; kỳ đã chọn có 1826 ngày',
        maxDays: 400,
      },
    });
    const en = await get('period=2021-01-01..2025-12-31&format=pdf&lang=en');
    expect(en.status).toBe(400);
    expect(((await en.json()) as { error: { message: string } }).error.message).toBe(
      'A report period is at most 400 days; the one chosen has 1826',
    );
    expect(started).toBe(0);
    expect((await get('period=2024&format=csv')).status).toBe(200);
    expect((await get('period=2025&basis=reporting&format=html')).status).toBe(200);
    expect((await get('period=2024-01-01..2025-01-31&format=csv')).status).toBe(200);
  });
});
