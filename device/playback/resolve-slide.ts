/**
 * Turns a planned item into what the page shows: the variant's files as page-server URLs, text,
 * duration, transition and the ticker. Pure: the bundle and the gate's languages are passed in.
 */
import { createHash } from 'node:crypto';
import { contentUrl } from '../../player/page-server.js';
import type { Slide, TickerSpec } from '../../player/slide.js';
import type { MediaItem } from '../../protocol/content.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import type { InstalledBundle } from '../content/installed.js';
import { type GateView, layoutOf, type RegionSlideRef, resolveLayout } from './resolve-layout.js';

/** Which variant was shown: its main target and hash (text variants hash their JSON). */
export interface VariantRef {
  /** The entry/src target path; absent for text and emergency slides. */
  targetPath?: string;
  sha256: string;
}

/** A side or footer region's slide with the variant it shows (proof of play records its plays). */
export interface RegionShowing extends RegionSlideRef {
  variant: VariantRef;
}

export type Resolved =
  | {
      ok: true;
      slide: Slide;
      variant: VariantRef;
      /** The slides of the layout's side and footer regions, when it has them. */
      regions?: RegionShowing[];
    }
  | { ok: false; reason: string };

export function slideId(item: PlannedItem): string {
  return `${item.itemId}/${item.language}@${item.startAt}`;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * `gate` is the gate's languages in order, or those with its zone (for a layout's header); a slide
 * of a playlist with a layout carries the layout, an emergency every gate language at once.
 */
export function resolveSlide(
  item: PlannedItem,
  bundle: InstalledBundle,
  gate: readonly string[] | GateView,
  options: { isRegion?: boolean } = {},
): Resolved {
  const gateView: GateView = 'languages' in gate ? gate : { languages: gate };
  const gateLanguages = gateView.languages;
  const base = {
    id: slideId(item),
    startAt: item.startAt,
    durationMs: item.durationMs,
    transition: item.transition,
    fadeMs: item.fadeMs,
    lang: item.language,
  };
  if (item.source === 'emergency') {
    const e = bundle.manifest.emergencies.find((x) => x.id === item.itemId);
    const text = e?.text[item.language];
    if (!e || !text)
      return { ok: false, reason: `emergency "${item.itemId}" has no "${item.language}" text` };
    // Every traveller reads it at once: all the gate's languages it has, in the gate's order
    // (all of its languages if it has none of the gate's), each in its own script.
    const langs = Object.keys(e.text);
    const inGate = gateLanguages.filter((l) => langs.includes(l));
    const parts = (inGate.length ? inGate : langs).map((lang) => {
      const t = e.text[lang]!;
      return { lang, body: t.body, ...(t.title ? { title: t.title } : {}) };
    });
    return {
      ok: true,
      slide: { ...base, content: { kind: 'emergency', parts }, ticker: null },
      variant: { sha256: sha256(JSON.stringify(text)) },
    };
  }

  const media = bundle.manifest.items.find((x) => x.id === item.itemId);
  if (!media) return { ok: false, reason: `item "${item.itemId}" is not in bundle ${bundle.version}` };
  if (media.kind !== item.kind)
    return { ok: false, reason: `item "${item.itemId}" is ${media.kind}, planned as ${item.kind}` };
  const playlist = bundle.manifest.playlists.find((p) => p.id === item.playlistId);
  const layout = options.isRegion ? undefined : layoutOf(bundle, playlist);
  const tickerText = layout?.regions.ticker?.text
    ? { text: layout.regions.ticker.text, speedPxPerS: layout.regions.ticker.speedPxPerS ?? 80 }
    : playlist?.ticker;
  const ticker = !options.isRegion && tickerText ? tickerSpec(tickerText, gateLanguages) : null;
  const variants = new Map<PlannedItem, VariantRef>();
  const regions: RegionShowing[] = [];
  const layoutSpec = layout
    ? resolveLayout(
        layout,
        bundle,
        gateView,
        item.startAt,
        (regionItem) => {
          const r = resolveSlide(regionItem, bundle, gateView, { isRegion: true });
          if (r.ok) variants.set(regionItem, r.variant);
          return r.ok ? r.slide : undefined;
        },
        (ref) => regions.push({ ...ref, variant: variants.get(ref.item)! }),
      )
    : undefined;
  // Only slides of a playlist with a layout say so: the others play on the whole screen as before.
  const withLayout = (s: Slide): Slide => (layoutSpec ? { ...s, layout: layoutSpec } : s);
  const regionsOf = regions.length ? { regions } : {};

  const file = (path: string): { url: string; sha256: string } | undefined => {
    const info = bundle.targets.get(path);
    if (!info || !bundle.filePath(path)) return undefined;
    return { url: contentUrl(path, info.sha256), sha256: info.sha256 };
  };
  const missing = (path: string) => ({
    ok: false as const,
    reason: `file "${path}" of item "${item.itemId}" (${item.language}) is not installed`,
  });

  const v = variantOf(media, item.language);
  if (!v) return { ok: false, reason: `item "${item.itemId}" has no "${item.language}" variant` };
  switch (v.kind) {
    case 'image': {
      const f = file(v.src);
      if (!f) return missing(v.src);
      return {
        ok: true,
        slide: withLayout({ ...base, content: { kind: 'image', src: f.url }, ticker }),
        variant: { targetPath: v.src, sha256: f.sha256 },
        ...regionsOf,
      };
    }
    case 'video': {
      const f = file(v.src);
      if (!f) return missing(v.src);
      const poster = v.poster ? file(v.poster) : undefined;
      return {
        ok: true,
        slide: withLayout({
          ...base,
          content: { kind: 'video', src: f.url, loop: v.loop, ...(poster ? { poster: poster.url } : {}) },
          ticker,
        }),
        variant: { targetPath: v.src, sha256: f.sha256 },
        ...regionsOf,
      };
    }
    case 'html': {
      const f = file(v.entry);
      if (!f) return missing(v.entry);
      const absent = v.assets.find((a) => !file(a));
      if (absent) return missing(absent);
      return {
        ok: true,
        slide: withLayout({ ...base, content: { kind: 'html', src: f.url }, ticker }),
        variant: { targetPath: v.entry, sha256: f.sha256 },
        ...regionsOf,
      };
    }
    case 'text':
      return {
        ok: true,
        slide: withLayout({
          ...base,
          content: {
            kind: 'text',
            body: v.text.body,
            style: v.style,
            ...(v.text.title ? { title: v.text.title } : {}),
          },
          ticker,
        }),
        variant: { sha256: sha256(JSON.stringify(v.text)) },
        ...regionsOf,
      };
  }
}

/**
 * What a person needs to find an item that could not be shown: its title and the file of the
 * variant in its language (the one the page failed on, when known). Pure.
 */
export function describeItem(
  item: PlannedItem,
  bundle: InstalledBundle | undefined,
  failedFile?: string,
): { title?: string; file?: string } {
  const media = bundle?.manifest.items.find((x) => x.id === item.itemId);
  const v = media && variantOf(media, item.language);
  const file = failedFile ?? (v?.kind === 'html' ? v.entry : v && 'src' in v ? v.src : undefined);
  return { ...(media?.title ? { title: media.title } : {}), ...(file ? { file } : {}) };
}

type Variant =
  | { kind: 'image'; src: string }
  | { kind: 'video'; src: string; poster?: string; loop: boolean }
  | { kind: 'html'; entry: string; assets: string[] }
  | { kind: 'text'; text: { title?: string; body: string }; style: 'standard' | 'notice' | 'warning' };

function variantOf(media: MediaItem, lang: string): Variant | undefined {
  switch (media.kind) {
    case 'image': {
      const v = media.variants[lang];
      return v && { kind: 'image', src: v.src };
    }
    case 'video': {
      const v = media.variants[lang];
      return v && { kind: 'video', src: v.src, loop: media.loop, ...(v.poster ? { poster: v.poster } : {}) };
    }
    case 'html': {
      const v = media.variants[lang];
      return v && { kind: 'html', entry: v.entry, assets: v.assets };
    }
    case 'text': {
      const v = media.variants[lang];
      return v && { kind: 'text', text: v, style: media.style };
    }
  }
}

/** The ticker's texts in the gate's languages and order; all of them if it has none of the gate's. */
export function tickerSpec(
  ticker: { text: Record<string, string>; speedPxPerS: number },
  gateLanguages: readonly string[],
): TickerSpec | null {
  const langs = Object.keys(ticker.text);
  const gate = gateLanguages.filter((l) => langs.includes(l));
  const ordered = gate.length ? gate : langs;
  if (ordered.length === 0) return null;
  return {
    speedPxPerS: ticker.speedPxPerS,
    parts: ordered.map((lang) => ({ lang, text: ticker.text[lang]! })),
  };
}

/** The neutral card shown when nothing is installed: never a black screen. */
export function waitingCard(gateName: string, deviceId: string | undefined, now: number): Slide {
  return {
    id: `waiting@${now}`,
    startAt: 0,
    durationMs: 24 * 3600_000,
    transition: 'cut',
    fadeMs: 0,
    lang: 'vi',
    content: {
      kind: 'card',
      title: `gatecast – ${gateName} – waiting for content`,
      lines: [`Đang chờ nội dung · device ${deviceId ?? '(not enrolled)'}`],
    },
    ticker: null,
  };
}
