import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { renderPdf } from '../../../sync-server/reports/pdf.js';
import { JobQueue } from '../../../sync-server/reports/job-queue.js';
import { parsePeriod, REPORT_HTML_CSP, reportRoutes } from '../../../sync-server/reports/routes.js';
import type { ReportDataSource } from '../../../sync-server/reports/data-source.js';
import type { ProofOfPlayRecord, ReportDevice, ReportGate } from '../../../sync-server/reports/types.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { chain, testVerifyChain } from '../../helpers/pop-chain.js';
import { askedLanguageOf } from '../../../sync-server/dashboard/language.js';
import { type AccountsApp, startAccountsApp } from '../../helpers/accounts-app.js';

const H = 3_600_000;
const day = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026 00:00 local

const gates: ReportGate[] = [
  {
    siteGroup: 'kien-giang/ha-tien',
    name: 'Hà Tiên',
    provinceId: 'kien-giang',
    provinceName: 'Kiên Giang',
    timezone: 'Asia/Ho_Chi_Minh',
  },
  {
    siteGroup: 'lao-cai/lao-cai',
    name: 'Lào Cai',
    provinceId: 'lao-cai',
    provinceName: 'Lào Cai',
    timezone: 'Asia/Ho_Chi_Minh',
  },
];
const devices: ReportDevice[] = [
  { deviceId: 'ht-1', name: 'Sảnh', siteGroup: 'kien-giang/ha-tien' },
  { deviceId: 'lc-1', name: 'Nhà chờ', siteGroup: 'lao-cai/lao-cai' },
];
const records: Record<string, ProofOfPlayRecord[]> = {
  'ht-1': chain(
    'ht-1',
    Array.from({ length: 40 }, (_, i) => ({
      itemId: 'visa',
      language: i % 2 ? 'km' : 'vi',
      actualStart: day + 8 * H + i * 10_000,
      durationMs: 10_000,
    })),
  ),
  'lc-1': chain('lc-1', [
    { itemId: 'hai-quan', language: 'zh-Hans', actualStart: day + 9 * H, durationMs: 10_000 },
  ]),
};

describe('report routes', () => {
  let web: AccountsApp;
  let cookie: string;
  const asked: [string, number, number][] = [];

  beforeAll(async () => {
    const clock = fakeClock('2026-04-01T00:00:00Z');
    const source: ReportDataSource = {
      gates: async () => gates,
      devices: async () => devices,
      deviceData: async (id, from, to) => {
        asked.push([id, from, to]);
        return { records: records[id] ?? [], outages: [] };
      },
    };
    web = await startAccountsApp({
      clock,
      users: { viewer: 'viewer' },
      language: askedLanguageOf,
      routes: (app) =>
        app.register(reportRoutes, {
          source,
          verifyChain: testVerifyChain,
          clock,
          renderPdf: (html) => renderPdf(html, { executablePath: chromiumPath(), timeoutMs: 30_000 }),
          pdfJobs: new JobQueue({ concurrency: 1, maxQueued: 2, retryAfterMs: 30_000 }),
          maxPeriodDays: 400,
        }),
    });
    cookie = (await web.session('viewer')).cookie;
  });

  afterAll(() => web.close());

  const get = (q: string, withCookie = true) =>
    fetch(`${web.base}/api/reports?${q}`, { headers: withCookie ? { cookie } : {} });

  it('needs a session', async () => {
    expect((await get('period=2026-Q1', false)).status).toBe(401);
  });

  it('serves the plays CSV with counts from the records, filtered by province', async () => {
    const res = await get('period=2026-Q1&basis=calendar&format=csv&lang=en&province=kien-giang');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="gatecast-report-2026-Q1-en.csv"',
    );
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines.slice(1)).toEqual([
      'Kiên Giang,Hà Tiên,Sảnh,ht-1,visa,km,20,0.06,0,0,main',
      'Kiên Giang,Hà Tiên,Sảnh,ht-1,visa,vi,20,0.06,0,0,main',
    ]);
    expect(asked.at(-1)).toEqual([
      'ht-1',
      Date.parse('2025-12-31T17:00:00Z'),
      Date.parse('2026-03-31T17:00:00Z'),
    ]);
  });

  it('serves HTML with a strict CSP and a PDF from Chromium', async () => {
    const html = await get('period=2026-02-02..2026-02-02&gate=lao-cai/lao-cai');
    expect(html.headers.get('content-security-policy')).toBe(REPORT_HTML_CSP);
    expect(await html.text()).toContain('hai-quan');
    const pdf = await get('period=2026&format=pdf&lang=vi');
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('%PDF-');
  });

  it('refuses bad parameters with REPORT_INVALID', async () => {
    for (const q of [
      'period=2026-Q5',
      'period=2026-Q1&lang=fr',
      'period=2026-Q1&format=xlsx',
      'period=2026-02-30..2026-03-01',
      'period=2026-Q1&gate=nowhere',
      'period=2026&basis=fiscal',
    ]) {
      const res = await get(q);
      expect([q, res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([
        q,
        400,
        'REPORT_INVALID',
      ]);
    }
  });

  it('answers a browser with an error page in its language, a script with JSON', async () => {
    const page = await fetch(`${web.base}/api/reports?period=2026-Q5&format=pdf`, {
      headers: { cookie: `${cookie}; gatecast_lang=vi`, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await page.text();
    expect(body).toContain('Không lập được báo cáo');
    expect(body).toContain('Kỳ báo cáo &quot;2026-Q5&quot; không hợp lệ');
    expect(body).toContain('href="/dashboard/reports"');
    const en = await fetch(`${web.base}/api/reports?period=2026-Q5&lang=en`, {
      headers: { cookie, accept: 'text/html' },
    });
    expect(await en.text()).toContain('The period &quot;2026-Q5&quot; is not valid');
    const json = await get('period=2026-Q5&lang=en');
    expect(await json.json()).toEqual({
      error: {
        code: 'REPORT_INVALID',
        message: 'The period "2026-Q5" is not valid: enter 2026-Q4, 2026 or 2026-10-01..2026-12-31',
      },
    });
  });

  it('parses period strings', () => {
    expect(parsePeriod('2026-Q3', 'reporting')).toEqual({
      kind: 'quarter',
      year: 2026,
      quarter: 3,
      basis: 'reporting',
    });
    // Quarters and years default to the state's reporting cut-off.
    expect(parsePeriod('2025', undefined)).toEqual({ kind: 'year', year: 2025, basis: 'reporting' });
    expect(parsePeriod('2025', 'calendar')).toEqual({ kind: 'year', year: 2025, basis: 'calendar' });
    expect(parsePeriod('2026-01-01..2026-01-31', undefined)).toEqual({
      kind: 'custom',
      from: '2026-01-01',
      to: '2026-01-31',
    });
  });
});
