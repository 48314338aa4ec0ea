/** Small bundle manifests and gate configs for schedule and language-policy tests. */
import { type BundleManifest, parseBundleManifest } from '../../protocol/content.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import type { EngineGate } from '../../protocol/schedule-engine.js';

export const HA_TIEN: EngineGate = {
  timezone: 'Asia/Ho_Chi_Minh',
  languages: ['vi', 'km', 'en', 'zh-Hans'],
  missingVariant: { mode: 'skip' },
};

const ALL = ['vi', 'km', 'en', 'zh-Hans', 'lo'];

/** A text item with a variant in each of `languages`. */
export function textItem(id: string, languages: string[] = ALL, durationMs?: number) {
  return {
    id,
    title: id,
    kind: 'text',
    ...(durationMs ? { durationMs } : {}),
    variants: Object.fromEntries(languages.map((l) => [l, { body: `${id} (${l})` }])),
  };
}

export function playlist(id: string, itemIds: string[], extra: Record<string, unknown> = {}) {
  return { id, name: id, entries: itemIds.map((itemId) => ({ itemId })), ...extra };
}

/** A manifest with items a…d (text, 10 s, all languages) and one playlist per item plus `default`. */
export function manifest(over: Record<string, unknown> = {}): BundleManifest {
  return parseBundleManifest({
    schema: 1,
    siteGroup: 'kien-giang/ha-tien',
    createdAt: '2026-01-01T00:00:00Z',
    items: ['a', 'b', 'c', 'd'].map((id) => textItem(id, ALL, 10_000)),
    playlists: [
      playlist('default', ['a']),
      playlist('p-b', ['b']),
      playlist('p-c', ['c']),
      playlist('p-d', ['d']),
    ],
    schedule: { defaultPlaylistId: 'default', entries: [] },
    ...over,
  });
}

/** Epoch ms of an ISO time; write the zone offset in the string. */
export const t = (iso: string) => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad time ${iso}`);
  return ms;
};

/** Asserts the items follow each other without gap or overlap; returns them for chaining. */
export function gapsAndOverlaps(items: PlannedItem[]): string[] {
  const bad: string[] = [];
  for (let i = 1; i < items.length; i++) {
    const prev = items[i - 1]!;
    const end = prev.startAt + prev.durationMs;
    if (end !== items[i]!.startAt)
      bad.push(
        `#${i}: previous ends ${new Date(end).toISOString()}, next starts ${new Date(items[i]!.startAt).toISOString()}`,
      );
    if (items[i]!.durationMs <= 0) bad.push(`#${i}: non-positive duration`);
  }
  return bad;
}
