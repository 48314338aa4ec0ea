/**
 * A draft's review, before and after side by side: each item in each language as it is on air
 * (the version the draft is compared with) and as the draft has it (images as thumbnails made on
 * the server, videos as a poster frame with their resolution and length, text with its line diff,
 * HTML in a sandboxed frame under a CSP that lets no script run), and the gate's day hour by hour
 * before and after. Everything goes through the `html` template (escaped). What a file is comes
 * from its bytes (the review's detected types), never from its name.
 */
import type { BundleManifest, MediaItem } from '../../protocol/content.js';
import { type DashboardLanguage } from '../dashboard/language.js';
import { html, type SafeHtml } from '../web/escape.js';
import { table } from '../web/table.js';
import { languageName } from './approval-format.js';
import type { DraftReview, FileSide } from './approval-service.js';
import { lineDiff } from './line-diff.js';
import type { MediaFacts } from './review-media.js';
import { type DayPlan, type HourOnAir, type OnAir, sameHour, type ScheduleDay } from './review-schedule.js';
import { type ReviewKey, reviewTexts } from './review-texts.js';

export type Side = 'before' | 'after';

/** What the review route worked out before rendering: media facts by `factKey`, and the day. */
export interface ReviewExtras {
  facts?: ReadonlyMap<string, MediaFacts | 'unreadable'>;
  schedule?: ScheduleDay | null;
}

export const factKey = (side: Side, path: string) => `${side}\n${path}`;

type Variant = { src?: string; poster?: string; entry?: string; title?: string; body?: string };

type T = (k: ReviewKey, p?: Record<string, string | number>) => string;

function draftFileUrl(id: string, how: 'view' | 'frame' | 'thumb', path: string, side: Side): string {
  const q = `path=${encodeURIComponent(path)}&side=${side}`;
  return how === 'thumb'
    ? `/api/content/drafts/${encodeURIComponent(id)}/thumb?${q}`
    : `/api/content/drafts/${encodeURIComponent(id)}/files/${how}?${q}`;
}

/** "0:07", "12:30", "1:02:03" */
export function fmtDuration(s: number): string {
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The detected type of `path` on one side: the review's files (an unchanged file is the same on both). */
export function sideTypes(r: DraftReview): (side: Side, path: string) => FileSide | null {
  const byPath = new Map(r.files.map((f) => [f.path, f]));
  return (side, path) => {
    const f = byPath.get(path);
    if (!f) return null;
    if (side === 'after') return f.after;
    return f.before ?? (f.change === 'unchanged' || f.change === null ? f.after : null);
  };
}

export function parseManifest(r: DraftReview): BundleManifest | null {
  try {
    return JSON.parse(Buffer.from(r.manifest, 'base64').toString('utf8')) as BundleManifest;
  } catch {
    return null; // the draft was checked when created; a broken one still shows its raw text below
  }
}

interface Ctx {
  t: T;
  lang: DashboardLanguage;
  id: string;
  anchors: ReadonlyMap<string, string>;
  facts: ReadonlyMap<string, MediaFacts | 'unreadable'>;
  typeOf: (side: Side, path: string) => FileSide | null;
  /** Whether the file at `path` has other bytes in the draft than on air. */
  fileChanged: (path: string) => boolean;
}

function mediaSide(c: Ctx, kind: 'image' | 'video', path: string, side: Side): SafeHtml {
  const { t } = c;
  const type = c.typeOf(side, path)?.type;
  const anchor = c.anchors.get(path);
  const name =
    anchor && side === 'after'
      ? html`<a href="#${anchor}"><code>${path}</code></a>`
      : html`<code>${path}</code>`;
  if (!type)
    return html`${name}
      <p class="empty">${t('media.missing')}</p>`;
  if (type.kind !== 'image' && type.kind !== 'video')
    return html`${name}
      <p class="error" data-f="not-media">${t('media.notMedia', { type: type.mime })}</p>`;
  const facts = c.facts.get(factKey(side, path));
  const caption =
    facts === 'unreadable'
      ? html`<span class="error">${t('media.unreadable')}</span>`
      : facts?.kind === 'video'
        ? t('media.video', {
            width: facts.width,
            height: facts.height,
            duration: fmtDuration(facts.durationS ?? 0),
          })
        : facts
          ? t('media.image', { width: facts.width, height: facts.height })
          : '';
  const thumb =
    facts === 'unreadable'
      ? ''
      : html`<a href="${draftFileUrl(c.id, 'view', path, side)}" target="_blank" rel="noopener noreferrer"
          ><img
            class="thumb ${type.kind === 'video' ? 'poster' : ''}"
            data-side="${side}"
            data-kind="${type.kind}"
            src="${draftFileUrl(c.id, 'thumb', path, side)}"
            alt="${type.kind === 'video' ? t('media.poster', { path }) : path}"
            loading="lazy"
        /></a>`;
  return html`${name}
    <figure class="media" data-kind="${type.kind}" data-side="${side}">
      ${thumb}
      <figcaption data-f="facts">
        ${caption}
        ${
          facts !== 'unreadable'
            ? html`·
                <a href="${draftFileUrl(c.id, 'view', path, side)}" target="_blank" rel="noopener noreferrer"
                  >${t(type.kind === 'video' ? 'media.play' : 'media.openImage')}</a
                >`
            : ''
        }
      </figcaption>
    </figure>`;
}

function htmlSide(c: Ctx, path: string, side: Side): SafeHtml {
  const type = c.typeOf(side, path)?.type;
  const anchor = c.anchors.get(path);
  const name =
    anchor && side === 'after'
      ? html`<a href="#${anchor}"><code>${path}</code></a>`
      : html`<code>${path}</code>`;
  if (!type)
    return html`${name}
      <p class="empty">${c.t('media.missing')}</p>`;
  // `sandbox` with no allowances: no script, no same origin, no forms, no popups, no top navigation.
  return html`${name}<iframe
      class="html-preview"
      data-side="${side}"
      sandbox=""
      referrerpolicy="no-referrer"
      loading="lazy"
      title="${c.t('html.frame', { path })}"
      src="${draftFileUrl(c.id, 'frame', path, side)}"
    ></iframe>`;
}

function textSide(v: Variant, tag: string): SafeHtml {
  return html`${v.title ? html`<strong class="text-title" lang="${tag}">${v.title}</strong>` : ''}
    <p class="text-body" lang="${tag}">${v.body ?? ''}</p>`;
}

function side(c: Ctx, kind: MediaItem['kind'], v: Variant | undefined, which: Side, tag: string): SafeHtml {
  const { t } = c;
  if (!v) return html`<p class="empty">${t(which === 'before' ? 'item.notOnAir' : 'item.notInDraft')}</p>`;
  if (kind === 'text') return textSide(v, tag);
  const path = kind === 'html' ? v.entry : v.src;
  if (!path) return html`<p class="empty">${t('media.missing')}</p>`;
  if (kind === 'html') return htmlSide(c, path, which);
  return mediaSide(c, kind, path, which);
}

/** The text item's title and body, line by line, before → after. */
function textDiff(c: Ctx, before: Variant, after: Variant, tag: string): SafeHtml {
  const asText = (v: Variant) => `${v.title ? `${c.t('text.title')}: ${v.title}\n` : ''}${v.body ?? ''}`;
  const mark = { same: ' ', add: '+', del: '-' } as const;
  return html`<p class="dim">${c.t('text.diff')}</p>
    <pre class="source text-diff" lang="${tag}">
${lineDiff(asText(before), asText(after)).map((l) => html`<span class="${l.op}">${`${mark[l.op]} ${l.text}\n`}</span>`)}</pre>`;
}

function langCell(
  c: Ctx,
  kind: MediaItem['kind'],
  tag: string,
  after: Variant | undefined,
  before: Variant | undefined,
  itemOnAir: boolean,
): SafeHtml {
  // A variant changes when the manifest says something else, or when its file keeps its name but
  // not its bytes (what the screen shows changes all the same).
  const fileOf = (v: Variant | undefined) =>
    kind === 'html' ? v?.entry : kind === 'text' ? undefined : v?.src;
  const path = fileOf(after);
  const changed =
    JSON.stringify(after ?? null) !== JSON.stringify(before ?? null) ||
    (path !== undefined && path === fileOf(before) && c.fileChanged(path));
  const cell = (which: Side, v: Variant | undefined) =>
    html`<div class="${which}" data-side="${which}">
      <span class="tag">${c.t(which === 'before' ? 'side.before' : 'side.after')}</span
      >${side(c, kind, v, which, tag)}
    </div>`;
  return html`<div
    class="lang ${changed ? 'changed' : ''}"
    data-lang="${tag}"
    data-changed="${String(changed)}"
  >
    <h4>${languageName(tag, c.lang)}</h4>
    ${
      changed && (itemOnAir || before)
        ? html`<div class="sides">${cell('before', before)}${cell('after', after)}</div>
            ${kind === 'text' && before && after ? textDiff(c, before, after, tag) : ''}`
        : html`<div class="sides one">${cell(after ? 'after' : 'before', after ?? before)}</div>`
    }
  </div>`;
}

/** Every item of the draft (and each it removes) in every language, before beside after where it changed. */
export function compareItemsSection(
  lang: DashboardLanguage,
  r: DraftReview,
  anchors: ReadonlyMap<string, string>,
  extras: ReviewExtras = {},
  /** The catalogue of the surrounding page, for the section title and item kinds. */
  pageText: (k: string) => string,
): SafeHtml | '' {
  const m = parseManifest(r);
  if (!m || !Array.isArray(m.items)) return '';
  const c: Ctx = {
    t: (k, p) => reviewTexts.text(lang, k, p),
    lang,
    id: r.draft.id,
    anchors,
    facts: extras.facts ?? new Map(),
    typeOf: sideTypes(r),
    fileChanged: (path) => r.files.some((f) => f.path === path && f.change === 'changed'),
  };
  const before = new Map((r.previous?.items ?? []).map((i) => [i.id, i]));
  const shown = [
    ...m.items.map((item) => ({ item, prev: before.get(item.id), state: 'present' as const })),
    ...(r.previous?.items ?? [])
      .filter((i) => !m.items.some((x) => x.id === i.id))
      .map((item) => ({ item, prev: item, state: 'removed' as const })),
  ];
  if (!shown.length) return '';
  return html`<section id="review-items">
    <h2>${pageText('review.items')}</h2>
    ${shown.map(({ item, prev, state }) => {
      const sameKind = prev && prev.kind === item.kind;
      const av = (state === 'removed' ? {} : (item.variants ?? {})) as Record<string, Variant>;
      const bv = (sameKind ? prev.variants : {}) as Record<string, Variant>;
      const tags = [...new Set([...Object.keys(av), ...Object.keys(bv)])];
      const added = r.previous !== null && !prev;
      return html`<section
        class="item ${state === 'removed' ? 'removed' : ''}"
        data-item="${item.id}"
        data-kind="${item.kind}"
        data-state="${state === 'removed' ? 'removed' : added ? 'added' : 'present'}"
      >
        <h3>
          <code>${item.id}</code> ${item.title ?? ''}
          <span class="dim">(${pageText(`itemKind.${item.kind}`)})</span>
          ${added ? html`<span class="change-added">${c.t('item.added')}</span>` : ''}
          ${state === 'removed' ? html`<span class="change-removed">${c.t('item.removed')}</span>` : ''}
        </h3>
        <div class="langs">
          ${tags.map((tag) => langCell(c, item.kind, tag, av[tag], bv[tag], Boolean(sameKind)))}
        </div>
      </section>`;
    })}
  </section>`;
}

// ------------------------------------------------------------------------------ the gate's day

function onAirName(t: T, o: OnAir): SafeHtml {
  return o.emergencyId
    ? html`<strong class="late">${t('schedule.emergency', { id: o.emergencyId })}</strong>`
    : html`<span data-playlist="${o.playlistId}">${o.name ?? o.playlistId}</span>`;
}

function hourCell(t: T, h: HourOnAir | undefined): SafeHtml {
  if (!h || !h.shows.length) return html`<span class="empty">${t('schedule.nothing')}</span>`;
  return html`${h.shows.map((o, i) => html`${i ? ' → ' : ''}${onAirName(t, o)}`)}`;
}

/** The hours of the gate's day before and after the draft, the changed ones marked. */
export function scheduleSection(lang: DashboardLanguage, day: ScheduleDay | null | undefined): SafeHtml | '' {
  if (!day) return '';
  const t: T = (k, p) => reviewTexts.text(lang, k, p);
  const hoursOf = (p: DayPlan | null) => (p && 'hours' in p ? p.hours : null);
  const before = hoursOf(day.before);
  const after = hoursOf(day.after);
  const problem = (p: DayPlan | null) =>
    p && 'problem' in p ? html`<p class="error">${t('schedule.failed', { reason: p.problem })}</p>` : '';
  const changed = after ? after.filter((h, i) => !sameHour(before?.[i], h)).length : 0;
  const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
  return html`<section id="review-schedule" data-date="${day.date}" data-timezone="${day.timezone}">
    <h2>${t('schedule.title', { date: day.date, zone: day.timezone })}</h2>
    ${problem(day.before)}${problem(day.after)}
    ${!day.before ? html`<p class="note">${t('schedule.nothingOnAir')}</p>` : ''}
    ${
      after
        ? html`<p data-f="changed-hours" data-count="${changed}">
              ${changed ? t('schedule.changedHours', { count: changed }) : t('schedule.unchanged')}
            </p>
            ${table(
              [t('schedule.hour'), t('schedule.before'), t('schedule.after')],
              after.map((h, i) => {
                const diff = !sameHour(before?.[i], h);
                return html`<tr
                  data-hour="${h.hour}"
                  class="${diff ? 'changed' : ''}"
                  data-changed="${String(diff)}"
                >
                  <th scope="row">${hh(h.hour)}</th>
                  <td data-side="before">
                    ${before ? hourCell(t, before[i]) : html`<span class="empty">—</span>`}
                  </td>
                  <td data-side="after">${hourCell(t, h)}</td>
                </tr>`;
              }),
              { table: { id: 'schedule-day' } },
            )}`
        : ''
    }
  </section>`;
}

/** Every image or video (by its bytes) an item of the comparison shows, with its side. */
export function comparedMedia(r: DraftReview): { side: Side; path: string }[] {
  const typeOf = sideTypes(r);
  const out = new Map<string, { side: Side; path: string }>();
  const add = (manifest: BundleManifest | null, which: Side) => {
    for (const item of manifest?.items ?? []) {
      if (item.kind !== 'image' && item.kind !== 'video') continue;
      for (const v of Object.values(item.variants ?? {}) as Variant[]) {
        const kind = v.src ? typeOf(which, v.src)?.type?.kind : undefined;
        if (v.src && (kind === 'image' || kind === 'video'))
          out.set(factKey(which, v.src), { side: which, path: v.src });
      }
    }
  };
  add(parseManifest(r), 'after');
  add(r.previous, 'before');
  return [...out.values()];
}
