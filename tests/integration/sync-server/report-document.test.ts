/**
 * The printed report as an administrative document: read back from the PDF with pdftotext, it
 * carries the national title and motto, the issuing unit, the number, place and date, the
 * recipients and the signer; items by their published titles and an emergency by its words;
 * province and gate names valid for the period (Hà Tiên moved from Kiên Giang to An Giang on
 * 1 July 2025, its site group unchanged), the due date of the period, and no stray markup.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../sync-server/registry/registry.js';
import { buildReport } from '../../../sync-server/reports/build.js';
import { parseReportForm } from '../../../sync-server/reports/form-settings.js';
import { gateForPeriod, nameItems, titlesOfManifest } from '../../../sync-server/reports/names.js';
import { renderPdf } from '../../../sync-server/reports/pdf.js';
import { periodRange } from '../../../sync-server/reports/period.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';
import { renderReportHtml } from '../../../sync-server/reports/render.js';
import type { ReportPeriod } from '../../../sync-server/reports/types.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { chain, testVerifyChain } from '../../helpers/pop-chain.js';
import { tempDir } from '../../helpers/temp.js';

const HCM = 'Asia/Ho_Chi_Minh';
const H = 3_600_000;
const SG = 'kien-giang/ha-tien';

const form = parseReportForm({
  parentUnit: 'Ủy ban nhân dân tỉnh An Giang',
  issuingUnit: 'Sở Văn hóa, Thể thao và Du lịch',
  numberPattern: '{n}/BC-SVHTTDL',
  place: 'An Giang',
  signerAuthority: 'KT. GIÁM ĐỐC',
  signerTitle: 'PHÓ GIÁM ĐỐC',
  signerName: 'Nguyễn Văn An',
  recipients: ['Bộ Văn hóa, Thể thao và Du lịch', 'UBND tỉnh'],
  archive: 'VT, TTBCXB',
});

describe('the report as an administrative document', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let registry: Registry | undefined;
  afterEach(async () => {
    await registry?.close();
    dir?.cleanup();
  });

  async function setUp() {
    dir = tempDir('gc-report-doc-');
    registry = new Registry(join(dir.path, 'registry.db'));
    registry.open();
    registry.gates.upsert({
      siteGroup: SG,
      name: 'Cửa khẩu Hà Tiên',
      timezone: HCM,
      languages: ['vi', 'km', 'en'],
      missingVariant: { mode: 'skip' },
      openingHours: [{ start: '07:00', end: '17:00' }],
    });
    const names = registry.reportNames;
    names.setGateNames({
      siteGroup: SG,
      validFrom: Date.parse('2020-01-01T00:00:00+07:00'),
      gateName: 'Cửa khẩu Quốc tế Hà Tiên',
      provinceId: 'kien-giang',
      provinceName: 'Kiên Giang',
    });
    names.setGateNames({
      siteGroup: SG,
      validFrom: Date.parse('2025-07-01T00:00:00+07:00'),
      gateName: 'Cửa khẩu Quốc tế Hà Tiên',
      provinceId: 'an-giang',
      provinceName: 'An Giang',
    });
    const source = new RegistryReportSource(registry, undefined, async () =>
      titlesOfManifest({
        siteGroup: SG,
        items: [
          { id: 'visa-dien-tu', title: 'Thị thực điện tử', kind: 'image' },
          {
            id: 'thu-tuc',
            title: 'Thủ tục xuất cảnh',
            kind: 'text',
            variants: { en: { title: 'Exit formalities', body: '…' } },
          },
        ],
        emergencies: [
          {
            id: 'em-20250805-bao',
            text: { vi: { title: 'Cảnh báo bão', body: 'Tạm dừng xuất nhập cảnh đường thủy' } },
          },
        ],
      }),
    );
    return source;
  }

  async function report(source: RegistryReportSource, period: ReportPeriod, generatedAt: number) {
    const gates = (await source.gates()).map((g) => {
      const { from, to } = periodRange(period, g.timezone);
      return gateForPeriod(g, from, to);
    });
    const from = periodRange(period, HCM).from;
    const day = from + 17 * 86_400_000; // a day well inside the period
    const r = buildReport(
      {
        period,
        gates,
        devices: [{ deviceId: 'ht-1', name: 'Sảnh xuất cảnh', siteGroup: SG, activeFrom: from - H }],
        verifyChain: testVerifyChain,
        generatedAt,
      },
      chain('ht-1', [
        { itemId: 'visa-dien-tu', language: 'vi', actualStart: day + 8 * H, durationMs: 10_000 },
        { itemId: 'thu-tuc', language: 'vi', actualStart: day + 8 * H + 10_000, durationMs: 10_000 },
        { itemId: 'em-20250805-bao', language: 'vi', actualStart: day + 9 * H, durationMs: 8_000 },
      ]),
      [],
    );
    nameItems(r, await source.titles(), 'vi');
    return r;
  }

  it('prints the national heading, the unit, names valid for the period and titles, with no stray markup', async () => {
    const source = await setUp();
    // Q2 2025 on the reporting basis (15 March – 14 June 2025): before the merger.
    const q2 = await report(
      source,
      { kind: 'quarter', year: 2025, quarter: 2, basis: 'reporting' },
      Date.parse('2025-06-15T03:00:00Z'),
    );
    expect(q2.provinces.map((p) => [p.provinceId, p.provinceName])).toEqual([['kien-giang', 'Kiên Giang']]);
    expect(q2.dueDate).toBe('2025-06-15');

    // Q3 2025 (15 June – 14 September): An Giang at its end, Kiên Giang until 1 July.
    const q3 = await report(
      source,
      { kind: 'quarter', year: 2025, quarter: 3, basis: 'reporting' },
      Date.parse('2025-09-15T03:00:00Z'),
    );
    const html = renderReportHtml(q3, 'vi', { form, number: '27' });
    const pdf = await renderPdf(html, { executablePath: chromiumPath(), timeoutMs: 30_000 });
    const file = join(dir!.path, 'q3.pdf');
    writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    const flat = text.replace(/\s+/g, ' ');
    // The head's two columns, read apart (A4 is 595 × 842 pt; the left column ends near 272 pt).
    const area = (x: number, w: number) =>
      execFileSync(
        'pdftotext',
        [
          '-f',
          '1',
          '-l',
          '1',
          '-x',
          String(x),
          '-y',
          '0',
          '-W',
          String(w),
          '-H',
          '200',
          '-enc',
          'UTF-8',
          file,
          '-',
        ],
        { encoding: 'utf8' },
      ).replace(/\s+/g, ' ');
    const unit = area(0, 272);
    const nation = area(272, 323);

    expect(nation).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    expect(nation).toContain('Độc lập - Tự do - Hạnh phúc');
    expect(nation).toContain('An Giang, ngày 15 tháng 9 năm 2025');
    expect(unit).toContain('ỦY BAN NHÂN DÂN TỈNH AN GIANG');
    expect(unit).toContain('SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH');
    expect(unit).toContain('Số: 27/BC-SVHTTDL');
    expect(unit).not.toContain('CỘNG HÒA');
    expect(flat).toContain('BÁO CÁO');
    expect(flat).toContain('quý 3 năm 2025');
    expect(flat).toContain('Nơi nhận:');
    expect(flat).toContain('- Bộ Văn hóa, Thể thao và Du lịch;');
    expect(flat).toContain('- Lưu: VT, TTBCXB.');
    expect(flat).toContain('KT. GIÁM ĐỐC');
    expect(flat).toContain('Nguyễn Văn An');
    expect(flat).toContain('Hạn nộp: 15/09/2025');
    expect(flat).toContain('Tỉnh An Giang');
    expect(flat).not.toContain('kien-giang');
    expect(flat).toContain('Cửa khẩu Quốc tế Hà Tiên');
    expect(flat).toMatch(/đến 01\/07\/2025: Cửa khẩu Quốc tế Hà Tiên, tỉnh Kiên Giang/);
    expect(flat).toContain('Thị thực điện tử');
    expect(flat).toContain('Thủ tục xuất cảnh');
    expect(flat).toContain('Cảnh báo bão: Tạm dừng xuất nhập cảnh đường thủy');
    expect(flat).not.toContain('visa-dien-tu');
    expect(flat).not.toContain('em-20250805');
    expect(flat).toContain('3 bản ghi: mã băm, liên kết chuỗi và chữ ký đã kiểm tra khi nhận');
    // Charts drawn on the server: uptime per gate, plays per language.
    expect((html.match(/<svg /g) ?? []).length).toBe(2);
    expect(flat).toContain('Tỷ lệ hoạt động theo cửa khẩu');
    expect(flat).toContain('Lượt phát theo ngôn ngữ');
    // No markup or template residue anywhere in the text.
    expect(flat).not.toMatch(/[{}<>]/);
  });
});
