/**
 * What the schedule engine decides, shared by the device (which plays it) and the server (whose
 * dashboard previews it). The engine itself is a pure function of the installed bundle, the gate's
 * config and a time.
 */
import type { MediaKind } from './content.js';

/** Why this item is on air. */
export type PlanSource = 'emergency' | 'schedule' | 'default' | 'time-unknown';

/** One item in one language, at one time: a line of `timeline(from, to)`. */
export interface PlannedItem {
  /** Epoch ms at which the item should appear. */
  startAt: number;
  durationMs: number;
  /**
   * Set only when the plan cuts the item short (its segment ends first: an emergency, another
   * schedule entry, the end of a window): the item's whole length, of which `durationMs` is planned.
   */
  wholeDurationMs?: number;
  source: PlanSource;
  playlistId: string;
  /** The schedule entry that chose the playlist (absent for the default playlist and emergencies). */
  scheduleEntryId?: string;
  /**
   * The item's id; for an emergency (source 'emergency'), the emergency's id, and then `playlistId`
   * is `emergency:<id>` (a name no playlist can have) and `kind` is 'text'.
   */
  itemId: string;
  /** Set when source is 'emergency': the emergency shown (its text is in the manifest's emergencies). */
  emergencyId?: string;
  kind: MediaKind;
  /** The language shown. */
  language: string;
  /** The gate language this slot was for; differs from `language` when a fallback was used. */
  forLanguage: string;
  transition: 'cut' | 'fade';
  fadeMs: number;
}

/** A gate language an item has no variant for: reported to ops as a content gap. */
export interface ContentGap {
  itemId: string;
  language: string;
  /** What the policy did about it. */
  resolution: 'skipped' | `substituted:${string}`;
  /** What lacks the language (absent means an item); for a ticker, `itemId` is the playlist id. */
  what?: 'item' | 'emergency' | 'ticker';
}
