/**
 * The sections of one draft's review page: what changes against the version on air, the draft on a
 * gate screen, its emergency messages, and every file as it is (each item before and after is
 * review-compare.ts) (checked previews, sandboxed HTML,
 * source with its line diff). Everything goes through the `html` template (escaped).
 */
import { type DashboardLanguage } from '../dashboard/language.js';
import { type ApprovalKey, approvalTexts } from './texts.js';
import type { BundleManifest, Emergency } from '../../protocol/content.js';
import type { EntryDiff, ManifestDiff } from '../../protocol/manifest-diff.js';
import { html, type SafeHtml } from '../web/escape.js';
import { fmtBytes, fmtTime, languageName } from './approval-format.js';
import type { DraftReview, FileSide, ReviewFile } from './approval-service.js';
import { PREVIEW_SCREENS, type PreviewScreen } from './screen-preview.js';

function entrySection(lang: DashboardLanguage, key: ApprovalKey, d: EntryDiff, name: string): SafeHtml | '' {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  if (!d.added.length && !d.removed.length && !d.changed.length) return '';
  const label = (e: { id: string; title?: string }) =>
    e.title && e.title !== e.id ? html`<code>${e.id}</code> ${e.title}` : html`<code>${e.id}</code>`;
  // A field by its name in the catalogue; one the catalogue does not know yet stays an identifier.
  const fieldName = (f: string) => {
    const k = `field.${f}`;
    return approvalTexts.has(k) ? approvalTexts.text(lang, k) : f;
  };
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
              t('diff.changedFields', { fields: e.fields.map(fieldName).join(', ') }),
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

/** What the draft changes against the version on air, section by section. */
export function diffSection(lang: DashboardLanguage, d: ManifestDiff): SafeHtml {
  const t = (k: ApprovalKey) => approvalTexts.text(lang, k);
  const media = d.media;
  const sections = [
    d.fields.length
      ? html`<section class="diff" data-diff="fields">
          <h3>${t('diff.fields')}</h3>
          <ul>
            ${d.fields.map((f) => {
              const k = `field.${f}`;
              return html`<li class="changed">
                ${t('diff.changed')}:
                ${approvalTexts.has(k) ? approvalTexts.text(lang, k) : html`<code>${f}</code>`}
              </li>`;
            })}
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

function draftManifest(r: DraftReview): BundleManifest | null {
  try {
    return JSON.parse(Buffer.from(r.manifest, 'base64').toString('utf8')) as BundleManifest;
  } catch {
    return null; // the draft was checked when created; a broken one still shows its raw text below
  }
}

/**
 * The draft on a gate screen: the real player page at the screen's resolution, scaled into the
 * review (a frame of /dashboard/drafts/:id/screen), with a choice of resolutions and, for a draft
 * with emergencies, of the emergency (every language at once).
 */
export function screenSection(lang: DashboardLanguage, r: DraftReview, screen: PreviewScreen): SafeHtml {
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  const m = draftManifest(r);
  const id = encodeURIComponent(r.draft.id);
  const emergencies = m?.emergencies ?? [];
  const src = (e?: string) =>
    `/dashboard/drafts/${id}/screen?screen=${screen.id}${e ? `&emergency=${encodeURIComponent(e)}` : ''}`;
  const frame = (e: string | undefined, title: string) =>
    html`<div class="screen-preview screen-${screen.id}" data-screen="${screen.id}">
      <iframe class="screen-frame" title="${title}" referrerpolicy="no-referrer" src="${src(e)}"></iframe>
    </div>`;
  return html`<section id="review-screen">
    <h2>${t('screen.title')}</h2>
    <p class="screen-choice">
      ${PREVIEW_SCREENS.map((s) =>
        s.id === screen.id
          ? html`<strong>${s.width}×${s.height}</strong> `
          : html`<a href="/dashboard/drafts/${id}?screen=${s.id}#review-screen">${s.width}×${s.height}</a> `,
      )}
    </p>
    ${frame(undefined, t('screen.title'))}
    ${emergencies.map(
      (e) =>
        html`<h3>${t('screen.emergency', { id: e.id })}</h3>
          ${frame(e.id, e.id)}`,
    )}
  </section>`;
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

/**
 * Every emergency message of the draft, and those it ends, with its text in every language (not
 * only inside the raw bundle.json), its window, and whether it is new, changed, unchanged or ended
 * against what is on air. Times in the site group's zone `tz`.
 */
export function emergenciesSection(lang: DashboardLanguage, r: DraftReview, tz: string): SafeHtml | '' {
  const m = draftManifest(r);
  const t = (k: ApprovalKey, p?: Record<string, string | number>) => approvalTexts.text(lang, k, p);
  const now = new Map((m?.emergencies ?? []).map((e) => [e.id, e]));
  const before = new Map((r.previous?.emergencies ?? []).map((e) => [e.id, e]));
  const shown: { e: Emergency; change: 'added' | 'changed' | 'unchanged' | 'removed' }[] = [
    ...[...now.values()].map((e) => {
      const prev = before.get(e.id);
      const change = !prev ? 'added' : JSON.stringify(prev) === JSON.stringify(e) ? 'unchanged' : 'changed';
      return { e, change } as const;
    }),
    ...[...before.values()].filter((e) => !now.has(e.id)).map((e) => ({ e, change: 'removed' as const })),
  ];
  if (!shown.length) return '';
  return html`<section id="review-emergencies">
    <h2>${t('review.emergencies')}</h2>
    ${shown.map(
      ({ e, change }) =>
        html`<section class="emergency ${change}" data-emergency="${e.id}" data-change="${change}">
          <h3><code>${e.id}</code> · ${t(`review.emergency.${change}`)}</h3>
          <p>
            ${t('review.emergency.window', {
              from: fmtTime(e.startsAt, lang, tz),
              to: fmtTime(e.expiresAt, lang, tz),
            })}
          </p>
          <dl class="langs">
            ${Object.entries(e.text).map(
              ([tag, v]) =>
                html`<dt data-lang="${tag}">${languageName(tag, lang)}</dt>
                  <dd data-lang="${tag}" lang="${tag}">
                    ${v.title ? html`<strong>${v.title}</strong><br />` : ''}${v.body}
                  </dd>`,
            )}
          </dl>
        </section>`,
    )}
  </section>`;
}

/** Every file of the draft as it is: detected type, size, hash, preview and source. */
export function filesSection(
  lang: DashboardLanguage,
  r: DraftReview,
  anchors: Map<string, string>,
): SafeHtml | '' {
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
