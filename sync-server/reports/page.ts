/**
 * Server-rendered dashboard pages. Every string from devices, gates or users passes through the
 * `html` template's escaping; every word shown comes from the catalogues; the client scripts get
 * the messages they need as a JSON data block (not executed, so the CSP needs no inline script).
 */
import { html } from '../web/escape.js';
import type { PublicUser } from '../accounts/service.js';
import { page } from '../dashboard/layout.js';
import { DASHBOARD_LANGUAGES, type DashboardLanguage } from '../dashboard/language.js';
import { type ReportsKey, reportsTexts } from './texts.js';

/**
 * The reports form: period, basis, gate, language and format, sent as a plain GET to /api/reports
 * (the report opens or downloads; nothing changes, so no CSRF token is needed).
 */
export function renderReports(
  lang: DashboardLanguage,
  gates: readonly { siteGroup: string; name: string }[],
  defaultPeriod: string,
  user: PublicUser,
  csrfToken: string,
): string {
  const t = (k: ReportsKey) => reportsTexts.text(lang, k);
  const formats: [string, ReportsKey][] = [
    ['html', 'reports.format.html'],
    ['pdf', 'reports.format.pdf'],
    ['csv', 'reports.format.csv'],
    ['devices-csv', 'reports.format.devicesCsv'],
  ];
  return page(
    { lang, title: t('reports.title'), user, csrfToken, path: '/dashboard/reports' },
    html`<main>
      <p><a href="/dashboard">${reportsTexts.text(lang, 'reports.back')}</a></p>
      <form id="report-form" class="login" method="get" action="/api/reports">
        <h2>${t('reports.title')}</h2>
        <label for="period">${t('reports.period')}</label
        ><input id="period" name="period" value="${defaultPeriod}" required />
        <small>${t('reports.periodHint')}</small>
        <label for="basis">${t('reports.basis')}</label
        ><select id="basis" name="basis">
          <option value="reporting" selected>${t('reports.basis.reporting')}</option>
          <option value="calendar">${t('reports.basis.calendar')}</option>
        </select>
        <label for="gate">${t('reports.gate')}</label
        ><select id="gate" name="gate">
          <option value="">${t('reports.allGates')}</option>
          ${gates.map((g) => html`<option value="${g.siteGroup}">${g.name}</option>`)}
        </select>
        <label for="report-lang">${t('reports.language')}</label
        ><select id="report-lang" name="lang">
          ${DASHBOARD_LANGUAGES.map(
            (l) =>
              html`<option value="${l}" ${l === lang ? 'selected' : ''}>
                ${l === 'vi' ? 'Tiếng Việt' : 'English'}
              </option>`,
          )}
        </select>
        <label for="format">${t('reports.format')}</label
        ><select id="format" name="format">
          ${formats.map(([v, k]) => html`<option value="${v}">${t(k)}</option>`)}
          <option value="devices-data-csv">${reportsTexts.text(lang, 'format.devicesDataCsv')}</option>
        </select>
        <label for="report-number">${reportsTexts.text(lang, 'form.numberField')}</label
        ><input id="report-number" name="number" maxlength="40" />
        <button type="submit">${t('reports.download')}</button>
      </form>
    </main>`,
  );
}
