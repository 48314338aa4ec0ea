/**
 * The safety-net planner: the bundle's default playlist, looped, in the gate's languages. The
 * daemon uses it until the schedule engine is plugged in, and whenever that engine fails, so the
 * screen plays something rather than nothing. Pure; loops are anchored at the Unix epoch, so every
 * call agrees on where each item starts.
 */
import { isLanguageNeutral, LANGUAGE_NEUTRAL } from '../../protocol/content.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import type { InstalledBundle } from '../content/installed.js';
import type { PlanAt } from './player-loop.js';

/** How long an item without its own duration (e.g. a video) stays up. */
export const FALLBACK_DURATION_MS = 10_000;

type Slot = Omit<PlannedItem, 'startAt'>;

export function defaultPlaylistSlots(bundle: InstalledBundle, languages: readonly string[]): Slot[] {
  const m = bundle.manifest;
  const playlist = m.playlists.find((p) => p.id === m.schedule.defaultPlaylistId);
  if (!playlist) return [];
  const items = new Map(m.items.map((i) => [i.id, i]));
  const loops = playlist.languageMode === 'rotate-per-loop' ? languages.map((l) => [l]) : [languages];
  const slots: Slot[] = [];
  for (const loopLanguages of loops) {
    for (const entry of playlist.entries) {
      const item = items.get(entry.itemId);
      if (!item) continue;
      const has = Object.keys(item.variants);
      let langs = isLanguageNeutral(has) ? [LANGUAGE_NEUTRAL] : loopLanguages.filter((l) => has.includes(l));
      // An item in none of this loop's languages: its first variant rather than a hole.
      if (langs.length === 0 && playlist.languageMode === 'all-in-turn') langs = has.slice(0, 1);
      for (const language of langs) {
        slots.push({
          durationMs: entry.durationMs ?? item.durationMs ?? FALLBACK_DURATION_MS,
          source: 'default',
          playlistId: playlist.id,
          itemId: item.id,
          kind: item.kind,
          language,
          forLanguage:
            language === LANGUAGE_NEUTRAL || loopLanguages.includes(language) ? language : loopLanguages[0]!,
          transition: playlist.transition,
          fadeMs: playlist.fadeMs,
        });
      }
    }
  }
  return slots;
}

export function defaultPlaylistPlan(bundle: InstalledBundle, languages: readonly string[]): PlanAt {
  const slots = defaultPlaylistSlots(bundle, languages);
  const starts: number[] = [];
  let cycle = 0;
  for (const s of slots) {
    starts.push(cycle);
    cycle += s.durationMs;
  }
  return (now) => {
    if (slots.length === 0) return {};
    const k = Math.floor(now / cycle);
    const offset = now - k * cycle;
    let i = starts.length - 1;
    while (starts[i]! > offset) i--;
    const current = { ...slots[i]!, startAt: k * cycle + starts[i]! };
    const j = (i + 1) % slots.length;
    const next = { ...slots[j]!, startAt: (j === 0 ? (k + 1) * cycle : k * cycle) + starts[j]! };
    return { current, next };
  };
}
