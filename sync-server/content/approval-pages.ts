/**
 * The approval pages: pending and recent drafts, one draft's review (what changes, files,
 * signatures, the bytes being signed, signing in the browser or with the CLI), and emergency
 * messages. Server-rendered through the `html` template (everything escaped); the client script
 * reads its data and messages from JSON blocks.
 */
import { type ApprovalKey, approvalTexts } from './texts.js';
import type { PublicUser } from '../accounts/service.js';
import { isAllowed } from '../web/roles.js';
import {
  emergencyLanguageFields,
  emergencyMinutesField,
  fmtBytes,
  fmtTime,
  languageName,
} from './approval-format.js';
import type {
  ActiveEmergency,
  DraftReview,
  DraftSummary,
  EmergencyTarget,
  PublishedVersion,
  WaitingDraft,
} from './approval-service.js';
import { EMERGENCY_MAX_MINUTES, EMERGENCY_MIN_MINUTES } from './approval-service.js';
import { html, type SafeHtml } from '../web/escape.js';
import { table, tableRow } from '../web/table.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { jsonBlock, page } from '../dashboard/layout.js';
import { diffSection, emergenciesSection, filesSection, screenSection } from './draft-review-sections.js';
import { compareItemsSection, type ReviewExtras, scheduleSection } from './review-compare.js';
import { PREVIEW_SCREENS, type PreviewScreen } from './screen-preview.js';
import { endEarlyAssets, endEarlyCell } from './emergency-end-section.js';
import { DASHBOARD_LOCALE, type DashboardLanguage } from '../dashboard/language.js';

/** Where the pages find each site group's time zone. */
export interface ZoneSource {
  timezoneOf(siteGroup: string): string;
}

/** How many published drafts the list shows. */
const RECENT_PUBLISHED = 20;

/** The messages the approval script reads, plus the locale. */
function msgs(lang: DashboardLanguage): SafeHtml {
  return html`<script type="application/json" id="approval-msgs">
    ${jsonBlock({ ...approvalTexts.messages(lang), locale: DASHBOARD_LOCALE[lang] })}
  </script>`;
}

const css = html`<link rel="stylesheet" href="${browserUrl('content', 'approval.css')}" />`;

function shell(
  lang: DashboardLanguage,
  title: string,
  path: string,
  user: PublicUser,
  csrfToken: string,
  body: SafeHtml,
): string {
  return page(
    { lang, title, user, csrfToken, script: browserUrl('content', 'approval-page.js'), path },
    html`${css}${body}${msgs(lang)}`,
  );
}

// ------------------------------------------------------------------------------------ drafts list

function draftRow(d: DraftSummary, lang: DashboardLanguage, zones: ZoneSource, now: number): SafeHtml {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  const tz = zones.timezoneOf(d.siteGroup);
  const late = d.approveBy !== undefined && d.status === 'open' && Date.parse(d.approveBy) < now;
  return html`<tr data-draft="${d.id}" data-kind="${d.kind}" data-status="${d.status}">
    <td><a href="/dashboard/drafts/${encodeURIComponent(d.id)}">${d.id}</a></td>
    <td class="kind-${d.kind}">${t(`kind.${d.kind}`)}</td>
    <td>${d.siteGroup}</td>
    <td>${d.version}</td>
    <td>${d.label ?? t('unknown')}</td>
    <td>${d.createdBy ?? t('unknown')}</td>
    <td>${fmtTime(d.createdAt, lang, tz)}</td>
    <td data-f="signatures">${t('sig.count', { have: d.signatures.length, need: d.threshold })}</td>
    <td class="${late ? 'late' : ''}">
      ${
        d.status === 'published'
          ? fmtTime(d.publishedAt, lang, tz)
          : d.approveBy
            ? html`${fmtTime(d.approveBy, lang, tz)}${late ? html` (${t('deadline.passed')})` : ''}`
            : t('unknown')
      }
    </td>
  </tr>`;
}

/** Why a draft is out of date, in the reader's language (both reasons when both hold). */
export function staleText(stale: NonNullable<DraftSummary['stale']>, lang: DashboardLanguage): string {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  return [
    ...(stale.onAirVersion > stale.basedOnVersion
      ? [t('stale.versions', { base: stale.basedOnVersion, onAir: stale.onAirVersion })]
      : []),
    ...(stale.endedEmergencies.length
      ? [t('stale.emergencies', { ids: stale.endedEmergencies.join(', ') })]
      : []),
  ].join(' · ');
}

/**
 * Out-of-date drafts, apart from those waiting for approvers: why each one is, and what its author
 * can do (rebase a sent-back one onto the version on air, discard), each confirmed in a dialog.
 */
function staleSection(lang: DashboardLanguage, drafts: readonly DraftSummary[], user: PublicUser): SafeHtml {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  if (!drafts.length) return html``;
  return html`<section id="stale-drafts">
    <h2>${t('drafts.stale')}</h2>
    <p class="note">${t('drafts.staleNote')}</p>
    ${table(
      [
        'ID',
        t('col.kind'),
        t('col.siteGroup'),
        t('col.version'),
        t('col.createdBy'),
        t('col.why'),
        t('col.actions'),
      ],
      drafts.map((d) => {
        const stale = d.stale!;
        const isAuthor = d.createdBy === user.username;
        const mayRebase =
          isAuthor &&
          d.status === 'rejected' &&
          isAllowed(user.roles, d.kind === 'emergency' ? 'emergency.create' : 'draft.submit');
        const mayDiscard =
          isAllowed(user.roles, 'draft.submit') && (isAuthor || user.roles.includes('admin'));
        return html`<tr
          data-draft="${d.id}"
          data-status="${d.status}"
          data-based-on="${stale.basedOnVersion}"
          data-on-air="${stale.onAirVersion}"
        >
          <td><a href="/dashboard/drafts/${encodeURIComponent(d.id)}">${d.id}</a></td>
          <td class="kind-${d.kind}">${t(`kind.${d.kind}`)}</td>
          <td>${d.siteGroup}</td>
          <td>${d.version}</td>
          <td>${d.createdBy ?? t('unknown')}</td>
          <td data-f="why">${staleText(stale, lang)}</td>
          <td>
            ${
              mayRebase
                ? html`<button
                    type="button"
                    class="stale-rebase"
                    data-draft="${d.id}"
                    data-on-air="${stale.onAirVersion}"
                  >
                    ${t('stale.rebase', { onAir: stale.onAirVersion })}
                  </button>`
                : ''
            }
            ${
              mayDiscard
                ? html`<button type="button" class="stale-discard danger" data-draft="${d.id}">
                    ${t('stale.discard')}
                  </button>`
                : ''
            }
            ${isAuthor ? '' : html`<span data-f="author">${t('stale.author', { author: d.createdBy ?? t('unknown') })}</span>`}
          </td>
        </tr>`;
      }),
      { table: { id: 'stale' } },
    )}
    <p id="stale-result" role="status"></p>
    <dialog id="stale-dialog" aria-labelledby="stale-dialog-title">
      <h3 id="stale-dialog-title"></h3>
      <ul id="stale-diff"></ul>
      <button type="button" id="stale-confirm">${t('stale.confirm')}</button>
      <button type="button" id="stale-cancel">${t('stale.cancel')}</button>
    </dialog>
  </section>`;
}

/** Minutes left, rounded down, never below 0. */
const minutesLeft = (ms: number) => Math.max(0, Math.floor(ms / 60_000));

/** The drafts waiting for the signed-in account's signature: emergencies with the time left. */
function waitingSection(
  lang: DashboardLanguage,
  waiting: readonly WaitingDraft[],
  zones: ZoneSource,
): SafeHtml {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  return html`<section id="waiting" data-count="${waiting.length}">
    <h2>${t('waiting.title', { count: waiting.length })}</h2>
    ${
      waiting.length
        ? html`<ul>
            ${waiting.map(
              (w) =>
                html`<li data-draft="${w.id}" data-kind="${w.kind}">
                  <a href="/dashboard/drafts/${encodeURIComponent(w.id)}"
                    ><span class="kind-${w.kind}">${t(`kind.${w.kind}`)}</span> ${w.siteGroup} ·
                    ${t('col.version')} ${w.version}${w.label ? html` · ${w.label}` : ''}</a
                  >
                  ${
                    w.stale
                      ? html`·
                          <strong class="late" data-f="stale">${staleText(w.stale, lang)}</strong>
                          ${t('stale.yours')}`
                      : html`· ${t('sig.count', { have: w.signatures.length, need: w.threshold })}`
                  }
                  ${
                    w.msLeft !== undefined && w.approveBy
                      ? html`<strong class="late" data-f="time-left"
                          >${t('waiting.emergencyLeft', {
                            need: w.threshold,
                            by: fmtTime(w.approveBy, lang, zones.timezoneOf(w.siteGroup)),
                            minutes: minutesLeft(w.msLeft),
                          })}</strong
                        >`
                      : ''
                  }
                  ${
                    w.restored
                      ? html`<span data-f="restored"
                          >· ${t('restored.short', { version: w.restored.version })}</span
                        >`
                      : ''
                  }
                  ${w.note ? html`<q class="note" data-f="note">${w.note}</q>` : ''}
                </li>`,
            )}
          </ul>`
        : html`<p class="empty">${t('waiting.none')}</p>`
    }
  </section>`;
}

/** Every site group's latest published versions; each but the one on air can come back as a draft. */
function versionsSection(
  lang: DashboardLanguage,
  versions: readonly PublishedVersion[],
  zones: ZoneSource,
  canRestore: boolean,
): SafeHtml {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  if (!versions.length) return html``;
  return html`<section id="versions">
    <h2>${t('versions.title')}</h2>
    ${table(
      [t('col.siteGroup'), t('col.version'), t('col.label'), t('col.createdAt'), ''],
      versions.map(
        (v) =>
          html`<tr data-site-group="${v.siteGroup}" data-version="${v.version}">
            <td>${v.siteGroup}</td>
            <td>${v.version}</td>
            <td>${v.label ?? t('unknown')}</td>
            <td>${fmtTime(v.createdAt, lang, zones.timezoneOf(v.siteGroup))}</td>
            <td>
              ${
                v.onAir
                  ? html`<strong>${t('versions.onAir')}</strong>`
                  : canRestore
                    ? html`<button
                        type="button"
                        class="restore-version"
                        data-site-group="${v.siteGroup}"
                        data-version="${v.version}"
                      >
                        ${t('versions.restore', { version: v.version })}
                      </button>`
                    : ''
              }
            </td>
          </tr>`,
      ),
      { table: { id: 'versions-table' } },
    )}
    <p id="versions-result" role="status"></p>
  </section>`;
}

export function renderDrafts(
  lang: DashboardLanguage,
  drafts: readonly DraftSummary[],
  zones: ZoneSource,
  user: PublicUser,
  csrfToken: string,
  now: number,
  /** What waits for this account: its signature, or its own out-of-date drafts. */
  waiting?: readonly WaitingDraft[],
  /** The published versions, each but the one on air with a restore button for those who may submit. */
  versions: readonly PublishedVersion[] = [],
): string {
  const t = (k: ApprovalKey) => approvalTexts.text(lang, k);
  // An out-of-date draft is listed apart: it waits for no approver, only for its author.
  const open = drafts.filter((d) => d.status === 'open' && !d.stale);
  const rejected = drafts.filter((d) => d.status === 'rejected' && !d.stale);
  const stale = drafts.filter((d) => d.status !== 'published' && d.stale);
  const published = drafts
    .filter((d) => d.status === 'published')
    .sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? ''))
    .slice(0, RECENT_PUBLISHED);
  const columns = (
    [
      'col.kind',
      'col.siteGroup',
      'col.version',
      'col.label',
      'col.createdBy',
      'col.createdAt',
      'col.signatures',
    ] as const
  ).map((k) => t(k));
  const draftsTable = (rows: readonly DraftSummary[], id: string, last: ApprovalKey) =>
    rows.length
      ? table(
          ['ID', ...columns, t(last)],
          rows.map((d) => draftRow(d, lang, zones, now)),
          { table: { id } },
        )
      : html`<p id="${id}" class="empty">${t('drafts.none')}</p>`;
  return shell(
    lang,
    t('drafts.title'),
    '/dashboard/drafts',
    user,
    csrfToken,
    html`<main id="drafts">
      ${waiting ? waitingSection(lang, waiting, zones) : ''}
      <h2>${t('drafts.pending')}</h2>
      ${draftsTable(open, 'pending', 'col.deadline')}
      ${
        rejected.length
          ? html`<h2>${t('drafts.rejected')}</h2>
              ${draftsTable(rejected, 'rejected', 'col.deadline')}`
          : ''
      }
      ${staleSection(lang, stale, user)}
      <h2>${t('drafts.published')}</h2>
      ${draftsTable(published, 'published', 'col.publishedAt')}
      ${versionsSection(lang, versions, zones, isAllowed(user.roles, 'draft.submit'))}
    </main>`,
  );
}

// ------------------------------------------------------------------------------------ one draft

/** The CLI command that does the same signing (the key never leaves the approver's machine). */
export function cliSignCommand(draftId: string, serverUrl: string, username: string): string {
  return `gatecast draft sign --server ${serverUrl} --user ${username} --draft ${draftId} --key <your-approver>.key`;
}

export function renderDraft(
  lang: DashboardLanguage,
  r: DraftReview,
  zones: ZoneSource,
  user: PublicUser,
  csrfToken: string,
  serverUrl: string,
  now: number,
  /** The screen the preview renders at (default 1920×1080). */
  screen: PreviewScreen = PREVIEW_SCREENS[0],
  /** Media facts (resolution, length) and the gate's day before and after, worked out by the route. */
  extras: ReviewExtras = {},
): string {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  const d = r.draft;
  const tz = zones.timezoneOf(d.siteGroup);
  const mayApprove =
    isAllowed(user.roles, 'draft.approve') &&
    (r.kind !== 'emergency' || isAllowed(user.roles, 'emergency.approve'));
  const isAuthor = d.createdBy === user.username;
  // An out-of-date draft is refused if resubmitted: its author rebases or discards it first.
  const mayResubmit =
    d.status === 'rejected' &&
    !d.stale &&
    isAuthor &&
    isAllowed(user.roles, r.kind === 'emergency' ? 'emergency.create' : 'draft.submit');
  const canDiscard =
    d.status !== 'published' &&
    isAllowed(user.roles, 'draft.submit') &&
    (user.roles.includes('admin') || d.createdBy === user.username);
  const data = {
    id: d.id,
    siteGroup: d.siteGroup,
    status: d.status,
    kind: r.kind,
    threshold: d.threshold,
    signatures: d.signatures.length,
    canonical: r.canonical,
    manifest: r.manifest,
    bundlePath: r.bundlePath,
    mayApprove,
    timezone: tz,
    username: user.username,
    fileCount: d.files.length + 1,
  };
  const anchors = new Map(r.files.map((f, i) => [f.path, `file-${i + 1}`]));
  const lastRejection = d.rejections.at(-1);
  const signPanel =
    d.status === 'rejected'
      ? html`<section id="rejected-panel">
          <p id="sign-state" data-state="rejected">
            ${t('reject.state', { by: lastRejection?.by ?? t('unknown') })}
          </p>
          ${
            mayResubmit
              ? html`<form id="resubmit-form">
                  <label for="resubmit-note">${t('note.field')}</label>
                  <textarea id="resubmit-note" maxlength="2000" rows="3">${d.note ?? ''}</textarea>
                  <button type="submit" id="resubmit-button">${t('resubmit.button')}</button>
                  <p id="resubmit-result" role="status"></p>
                </form>`
              : ''
          }
        </section>`
      : d.status !== 'open'
        ? html`<p id="sign-state" data-state="${d.status}">
            ${d.status === 'published' ? t('sign.published', { version: d.version }) : t('sign.notOpen')}
          </p>`
        : html`<section id="sign" data-state="idle">
            <h2>${t('sign.title')}</h2>
            ${
              mayApprove
                ? html`<p id="sign-unsupported" class="error" hidden>${t('sign.unsupported')}</p>
                    <form id="sign-form" hidden>
                      <label for="sign-saved">${t('sign.savedKeys')}</label>
                      <select id="sign-saved">
                        <option value="">${t('sign.chooseFile')}</option>
                      </select>
                      <button type="button" id="sign-forget">${t('sign.forget')}</button>
                      <label for="sign-key">${t('sign.keyFile')}</label>
                      <input id="sign-key" type="file" accept=".key,.pem,application/x-pem-file,text/plain" />
                      <label class="check"
                        ><input id="sign-remember" type="checkbox" /> ${t('sign.remember')}</label
                      >
                      <button type="submit" id="sign-button">${t('sign.button')}</button>
                    </form>
                    <dialog id="sign-confirm" aria-labelledby="sign-confirm-title">
                      <h3 id="sign-confirm-title">${t('sign.confirmTitle')}</h3>
                      <p id="sign-confirm-text"></p>
                      <p id="sign-confirm-key"></p>
                      <button type="button" id="sign-confirm-ok">${t('sign.confirm')}</button>
                      <button type="button" id="sign-confirm-cancel">${t('sign.cancel')}</button>
                    </dialog>`
                : html`<p id="sign-not-allowed">${t('sign.notAllowed')}</p>`
            }
            <p id="sign-result" role="status"></p>
            <p>${t('sign.cli')}</p>
            <pre id="sign-cli">${cliSignCommand(d.id, serverUrl, user.username)}</pre>
            ${
              mayApprove && !isAuthor
                ? html`<form id="reject-form">
                    <h3>${t('reject.title')}</h3>
                    <label for="reject-comment">${t('reject.comment')}</label>
                    <textarea id="reject-comment" maxlength="2000" rows="3" required></textarea>
                    <button type="submit" id="reject-button" class="danger">${t('reject.button')}</button>
                    <p id="reject-result" role="status"></p>
                  </form>`
                : ''
            }
          </section>`;
  const restore = d.restored;
  const restoredSection = restore
    ? html`<section id="restored" data-version="${restore.version}">
        <h2>${t('restored.title', { version: restore.version })}</h2>
        <p data-f="summary">
          ${t('restored.summary', { version: restore.version, siteGroup: d.siteGroup, onAir: restore.onAirVersion })}
        </p>
        ${(['expired', 'ended', 'kept'] as const).map((k) =>
          restore[k].length
            ? html`<p data-f="${k}">
                ${t(`restored.${k}`, { count: restore[k].length, ids: restore[k].join(', ') })}
              </p>`
            : '',
        )}
      </section>`
    : '';
  const noteAndRejections = html`${restoredSection}${
    d.note
      ? html`<section id="author-note">
          <h2>${t('note.title', { author: d.createdBy ?? t('unknown') })}</h2>
          <blockquote>${d.note}</blockquote>
        </section>`
      : ''
  }
  ${
    d.rejections.length
      ? html`<section id="rejections">
          <h2>${t('reject.history')}</h2>
          <ol>
            ${d.rejections.map(
              (x) =>
                html`<li>
                  ${t('reject.entry', { by: x.by, at: fmtTime(x.at, lang, tz), voided: x.voidedSignatures })}
                  <blockquote data-f="comment">${x.comment}</blockquote>
                </li>`,
            )}
          </ol>
        </section>`
      : ''
  }`;
  return shell(
    lang,
    t('draft.title', { id: d.id }),
    `/dashboard/drafts/${d.id}`,
    user,
    csrfToken,
    html`<main id="draft" data-kind="${r.kind}" data-status="${d.status}">
      <p><a href="/dashboard/drafts">${t('draft.back')}</a></p>
      <h2><span class="kind-${r.kind}">${t(`kind.${r.kind}`)}</span> ${t('draft.title', { id: d.id })}</h2>
      <p id="draft-summary">
        ${t('draft.summary', {
          siteGroup: d.siteGroup,
          version: d.version,
          published: r.publishedVersion ?? t('draft.noPublished'),
        })}
        ${d.label ? html` — ${d.label}` : ''}
      </p>
      <p>
        ${t('col.createdBy')}: ${d.createdBy ?? t('unknown')} · ${t('col.createdAt')}:
        ${fmtTime(d.createdAt, lang, tz)}
        ${d.approveBy ? html` · ${t('col.deadline')}: <strong>${fmtTime(d.approveBy, lang, tz)}</strong>` : ''}
      </p>
      ${
        d.approveBy && d.status === 'open'
          ? html`<p id="em-deadline" class="late">
              ${t('waiting.emergencyLeft', {
                need: d.threshold,
                by: fmtTime(d.approveBy, lang, tz),
                minutes: minutesLeft(Date.parse(d.approveBy) - now),
              })}
            </p>`
          : ''
      }
      ${
        d.stale && d.status !== 'published'
          ? html`<p id="stale-state" class="late">
              <strong data-f="stale">${staleText(d.stale, lang)}</strong>
              ${
                isAuthor
                  ? html`<a href="/dashboard/drafts#stale-drafts">${t('stale.yours')}</a>`
                  : t('stale.author', { author: d.createdBy ?? t('unknown') })
              }
            </p>`
          : ''
      }
      ${noteAndRejections}
      ${
        d.status === 'published'
          ? html`<p class="note">${t('draft.publishedNote', { at: fmtTime(d.publishedAt, lang, tz) })}</p>`
          : ''
      }
      ${
        r.diff
          ? html`<section id="changes">
              <h2>${t('draft.changes')}</h2>
              ${diffSection(lang, r.diff)}
            </section>`
          : ''
      }
      ${scheduleSection(lang, extras.schedule)} ${screenSection(lang, r, screen)}
      ${emergenciesSection(lang, r, tz)}
      ${compareItemsSection(lang, r, anchors, extras, (k) =>
        approvalTexts.has(k) ? approvalTexts.text(lang, k) : k,
      )}
      ${filesSection(lang, r, anchors)}
      <h2>${t('draft.signatures')}</h2>
      <p>${t('draft.need', { need: d.threshold })}</p>
      ${table(
        [t('col.signer'), t('col.key'), t('col.signedAt')],
        d.signatures.map((s) =>
          tableRow(
            [
              s.by ?? t('unknown'),
              html`<code title="${s.keyid}">${s.keyid.slice(0, 16)}…</code>`,
              fmtTime(s.at, lang, tz),
            ],
            { 'data-keyid': s.keyid },
          ),
        ),
        { table: { id: 'signatures' } },
      )}
      <p id="sig-count" data-have="${d.signatures.length}" data-need="${d.threshold}">
        ${d.signatures.length ? t('sig.count', { have: d.signatures.length, need: d.threshold }) : t('draft.noSignatures')}
      </p>
      ${signPanel}
      <h2>${t('draft.files')}</h2>
      ${table(
        [t('col.file'), t('col.size'), 'SHA-256', t('col.state')],
        [
          {
            path: r.bundlePath,
            length: Buffer.from(r.manifest, 'base64').length,
            sha256: r.bundleSha256,
            present: true,
          },
          ...d.files,
        ].map((f) =>
          tableRow(
            [
              html`<code>${f.path}</code>`,
              fmtBytes(f.length, lang),
              html`<code>${f.sha256}</code>`,
              t(f.present ? 'file.present' : 'file.missing'),
            ],
            { class: f.present ? undefined : 'missing' },
          ),
        ),
        { table: { id: 'files' } },
      )}
      <h2>${t('draft.manifest')}</h2>
      <p>${t('draft.bundleHash')}: <code id="bundle-sha256">${r.bundleSha256}</code></p>
      <p id="manifest-check"></p>
      <pre id="manifest"></pre>
      ${canDiscard ? html`<p><button type="button" id="discard" class="danger">${t('draft.discard')}</button></p>` : ''}
      <script type="application/json" id="draft-data">
        ${jsonBlock(data)}
      </script>
    </main>`,
  );
}

// ------------------------------------------------------------------------------------ emergency

export function renderEmergency(
  lang: DashboardLanguage,
  v: { active: readonly ActiveEmergency[]; siteGroups: readonly EmergencyTarget[]; windowMinutes: number },
  zones: ZoneSource,
  user: PublicUser,
  csrfToken: string,
  /** Shown above the form when there is one (the template picker, templates/page.ts). */
  beforeForm: SafeHtml | string = '',
): string {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  const first = v.siteGroups[0];
  const mayCreate = isAllowed(user.roles, 'emergency.create');
  const form = !mayCreate
    ? html`<p class="note" id="em-no-create">${t('emergency.noCreate')}</p>`
    : first
      ? html`<form id="emergency-form">
          <p class="note">${t('emergency.note', { need: first.threshold, minutes: v.windowMinutes })}</p>
          <label for="em-site-group">${t('emergency.siteGroup')}</label>
          <select id="em-site-group" name="siteGroup">
            ${v.siteGroups.map(
              (g) =>
                html`<option value="${g.siteGroup}" data-tz="${g.timezone}">
                  ${g.gateNames.join(', ')} (${g.siteGroup})
                </option>`,
            )}
          </select>
          ${v.siteGroups.map(
            (g, i) =>
              html`<div class="em-langs" data-site-group="${g.siteGroup}" ${i === 0 ? '' : 'hidden'}>
                ${g.languages.map((l) =>
                  emergencyLanguageFields(l, {
                    legend: t('emergency.language', { language: languageName(l, lang) }),
                    title: t('emergency.titleField'),
                    body: t('emergency.bodyField'),
                  }),
                )}
              </div>`,
          )}
          ${emergencyMinutesField(
            'em-duration',
            t('emergency.duration', { min: EMERGENCY_MIN_MINUTES, max: EMERGENCY_MAX_MINUTES }),
          )}
          <button type="submit" id="em-submit">${t('emergency.submit')}</button>
        </form>`
      : html`<p class="empty">${t('emergency.noGates')}</p>`;
  const mayEnd = isAllowed(user.roles, 'emergency.create');
  return shell(
    lang,
    t('emergency.title'),
    '/dashboard/emergency',
    user,
    csrfToken,
    html`<main id="emergency">
      <h2>${t('emergency.new')}</h2>
      ${first && mayCreate ? beforeForm : ''} ${form}
      <p id="em-result" role="status"></p>
      <h2>${t('emergency.active')}</h2>
      ${
        v.active.length
          ? table(
              [t('col.siteGroup'), t('col.message'), t('col.starts'), t('col.expires'), t('col.actions')],
              v.active.map((a) => {
                const tz = zones.timezoneOf(a.siteGroup);
                return html`<tr data-emergency="${a.emergency.id}" data-site-group="${a.siteGroup}">
                  <td>${a.siteGroup}</td>
                  <td>
                    ${Object.entries(a.emergency.text).map(
                      ([l, x]) =>
                        html`<div lang="${l}">
                          <code>${l}</code> ${x.title ? html`<strong>${x.title}</strong> ` : ''}${x.body}
                        </div>`,
                    )}
                  </td>
                  <td>${fmtTime(a.emergency.startsAt, lang, tz)}</td>
                  <td>${fmtTime(a.emergency.expiresAt, lang, tz)}</td>
                  <td>
                    ${
                      mayEnd
                        ? html`<button
                            type="button"
                            class="em-end"
                            data-site-group="${a.siteGroup}"
                            data-id="${a.emergency.id}"
                          >
                            ${t('emergency.end')}
                          </button>`
                        : ''
                    }
                    ${endEarlyCell(a, lang, user)}
                  </td>
                </tr>`;
              }),
              { table: { id: 'active-emergencies' } },
            )
          : html`<p id="active-emergencies" class="empty">${t('emergency.noActive')}</p>`
      }
      ${endEarlyAssets(lang)}
    </main>`,
  );
}
