/**
 * The gate's language policy, as pure functions: which language each slot of a playlist shows, what
 * happens when an item lacks a gate language (the config's `missingVariant`), and the list of such
 * content gaps for health and the server's alerts.
 */

import type { MissingVariantPolicy } from './config.js';
import {
  type BundleManifest,
  type Emergency,
  isLanguageNeutral,
  LANGUAGE_NEUTRAL,
  type MediaItem,
  type Playlist,
} from './content.js';
import type { ContentGap } from './schedule.js';

/** The part of a gate's config the language policy reads. */
export interface LanguagePolicy {
  /** The gate's languages, in the order they are shown. */
  languages: readonly string[];
  missingVariant: MissingVariantPolicy;
}

/** What to show for one gate language of one item: a language to show, or nothing. */
export type LanguageChoice =
  | { language: string; forLanguage: string; substituted: boolean }
  | { language: undefined; forLanguage: string; substituted: false };

/**
 * Chooses the variant language for gate language `forLanguage` among the languages an item has.
 * `skip` shows nothing; `substitute` shows the first of the policy's languages the item has (and
 * nothing if it has none of them).
 */
export function chooseLanguage(
  available: readonly string[],
  forLanguage: string,
  policy: MissingVariantPolicy,
): LanguageChoice {
  if (available.includes(forLanguage)) return { language: forLanguage, forLanguage, substituted: false };
  if (policy.mode === 'substitute') {
    const sub = policy.languages.find((l) => available.includes(l));
    if (sub) return { language: sub, forLanguage, substituted: true };
  }
  return { language: undefined, forLanguage, substituted: false };
}

/** One slot of a pass through a playlist: an entry of the playlist in one language. */
export interface LanguageSlot {
  /** Index of the entry in `playlist.entries`. */
  entryIndex: number;
  itemId: string;
  language: string;
  forLanguage: string;
}

/**
 * The slots of pass number `pass` (0, 1, 2, …) through a playlist.
 * - `all-in-turn`: every pass is the same: each entry in every gate language, in the gate's order;
 * - `rotate-per-loop`: pass k shows gate language k mod n for every entry.
 * Gate languages an item lacks follow the missing-variant policy; skipped ones yield no slot.
 */
export function passSlots(
  playlist: Pick<Playlist, 'entries' | 'languageMode'>,
  items: ReadonlyMap<string, Pick<MediaItem, 'id' | 'variants'>>,
  policy: LanguagePolicy,
  pass: number,
): LanguageSlot[] {
  const langs = policy.languages;
  const wanted =
    playlist.languageMode === 'rotate-per-loop'
      ? [langs[((pass % langs.length) + langs.length) % langs.length]!]
      : langs;
  const out: LanguageSlot[] = [];
  playlist.entries.forEach((entry, entryIndex) => {
    const item = items.get(entry.itemId);
    if (!item) return;
    const available = Object.keys(item.variants);
    if (isLanguageNeutral(available)) {
      out.push({ entryIndex, itemId: item.id, language: LANGUAGE_NEUTRAL, forLanguage: LANGUAGE_NEUTRAL });
      return;
    }
    for (const forLanguage of wanted) {
      const c = chooseLanguage(available, forLanguage, policy.missingVariant);
      if (c.language !== undefined)
        out.push({ entryIndex, itemId: item.id, language: c.language, forLanguage });
    }
  });
  return out;
}

/** How many distinct passes a playlist has before its language pattern repeats. */
export function passesPerCycle(playlist: Pick<Playlist, 'languageMode'>, policy: LanguagePolicy): number {
  return playlist.languageMode === 'rotate-per-loop' ? policy.languages.length : 1;
}

/** The languages, in the gate's order, an emergency shows (each gate language, resolved by the policy). */
export function emergencySlots(
  emergency: Pick<Emergency, 'text'>,
  policy: LanguagePolicy,
): { language: string; forLanguage: string }[] {
  const available = Object.keys(emergency.text);
  const out: { language: string; forLanguage: string }[] = [];
  for (const forLanguage of policy.languages) {
    const c = chooseLanguage(available, forLanguage, policy.missingVariant);
    if (c.language !== undefined) out.push({ language: c.language, forLanguage });
  }
  return out;
}

function gapsFor(
  what: NonNullable<ContentGap['what']>,
  id: string,
  available: readonly string[],
  policy: LanguagePolicy,
): ContentGap[] {
  const gaps: ContentGap[] = [];
  for (const language of policy.languages) {
    const c = chooseLanguage(available, language, policy.missingVariant);
    if (c.language === language) continue;
    gaps.push({
      itemId: id,
      language,
      resolution: c.language === undefined ? 'skipped' : `substituted:${c.language}`,
      what,
    });
  }
  return gaps;
}

/**
 * Every gate language missing from the bundle's content, with what the policy does about it: each
 * item that some playlist plays, each emergency, and each playlist ticker (`itemId` is then the
 * playlist id). Items no playlist uses are not reported: they never reach the screen.
 */
export function contentGaps(
  manifest: Pick<BundleManifest, 'items' | 'playlists' | 'emergencies'>,
  policy: LanguagePolicy,
): ContentGap[] {
  const used = new Set(manifest.playlists.flatMap((p) => p.entries.map((e) => e.itemId)));
  const gaps: ContentGap[] = [];
  for (const item of manifest.items) {
    if (used.has(item.id) && !isLanguageNeutral(Object.keys(item.variants)))
      gaps.push(...gapsFor('item', item.id, Object.keys(item.variants), policy));
  }
  for (const e of manifest.emergencies) gaps.push(...gapsFor('emergency', e.id, Object.keys(e.text), policy));
  for (const p of manifest.playlists) {
    if (p.ticker) gaps.push(...gapsFor('ticker', p.id, Object.keys(p.ticker.text), policy));
  }
  return gaps;
}
