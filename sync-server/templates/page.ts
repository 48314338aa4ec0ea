/**
 * The Templates page (/dashboard/templates): the emergency templates with their languages, default
 * duration and last change; for authors (content.edit) a form to write or edit one, in every
 * language the registered gates show, and Delete (confirmed first). And the template picker the
 * emergency page shows above its form: choosing a template fills the form for the chosen site group.
 * Every word comes from the catalogue (texts.ts); the scripts read theirs from a JSON block.
 */
import type { PublicUser } from '../accounts/service.js';
import { emergencyLanguageFields, emergencyMinutesField, languageName } from '../content/approval-format.js';
import { EMERGENCY_MAX_MINUTES, EMERGENCY_MIN_MINUTES } from '../content/approval-service.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { type DashboardLanguage, DASHBOARD_LOCALE, formatDateTime } from '../dashboard/language.js';
import { jsonBlock, page } from '../dashboard/layout.js';
import { html, type SafeHtml } from '../web/escape.js';
import { table } from '../web/table.js';
import type { EmergencyTemplate } from './service.js';
import { type TemplateKey, templateTexts } from './texts.js';

export interface TemplatesPageView {
  templates: readonly EmergencyTemplate[];
  /** The languages the form offers: every registered gate's, in their order. */
  languages: readonly string[];
  canEdit: boolean;
  /** Where times are shown (the first gate's zone). */
  timezone: string;
}

const msgs = (lang: DashboardLanguage, id: string): SafeHtml =>
  html`<script type="application/json" id="${id}">
    ${jsonBlock({ ...templateTexts.messages(lang), locale: DASHBOARD_LOCALE[lang] })}
  </script>`;

export function renderTemplatesPage(
  lang: DashboardLanguage,
  v: TemplatesPageView,
  user: PublicUser,
  csrfToken: string,
): string {
  const t = (k: TemplateKey, p?: Record<string, string | number>) => templateTexts.text(lang, k, p);
  // The form's languages: the gates', then any other a template already has.
  const languages = [...new Set([...v.languages, ...v.templates.flatMap((x) => Object.keys(x.text))])];
  const list = v.templates.length
    ? table(
        [
          t('templates.col.name'),
          t('templates.col.languages'),
          t('templates.col.duration'),
          t('templates.col.updated'),
          ...(v.canEdit ? [t('templates.col.actions')] : []),
        ],
        v.templates.map(
          (x) =>
            html`<tr data-template="${x.id}">
              <td data-f="name">${x.name}</td>
              <td data-f="languages">${Object.keys(x.text).join(', ')}</td>
              <td data-f="duration">${t('templates.minutes', { minutes: x.durationMinutes })}</td>
              <td data-f="updated">
                ${t('templates.updatedBy', {
                  user: x.updatedBy,
                  time: formatDateTime(Date.parse(x.updatedAt), lang, v.timezone),
                })}
              </td>
              ${
                v.canEdit
                  ? html`<td>
                      <button type="button" class="tpl-edit" data-id="${x.id}">${t('templates.edit')}</button>
                      <button type="button" class="tpl-delete" data-id="${x.id}" data-name="${x.name}">
                        ${t('templates.delete')}
                      </button>
                    </td>`
                  : ''
              }
            </tr>`,
        ),
        { table: { id: 'template-list' } },
      )
    : html`<p id="template-list" class="empty">${t('templates.none')}</p>`;
  const form = v.canEdit
    ? html`<h2 id="tpl-form-title" data-new="${t('templates.new')}">${t('templates.new')}</h2>
        <form id="template-form">
          <input type="hidden" id="tpl-id" value="" />
          <label for="tpl-name">${t('templates.name')}</label>
          <input id="tpl-name" name="name" maxlength="120" required />
          ${languages.map((l) =>
            emergencyLanguageFields(l, {
              legend: t('templates.language', { language: languageName(l, lang) }),
              title: t('templates.titleField'),
              body: t('templates.bodyField'),
            }),
          )}
          ${emergencyMinutesField(
            'tpl-duration',
            t('templates.duration', { min: EMERGENCY_MIN_MINUTES, max: EMERGENCY_MAX_MINUTES }),
          )}
          <button type="submit" id="tpl-save">${t('templates.save')}</button>
          <button type="button" id="tpl-cancel" hidden>${t('templates.cancel')}</button>
        </form>`
    : html`<p class="note">${t('templates.readOnly')}</p>`;
  return page(
    {
      lang,
      title: t('templates.title'),
      user,
      csrfToken,
      script: browserUrl('templates', 'templates-page.js'),
      path: '/dashboard/templates',
    },
    html`<link rel="stylesheet" href="${browserUrl('content', 'approval.css')}" />
      <main id="templates">
        <h2>${t('templates.title')}</h2>
        <p class="note">${t('templates.intro')}</p>
        ${list}
        <p id="tpl-result" role="status"></p>
        ${form}
      </main>
      <script type="application/json" id="template-data">
        ${jsonBlock(v.templates)}
      </script>
      ${msgs(lang, 'template-msgs')}`,
  );
}

/**
 * The emergency page's template picker (with its script and texts), placed above the emergency
 * form: nothing when there are no templates.
 */
export function renderTemplatePicker(
  lang: DashboardLanguage,
  templates: readonly EmergencyTemplate[],
  canManage: boolean,
): SafeHtml {
  const t = (k: TemplateKey) => templateTexts.text(lang, k);
  if (!templates.length) return html``;
  return html`<section id="em-templates">
      <label for="em-template">${t('picker.label')}</label>
      <select id="em-template">
        <option value="">${t('picker.choose')}</option>
        ${templates.map((x) => html`<option value="${x.id}">${x.name}</option>`)}
      </select>
      <button type="button" id="em-template-fill">${t('picker.fill')}</button>
      ${canManage ? html`<a href="/dashboard/templates">${t('picker.manage')}</a>` : ''}
      <p id="em-template-result" role="status"></p>
    </section>
    ${msgs(lang, 'template-picker-msgs')}
    <script type="module" src="${browserUrl('templates', 'emergency-from-template.js')}"></script>`;
}
