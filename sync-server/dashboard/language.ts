/**
 * The dashboard's language: a cookie the language switch sets, Vietnamese when there is none; and
 * how the dashboard, its reports and the alert webhook write dates and numbers in it.
 */
import type { FastifyRequest } from 'fastify';
import { type Lang, LANGS } from '../../protocol/i18n/catalogue.js';
import { parseCookies } from '../web/cookies.js';

export type DashboardLanguage = Lang;
export const DASHBOARD_LANGUAGES: readonly DashboardLanguage[] = LANGS;
export const DEFAULT_DASHBOARD_LANGUAGE: DashboardLanguage = 'vi';

export function isDashboardLanguage(v: unknown): v is DashboardLanguage {
  return v === 'vi' || v === 'en';
}

export const LANG_COOKIE = 'gatecast_lang';

export function languageOf(request: FastifyRequest): DashboardLanguage {
  const c = parseCookies(request.headers.cookie).get(LANG_COOKIE);
  return isDashboardLanguage(c) ? c : DEFAULT_DASHBOARD_LANGUAGE;
}

/** BCP 47 locale used with Intl for each dashboard language. */
export const DASHBOARD_LOCALE: Record<DashboardLanguage, string> = { vi: 'vi-VN', en: 'en-GB' };

/** The parts of a calendar date as the dashboard writes it (day, month, year in digits). */
const DATE_PARTS = { year: 'numeric', month: '2-digit', day: '2-digit' } as const;

/** How a date and time is written: to the minute by default, to the second, with the zone's name. */
export interface DateTimeStyle {
  seconds?: boolean;
  zoneName?: boolean;
}

/**
 * A date and time as the user reads it, in the gate's time zone on a 24-hour clock (e.g.
 * "14:05 31/03/2026"; with `seconds` "14:05:09 31/03/2026"; with `zoneName` the zone's short name after it).
 */
export function formatDateTime(
  ms: number,
  lang: DashboardLanguage,
  timeZone: string,
  style: DateTimeStyle = {},
): string {
  return new Intl.DateTimeFormat(DASHBOARD_LOCALE[lang], {
    timeZone,
    ...DATE_PARTS,
    hour: '2-digit',
    minute: '2-digit',
    ...(style.seconds ? { second: '2-digit' } : {}),
    hour12: false,
    ...(style.zoneName ? { timeZoneName: 'short' } : {}),
  }).format(ms);
}

/** A calendar date in the gate's time zone. */
export function formatDate(ms: number, lang: DashboardLanguage, timeZone: string): string {
  return new Intl.DateTimeFormat(DASHBOARD_LOCALE[lang], { timeZone, ...DATE_PARTS }).format(ms);
}

/** A number with the locale's grouping and decimal marks (vi-VN: "1.234,5"; en-GB: "1,234.5"). */
export function formatNumber(n: number, lang: DashboardLanguage, maximumFractionDigits = 0): string {
  return new Intl.NumberFormat(DASHBOARD_LOCALE[lang], { maximumFractionDigits }).format(n);
}

/** A percentage from a 0..1 ratio. */
export function formatPercent(ratio: number, lang: DashboardLanguage, maximumFractionDigits = 2): string {
  return new Intl.NumberFormat(DASHBOARD_LOCALE[lang], { style: 'percent', maximumFractionDigits }).format(
    ratio,
  );
}

/** The language a request asks its answers in: `?lang=` when it names one, else the cookie's. */
export function askedLanguageOf(request: FastifyRequest): DashboardLanguage {
  const q = (request.query as Record<string, unknown> | undefined)?.['lang'];
  return isDashboardLanguage(q) ? q : languageOf(request);
}
