/**
 * A re-audit of the stored proof of play in the reports page's words: the state of the latest one
 * (its progress and the time left while it runs, or how it ended) and what the last finished one
 * found, in the page's language.
 */
import { type DashboardLanguage, formatNumber } from '../dashboard/language.js';
import type { ReauditProgress } from './reaudit.js';
import { reauditResultInWords } from './report-csv.js';
import { type ReportsKey, reportsTexts } from './texts.js';
import type { ReportReaudit } from './types.js';

/** Time left, rounded up: seconds under a minute, minutes under an hour, then hours and minutes. */
export function etaInWords(ms: number, lang: DashboardLanguage): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return reportsTexts.text(lang, 'reaudit.eta.seconds', { seconds });
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return reportsTexts.text(lang, 'reaudit.eta.minutes', { minutes });
  return reportsTexts.text(lang, 'reaudit.eta.hours', {
    hours: Math.floor(minutes / 60),
    minutes: minutes % 60,
  });
}

/** The latest re-audit's state: running (percent, records, time left) or how it ended. */
export function reauditStatusInWords(p: ReauditProgress, lang: DashboardLanguage): string {
  const t = (k: ReportsKey, params?: Record<string, string | number>) => reportsTexts.text(lang, k, params);
  const n = (x: number) => formatNumber(x, lang);
  const { run } = p;
  switch (run.status) {
    case 'running':
      return t('reaudit.running', {
        percent: p.percent,
        done: n(run.done),
        total: n(run.total),
        eta: p.etaMs === null ? t('reaudit.etaUnknown') : etaInWords(p.etaMs, lang),
      });
    case 'done':
      return t('reaudit.status.done');
    case 'cancelled':
      return t('reaudit.status.cancelled', { done: n(run.done), total: n(run.total) });
    case 'failed':
      return t('reaudit.status.failed', { error: run.error ?? '' });
  }
}

/** What the page shows: the latest re-audit's state (null: none ever started) and the last result. */
export interface ReauditWords {
  status: string | null;
  last: string;
}

export function reauditWords(
  latest: ReauditProgress | undefined,
  last: ReportReaudit | null,
  lang: DashboardLanguage,
): ReauditWords {
  return {
    status: latest ? reauditStatusInWords(latest, lang) : null,
    last: reauditResultInWords(last, lang),
  };
}
