/**
 * The approval pages: pending and recent drafts, one draft's review (what changes, files,
 * signatures, the bytes being signed, signing in the browser or with the CLI), and emergency
 * messages. Server-rendered through the `html` template (everything escaped); the client script
 * reads its data and messages from JSON blocks.
 */
import type { EntryDiff, ManifestDiff } from '../../protocol/manifest-diff.js';
import type { PublicUser } from '../accounts/service.js';
import { isAllowed } from '../web/roles.js';
import type { BundleManifest, MediaItem } from '../../protocol/content.js';
import type {
  ActiveEmergency,
  DraftReview,
  DraftSummary,
  EmergencyTarget,
  FileSide,
  ReviewFile,
} from './approval-service.js';
import {
  EMERGENCY_DEFAULT_MINUTES,
  EMERGENCY_MAX_MINUTES,
  EMERGENCY_MIN_MINUTES,
} from './approval-service.js';
import { html, type SafeHtml } from '../web/escape.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { jsonBlock, page } from '../dashboard/layout.js';
import { DASHBOARD_LOCALE, type DashboardLanguage } from '../dashboard/language.js';
import { type ApprovalKey, approvalTexts } from './texts.js';

/** Where the pages find each site group's time zone. */
export interface ZoneSource {
  timezoneOf(siteGroup: string): string;
}

/** How many published drafts the list shows. */
const RECENT_PUBLISHED = 20;

function fmtTime(iso: string | undefined, lang: DashboardLanguage, tz: string): string {
  if (!iso) return approvalTexts.text(lang, 'unknown');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Intl.DateTimeFormat(DASHBOARD_LOCALE[lang], {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZoneName: 'short',
  }).format(ms);
}

function fmtBytes(n: number, lang: DashboardLanguage): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${new Intl.NumberFormat(DASHBOARD_LOCALE[lang], { maximumFractionDigits: u ? 1 : 0 }).format(v)} ${units[u]}`;
}

function languageName(tag: string, lang: DashboardLanguage): string {
  try {
    const name = new Intl.DisplayNames([DASHBOARD_LOCALE[lang]], { type: 'language' }).of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag; // not a tag Intl knows: show it as written
  }
}

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

export function renderDrafts(
  lang: DashboardLanguage,
  drafts: readonly DraftSummary[],
  zones: ZoneSource,
  user: PublicUser,
  csrfToken: string,
  now: number,
): string {
  const t = (k: ApprovalKey) => approvalTexts.text(lang, k);
  const open = drafts.filter((d) => d.status === 'open');
  const published = drafts
    .filter((d) => d.status === 'published')
    .sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? ''))
    .slice(0, RECENT_PUBLISHED);
  const head = (last: ApprovalKey) =>
    html`<thead>
      <tr>
        <th>ID</th>
        <th>${t('col.kind')}</th>
        <th>${t('col.siteGroup')}</th>
        <th>${t('col.version')}</th>
        <th>${t('col.label')}</th>
        <th>${t('col.createdBy')}</th>
        <th>${t('col.createdAt')}</th>
        <th>${t('col.signatures')}</th>
        <th>${t(last)}</th>
      </tr>
    </thead>`;
  const table = (rows: readonly DraftSummary[], id: string, last: ApprovalKey) =>
    rows.length
      ? html`<table id="${id}">
          ${head(last)}
          <tbody>
            ${rows.map((d) => draftRow(d, lang, zones, now))}
          </tbody>
        </table>`
      : html`<p id="${id}" class="empty">${t('drafts.none')}</p>`;
  return shell(
    lang,
    t('drafts.title'),
    '/dashboard/drafts',
    user,
    csrfToken,
    html`<main id="drafts">
      <h2>${t('drafts.pending')}</h2>
      ${table(open, 'pending', 'col.deadline')}
      <h2>${t('drafts.published')}</h2>
      ${table(published, 'published', 'col.publishedAt')}
    </main>`,
  );
}

// ------------------------------------------------------------------------------------ one draft

function entrySection(lang: DashboardLanguage, key: ApprovalKey, d: EntryDiff, name: string): SafeHtml | '' {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  if (!d.added.length && !d.removed.length && !d.changed.length) return '';
  const label = (e: { id: string; title?: string }) =>
    e.title && e.title !== e.id ? html`<code>${e.id}</code> ${e.title}` : html`<code>${e.id}</code>`;
  const langs = (l: string[]) => (l.length ? l.map((x) => languageName(x, lang)).join(', ') : t('unknown'));
  return html`<section class="diff" data-diff="${name}">
    <h3>${t(key)}</h3>
    <ul>
      ${d.added.map((e) => html`<li class="added" data-id="${e.id}">${t('diff.added')}: ${label(e)}</li>`)}
      ${d.removed.map(
        (e) => html`<li class="removed" data-id="${e.id}">${t('diff.removed')}: ${label(e)}</li>`,
      )}
      ${d.changed.map(
        (e) =>
          html`<li class="changed" data-id="${e.id}">
            ${t('diff.changed')}: ${label(e)} —
            ${[
              t('diff.changedFields', { fields: e.fields.join(', ') }),
              ...(e.languages
                ? [
                    t('diff.languages', {
                      added: langs(e.languages.added),
                      removed: langs(e.languages.removed),
                      changed: langs(e.languages.changed),
                    }),
                  ]
                : []),
            ].join('; ')}
          </li>`,
      )}
    </ul>
  </section>`;
}

function diffSection(lang: DashboardLanguage, d: ManifestDiff): SafeHtml {
  const t = (k: ApprovalKey) => approvalTexts.text(lang, k);
  const media = d.media;
  const sections = [
    d.fields.length
      ? html`<section class="diff" data-diff="fields">
          <h3>${t('diff.fields')}</h3>
          <ul>
            ${d.fields.map((f) => html`<li class="changed">${t('diff.changed')}: <code>${f}</code></li>`)}
          </ul>
        </section>`
      : '',
    entrySection(lang, 'diff.emergencies', d.emergencies, 'emergencies'),
    entrySection(lang, 'diff.items', d.items, 'items'),
    entrySection(lang, 'diff.playlists', d.playlists, 'playlists'),
    entrySection(lang, 'diff.scheduleEntries', d.scheduleEntries, 'scheduleEntries'),
    media.added.length + media.removed.length + media.changed.length
      ? html`<section class="diff" data-diff="media">
          <h3>${t('diff.media')}</h3>
          <ul>
            ${media.added.map((p) => html`<li class="added">${t('diff.added')}: <code>${p}</code></li>`)}
            ${media.removed.map((p) => html`<li class="removed">${t('diff.removed')}: <code>${p}</code></li>`)}
            ${media.changed.map((p) => html`<li class="changed">${t('diff.changed')}: <code>${p}</code></li>`)}
          </ul>
        </section>`
      : '',
  ].filter((s) => s !== '');
  return html`${d.initial ? html`<p class="note">${t('draft.initial')}</p>` : ''}
  ${sections.length ? sections : d.initial ? '' : html`<p class="empty">${t('draft.noChanges')}</p>`}`;
}

// ------------------------------------------------------------- every file and language, as it is

/** A draft file route (see approval-routes.ts): `raw` download, `view` checked image/video, `frame` HTML. */
function fileUrl(id: string, how: 'raw' | 'view' | 'frame', path: string, side: 'after' | 'before'): string {
  return `/api/content/drafts/${encodeURIComponent(id)}/files/${how}?path=${encodeURIComponent(path)}&side=${side}`;
}

type Variant = { src?: string; poster?: string; entry?: string; title?: string; body?: string };

function draftManifest(r: DraftReview): BundleManifest | null {
  try {
    return JSON.parse(Buffer.from(r.manifest, 'base64').toString('utf8')) as BundleManifest;
  } catch {
    return null; // the draft was checked when created; a broken one still shows its raw text below
  }
}

/** An image or video of one side, through the route that checks its bytes (never its name). */
function mediaPreview(
  id: string,
  kind: 'image' | 'video',
  path: string,
  side: 'after' | 'before',
  poster?: string,
): SafeHtml {
  return kind === 'image'
    ? html`<img class="thumb" data-side="${side}" src="${fileUrl(id, 'view', path, side)}" alt="${path}" />`
    : html`<video
        class="thumb"
        data-side="${side}"
        src="${fileUrl(id, 'view', path, side)}"
        ${poster ? html`poster="${fileUrl(id, 'view', poster, side)}"` : ''}
        preload="metadata"
        controls
        muted
      ></video>`;
}

/** The sandboxed frame an HTML entry is rendered in: no scripts, no same-origin, no forms. */
function htmlFrame(id: string, path: string, side: 'after' | 'before', title: string): SafeHtml {
  return html`<iframe
    class="html-preview"
    data-side="${side}"
    sandbox=""
    referrerpolicy="no-referrer"
    title="${title}"
    src="${fileUrl(id, 'frame', path, side)}"
  ></iframe>`;
}

function variantCell(
  lang: DashboardLanguage,
  id: string,
  kind: MediaItem['kind'],
  tag: string,
  after: Variant | undefined,
  before: Variant | undefined,
  anchors: Map<string, string>,
): SafeHtml {
  const t = (k: ApprovalKey) => approvalTexts.text(lang, k);
  const changed = JSON.stringify(after ?? null) !== JSON.stringify(before ?? null);
  const side = (v: Variant | undefined, which: 'after' | 'before'): SafeHtml => {
    if (!v) return html`<p class="empty">${t('review.noFile')}</p>`;
    if (kind === 'text')
      return html`${v.title ? html`<strong>${v.title}</strong>` : ''}
        <p class="text-body" lang="${tag}">${v.body ?? ''}</p>`;
    const path = kind === 'html' ? v.entry : v.src;
    if (!path) return html`<p class="empty">${t('review.noFile')}</p>`;
    const anchor = anchors.get(path);
    const name =
      anchor && which === 'after'
        ? html`<a href="#${anchor}"><code>${path}</code></a>`
        : html`<code>${path}</code>`;
    if (kind === 'html') return html`${name}${htmlFrame(id, path, which, path)}`;
    return html`${name}${mediaPreview(id, kind, path, which, v.poster)}`;
  };
  return html`<div class="lang ${changed ? 'changed' : ''}" data-lang="${tag}">
    <h4>${languageName(tag, lang)}</h4>
    ${
      changed && before
        ? html`<div class="before">
              <span class="tag">${t('review.before')}</span>${side(before, 'before')}
            </div>
            <div class="after"><span class="tag">${t('review.after')}</span>${side(after, 'after')}</div>`
        : html`<div class="after">${side(after, 'after')}</div>`
    }
  </div>`;
}

function itemsSection(lang: DashboardLanguage, r: DraftReview, anchors: Map<string, string>): SafeHtml | '' {
  const m = draftManifest(r);
  if (!m || !Array.isArray(m.items) || !m.items.length) return '';
  const before = new Map((r.previous?.items ?? []).map((i) => [i.id, i]));
  return html`<section id="review-items">
    <h2>${approvalTexts.text(lang, 'review.items')}</h2>
    ${m.items.map((item) => {
      const prev = before.get(item.id);
      const av = (item.variants ?? {}) as Record<string, Variant>;
      const bv = (prev && prev.kind === item.kind ? prev.variants : {}) as Record<string, Variant>;
      const tags = [...new Set([...Object.keys(av), ...Object.keys(bv)])];
      return html`<section class="item" data-item="${item.id}" data-kind="${item.kind}">
        <h3><code>${item.id}</code> ${item.title ?? ''} <span class="dim">(${item.kind})</span></h3>
        <div class="langs">
          ${tags.map((tag) => variantCell(lang, r.draft.id, item.kind, tag, av[tag], bv[tag], anchors))}
        </div>
      </section>`;
    })}
  </section>`;
}

function sideFacts(lang: DashboardLanguage, s: FileSide): SafeHtml {
  return html`<span class="facts"
    >${approvalTexts.text(lang, 'review.detected', { type: s.type?.mime ?? approvalTexts.text(lang, 'unknown') })}
    · ${fmtBytes(s.length, lang)} · SHA-256 <code>${s.sha256}</code></span
  >`;
}

function sourceBlock(lang: DashboardLanguage, f: ReviewFile): SafeHtml | '' {
  const side = f.after ?? f.before;
  if (!side?.type || (side.type.kind !== 'html' && side.type.kind !== 'text')) return '';
  if (side.text === undefined)
    return html`<p class="note">${approvalTexts.text(lang, 'review.tooLarge')}</p>`;
  const lines = f.diff ?? side.text.split(/\r\n|\n|\r/).map((text) => ({ op: 'same' as const, text }));
  const mark = { same: ' ', add: '+', del: '-' } as const;
  return html`<p class="dim">${approvalTexts.text(lang, 'review.source')}</p>
    <pre class="source">
${lines.map((l) => html`<span class="${l.op}">${`${mark[l.op]} ${l.text}\n`}</span>`)}</pre>`;
}

function filesSection(lang: DashboardLanguage, r: DraftReview, anchors: Map<string, string>): SafeHtml | '' {
  if (!r.files.length) return '';
  const t = (k: ApprovalKey) => approvalTexts.text(lang, k);
  const id = r.draft.id;
  return html`<section id="review-files">
    <h2>${t('review.files')}</h2>
    ${r.files.map((f) => {
      const kind = (f.after ?? f.before)?.type?.kind ?? 'binary';
      const visual = (which: 'after' | 'before') => {
        const s = which === 'after' ? f.after : f.before;
        if (!s?.type) return '';
        if (s.type.kind === 'image' || s.type.kind === 'video')
          return mediaPreview(id, s.type.kind, f.path, which);
        if (s.type.kind === 'html') return htmlFrame(id, f.path, which, f.path);
        return '';
      };
      return html`<section
        class="file"
        id="${anchors.get(f.path) ?? ''}"
        data-path="${f.path}"
        data-kind="${kind}"
        data-change="${f.change ?? ''}"
      >
        <h3>
          <code>${f.path}</code>
          ${f.change ? html`<span class="change-${f.change}">${t(`review.change.${f.change}`)}</span>` : ''}
        </h3>
        ${f.before ? html`<p><span class="tag">${t('review.before')}</span> ${sideFacts(lang, f.before)}</p>` : ''}
        ${f.after ? html`<p><span class="tag">${t('review.after')}</span> ${sideFacts(lang, f.after)}</p>` : ''}
        <p>
          ${f.before ? html`<a href="${fileUrl(id, 'raw', f.path, 'before')}">${t('review.download')} (${t('review.before')})</a> ` : ''}
          ${f.after ? html`<a href="${fileUrl(id, 'raw', f.path, 'after')}">${t('review.download')}</a>` : ''}
        </p>
        <div class="visual">${visual('before')}${f.before && f.after ? ' → ' : ''}${visual('after')}</div>
        ${kind === 'html' ? html`<p class="dim">${t('review.rendered')}</p>` : ''} ${sourceBlock(lang, f)}
      </section>`;
    })}
  </section>`;
}

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
): string {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  const d = r.draft;
  const tz = zones.timezoneOf(d.siteGroup);
  const mayApprove =
    isAllowed(user.role, 'draft.approve') &&
    (r.kind !== 'emergency' || isAllowed(user.role, 'emergency.approve'));
  const canDiscard =
    d.status === 'open' &&
    isAllowed(user.role, 'draft.submit') &&
    (user.role === 'admin' || d.createdBy === user.username);
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
  const signPanel =
    d.status !== 'open'
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
        </section>`;
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
      ${itemsSection(lang, r, anchors)} ${filesSection(lang, r, anchors)}
      <h2>${t('draft.signatures')}</h2>
      <p>${t('draft.need', { need: d.threshold })}</p>
      <table id="signatures">
        <thead>
          <tr>
            <th>${t('col.signer')}</th>
            <th>${t('col.key')}</th>
            <th>${t('col.signedAt')}</th>
          </tr>
        </thead>
        <tbody>
          ${d.signatures.map(
            (s) =>
              html`<tr data-keyid="${s.keyid}">
                <td>${s.by ?? t('unknown')}</td>
                <td><code title="${s.keyid}">${s.keyid.slice(0, 16)}…</code></td>
                <td>${fmtTime(s.at, lang, tz)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p id="sig-count" data-have="${d.signatures.length}" data-need="${d.threshold}">
        ${d.signatures.length ? t('sig.count', { have: d.signatures.length, need: d.threshold }) : t('draft.noSignatures')}
      </p>
      ${signPanel}
      <h2>${t('draft.files')}</h2>
      <table id="files">
        <thead>
          <tr>
            <th>${t('col.file')}</th>
            <th>${t('col.size')}</th>
            <th>SHA-256</th>
            <th>${t('col.state')}</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td><code>${r.bundlePath}</code></td>
            <td>${fmtBytes(Buffer.from(r.manifest, 'base64').length, lang)}</td>
            <td><code>${r.bundleSha256}</code></td>
            <td>${t('file.present')}</td>
          </tr>
          ${d.files.map(
            (f) =>
              html`<tr class="${f.present ? '' : 'missing'}">
                <td><code>${f.path}</code></td>
                <td>${fmtBytes(f.length, lang)}</td>
                <td><code>${f.sha256}</code></td>
                <td>${t(f.present ? 'file.present' : 'file.missing')}</td>
              </tr>`,
          )}
        </tbody>
      </table>
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
): string {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  const first = v.siteGroups[0];
  const form = first
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
              ${g.languages.map(
                (l) =>
                  html`<fieldset data-lang="${l}">
                    <legend>${t('emergency.language', { language: languageName(l, lang) })}</legend>
                    <label
                      >${t('emergency.titleField')}<input name="title" maxlength="300" lang="${l}"
                    /></label>
                    <label
                      >${t('emergency.bodyField')}<textarea
                        name="body"
                        rows="3"
                        maxlength="4000"
                        lang="${l}"
                      ></textarea>
                    </label>
                  </fieldset>`,
              )}
            </div>`,
        )}
        <label for="em-duration"
          >${t('emergency.duration', { min: EMERGENCY_MIN_MINUTES, max: EMERGENCY_MAX_MINUTES })}</label
        >
        <input
          id="em-duration"
          type="number"
          min="${EMERGENCY_MIN_MINUTES}"
          max="${EMERGENCY_MAX_MINUTES}"
          value="${EMERGENCY_DEFAULT_MINUTES}"
          required
        />
        <button type="submit" id="em-submit">${t('emergency.submit')}</button>
      </form>`
    : html`<p class="empty">${t('emergency.noGates')}</p>`;
  const mayEnd = isAllowed(user.role, 'emergency.create');
  return shell(
    lang,
    t('emergency.title'),
    '/dashboard/emergency',
    user,
    csrfToken,
    html`<main id="emergency">
      <h2>${t('emergency.new')}</h2>
      ${form}
      <p id="em-result" role="status"></p>
      <h2>${t('emergency.active')}</h2>
      ${
        v.active.length
          ? html`<table id="active-emergencies">
              <thead>
                <tr>
                  <th>${t('col.siteGroup')}</th>
                  <th>${t('col.message')}</th>
                  <th>${t('col.starts')}</th>
                  <th>${t('col.expires')}</th>
                  <th>${t('col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                ${v.active.map((a) => {
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
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>`
          : html`<p id="active-emergencies" class="empty">${t('emergency.noActive')}</p>`
      }
    </main>`,
  );
}
