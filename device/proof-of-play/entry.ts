/** Turns a planned item that was shown into a proof-of-play entry (pure). */
import { type PopEntry, type PopRegion, textContentSha256 } from '../../protocol/proof-of-play.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import { plannedContent } from '../../protocol/schedule-engine.js';
import type { InstalledBundle } from '../content/installed.js';

/** What only the player knows about a showing. */
export interface Showing {
  deviceId: string;
  /** When the item actually appeared (epoch ms, the trusted clock). */
  actualStartAt: number;
  /** How long it actually stayed up. */
  durationMs: number;
  /** Not shown whole (joined mid-item or cut short); records say so only when true. */
  partial?: boolean;
  screenOn: boolean;
  clockStatus: PopEntry['clockStatus'];
  /** A layout's side or footer region; absent: main. */
  region?: PopRegion;
}

export type PopBundle = Pick<InstalledBundle, 'siteGroup' | 'version' | 'manifest' | 'targets'>;

/**
 * SHA-256 of the variant a planned item shows: the verified target hash of the image or video (for
 * HTML, of its entry page), or of the canonical text for text slides and emergencies. Undefined
 * variants or targets missing from the verified metadata give null.
 */
export function variantSha256(bundle: PopBundle, planned: PlannedItem): string | null {
  const content = plannedContent(bundle.manifest, planned);
  if (!content) return null;
  if (content.kind === 'emergency') return textContentSha256(content.text);
  const v = content.variant as Record<string, unknown>;
  if (content.item.kind === 'text') return textContentSha256(v as { title?: string; body: string });
  const path = (content.item.kind === 'html' ? v['entry'] : v['src']) as string;
  return bundle.targets.get(path)?.sha256 ?? null;
}

export function popEntryFor(planned: PlannedItem, bundle: PopBundle, showing: Showing): PopEntry {
  return {
    deviceId: showing.deviceId,
    siteGroup: bundle.siteGroup,
    bundleVersion: bundle.version,
    itemId: planned.itemId,
    playlistId: planned.playlistId,
    scheduleEntryId: planned.scheduleEntryId ?? null,
    source: planned.source,
    language: planned.language,
    forLanguage: planned.forLanguage,
    variantSha256: variantSha256(bundle, planned),
    scheduledStartAt: planned.startAt,
    actualStartAt: Math.round(showing.actualStartAt),
    durationMs: Math.max(0, Math.round(showing.durationMs)),
    screenOn: showing.screenOn,
    clockStatus: showing.clockStatus,
    // Absent on whole plays: records made before the field existed hash as they did.
    ...(showing.partial ? { partial: true as const } : {}),
    // Absent on main: records made before the field existed hash as they did.
    ...(showing.region ? { region: showing.region } : {}),
  };
}
