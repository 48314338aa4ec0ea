import { describe, expect, it } from 'vitest';
import { buildReport, ReportBuilder } from '../../../sync-server/reports/build.js';
import { periodRange, quarterDueDate, reportDueDate } from '../../../sync-server/reports/period.js';
import { renderReportHtml } from '../../../sync-server/reports/render.js';
import {
  reportDevicesCsv,
  reportDevicesDataCsv,
  reportPlaysCsv,
} from '../../../sync-server/reports/report-csv.js';
import { parseCsv } from '../../helpers/csv.js';
import type { Outage, ReportDevice, ReportGate } from '../../../sync-server/reports/types.js';
import { UTF8_BOM } from '../../../sync-server/web/csv.js';
import { chain, testVerifyChain } from '../../helpers/pop-chain.js';

const HCM = 'Asia/Ho_Chi_Minh';
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** Local time in Hà Tiên on 10 March 2026. */
const at = (hh: number, mm = 0, ss = 0) =>
  Date.parse('2026-03-09T17:00:00Z') + hh * H + mm * 60_000 + ss * 1000;

const gates: ReportGate[] = [
  {
    siteGroup: 'kien-giang/ha-tien',
    name: 'Cửa khẩu Quốc tế Hà Tiên',
    provinceId: 'kien-giang',
    provinceName: 'Kiên Giang',
    timezone: HCM,
    openingHours: [{ start: '07:00', end: '17:00' }],
  },
  {
    siteGroup: 'lao-cai/lao-cai',
    name: 'Cửa khẩu Quốc tế Lào Cai',
    provinceId: 'lao-cai',
    provinceName: 'Lào Cai',
    timezone: HCM,
  },
];
const devices: ReportDevice[] = [
  { deviceId: 'ht-1', name: 'Sảnh xuất cảnh', siteGroup: 'kien-giang/ha-tien' },
  { deviceId: 'ht-2', name: 'Sảnh nhập cảnh', siteGroup: 'kien-giang/ha-tien' },
  { deviceId: 'lc-1', name: 'Nhà chờ', siteGroup: 'lao-cai/lao-cai' },
];
const day = { kind: 'custom' as const, from: '2026-03-10', to: '2026-03-10' };

describe('report periods', () => {
  it('puts quarters and years on local midnights in the gate time zone', () => {
    const q1 = periodRange({ kind: 'quarter', year: 2026, quarter: 1 }, HCM);
    expect([iso(q1.from), iso(q1.to)]).toEqual(['2025-12-31T17:00:00.000Z', '2026-03-31T17:00:00.000Z']);
    const q4 = periodRange({ kind: 'quarter', year: 2026, quarter: 4 }, HCM);
    expect([iso(q4.from), iso(q4.to)]).toEqual(['2026-09-30T17:00:00.000Z', '2026-12-31T17:00:00.000Z']);
    const y = periodRange({ kind: 'year', year: 2026 }, 'Europe/Paris');
    expect([iso(y.from), iso(y.to)]).toEqual(['2025-12-31T23:00:00.000Z', '2026-12-31T23:00:00.000Z']);
  });

  it('offers the Decree 09/2019 data cut-off: 15th of the month before to the 14th of the last month', () => {
    const q1 = periodRange({ kind: 'quarter', year: 2026, quarter: 1, basis: 'reporting' }, HCM);
    expect([iso(q1.from), iso(q1.to)]).toEqual(['2025-12-14T17:00:00.000Z', '2026-03-14T17:00:00.000Z']);
    const y = periodRange({ kind: 'year', year: 2026, basis: 'reporting' }, HCM);
    expect([iso(y.from), iso(y.to)]).toEqual(['2025-12-14T17:00:00.000Z', '2026-12-14T17:00:00.000Z']);
  });

  it('gives due dates: the 15th of the quarter’s last month', () => {
    expect([1, 2, 3, 4].map((q) => quarterDueDate(2026, q as 1 | 2 | 3 | 4))).toEqual([
      '2026-03-15',
      '2026-06-15',
      '2026-09-15',
      '2026-12-15',
    ]);
    expect(reportDueDate({ kind: 'quarter', year: 2026, quarter: 4, basis: 'reporting' })).toBe('2026-12-15');
    expect(reportDueDate({ kind: 'year', year: 2026, basis: 'reporting' })).toBe('2026-12-15');
    expect(reportDueDate(day)).toBeNull();
  });

  it('gives no due date to a calendar period, which runs past the 15th of its last month', () => {
    expect(reportDueDate({ kind: 'quarter', year: 2026, quarter: 4, basis: 'calendar' })).toBeNull();
    expect(reportDueDate({ kind: 'quarter', year: 2026, quarter: 4 })).toBeNull();
    expect(reportDueDate({ kind: 'year', year: 2026, basis: 'calendar' })).toBeNull();
  });

  it('refuses bad custom periods with a named error', () => {
    expect(() => periodRange({ kind: 'custom', from: '2026-02-30', to: '2026-03-01' }, HCM)).toThrow(
      expect.objectContaining({ code: 'REPORT_INVALID' }),
    );
    expect(() => periodRange({ kind: 'custom', from: '2026-03-02', to: '2026-03-01' }, HCM)).toThrow(/after/);
    const c = periodRange(day, HCM);
    expect(c.to - c.from).toBe(24 * H);
    expect(() => periodRange({ kind: 'custom', from: '10/03/2026', to: '2026-03-11' }, HCM)).toThrow(
      /not a YYYY-MM-DD date/,
    );
    expect(() => periodRange({ kind: 'custom', from: '2026-03-10', to: '2026-13-01' }, HCM)).toThrow(
      /not a real date/,
    );
  });

  it('runs a custom period from local midnight to local midnight, a DST day included', () => {
    const spring = periodRange({ kind: 'custom', from: '2026-03-29', to: '2026-03-29' }, 'Europe/Paris');
    expect([iso(spring.from), iso(spring.to)]).toEqual([
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    const newYear = periodRange({ kind: 'custom', from: '2026-12-31', to: '2026-12-31' }, HCM);
    expect(iso(newYear.to)).toBe('2026-12-31T17:00:00.000Z');
  });
});

function fixture() {
  const ht1 = chain('ht-1', [
    { itemId: 'visa', language: 'vi', actualStart: at(10), durationMs: 10_000 },
    { itemId: 'visa', language: 'km', actualStart: at(10, 0, 10), durationMs: 10_000 },
    { itemId: 'customs', language: 'vi', actualStart: at(10, 0, 20), durationMs: 10_000, screenOn: false },
    // The day before: outside the period.
    { itemId: 'visa', language: 'vi', actualStart: at(-2), durationMs: 10_000 },
  ]);
  ht1.unshift(ht1.pop()!); // any order is accepted
  const ht2 = chain('ht-2', [
    { itemId: 'visa', language: 'vi', actualStart: at(7), durationMs: 5 * H },
    { itemId: 'visa', language: 'vi', actualStart: at(12), durationMs: 5 * H },
    { itemId: 'customs', language: 'en', actualStart: at(17), durationMs: 60_000 },
    { itemId: 'customs', language: 'en', actualStart: at(18), durationMs: 60_000 },
    { itemId: 'customs', language: 'en', actualStart: at(19), durationMs: 60_000 },
  ]);
  // Lose seq 3..4 in transit; alter seq 5's item after signing.
  const kept = [ht2[0]!, ht2[1]!, { ...ht2[4]!, itemId: 'forged' }];
  const lc1 = chain('lc-1', [
    { itemId: '<img src=x onerror=alert(1)>', language: 'zh-Hans', actualStart: at(9), durationMs: 30_000 },
    { itemId: 'visa', language: 'zh-Hans', actualStart: at(9, 0, 30), durationMs: 30_000 },
  ]);
  // Not the device's signature: marked, kept out of the plays.
  lc1[1]!.signature = 'f'.repeat(64);
  const outages: Outage[] = [
    { deviceId: 'ht-1', from: at(12), to: at(13), kind: 'offline' },
    { deviceId: 'ht-1', from: at(-5), to: at(1), kind: 'power' },
    { deviceId: 'lc-1', from: at(20), to: at(30), kind: 'display-off' },
  ];
  return { records: [...ht1, ...kept, ...lc1], outages };
}

describe('report builder', () => {
  const options = { period: day, gates, devices, verifyChain: testVerifyChain, generatedAt: at(30) };

  it('judges a screen from its enrolment to its retirement, on one timeline that adds up', () => {
    const late: ReportDevice[] = [
      // Enrolled at 11:00, retired at 15:00: the day's first and last hours are not its own.
      {
        deviceId: 'ht-1',
        name: 'Sảnh',
        siteGroup: 'kien-giang/ha-tien',
        activeFrom: at(11),
        activeTo: at(15),
      },
    ];
    const records = chain('ht-1', [
      { itemId: 'visa', language: 'vi', actualStart: at(11), durationMs: H },
      // Offline 12:00–14:00, but a play is recorded 12:30–13:00: only what did not play is an outage.
      { itemId: 'visa', language: 'vi', actualStart: at(12, 30), durationMs: 30 * 60_000 },
    ]);
    const outages: Outage[] = [
      { deviceId: 'ht-1', from: at(12), to: at(14), kind: 'offline' },
      // A link drop of 0 minutes and one of 2 minutes are no outages.
      { deviceId: 'ht-1', from: at(14, 10), to: at(14, 10), kind: 'offline' },
      { deviceId: 'ht-1', from: at(14, 20), to: at(14, 22), kind: 'offline' },
    ];
    const r = buildReport({ ...options, gates, devices: late }, records, outages);
    const d = r.provinces[0]!.gates[0]!.devices[0]!;
    expect([d.from, d.to, d.spanMs]).toEqual([at(11), at(15), 4 * H]);
    expect(d.openingMs).toBe(4 * H);
    expect(d.outages).toEqual([
      { from: at(12), to: at(12, 30), kind: 'offline', durationMs: 30 * 60_000 },
      { from: at(13), to: at(14), kind: 'offline', durationMs: H },
    ]);
    expect(d.contentGaps).toEqual([{ from: at(14), to: at(15), durationMs: H }]);
    expect(d.uptimeRatio).toBeCloseTo(2.5 / 4, 10);
    expect(d.timeline).toEqual({
      openingMs: 4 * H,
      onAirMs: 1.5 * H,
      gapMs: H,
      declaredGapMs: 0,
      outageMs: 1.5 * H,
    });
    expect(r.minOutageMs).toBe(5 * 60_000);
  });

  it('adds up on-air, gaps and outages to the opening hours for every screen of a random fleet', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 40; run++) {
      const specs = [];
      for (let t = at(0) + Math.floor(rand() * H); t < at(24); t += Math.floor(rand() * 40 * 60_000) + 1000)
        specs.push({
          itemId: 'visa',
          language: 'vi',
          actualStart: t,
          durationMs: Math.floor(rand() * 20 * 60_000),
        });
      const outages: Outage[] = [];
      for (let i = 0; i < 5; i++) {
        const from = at(0) + Math.floor(rand() * 24 * H);
        outages.push({ deviceId: 'ht-1', from, to: from + Math.floor(rand() * 3 * H), kind: 'offline' });
      }
      const dev: ReportDevice[] = [
        {
          deviceId: 'ht-1',
          name: 'x',
          siteGroup: 'kien-giang/ha-tien',
          activeFrom: at(0) + Math.floor(rand() * 12 * H),
        },
      ];
      const d = buildReport({ ...options, devices: dev }, chain('ht-1', specs), outages).provinces[0]!
        .gates[0]!.devices[0]!;
      const outageInOpening = d.timeline.outageMs;
      const gapMs = d.contentGaps.reduce((n, g) => n + g.durationMs, 0);
      expect(d.timeline.onAirMs + gapMs + outageInOpening).toBe(d.openingMs);
      expect(d.timeline.onAirMs).toBeGreaterThanOrEqual(0);
      expect(d.openingUptimeRatio).toBeCloseTo((d.openingMs - outageInOpening) / d.openingMs, 10);
    }
  });

  it('counts plays cut short apart, and counts a record at a broken link with the break listed', () => {
    const first = chain('ht-1', [
      { itemId: 'visa', language: 'vi', actualStart: at(10), durationMs: 10_000 },
      { itemId: 'visa', language: 'vi', actualStart: at(10, 0, 10), durationMs: 4_000, partial: true },
    ]);
    // The chain starts again at seq 3 (its prevHash is not record 2's hash): a broken link.
    const again = chain(
      'ht-1',
      [{ itemId: 'visa', language: 'vi', actualStart: at(10, 0, 20), durationMs: 10_000 }],
      3,
    );
    const r = buildReport(options, [...first, ...again], []);
    const d = r.provinces[0]!.gates[0]!.devices.find((x) => x.deviceId === 'ht-1')!;
    expect([d.plays, d.onAirMs, d.playsPartial, d.onAirPartialMs, d.playsRejected]).toEqual([
      2, 20_000, 1, 4_000, 0,
    ]);
    expect(d.playsByItem).toEqual([
      { itemId: 'visa', language: 'vi', plays: 2, onAirMs: 20_000, playsPartial: 1, onAirPartialMs: 4_000 },
    ]);
    expect(r.totals.playsPartial).toBe(1);
    expect(d.chain).toMatchObject({
      ok: false,
      records: 3,
      breaks: [{ seq: 3, kind: 'link', at: at(10, 0, 20) }],
    });
    expect(d.chain.counts.link).toBe(1);
    expect(reportDevicesCsv(r, 'en')).toContain('1 broken chain link (the plays there are counted)');
    expect(renderReportHtml(r, 'en')).toContain('Plays cut short: 1');
  });

  it('counts plays per item and language, on-air hours, uptime and outages', () => {
    const { records, outages } = fixture();
    const r = buildReport(options, records, outages);
    const kg = r.provinces.find((p) => p.provinceId === 'kien-giang')!;
    const ht = kg.gates[0]!;
    const d1 = ht.devices.find((d) => d.deviceId === 'ht-1')!;
    expect(d1.plays).toBe(2);
    expect(d1.playsScreenOff).toBe(1);
    expect(d1.onAirMs).toBe(20_000);
    expect(d1.playsByItem).toEqual([
      { itemId: 'visa', language: 'km', plays: 1, onAirMs: 10_000, playsPartial: 0, onAirPartialMs: 0 },
      { itemId: 'visa', language: 'vi', plays: 1, onAirMs: 10_000, playsPartial: 0, onAirPartialMs: 0 },
    ]);
    // Down 00:00–01:00 (power, clipped) and 12:00–13:00 of 24 h; in opening hours only 12–13 of 10 h.
    expect(d1.spanMs).toBe(24 * H);
    expect(d1.uptimeRatio).toBeCloseTo(22 / 24, 10);
    expect(d1.openingMs).toBe(10 * H);
    expect(d1.openingUptimeRatio).toBeCloseTo(0.9, 10);
    expect(d1.outages).toEqual([
      { from: at(0), to: at(1), kind: 'power', durationMs: H },
      { from: at(12), to: at(13), kind: 'offline', durationMs: H },
    ]);
    // Gaps: opening hours, up, nothing on air.
    expect(d1.contentGaps.map((g) => [iso(g.from), iso(g.to)])).toEqual([
      [iso(at(7)), iso(at(10))],
      [iso(at(10, 0, 20)), iso(at(12))],
      [iso(at(13)), iso(at(17))],
    ]);
    expect(d1.chain).toEqual({
      ok: true,
      records: 3,
      breaks: [],
      counts: { gap: 0, edit: 0, signature: 0, device: 0, 'site-group': 0, link: 0 },
      missing: 0,
    });

    const d2 = ht.devices.find((d) => d.deviceId === 'ht-2')!;
    expect(d2.plays).toBe(2);
    expect(d2.onAirMs).toBe(10 * H);
    expect(d2.contentGaps).toEqual([]);
    expect(d2.chain.ok).toBe(false);
    expect(d2.chain.breaks).toEqual([
      { seq: 3, kind: 'gap', missing: 2, at: at(19) },
      { seq: 5, kind: 'edit', at: at(19) },
    ]);

    // The altered record is kept apart with its reason and counted nowhere; the lost ones cannot count.
    expect(d2.playsRejected).toBe(1);
    expect(d2.rejected).toEqual([
      { seq: 5, at: at(19), itemId: 'forged', language: 'en', reasons: ['edit'] },
    ]);
    expect(ht.playsByItem).toEqual([
      { itemId: 'visa', language: 'km', plays: 1, onAirMs: 10_000, playsPartial: 0, onAirPartialMs: 0 },
      {
        itemId: 'visa',
        language: 'vi',
        plays: 3,
        onAirMs: 10 * H + 10_000,
        playsPartial: 0,
        onAirPartialMs: 0,
      },
    ]);
    expect(ht.totals).toMatchObject({
      devices: 2,
      plays: 4,
      playsRejected: 1,
      playsScreenOff: 1,
      outages: 2,
      outageMs: 2 * H,
      chainBreaks: 2,
    });
    expect(ht.totals.uptimeRatio).toBeCloseTo((22 + 24) / 48, 10);

    const lc = r.provinces.find((p) => p.provinceId === 'lao-cai')!.gates[0]!.devices[0]!;
    expect(lc.chain.breaks).toEqual([{ seq: 2, kind: 'signature', at: at(9, 0, 30) }]);
    expect(lc).toMatchObject({ plays: 1, playsRejected: 1, onAirMs: 30_000 });
    expect(lc.rejected.map((x) => [x.seq, x.reasons])).toEqual([[2, ['signature']]]);
    expect(lc.playsByItem.map((p) => p.itemId)).toEqual(['<img src=x onerror=alert(1)>']);
    // No opening hours: always open; display off 20:00–24:00.
    expect(lc.openingMs).toBe(24 * H);
    expect(lc.uptimeRatio).toBeCloseTo(20 / 24, 10);
    expect(r.totals).toMatchObject({ devices: 3, plays: 5, playsRejected: 2, chainBreaks: 3 });
    expect(r.provinces.map((p) => p.provinceName)).toEqual(['Kiên Giang', 'Lào Cai']);
  });

  it('reports uncovered stretches of at least a minute as content gaps, and only those', () => {
    const specs = [
      { itemId: 'a', language: 'vi', actualStart: at(7), durationMs: 3 * H },
      { itemId: 'a', language: 'vi', actualStart: at(10, 0, 30), durationMs: 3 * H }, // 30 s apart
      { itemId: 'a', language: 'vi', actualStart: at(13, 2), durationMs: 4 * H }, // 90 s apart
      { itemId: 'a', language: 'vi', actualStart: at(8), durationMs: 60_000 }, // out of order, inside
    ];
    const r = buildReport({ ...options, devices: devices.slice(0, 1) }, chain('ht-1', specs), []);
    const d = r.provinces[0]!.gates[0]!.devices[0]!;
    expect(d.contentGaps).toEqual([{ from: at(13, 0, 30), to: at(13, 2), durationMs: 90_000 }]);
  });

  it('does not judge time after the report was generated', () => {
    const r = buildReport({ ...options, generatedAt: at(12) }, [], []);
    const d = r.provinces[0]!.gates[0]!.devices[0]!;
    expect(d.spanMs).toBe(12 * H);
    expect(d.openingMs).toBe(5 * H);
    expect(d.contentGaps).toEqual([{ from: at(7), to: at(12), durationMs: 5 * H }]);
  });

  it('gives the same report streamed by device as in one call', () => {
    const { records, outages } = fixture();
    const b = new ReportBuilder(options);
    for (const id of ['lc-1', 'ht-2', 'ht-1'])
      b.addDevice(
        id,
        records.filter((x) => x.deviceId === id),
        outages.filter((o) => o.deviceId === id),
      );
    expect(b.finish()).toEqual(buildReport(options, records, outages));
  });

  it('gives the same report fed record by record, and with a verifier that takes whole chains', () => {
    const { records, outages } = fixture();
    const b = new ReportBuilder(options);
    for (const id of ['lc-1', 'ht-2', 'ht-1']) {
      const input = b.beginDevice(id);
      const mine = records.filter((x) => x.deviceId === id).sort((a, c) => a.seq - c.seq);
      for (const r of mine) input.add(r);
      input.finish(outages.filter((o) => o.deviceId === id));
    }
    const streamed = b.finish();
    expect(streamed).toEqual(buildReport(options, records, outages));
    // Without `begin` the verifier gets each device's chain at once: same breaks, where they are.
    const wholeChains = (rs: Parameters<typeof testVerifyChain>[0]) => testVerifyChain(rs);
    const r = buildReport({ ...options, verifyChain: wholeChains }, records, outages);
    expect(r.provinces.map((p) => p.gates.map((g) => g.devices.map((d) => d.chain)))).toEqual(
      streamed.provinces.map((p) => p.gates.map((g) => g.devices.map((d) => d.chain))),
    );
  });

  it('refuses a streamed device left unfinished or fed another device', () => {
    const { records } = fixture();
    const b = new ReportBuilder(options);
    const input = b.beginDevice('ht-1');
    expect(() => input.add(records.find((x) => x.deviceId === 'ht-2')!)).toThrow(/ht-2/);
    expect(() => b.finish()).toThrow(expect.objectContaining({ code: 'REPORT_INVALID' }));
    input.finish([]);
    expect(() => input.finish([])).toThrow(/already finished/);
    expect(() => b.beginDevice('ht-1')).toThrow(/twice/);
    expect(b.finish().totals.devices).toBe(3);
  });

  it('refuses records of an unknown or mismatched device, and a device added twice', () => {
    const { records } = fixture();
    expect(() => buildReport({ ...options, devices: devices.slice(0, 2) }, records, [])).toThrow(
      expect.objectContaining({ code: 'REPORT_INVALID' }),
    );
    const b = new ReportBuilder(options);
    expect(() =>
      b.addDevice(
        'ht-1',
        records.filter((x) => x.deviceId === 'ht-2'),
        [],
      ),
    ).toThrow(/ht-2/);
    b.addDevice('ht-1', [], []);
    expect(() => b.addDevice('ht-1', [], [])).toThrow(/twice/);
  });
});

describe('report output', () => {
  const { records, outages } = fixture();
  const report = buildReport(
    { period: day, gates, devices, verifyChain: testVerifyChain, generatedAt: at(30) },
    records,
    outages,
  );

  it('writes CSV with a BOM, localized headers and one row per device/item/language', () => {
    const csv = reportPlaysCsv(report, 'vi');
    expect(csv.startsWith(UTF8_BOM)).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'Tỉnh,Cửa khẩu,Màn hình,deviceId,Nội dung,Ngôn ngữ,Số lượt phát,Số giờ phát sóng,Lượt phát bị cắt ngang,Lượt phát bị cắt ngang (h),Vùng màn hình',
    );
    expect(lines).toContain('Kiên Giang,Cửa khẩu Quốc tế Hà Tiên,Sảnh nhập cảnh,ht-2,visa,vi,2,10,0,0,main');
    expect(lines).toContain(
      'Lào Cai,Cửa khẩu Quốc tế Lào Cai,Nhà chờ,lc-1,<img src=x onerror=alert(1)>,zh-Hans,1,0.01,0,0,main',
    );
    expect(lines).toHaveLength(1 + 2 + 1 + 1);
    expect(lines.some((l) => l.includes(',forged,'))).toBe(false);
    const dev = reportDevicesDataCsv(report).split('\r\n');
    expect(dev[0]).toContain('province_id,site_group,screen_name,device_id,from,to');
    expect(dev.find((l) => l.includes(',ht-2,'))).toMatch(/,broken,gap@3\+2 edit@5,0,0,0,0,0$/);
    // Records failing a check are not plays; the devices CSV counts and names them apart.
    const head = dev[0]!.split(',');
    const lc = dev.find((l) => l.includes(',lc-1,'))!.split(',');
    expect(lc[head.indexOf('plays')]).toBe('1');
    expect(lc[head.indexOf('plays_rejected')]).toBe('1');
    expect(lc[head.indexOf('rejected_records')]).toBe('signature@2');
    expect(lc[head.indexOf('from')]).toBe('2026-03-09T17:00:00.000Z');
    const ht2 = dev.find((l) => l.includes(',ht-2,'))!.split(',');
    expect(ht2[head.indexOf('rejected_records')]).toBe('edit@5');
  });

  it('writes the people’s CSV in words: local times, percentages, the chain check said', () => {
    const rows = parseCsv(reportDevicesCsv(report, 'vi'));
    expect(rows[0]).toEqual([
      'Tỉnh',
      'Cửa khẩu',
      'Màn hình',
      'Từ (giờ địa phương)',
      'Đến (giờ địa phương)',
      'Lượt phát',
      'Lượt bị loại',
      'Giờ phát',
      'Tỷ lệ hoạt động',
      'Tỷ lệ hoạt động trong giờ mở cửa',
      'Số lần gián đoạn',
      'Giờ gián đoạn',
      'Số khoảng trống',
      'Giờ trống nội dung',
      'Số khoảng trống khai báo',
      'Lượt phát khai báo mất',
      'Giờ trống khai báo',
      'Kiểm tra chuỗi bằng chứng',
    ]);
    const ht1 = rows.find((r) => r[2] === 'Sảnh xuất cảnh')!;
    expect(ht1.slice(0, 5)).toEqual([
      'Kiên Giang',
      'Cửa khẩu Quốc tế Hà Tiên',
      'Sảnh xuất cảnh',
      '00:00 10/03/2026',
      '00:00 11/03/2026',
    ]);
    expect(ht1[8]).toBe('91,67%');
    expect(ht1.at(-1)).toMatch(
      /^3 bản ghi: mã băm, liên kết chuỗi và chữ ký đã kiểm tra khi nhận \(chưa kiểm tra lại\)/,
    );
    const ht2 = rows.find((r) => r[2] === 'Sảnh nhập cảnh')!;
    expect(ht2.at(-1)).toContain('1 chỗ thiếu (2 bản ghi); 1 bản ghi bị sửa');
    expect(rows.flat().some((c) => /T\d\d:\d\d:\d\d/.test(c) || c === 'ok')).toBe(false);
  });

  it('renders HTML in Vietnamese and English with every name escaped', () => {
    const vi = renderReportHtml(report, 'vi');
    expect(vi).toContain('<html lang="vi">');
    expect(vi).toContain("default-src 'none'");
    expect(vi).not.toContain('<img');
    expect(vi).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(vi).not.toMatch(/<script/i);
    expect(vi).toContain('Báo cáo hoạt động màn hình thông tin');
    expect(vi).toContain('Từ 10/03/2026 đến 10/03/2026');
    expect(vi).toContain('Có 2 chỗ đứt');
    expect(vi).toContain('91,67%'); // ht-1 uptime 22/24 in vi-VN
    const en = renderReportHtml(report, 'en');
    expect(en).toContain('Information screen operations report');
    expect(en).toContain('91.67%');
    expect(en).toContain('Missing records');
    expect(en).toContain('Plays rejected (failed a check): 1');
    expect(en).toContain('Records left out of every total');
  });
});
