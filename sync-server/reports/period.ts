/** Reporting periods in a gate's time zone, and when each report is due. */
import { GatecastError } from '../../protocol/errors.js';
import { isDashboardLanguage } from '../dashboard/language.js';
import { type ReportsKey, reportsTexts } from './texts.js';
import { addDays, isLocalDate, startOfLocalDay, zonedTimeToUtc } from '../../protocol/zoned-time.js';
import type { ReportPeriod } from './types.js';

/** Bad report input; `text` says it in the user's language (texts.ts), `message` in English for logs. */
export class ReportInputError extends GatecastError {
  readonly code = 'REPORT_INVALID';
  constructor(
    message: string,
    readonly text?: { key: ReportsKey; params?: Record<string, string | number> },
  ) {
    super(message);
  }
  messageIn(lang: string): string | undefined {
    return this.text && isDashboardLanguage(lang)
      ? reportsTexts.text(lang, this.text.key, this.text.params)
      : undefined;
  }
}

/** A custom period longer than the server allows (config reports.maxPeriodDays). */
export class ReportPeriodTooLongError extends GatecastError {
  readonly code = 'REPORT_PERIOD_TOO_LONG';
  constructor(
    readonly days: number,
    readonly maxDays: number,
  ) {
    super(`a report period is at most ${maxDays} days; this one has ${days}`);
  }
  messageIn(lang: string): string | undefined {
    return isDashboardLanguage(lang)
      ? reportsTexts.text(lang, 'report.error.periodTooLong', { days: this.days, maxDays: this.maxDays })
      : undefined;
  }
  details(): Record<string, unknown> {
    return { maxDays: this.maxDays };
  }
}

export interface Range {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

function checkLocalDate(s: string): string {
  const text = { key: 'error.date' as const, params: { date: s.slice(0, 40) } };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) throw new ReportInputError(`"${s}" is not a YYYY-MM-DD date`, text);
  if (!isLocalDate(s)) throw new ReportInputError(`"${s}" is not a real date`, text);
  return s;
}

/** The calendar quarter (1..4) a 1-based month falls in. */
export const quarterOfMonth = (month: number) => Math.ceil(month / 3) as 1 | 2 | 3 | 4;

/** The period's bounds in `timeZone` (local midnights). */
export function periodRange(period: ReportPeriod, timeZone: string): Range {
  switch (period.kind) {
    case 'quarter': {
      if (![1, 2, 3, 4].includes(period.quarter))
        throw new ReportInputError(`quarter ${period.quarter} is not 1..4`);
      const firstMonth = (period.quarter - 1) * 3 + 1;
      if (period.basis === 'reporting')
        return {
          from: zonedTimeToUtc(timeZone, period.year, firstMonth - 1, 15),
          to: zonedTimeToUtc(timeZone, period.year, firstMonth + 2, 15),
        };
      return {
        from: zonedTimeToUtc(timeZone, period.year, firstMonth, 1),
        to: zonedTimeToUtc(timeZone, period.year, firstMonth + 3, 1),
      };
    }
    case 'year':
      if (period.basis === 'reporting')
        return {
          from: zonedTimeToUtc(timeZone, period.year - 1, 12, 15),
          to: zonedTimeToUtc(timeZone, period.year, 12, 15),
        };
      return {
        from: zonedTimeToUtc(timeZone, period.year, 1, 1),
        to: zonedTimeToUtc(timeZone, period.year + 1, 1, 1),
      };
    case 'custom': {
      const range = {
        from: startOfLocalDay(timeZone, checkLocalDate(period.from)),
        to: startOfLocalDay(timeZone, addDays(checkLocalDate(period.to), 1)),
      };
      if (range.to <= range.from)
        throw new ReportInputError(`"${period.from}" is after "${period.to}"`, {
          key: 'error.order',
          params: { from: period.from, to: period.to },
        });
      return range;
    }
  }
}

/** Calendar days the period covers (both ends included), whatever the time zone. */
export function periodDays(period: ReportPeriod): number {
  const { from, to } = periodRange(period, 'UTC');
  return Math.round((to - from) / 86_400_000);
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A quarterly report is due on the 15th of the quarter's last month: the day after the reporting
 * regime's cut-off (docs/reporting-rules.md).
 */
export function quarterDueDate(year: number, quarter: 1 | 2 | 3 | 4): string {
  return `${year}-${pad(quarter * 3)}-15`;
}

/**
 * The due date that belongs to the period: on the state's reporting basis, the day after its
 * cut-off (15 March, June, September, December; the year's on 15 December). A calendar quarter or
 * year runs past that date, so no due date belongs to it; nor to a custom period.
 */
export function reportDueDate(period: ReportPeriod): string | null {
  if (period.kind === 'custom' || period.basis !== 'reporting') return null;
  if (period.kind === 'quarter') return quarterDueDate(period.year, period.quarter);
  return quarterDueDate(period.year, 4);
}
