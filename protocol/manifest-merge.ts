/**
 * Three-way view of a draft made from an older version: base (the version it was made from), on
 * air (the version published since) and the draft. Pure: parsed manifests in, the difference and
 * the rebased manifest out. Entries are matched by id (items, playlists, schedule entries,
 * emergencies) and the schedule's top-level fields by name.
 *
 * Rules of the rebase: an entry the draft left as it was in its base takes the on-air value (the
 * newer version's change stays); an entry only the draft changed keeps the draft's; an entry both
 * changed differently is a conflict the author resolves ("mine" or "theirs"), never silently. An
 * emergency the draft carried from its base that on air has ended (removed) or that has expired
 * is dropped whatever the draft did to it: an ended emergency returns only when authored again
 * through the emergency flow.
 */
import type { BundleManifest } from './content.js';
import { diffManifests, type ManifestDiff, stableJson } from './manifest-diff.js';

export type MergeSection = 'field' | 'item' | 'playlist' | 'scheduleEntry' | 'emergency';

/** One entry (or top-level field) by section and id, e.g. `item welcome`, `field label`. */
export interface MergeRef {
  section: MergeSection;
  id: string;
}

/** How the author settles a conflict: keep the draft's value, or take the one on air. */
export type Resolution = 'mine' | 'theirs';

export interface ThreeWayDiff {
  /** The version the draft was made from (null: not recorded, so unknown). */
  basedOnVersion: number | null;
  onAirVersion: number;
  /** What the newer version(s) changed: base → on air (null when the base is unknown). */
  onAir: ManifestDiff | null;
  /** What the draft changes: base → draft (on air → draft when the base is unknown). */
  draft: ManifestDiff;
  /** On-air changes the draft, submitted as it is, would undo. */
  undone: MergeRef[];
  /** Entries both sides changed differently: the author must choose. */
  conflicts: MergeRef[];
  /** Emergencies the draft would bring back although they ended or expired on air. */
  endedEmergencies: string[];
}

type Manifest = BundleManifest;
const same = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);
export const refKey = (r: MergeRef) => `${r.section}:${r.id}`;

interface Keyed {
  section: MergeSection;
  /** id → value, in order. */
  base: Map<string, unknown>;
  onAir: Map<string, unknown>;
  draft: Map<string, unknown>;
}

const byId = <T extends { id: string }>(list: readonly T[] | undefined) =>
  new Map((list ?? []).map((e) => [e.id, e as unknown]));

const fieldsOf = (m: Manifest | undefined) =>
  new Map<string, unknown>(
    m
      ? [
          ['label', m.label],
          ['schedule.defaultPlaylistId', m.schedule.defaultPlaylistId],
          ['schedule.timezone', m.schedule.timezone],
        ]
      : [],
  );

function sections(base: Manifest | undefined, onAir: Manifest | undefined, draft: Manifest): Keyed[] {
  const of = (section: MergeSection, pick: (m: Manifest | undefined) => Map<string, unknown>): Keyed => ({
    section,
    base: pick(base),
    onAir: pick(onAir),
    draft: pick(draft),
  });
  return [
    of('field', fieldsOf),
    of('item', (m) => byId(m?.items)),
    of('playlist', (m) => byId(m?.playlists)),
    of('scheduleEntry', (m) => byId(m?.schedule.entries)),
    of('emergency', (m) => byId(m?.emergencies)),
  ];
}

/**
 * Emergencies the draft carries that on air has ended: gone from the version on air although the
 * draft's base had them (or the base is unknown), or expired there by `now`.
 */
function endedEmergencies(
  base: Manifest | undefined,
  baseKnown: boolean,
  onAir: Manifest | undefined,
  draft: Manifest,
  now: number,
): string[] {
  const onAirById = byId(onAir?.emergencies) as Map<string, Manifest['emergencies'][number]>;
  const baseIds = new Set((base?.emergencies ?? []).map((e) => e.id));
  return draft.emergencies
    .filter((e) => {
      const live = onAirById.get(e.id);
      if (live) return Date.parse(live.expiresAt) <= now && baseIds.has(e.id);
      return !baseKnown || baseIds.has(e.id);
    })
    .map((e) => e.id);
}

/**
 * The three-way difference of `draft`, made from `base` (version `basedOnVersion`; undefined with
 * version 0 or null), against `onAir` (version `onAirVersion`).
 */
export function threeWayDiff(
  input: {
    base: Manifest | undefined;
    basedOnVersion: number | null;
    onAir: Manifest | undefined;
    onAirVersion: number;
    draft: Manifest;
  },
  now: number,
): ThreeWayDiff {
  const known = input.basedOnVersion !== null;
  // With no recorded base, the on-air version stands in for it: every difference is the draft's.
  const base = known ? input.base : input.onAir;
  const undone: MergeRef[] = [];
  const conflicts: MergeRef[] = [];
  for (const s of sections(base, input.onAir, input.draft)) {
    for (const id of new Set([...s.base.keys(), ...s.onAir.keys(), ...s.draft.keys()])) {
      const [b, o, d] = [s.base.get(id), s.onAir.get(id), s.draft.get(id)];
      if (same(o, b) || same(o, d)) continue;
      if (same(d, b)) undone.push({ section: s.section, id });
      else conflicts.push({ section: s.section, id });
    }
  }
  const ended = endedEmergencies(input.base, known, input.onAir, input.draft, now);
  const isEnded = (r: MergeRef) => r.section === 'emergency' && ended.includes(r.id);
  return {
    basedOnVersion: input.basedOnVersion,
    onAirVersion: input.onAirVersion,
    onAir: known ? diffManifests(input.base, input.onAir ?? emptyLike(input.draft)) : null,
    draft: diffManifests(base, input.draft),
    undone: undone.filter((r) => !isEnded(r)),
    conflicts: conflicts.filter((r) => !isEnded(r)),
    endedEmergencies: ended,
  };
}

function emptyLike(m: Manifest): Manifest {
  return { ...m, items: [], playlists: [], schedule: { ...m.schedule, entries: [] }, emergencies: [] };
}

/**
 * The draft rebased on the version on air (see the file comment): undefined values drop the entry;
 * order follows the on-air manifest, then the draft's own additions. `unresolved` lists each
 * conflict `resolutions` (by `refKey`) does not settle; the manifest is only to be used when it is empty.
 */
export function rebaseManifest(
  input: Parameters<typeof threeWayDiff>[0],
  resolutions: Readonly<Record<string, Resolution>>,
  now: number,
): { manifest: Manifest; diff: ThreeWayDiff; unresolved: MergeRef[] } {
  const diff = threeWayDiff(input, now);
  const conflicting = new Set(diff.conflicts.map(refKey));
  const ended = new Set(diff.endedEmergencies);
  const base = input.basedOnVersion !== null ? input.base : input.onAir;
  const unresolved: MergeRef[] = [];
  const merged = sections(base, input.onAir, input.draft).map((s) => {
    const out = new Map<string, unknown>();
    const order = [...s.onAir.keys(), ...[...s.draft.keys()].filter((k) => !s.onAir.has(k))];
    for (const id of order) {
      const ref = { section: s.section, id };
      const [b, o, d] = [s.base.get(id), s.onAir.get(id), s.draft.get(id)];
      let v: unknown;
      if (s.section === 'emergency' && ended.has(id)) v = undefined;
      else if (same(d, b)) v = o;
      else if (same(o, b) || !conflicting.has(refKey(ref))) v = d;
      else {
        const r = resolutions[refKey(ref)];
        if (!r) unresolved.push(ref);
        v = r === 'theirs' ? o : d;
      }
      if (v !== undefined || s.section === 'field') out.set(id, v);
    }
    return out;
  });
  const [fields, items, playlists, entries, emergencies] = merged as [
    Map<string, unknown>,
    ...Map<string, unknown>[],
  ];
  const schedule = {
    ...input.draft.schedule,
    defaultPlaylistId: fields.get('schedule.defaultPlaylistId') as string,
    entries: [...entries!.values()],
  } as Manifest['schedule'];
  const tz = fields.get('schedule.timezone');
  if (tz === undefined) delete (schedule as { timezone?: string }).timezone;
  else schedule.timezone = tz as string;
  const manifest = {
    ...input.draft,
    items: [...items!.values()],
    playlists: [...playlists!.values()],
    schedule,
    emergencies: [...emergencies!.values()],
  } as Manifest;
  const label = fields.get('label');
  if (label === undefined) delete (manifest as { label?: string }).label;
  else manifest.label = label as string;
  return { manifest, diff, unresolved };
}

/** The three-way difference as lines of text (the CLI, logs and the refusal's message). */
export function threeWayLines(d: ThreeWayDiff): string[] {
  const name = (r: MergeRef) => `${r.section} ${r.id}`;
  const out = [
    d.basedOnVersion === null
      ? `made from an unrecorded version; version ${d.onAirVersion} is on air`
      : `made from version ${d.basedOnVersion}; version ${d.onAirVersion} is on air since`,
  ];
  if (d.undone.length)
    out.push(`  would undo what the newer version changed: ${d.undone.map(name).join(', ')}`);
  if (d.conflicts.length) out.push(`  changed on both sides: ${d.conflicts.map(name).join(', ')}`);
  if (d.endedEmergencies.length)
    out.push(`  would bring back ended emergencies: ${d.endedEmergencies.join(', ')}`);
  return out;
}
