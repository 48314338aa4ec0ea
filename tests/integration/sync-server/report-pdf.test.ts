import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { buildReport } from '../../../sync-server/reports/build.js';
import { renderPdf } from '../../../sync-server/reports/pdf.js';
import { renderReportHtml } from '../../../sync-server/reports/render.js';
import type { ReportDevice, ReportGate } from '../../../sync-server/reports/types.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { chain, type PlaySpec, testVerifyChain } from '../../helpers/pop-chain.js';
import { tempDir } from '../../helpers/temp.js';

const XSS = '<img src=x onerror=alert(1)>';
const H = 3_600_000;
const dayStart = Date.parse('2026-02-01T17:00:00Z'); // 2 Feb 2026, 00:00 in Hà Tiên

const gates: ReportGate[] = [
  {
    siteGroup: 'kien-giang/ha-tien',
    name: `Cửa khẩu Quốc tế Hà Tiên ${XSS}`,
    provinceId: 'kien-giang',
    provinceName: 'Kiên Giang',
    timezone: 'Asia/Ho_Chi_Minh',
    openingHours: [{ start: '07:00', end: '17:00' }],
  },
];
const devices: ReportDevice[] = [
  { deviceId: 'ht-1', name: 'Sảnh xuất cảnh', siteGroup: 'kien-giang/ha-tien' },
  { deviceId: 'ht-2', name: 'Sảnh nhập cảnh', siteGroup: 'kien-giang/ha-tien' },
];

/** A week of plays: 30-second items in turn, 07:00–17:00, in vi, km, en. */
function week(deviceId: string) {
  const items = ['thu-tuc-xuat-canh', 'visa-dien-tu', XSS];
  const langs = ['vi', 'km', 'en'];
  const specs: PlaySpec[] = [];
  for (let d = 0; d < 7; d++)
    for (let t = dayStart + d * 24 * H + 7 * H; t < dayStart + d * 24 * H + 17 * H; t += 30_000) {
      const i = specs.length;
      specs.push({
        itemId: items[i % 3]!,
        language: langs[Math.floor(i / 3) % 3]!,
        actualStart: t,
        durationMs: 30_000,
      });
    }
  return chain(deviceId, specs);
}

describe('printable report through Chromium', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.cleanup());

  it('prints a PDF whose text and numbers match the proof-of-play records', async () => {
    dir = tempDir();
    const r1 = week('ht-1');
    const r2 = week('ht-2').filter((r) => r.seq !== 500); // one record lost
    const report = buildReport(
      {
        period: { kind: 'quarter', year: 2026, quarter: 1, basis: 'reporting' },
        gates,
        devices,
        verifyChain: testVerifyChain,
        generatedAt: Date.parse('2026-03-15T00:00:00Z'),
      },
      [...r1, ...r2],
      [{ deviceId: 'ht-2', from: dayStart + 10 * H, to: dayStart + 12 * H, kind: 'offline' }],
    );
    const pdf = await renderPdf(renderReportHtml(report, 'vi'), {
      executablePath: chromiumPath(),
      timeoutMs: 30_000,
    });
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const file = join(dir.path, 'report.pdf');
    writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    const flat = text.replace(/\s+/g, ' ');

    expect(flat).toContain('Báo cáo hoạt động màn hình thông tin');
    expect(flat).toContain('Quý 1 năm 2026');
    expect(flat).toContain('Hạn nộp: 15/03/2026');
    expect(flat).toContain('Cửa khẩu Quốc tế Hà Tiên <img src=x onerror=alert(1)>');
    // 7 days × 10 h × 120 plays per hour per device; one record missing on ht-2.
    const expectedPlays = r1.length + r2.length;
    expect(expectedPlays).toBe(2 * 7 * 10 * 120 - 1);
    expect(flat).toContain(`Số lượt phát: ${new Intl.NumberFormat('vi-VN').format(r1.length)}`);
    expect(flat).toContain(`Số lượt phát: ${new Intl.NumberFormat('vi-VN').format(r2.length)}`);
    expect(flat).toMatch(
      new RegExp(`Kiên Giang ${expectedPlays.toLocaleString('vi-VN').replace('.', '\\.')} `),
    );
    // Per item and language: count them straight from the records.
    const count = [...r1, ...r2].filter((r) => r.itemId === 'visa-dien-tu' && r.language === 'km').length;
    // (the region column: these plays are all in the main region, "Chính")
    expect(flat).toMatch(
      new RegExp(`visa-dien-tu km Chính ${count.toLocaleString('vi-VN').replace('.', '\\.')} `),
    );
    // The lost record is marked: a gap at seq 500 and the chain reported broken.
    expect(flat).toContain('Có 1 chỗ đứt');
    expect(flat).toMatch(/500 \(\+1\) Thiếu bản ghi/);
  });

  it('keeps XSS titles inert in the rendered page', async () => {
    const report = buildReport(
      {
        period: { kind: 'custom', from: '2026-02-02', to: '2026-02-02' },
        gates,
        devices,
        verifyChain: testVerifyChain,
        generatedAt: dayStart + 30 * H,
      },
      chain('ht-1', [
        {
          itemId: `"><script>window.__pwned=1</script>${XSS}`,
          language: 'vi',
          actualStart: dayStart + 8 * H,
          durationMs: 10_000,
        },
      ]),
      [],
    );
    const browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.setContent(renderReportHtml(report, 'en'), { waitUntil: 'load' });
      const state = await page.evaluate(() => ({
        imgs: document.querySelectorAll('img').length,
        scripts: document.querySelectorAll('script').length,
        pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
        text: document.body.innerText,
      }));
      expect(state).toMatchObject({ imgs: 0, scripts: 0, pwned: null });
      expect(state.text).toContain(XSS);
      expect(state.text).toContain('<script>window.__pwned=1</script>');
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
