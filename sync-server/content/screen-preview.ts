/**
 * A draft as a gate screen shows it: the real player page (player/page/, read from disk: the
 * dashboard does not import the player) with one slide of the draft handed to it, framed by the
 * review page and scaled from the screen's resolution. The slide is built like the device's: the
 * layout's header and bands from protocol/screen-view.ts, media through the draft's checked-file
 * route, an emergency with every language stacked.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundleManifest } from '../../protocol/content.js';
import { DEFAULT_TIMEZONE } from '../../protocol/config.js';
import { layoutView } from '../../protocol/screen-view.js';

/** The screens a preview renders at (device.json's supported sizes). */
export const PREVIEW_SCREENS = [
  { id: '1920x1080', width: 1920, height: 1080 },
  { id: '3840x2160', width: 3840, height: 2160 },
  { id: '1080x1920', width: 1080, height: 1920 },
] as const;
export type PreviewScreen = (typeof PREVIEW_SCREENS)[number];

export function previewScreen(id: unknown): PreviewScreen {
  return PREVIEW_SCREENS.find((s) => s.id === id) ?? PREVIEW_SCREENS[0];
}

const fileUrl = (draftId: string, path: string) =>
  `/api/content/drafts/${encodeURIComponent(draftId)}/files/view?path=${encodeURIComponent(path)}&side=after`;

/** The gate's languages as the draft names them: its gate name's, else every language its items have. */
function languagesOf(m: BundleManifest): string[] {
  if (m.gate) return Object.keys(m.gate.name);
  const out = new Set<string>();
  for (const i of m.items) for (const l of Object.keys(i.variants)) if (l !== 'zxx') out.add(l);
  return [...out];
}

export interface PreviewChoice {
  /** An emergency of the draft to show instead of a playlist item. */
  emergencyId?: string;
  lang?: string;
  at: number;
}

/**
 * The slide the preview shows: the first item of the first playlist with a layout (else the default
 * playlist), in `lang` (else the first language it has); or the emergency. Plain data, the shape of
 * player/slide.ts's Slide.
 */
export function previewSlide(m: BundleManifest, draftId: string, choice: PreviewChoice): object {
  const languages = languagesOf(m);
  const zone = m.schedule.timezone ?? DEFAULT_TIMEZONE;
  const base = { id: 'preview', startAt: 0, durationMs: 24 * 3600_000, transition: 'cut', fadeMs: 0 };
  const emergency = choice.emergencyId ? m.emergencies.find((e) => e.id === choice.emergencyId) : undefined;
  if (emergency) {
    const langs = Object.keys(emergency.text);
    const ordered = [
      ...languages.filter((l) => langs.includes(l)),
      ...langs.filter((l) => !languages.includes(l)),
    ];
    const parts = ordered.map((lang) => ({ lang, ...emergency.text[lang]! }));
    return { ...base, lang: ordered[0] ?? 'vi', content: { kind: 'emergency', parts }, ticker: null };
  }
  const playlist =
    m.playlists.find((p) => p.layoutId) ?? m.playlists.find((p) => p.id === m.schedule.defaultPlaylistId);
  const item = playlist && m.items.find((i) => i.id === playlist.entries[0]?.itemId);
  const layout = playlist?.layoutId ? m.layouts?.find((l) => l.id === playlist.layoutId) : undefined;
  const variants = (item?.variants ?? {}) as Record<string, Record<string, string | undefined>>;
  const lang = choice.lang && variants[choice.lang] ? choice.lang : (Object.keys(variants)[0] ?? 'vi');
  const v = variants[lang] ?? {};
  const content =
    item?.kind === 'image' && v['src']
      ? { kind: 'image', src: fileUrl(draftId, v['src']) }
      : item?.kind === 'video' && v['src']
        ? { kind: 'video', src: fileUrl(draftId, v['src']), loop: true }
        : item?.kind === 'text' && v['body']
          ? { kind: 'text', body: v['body'], ...(v['title'] ? { title: v['title'] } : {}), style: 'standard' }
          : { kind: 'card', title: item?.title ?? playlist?.name ?? 'gatecast', lines: [] };
  const tickerText = layout?.regions.ticker?.text ?? playlist?.ticker?.text;
  const ticker = tickerText
    ? {
        speedPxPerS: layout?.regions.ticker?.speedPxPerS ?? playlist?.ticker?.speedPxPerS ?? 80,
        parts: [...languages, ...Object.keys(tickerText).filter((l) => !languages.includes(l))]
          .filter((l) => tickerText[l])
          .map((l) => ({ lang: l, text: tickerText[l]! })),
      }
    : null;
  return {
    ...base,
    lang: lang === 'zxx' ? (languages[0] ?? 'vi') : lang,
    content,
    ticker,
    ...(layout ? { layout: layoutView(m, layout, languages, zone, choice.at) } : {}),
  };
}

let pageFiles: { html: string; js: string; css: string } | undefined;

/** The player page's files: beside the source tree's sync-server/, or the source tree from dist/. */
function playerPage(): { html: string; js: string; css: string } {
  if (pageFiles) return pageFiles;
  const dir = [
    fileURLToPath(new URL('../../player/page/', import.meta.url)),
    fileURLToPath(new URL('../../../player/page/', import.meta.url)),
  ].find((d) => existsSync(join(d, 'player.js')));
  if (!dir) throw new Error('the player page is not installed beside the server');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  pageFiles = { html: read('index.html'), js: read('player.js'), css: read('player.css') };
  return pageFiles;
}

const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/**
 * The player page with `slide` on air, and its CSP: its own script, style and the hand-over only,
 * media from this origin (the checked-file route), no requests elsewhere, framed by the dashboard only.
 */
export function screenPreviewPage(slide: object): { body: string; csp: string } {
  const { html, js, css } = playerPage();
  // JSON in a script: `<` escaped so no text of the draft can close the tag.
  const data = JSON.stringify(slide).replace(/</g, '\\u003c');
  const boot = `window.gatecast.replace([${data}]);`;
  const body = html
    .replace(/<link rel="stylesheet" href="\/player\.css"\s*\/?>/, () => `<style>${css}</style>`)
    .replace(/<script src="\/player\.js" defer><\/script>\s*/, '')
    .replace('</body>', () => `<script>${js}</script>\n<script>${boot}</script>\n</body>`);
  const csp = [
    "default-src 'none'",
    `script-src ${hash(js)} ${hash(boot)}`,
    `style-src ${hash(css)}`,
    "img-src 'self'",
    "media-src 'self'",
    "font-src 'self'",
    "frame-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
  return { body, csp };
}
