/** The dashboard's language: a cookie the language switch sets, Vietnamese when there is none. */
import type { FastifyRequest } from 'fastify';
import {
  DEFAULT_DASHBOARD_LANGUAGE,
  type DashboardLanguage,
  isDashboardLanguage,
} from '../../protocol/i18n/dashboard.js';
import { parseCookies } from '../web/cookies.js';

export const LANG_COOKIE = 'gatecast_lang';

export function languageOf(request: FastifyRequest): DashboardLanguage {
  const c = parseCookies(request.headers.cookie).get(LANG_COOKIE);
  return isDashboardLanguage(c) ? c : DEFAULT_DASHBOARD_LANGUAGE;
}

/** The language a request asks its answers in: `?lang=` when it names one, else the cookie's. */
export function askedLanguageOf(request: FastifyRequest): DashboardLanguage {
  const q = (request.query as Record<string, unknown> | undefined)?.['lang'];
  return isDashboardLanguage(q) ? q : languageOf(request);
}
