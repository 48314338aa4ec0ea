/**
 * The content authoring page (/dashboard/content): a server-rendered shell (site-group chooser,
 * empty editor sections, the action buttons) that content/browser/content-page.js fills from /api/content. Every word
 * comes from texts.ts; the script reads them from a JSON data block.
 */
import type { PublicUser } from '../accounts/service.js';
import type { SiteGroupSummary } from './service.js';
import { html } from '../web/escape.js';
import { table } from '../web/table.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { jsonBlock, page } from '../dashboard/layout.js';
import { DASHBOARD_LOCALE, type DashboardLanguage } from '../dashboard/language.js';
import { type AuthoringKey, authoringTexts } from './texts.js';

export interface ContentPageOptions {
  siteGroups: readonly SiteGroupSummary[];
  /** False when the server serves no TUF repository (nothing can be authored). */
  hasRepository: boolean;
  canEdit: boolean;
  canSubmit: boolean;
  /** Pre-selected site group (from ?siteGroup=), when it is one of the list. */
  selected?: string;
}

export function renderContent(
  lang: DashboardLanguage,
  o: ContentPageOptions,
  user: PublicUser,
  csrfToken: string,
): string {
  const t = (k: AuthoringKey) => authoringTexts.text(lang, k);
  const selected = o.siteGroups.some((g) => g.siteGroup === o.selected)
    ? o.selected
    : o.siteGroups[0]?.siteGroup;
  const data = {
    canEdit: o.canEdit,
    canSubmit: o.canSubmit,
    locale: DASHBOARD_LOCALE[lang],
    siteGroups: o.siteGroups,
  };
  const button = (id: string, key: AuthoringKey, show: boolean) =>
    show ? html`<button type="button" id="${id}">${t(key)}</button>` : '';
  return page(
    {
      lang,
      title: t('content.title'),
      user,
      csrfToken,
      script: browserUrl('content', 'content-page.js'),
      path: '/dashboard/content',
    },
    html`<link rel="stylesheet" href="${browserUrl('content', 'content.css')}" />
      <main id="content-app" data-can-edit="${o.canEdit ? 'yes' : 'no'}">
        <h2>${t('content.title')}</h2>
        ${
          o.siteGroups.length === 0
            ? html`<p id="cw-no-groups">
                ${t(o.hasRepository ? 'content.noSiteGroups' : 'content.noRepository')}
              </p>`
            : html`<div class="cw-bar">
                  <label for="cw-site-group">${t('content.siteGroup')}</label>
                  <select id="cw-site-group">
                    ${o.siteGroups.map(
                      (g) =>
                        html`<option value="${g.siteGroup}" ${g.siteGroup === selected ? 'selected' : ''}>
                          ${g.siteGroup} — ${g.gate.name}
                        </option>`,
                    )}
                  </select>
                  <span id="cw-gate-info"></span>
                  <span id="cw-revision"></span>
                </div>
                ${o.canEdit ? '' : html`<p class="cw-note">${t('content.readOnly')}</p>`}
                <section id="cw-problems-box" class="cw-problems" hidden>
                  <h3>${t('problems.title')}</h3>
                  <ul id="cw-problems"></ul>
                </section>
                <section id="cw-base-box" class="cw-problems" hidden>
                  <p id="cw-base-message"></p>
                  <ul id="cw-base-list"></ul>
                  ${o.canEdit ? html`<button type="button" id="cw-rebase"></button>` : ''}
                </section>
                <section class="cw-section">
                  <h3>${t('items.title')}</h3>
                  <div id="cw-items"></div>
                  ${button('cw-add-item', 'item.add', o.canEdit)}
                </section>
                <section class="cw-section">
                  <h3>${t('playlists.title')}</h3>
                  <div id="cw-playlists"></div>
                  ${button('cw-add-playlist', 'playlist.add', o.canEdit)}
                </section>
                <section class="cw-section">
                  <h3>${t('schedule.title')}</h3>
                  <div id="cw-schedule"></div>
                  <p class="cw-note">${t('schedule.hint')}</p>
                  ${button('cw-add-entry', 'schedule.add', o.canEdit)}
                </section>
                <details class="cw-section" id="cw-advanced">
                  <summary>${t('advanced.title')}</summary>
                  <textarea id="cw-json" rows="18" spellcheck="false"></textarea>
                  ${button('cw-json-apply', 'advanced.apply', o.canEdit)}
                </details>
                <div class="cw-actions">
                  ${button('cw-save', 'action.save', o.canEdit)}
                  <button type="button" id="cw-preview">${t('action.preview')}</button>
                  ${button('cw-submit', 'action.submit', o.canSubmit)}
                  <button type="button" id="cw-reload">${t('action.reload')}</button>
                  <span id="cw-status" role="status"></span>
                </div>
                <p id="cw-draft" class="cw-draft" hidden>
                  <span id="cw-draft-text"></span> <a id="cw-draft-link" href="#">${t('draft.open')}</a>
                </p>
                <section id="cw-media-box" class="cw-section" hidden aria-live="polite">
                  <h3>${t('media.title')}</h3>
                  <p id="cw-media-state"></p>
                  <ul id="cw-media" class="cw-media"></ul>
                </section>
                <section class="cw-section" id="cw-preview-box">
                  <h3 id="cw-preview-title"></h3>
                  <p id="cw-preview-empty" class="cw-note">${t('preview.empty')}</p>
                  <div id="cw-timeline"></div>
                  ${table(
                    [t('preview.from'), t('preview.to'), t('preview.playlist'), t('preview.source')],
                    '',
                    { table: { id: 'cw-timeline-table', hidden: true } },
                  )}
                </section>`
        }
      </main>
      <script type="application/json" id="cw-msgs">
        ${jsonBlock(authoringTexts.messages(lang))}
      </script>
      <script type="application/json" id="cw-data">
        ${jsonBlock(data)}
      </script>`,
  );
}
