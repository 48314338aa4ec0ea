/**
 * The gate's hours as a screen tells them: whether the gate is open, when it opens or closes next,
 * and the words for that in each gate language, plus the header's clock. Pure: the hours, the zone,
 * the language and the time are all passed in (a clock is read by the caller, never here).
 *
 * The player page shows the same texts from the same data: the daemon hands it a `GateHoursView`
 * (the opening intervals and local days around now, computed here) and the texts of the gate's
 * languages, and the page only picks the interval and fills the template (player.js mirrors
 * `countdownAt` and `countdownText`; the Chromium tests compare the two).
 */
import { GATE_HOURS_TEXTS, type GateHoursTexts } from './gate-hours-texts.js';
import {
  addDays,
  DAY_MS,
  type Interval,
  localDate,
  localParts,
  mergeIntervals,
  MINUTE_MS,
  parseLocalTime,
  weekdayOf,
  zonedInstant,
} from './zoned-time.js';

/** A daily opening window in local time; `end` not after `start` runs into the next day. */
export interface GateHoursWindow {
  start: string;
  end: string;
  /** ISO weekdays (1 = Monday … 7 = Sunday) the window opens on; absent means every day. */
  weekdays?: readonly number[];
}

/** One local day of the span: its bounds and the windows that open on it (`07:00–22:00`). */
export interface GateDay {
  date: string;
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number;
  from: number;
  to: number;
  hours: string[];
}

/** What the page needs to tell the hours: open intervals and local days from `from` to `to`. */
export interface GateHoursView {
  from: number;
  to: number;
  intervals: Interval[];
  days: GateDay[];
}

/** How many local days a view covers after today (a long weekend closure still gets a countdown). */
export const VIEW_DAYS = 8;

/**
 * The gate's opening intervals and local days from the start of `now`'s local day (minus one, for
 * a window that crossed midnight into it) to `days` days later. Windows are merged where they meet.
 */
export function gateHoursView(
  zone: string,
  windows: readonly GateHoursWindow[],
  now: number,
  days = VIEW_DAYS,
): GateHoursView {
  const today = localDate(zone, now);
  const from = zonedInstant(zone, today, 0);
  const to = zonedInstant(zone, addDays(today, days), 0);
  const raw: Interval[] = [];
  const out: GateDay[] = [];
  for (let d = -1; d < days; d++) {
    const date = addDays(today, d);
    const weekday = weekdayOf(date);
    const hours: string[] = [];
    for (const w of windows) {
      if (w.weekdays && !w.weekdays.includes(weekday)) continue;
      const s = parseLocalTime(w.start);
      const e = parseLocalTime(w.end);
      const a = zonedInstant(zone, date, s);
      const b = zonedInstant(zone, s < e ? date : addDays(date, 1), e);
      raw.push({ from: a, to: b });
      hours.push(`${w.start}–${w.end}`);
    }
    if (d >= 0)
      out.push({
        date,
        weekday,
        from: zonedInstant(zone, date, 0),
        to: zonedInstant(zone, addDays(date, 1), 0),
        hours,
      });
  }
  const intervals = mergeIntervals(raw)
    .map((i) => ({ from: Math.max(i.from, from - DAY_MS), to: Math.min(i.to, to) }))
    .filter((i) => i.to > i.from);
  return { from, to, intervals, days: out };
}

export type Countdown =
  /** Open now; closes at `at`. */
  | { kind: 'closes'; at: number; remainingMs: number }
  /** Closed now; opens at `at`. */
  | { kind: 'opens'; at: number; remainingMs: number }
  /** Open through the whole view (no closing in sight). */
  | { kind: 'always' }
  /** Closed through the whole view (no opening in sight). */
  | { kind: 'closed' };

/** Where the gate stands at `now` by the view. A view that does not reach `now` says nothing. */
export function countdownAt(view: GateHoursView, now: number): Countdown | undefined {
  if (now < view.from || now >= view.to) return undefined;
  const i = view.intervals.find((x) => x.to > now);
  if (!i) return { kind: 'closed' };
  if (i.from <= now)
    return i.to >= view.to ? { kind: 'always' } : { kind: 'closes', at: i.to, remainingMs: i.to - now };
  return { kind: 'opens', at: i.from, remainingMs: i.from - now };
}

/** Days, hours and minutes left, counting a started minute as a whole one (never "0 min" before it is time). */
export function durationParts(ms: number): { d: number; h: number; m: number } {
  const minutes = Math.max(1, Math.ceil(ms / MINUTE_MS));
  return { d: Math.floor(minutes / 1440), h: Math.floor((minutes % 1440) / 60), m: minutes % 60 };
}

/** `2 giờ 15 phút`, `1 ngày 3 giờ`: the non-zero parts, minutes dropped once days are counted. */
export function durationText(t: GateHoursTexts, ms: number): string {
  const { d, h, m } = durationParts(ms);
  const parts: string[] = [];
  if (d > 0) parts.push(t.days.replace('{n}', String(d)));
  if (h > 0) parts.push(t.hours.replace('{n}', String(h)));
  if (m > 0 && d === 0) parts.push(t.minutes.replace('{n}', String(m)));
  return parts.join(t.joiner);
}

/** The texts of a language, English for a language without its own. */
export function gateHoursTexts(lang: string): GateHoursTexts {
  return GATE_HOURS_TEXTS[lang] ?? GATE_HOURS_TEXTS['en']!;
}

/** The countdown line in `lang`. */
export function countdownText(lang: string, c: Countdown): string {
  const t = gateHoursTexts(lang);
  switch (c.kind) {
    case 'always':
      return t.always;
    case 'closed':
      return t.closed;
    case 'opens':
      return t.opensIn.replace('{d}', durationText(t, c.remainingMs));
    case 'closes':
      return t.closesIn.replace('{d}', durationText(t, c.remainingMs));
  }
}

/** Today's hours line in `lang` (`Giờ mở cửa hôm nay: 07:00–22:00`), or that the gate is closed today. */
export function todayText(lang: string, view: GateHoursView, now: number): string | undefined {
  const day = view.days.find((d) => d.from <= now && now < d.to);
  if (!day) return undefined;
  const t = gateHoursTexts(lang);
  return day.hours.length ? t.today.replace('{hours}', day.hours.join(', ')) : t.closedToday;
}

/** `HH:MM`, 24 h, Latin digits, in `zone` (the same in every language). */
export function timeText(zone: string, now: number): string {
  const minutes = Math.floor(localParts(zone, now).msOfDay / MINUTE_MS);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The long date of local `date` (`YYYY-MM-DD`, ISO `weekday`) in `lang`. */
export function dateText(lang: string, date: string, weekday: number): string {
  const t = gateHoursTexts(lang);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return t.date
    .replace('{weekday}', t.weekdays[weekday - 1]!)
    .replace('{day}', String(d))
    .replace('{month}', t.months[m - 1]!)
    .replace('{year}', String(y));
}

/** The header's clock in `lang`: `HH:MM` and the long date, in `zone`. */
export function clockText(lang: string, zone: string, now: number): { time: string; date: string } {
  const p = localParts(zone, now);
  return { time: timeText(zone, now), date: dateText(lang, p.date, p.weekday) };
}
