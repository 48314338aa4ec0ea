import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../protocol/clock.js';
import {
  clockText,
  countdownAt,
  countdownText,
  durationParts,
  gateHoursView,
  todayText,
} from '../../protocol/gate-hours.js';

const HCM = 'Asia/Ho_Chi_Minh';
const DAY = [{ start: '07:00', end: '22:00' }];
/** Local wall time in Hồ Chí Minh City (UTC+7, no DST). */
const local = (iso: string) => Date.parse(`${iso}+07:00`);

function at(windows: Parameters<typeof gateHoursView>[1], iso: string) {
  const clock = fakeClock(local(iso));
  const view = gateHoursView(HCM, windows, clock.now());
  return { view, now: clock.now(), c: countdownAt(view, clock.now())! };
}

describe('gate hours: the countdown', () => {
  it('counts down to the opening before it and to the closing during the day', () => {
    const morning = at(DAY, '2026-12-07T05:45:00');
    expect(morning.c).toEqual({ kind: 'opens', at: local('2026-12-07T07:00:00'), remainingMs: 75 * 60_000 });
    expect(countdownText('vi', morning.c)).toBe('Mở cửa sau 1 giờ 15 phút');
    expect(countdownText('en', morning.c)).toBe('Opens in 1 h 15 min');
    expect(countdownText('km', morning.c)).toBe('បើកក្នុងរយៈពេល 1 ម៉ោង 15 នាទីទៀត');
    expect(countdownText('lo', morning.c)).toBe('ເປີດໃນອີກ 1 ຊົ່ວໂມງ 15 ນາທີ');
    expect(countdownText('zh-Hans', morning.c)).toBe('1小时15分钟后开放');
    const evening = at(DAY, '2026-12-07T21:20:30');
    expect(evening.c).toMatchObject({ kind: 'closes', at: local('2026-12-07T22:00:00') });
    // 39 min 30 s left: a started minute counts, so it never says 0 before the time.
    expect(countdownText('en', evening.c)).toBe('Closes in 40 min');
    expect(countdownText('zh-Hans', evening.c)).toBe('40分钟后关闭');
  });

  it('counts across midnight, both after closing and inside a window that crosses it', () => {
    const late = at(DAY, '2026-12-07T23:30:00');
    expect(late.c).toEqual({ kind: 'opens', at: local('2026-12-08T07:00:00'), remainingMs: 7.5 * 3600_000 });
    expect(countdownText('vi', late.c)).toBe('Mở cửa sau 7 giờ 30 phút');
    const night = [{ start: '22:00', end: '06:00' }];
    const before = at(night, '2026-12-07T23:10:00');
    expect(before.c).toEqual({ kind: 'closes', at: local('2026-12-08T06:00:00'), remainingMs: 410 * 60_000 });
    const after = at(night, '2026-12-08T01:00:00');
    expect(after.c).toMatchObject({ kind: 'closes', at: local('2026-12-08T06:00:00') });
    expect(countdownText('en', after.c)).toBe('Closes in 5 h');
  });

  it('keeps exact hours in Asia/Ho_Chi_Minh across the dates other zones change their clocks', () => {
    // Europe switches on 29 March and 25 October 2026, the US on 8 March and 1 November: none here.
    for (const date of ['2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01']) {
      const { c } = at(DAY, `${date}T00:00:00`);
      expect(c, date).toEqual({ kind: 'opens', at: local(`${date}T07:00:00`), remainingMs: 7 * 3600_000 });
      const { view } = at(DAY, `${date}T12:00:00`);
      for (const d of view.days) expect(d.to - d.from, d.date).toBe(24 * 3600_000);
    }
  });

  it('skips closed weekdays: from Saturday it counts to Monday and says the gate is closed today', () => {
    const weekdays = [{ start: '07:00', end: '17:00', weekdays: [1, 2, 3, 4, 5] }];
    // 2026-12-12 is a Saturday.
    const sat = at(weekdays, '2026-12-12T10:00:00');
    expect(sat.c).toEqual({ kind: 'opens', at: local('2026-12-14T07:00:00'), remainingMs: 45 * 3600_000 });
    expect(countdownText('vi', sat.c)).toBe('Mở cửa sau 1 ngày 21 giờ');
    expect(countdownText('en', sat.c)).toBe('Opens in 1 d 21 h');
    expect(todayText('vi', sat.view, sat.now)).toBe('Hôm nay không mở cửa');
    expect(todayText('km', sat.view, sat.now)).toBe('ថ្ងៃនេះបិទ');
    const mon = at(weekdays, '2026-12-14T08:00:00');
    expect(todayText('en', mon.view, mon.now)).toBe('Open today 07:00–17:00');
    expect(todayText('zh-Hans', mon.view, mon.now)).toBe('今日开放时间：07:00–17:00');
  });

  it('says open 24 hours, or closed, when no change is in sight', () => {
    const always = at([{ start: '00:00', end: '24:00' }], '2026-12-07T03:00:00');
    expect(always.c).toEqual({ kind: 'always' });
    expect(countdownText('lo', always.c)).toBe('ເປີດ 24 ຊົ່ວໂມງ');
    const never = at([{ start: '07:00', end: '22:00', weekdays: [] }], '2026-12-07T03:00:00');
    expect(never.c).toEqual({ kind: 'closed' });
    expect(countdownText('en', never.c)).toBe('Closed until further notice');
  });

  it('falls back to English for a language without texts and says nothing outside its view', () => {
    const { c, view } = at(DAY, '2026-12-07T05:00:00');
    expect(countdownText('fr', c)).toBe('Opens in 2 h');
    expect(countdownAt(view, view.to)).toBeUndefined();
    expect(durationParts(1)).toEqual({ d: 0, h: 0, m: 1 });
  });
});

describe('gate hours: the clock', () => {
  it('tells the time in the gate zone, 24 h, rolling the date at local midnight', () => {
    const before = clockText('vi', HCM, local('2026-12-07T23:59:00'));
    const after = clockText('vi', HCM, local('2026-12-08T00:01:00'));
    expect(before.time).toBe('23:59');
    expect(after.time).toBe('00:01');
    expect(before.date).toContain('7');
    expect(after.date).toContain('8');
    expect(before.date).not.toBe(after.date);
    // 17:00 UTC is already the next day at the gate.
    expect(clockText('en', HCM, Date.parse('2026-12-07T17:30:00Z'))).toEqual({
      time: '00:30',
      date: 'Tuesday 8 December 2026',
    });
    const at = local('2026-12-07T14:05:00');
    expect(clockText('vi', HCM, at)).toEqual({ time: '14:05', date: 'Thứ Hai, ngày 7 tháng 12 năm 2026' });
    expect(clockText('km', HCM, at).date).toBe('ថ្ងៃច័ន្ទ ទី7 ខែធ្នូ ឆ្នាំ2026');
    expect(clockText('lo', HCM, at).date).toBe('ວັນຈັນ ທີ 7 ທັນວາ 2026');
    expect(clockText('zh-Hans', HCM, at).date).toBe('2026年12月7日 星期一');
  });
});
