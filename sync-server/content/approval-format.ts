/** Times, sizes and language names as the approval pages show them, in the reader's language. */
import { type DashboardLanguage, DASHBOARD_LOCALE, formatDateTime } from '../dashboard/language.js';
import { html, type SafeHtml } from '../web/escape.js';
import {
  EMERGENCY_DEFAULT_MINUTES,
  EMERGENCY_MAX_MINUTES,
  EMERGENCY_MIN_MINUTES,
} from './approval-service.js';
import { approvalTexts } from './texts.js';

export function fmtTime(iso: string | undefined, lang: DashboardLanguage, tz: string): string {
  if (!iso) return approvalTexts.text(lang, 'unknown');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return formatDateTime(ms, lang, tz, { zoneName: true });
}

export function fmtBytes(n: number, lang: DashboardLanguage): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${new Intl.NumberFormat(DASHBOARD_LOCALE[lang], { maximumFractionDigits: u ? 1 : 0 }).format(v)} ${units[u]}`;
}

export function languageName(tag: string, lang: DashboardLanguage): string {
  try {
    const name = new Intl.DisplayNames([DASHBOARD_LOCALE[lang]], { type: 'language' }).of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag; // not a tag Intl knows: show it as written
  }
}

/**
 * How long an emergency stays on air, in minutes: the same field on the emergency form and the
 * templates form (`label` is the form's own text for it).
 */
export function emergencyMinutesField(id: string, label: string): SafeHtml {
  return html`<label for="${id}">${label}</label>
    <input
      id="${id}"
      type="number"
      min="${EMERGENCY_MIN_MINUTES}"
      max="${EMERGENCY_MAX_MINUTES}"
      value="${EMERGENCY_DEFAULT_MINUTES}"
      required
    />`;
}

/**
 * One gate language's title and text of an emergency: the same fields on the emergency form and
 * the templates form (the labels are each form's own texts).
 */
export function emergencyLanguageFields(
  language: string,
  labels: { legend: string; title: string; body: string },
): SafeHtml {
  return html`<fieldset data-lang="${language}">
    <legend>${labels.legend}</legend>
    <label>${labels.title}<input name="title" maxlength="300" lang="${language}" /></label>
    <label
      >${labels.body}<textarea name="body" rows="3" maxlength="4000" lang="${language}"></textarea>
    </label>
  </fieldset>`;
}
