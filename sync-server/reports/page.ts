/**
 * Server-rendered dashboard pages. Every string from devices, gates or users passes through the
 * `html` template's escaping; every word shown comes from the catalogues; the client scripts get
 * the messages they need as a JSON data block (not executed, so the CSP needs no inline script).
 */
import { html } from '../web/escape.js';
import type { PublicUser } from '../accounts/service.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { page } from '../dashboard/layout.js';
import { isAllowed } from '../web/roles.js';
import type { ReauditWords } from './reaudit-words.js';
import { DASHBOARD_LANGUAGES, type DashboardLanguage } from '../dashboard/language.js';
import { type ReportsKey, reportsTexts } from './texts.js';

/** The latest re-audit as the page first shows it (the page's script follows it from there). */
export interface ReauditPageState {
  running: boolean;
  percent: number;
  words: ReauditWords;
}

/**
 * The reports form: period, basis, gate, language and format, sent as a plain GET to /api/reports
 * (the report opens or downloads; nothing changes, so no CSRF token is needed). With `reaudit`, the
 * re-audit of the stored proof of play: its last result, its progress while one runs and, for a
 * role allowed to, the buttons that start and cancel it (reports-page.js).
 */
export function renderReports(
  lang: DashboardLanguage,
  gates: readonly { siteGroup: string; name: string }[],
  defaultPeriod: string,
  user: PublicUser,
  csrfToken: string,
  reaudit?: ReauditPageState,
): string {
  const t = (k: ReportsKey) => reportsTexts.text(lang, k);
  const formats: [string, ReportsKey][] = [
    ['html', 'reports.format.html'],
    ['pdf', 'reports.format.pdf'],
    ['csv', 'reports.format.csv'],
    ['devices-csv', 'reports.format.devicesCsv'],
  ];
  const canStart = isAllowed(user.roles, 'reports.reaudit');
  return page(
    {
      lang,
      title: t('reports.title'),
      user,
      csrfToken,
      path: '/dashboard/reports',
      ...(reaudit ? { script: browserUrl('reports', 'reports-page.js') } : {}),
    },
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
      ${
        reaudit
          ? html`<section id="reaudit" class="login" data-running="${reaudit.running ? 'yes' : 'no'}">
              <h2>${t('reaudit.title')}</h2>
              <small>${t('reaudit.hint')}</small>
              <progress
                id="reaudit-progress"
                max="100"
                value="${reaudit.percent}"
                ${reaudit.running ? '' : 'hidden'}
              ></progress>
              <p id="reaudit-status" role="status">${reaudit.words.status ?? ''}</p>
              <p>
                <strong>${t('reaudit.last')}:</strong>
                <span id="reaudit-last">${reaudit.words.last}</span>
              </p>
              ${
                canStart
                  ? html`<button id="reaudit-start" type="button" ${reaudit.running ? 'disabled' : ''}>
                        ${t('reaudit.start')}
                      </button>
                      <button id="reaudit-cancel" type="button" ${reaudit.running ? '' : 'hidden'}>
                        ${t('reaudit.cancel')}
                      </button>`
                  : ''
              }
              <p id="reaudit-error" class="error" role="alert"></p>
            </section>`
          : ''
      }
    </main>`,
  );
}
