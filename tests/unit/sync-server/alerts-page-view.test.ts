import { describe, expect, it } from 'vitest';
import type { AlertHistoryEntry } from '../../../sync-server/alerts/store.js';
import type { AlertRecord } from '../../../sync-server/alerts/types.js';
import { alertsView, type AlertsLookup, HISTORY_ROWS } from '../../../sync-server/alerts/page.js';

// 10:00 on 1 April 2026 in Hà Tiên (UTC+7).
const T0 = Date.parse('2026-04-01T03:00:00Z');
const MIN = 60_000;

function rec(over: Partial<AlertRecord> & Pick<AlertRecord, 'key' | 'kind'>): AlertRecord {
  return {
    severity: 'warning',
    siteGroup: 'kien-giang/ha-tien',
    params: {},
    raisedAt: T0,
    lastHeldAt: T0,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    ...over,
  };
}

const lookup: AlertsLookup = {
  device: (id) => (id === 'gc-1' ? { screenName: 'Sảnh xuất cảnh' } : undefined),
  gate: (sg) =>
    sg === 'kien-giang/ha-tien'
      ? { name: 'Cửa khẩu Quốc tế Hà Tiên', timezone: 'Asia/Ho_Chi_Minh' }
      : sg === 'x/bangkok'
        ? { name: 'Bangkok test gate', timezone: 'Asia/Bangkok' }
        : undefined,
};

describe('alertsView', () => {
  it('lists critical alerts first, then the newest, in words, with gate, screen and since in the gate time zone', () => {
    const v = alertsView(
      [
        rec({ key: 'disk-low:gc-1', kind: 'disk-low', deviceId: 'gc-1', params: { freePercent: 7.25 } }),
        rec({
          key: 'offline:gc-9',
          kind: 'offline',
          severity: 'critical',
          deviceId: 'gc-9',
          params: { minutes: 10 },
          raisedAt: T0 - 30 * MIN,
        }),
        rec({
          key: 'missing-language-variants:kien-giang/ha-tien',
          kind: 'missing-language-variants',
          params: { languages: 'km, zh-Hans', items: 'welcome', count: 1 },
          raisedAt: T0 + 5 * MIN,
          acknowledgedAt: T0 + 6 * MIN,
          acknowledgedBy: 'op',
        }),
      ],
      [],
      lookup,
      'vi',
    );
    expect(v.active.map((r) => r.key)).toEqual([
      'offline:gc-9',
      'missing-language-variants:kien-giang/ha-tien',
      'disk-low:gc-1',
    ]);
    expect(v.active[0]).toMatchObject({
      kindText: 'Mất kết nối',
      severityText: 'Nghiêm trọng',
      detail: 'Mất kết nối quá 10 phút',
      // An unknown device is named by its id.
      screenName: 'gc-9',
      gateName: 'Cửa khẩu Quốc tế Hà Tiên',
      since: '09:30 01/04/2026',
      acknowledged: false,
      acknowledgedText: null,
    });
    expect(v.active[1]).toMatchObject({
      deviceId: null,
      screenName: null,
      detail: 'Thiếu bản ngôn ngữ: km, zh-Hans',
      acknowledgedText: 'Đã xác nhận bởi op lúc 10:06 01/04/2026',
    });
    // Numbers the Vietnamese way.
    expect(v.active[2]).toMatchObject({
      screenName: 'Sảnh xuất cảnh',
      detail: 'Sắp hết dung lượng: còn 7,3%',
    });
    expect(v.summary).toBe('3 cảnh báo: 1 nghiêm trọng, 2 cảnh báo, 1 đã xác nhận');
  });

  it('writes times in each gate’s own zone, English on the switch, and falls back to the site group for an unknown gate', () => {
    const v = alertsView(
      [
        rec({ key: 'clock-skew:a', kind: 'clock-skew', siteGroup: 'x/bangkok', params: { seconds: 42 } }),
        rec({ key: 'clock-skew:b', kind: 'clock-skew', siteGroup: 'nowhere/gate', raisedAt: T0 - MIN }),
      ],
      [],
      lookup,
      'en',
    );
    expect(v.active.map((r) => [r.gateName, r.since, r.kindText])).toEqual([
      ['Bangkok test gate', '01/04/2026, 10:00', 'Clock skew'],
      ['nowhere/gate', '01/04/2026, 09:59', 'Clock skew'],
    ]);
    expect(v.active[0]!.detail).toBe('Clock off by 42 seconds');
  });

  it('leaves resolved records out of the active list and keeps only acknowledged and resolved events in the history', () => {
    const a = rec({ key: 'offline:gc-1', kind: 'offline', deviceId: 'gc-1', params: { minutes: 10 } });
    const history: AlertHistoryEntry[] = [
      { at: T0 + 3 * MIN, type: 'resolved', alert: { ...a, resolvedAt: T0 + 3 * MIN } },
      {
        at: T0 + 2 * MIN,
        type: 'acknowledged',
        alert: { ...a, acknowledgedAt: T0 + 2 * MIN, acknowledgedBy: 'op' },
      },
      { at: T0 + MIN, type: 'escalated', alert: a },
      { at: T0, type: 'raised', alert: a },
    ];
    const v = alertsView([{ ...a, resolvedAt: T0 + 3 * MIN }], history, lookup, 'vi');
    expect(v.active).toEqual([]);
    expect(v.history.map((h) => [h.type, h.time, h.eventText, h.by, h.screenName])).toEqual([
      ['resolved', '10:03 01/04/2026', 'Đã hết', null, 'Sảnh xuất cảnh'],
      ['acknowledged', '10:02 01/04/2026', 'Đã xác nhận', 'op', 'Sảnh xuất cảnh'],
    ]);
    const many = Array.from({ length: HISTORY_ROWS + 10 }, (_, i) => ({ ...history[0]!, at: T0 - i }));
    expect(alertsView([], many, lookup, 'vi').history).toHaveLength(HISTORY_ROWS);
  });
});
