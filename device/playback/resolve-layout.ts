/**
 * A playlist's layout as the page shows it: the header's names, zone and hours view, the ticker band,
 * and the side and footer regions' own playlists resolved into looping slides. Pure: the bundle, the
 * gate and the time are passed in.
 */
import type { LayoutSpec, Slide } from '../../player/slide.js';
import { isLanguageNeutral, LANGUAGE_NEUTRAL, type Layout, type Playlist } from '../../protocol/content.js';
import { DEFAULT_TIMEZONE } from '../../protocol/config.js';
import { layoutView } from '../../protocol/screen-view.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import type { InstalledBundle } from '../content/installed.js';

/** What the layout needs of the gate's config. */
export interface GateView {
  languages: readonly string[];
  /** The gate's zone from device.json; the bundle's schedule zone wins, as it does for the plan. */
  timezone?: string;
}

/** Slides a region loops through per pass, at most (a long playlist is cut, not the page's memory). */
const MAX_REGION_SLIDES = 200;

export function layoutOf(bundle: InstalledBundle, playlist: Playlist | undefined): Layout | undefined {
  const id = playlist?.layoutId;
  return id ? bundle.manifest.layouts?.find((l) => l.id === id) : undefined;
}

/** A slide of a side or footer region: the item it shows there (for proof of play). */
export interface RegionSlideRef {
  /** The slide's id as the page gets it (the page adds `#<round>` per showing). */
  slideId: string;
  region: 'side' | 'footer';
  item: PlannedItem;
}

/**
 * The layout spec for a slide starting at `at`. `resolveRegionSlide` resolves one item of a region's
 * playlist (resolve-slide.ts, without layout or ticker); `onRegionSlide` hears of each slide a region
 * got.
 */
export function resolveLayout(
  layout: Layout,
  bundle: InstalledBundle,
  gate: GateView,
  at: number,
  resolveRegionSlide: (item: PlannedItem) => Slide | undefined,
  onRegionSlide?: (ref: RegionSlideRef) => void,
): LayoutSpec {
  const m = bundle.manifest;
  const zone = m.schedule.timezone ?? gate.timezone ?? DEFAULT_TIMEZONE;
  const spec: LayoutSpec = layoutView(m, layout, gate.languages, zone, at);
  for (const name of ['side', 'footer'] as const) {
    const region = layout.regions[name];
    const playlist = region && m.playlists.find((p) => p.id === region.playlistId);
    if (!playlist) continue;
    const slides: Slide[] = [];
    for (const entry of playlist.entries) {
      const media = m.items.find((i) => i.id === entry.itemId);
      if (!media) continue;
      const langs = Object.keys(media.variants);
      const shown = isLanguageNeutral(langs)
        ? [LANGUAGE_NEUTRAL]
        : gate.languages.filter((l) => langs.includes(l));
      for (const language of shown) {
        if (slides.length >= MAX_REGION_SLIDES) break;
        const item: PlannedItem = {
          startAt: 0,
          durationMs: entry.durationMs ?? media.durationMs ?? 8000,
          source: 'default',
          playlistId: playlist.id,
          itemId: media.id,
          kind: media.kind,
          language,
          forLanguage: language,
          transition: playlist.transition,
          fadeMs: playlist.fadeMs,
        };
        const s = resolveRegionSlide(item);
        if (!s) continue;
        const id = `${layout.id}/${name}/${media.id}/${language}`;
        slides.push({ ...s, id, ticker: null, layout: null });
        onRegionSlide?.({ slideId: id, region: name, item });
      }
    }
    if (slides.length) spec[name] = slides;
  }
  return spec;
}
