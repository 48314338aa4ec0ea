/**
 * What a draft changes against the bundle that is on air: the approver's view of a draft.
 * Pure: two parsed manifests (and optionally each side's media hashes) in, a structured diff out.
 * Items, playlists, schedule entries and emergencies are matched by id; a changed entry names the
 * fields that differ and, for per-language fields, which languages were added, removed or changed.
 */
import { type BundleManifest, mediaTargets } from './content.js';

export interface LanguageChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ChangedEntry {
  id: string;
  /** Title/name after the change (items, playlists), for display. */
  title?: string;
  /** Top-level fields that differ, sorted (e.g. `durationMs`, `variants`, `entries`). */
  fields: string[];
  /** For items' `variants`, emergencies' `text` and playlists' ticker text. */
  languages?: LanguageChanges;
}

export interface EntryDiff {
  added: { id: string; title?: string }[];
  removed: { id: string; title?: string }[];
  changed: ChangedEntry[];
}

export interface ManifestDiff {
  /** True when there is no published bundle: everything is new. */
  initial: boolean;
  /** Top-level manifest fields that differ: `label`, `schedule.defaultPlaylistId`, `schedule.timezone`. */
  fields: string[];
  items: EntryDiff;
  playlists: EntryDiff;
  scheduleEntries: EntryDiff;
  emergencies: EntryDiff;
  media: { added: string[]; removed: string[]; changed: string[] };
}

/** Target path → sha256 of the media each side references (from the signed targets). */
export type MediaHashes = Readonly<Record<string, string>>;

type Manifest = Pick<BundleManifest, 'items' | 'playlists' | 'schedule' | 'emergencies' | 'label'>;

/** Deterministic JSON for comparison: object keys sorted, arrays in order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

const same = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

function languageChanges(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): LanguageChanges {
  const b = before ?? {};
  const a = after ?? {};
  return {
    added: Object.keys(a).filter((l) => !(l in b)),
    removed: Object.keys(b).filter((l) => !(l in a)),
    changed: Object.keys(a).filter((l) => l in b && !same(a[l], b[l])),
  };
}

function mergeLanguages(x: LanguageChanges, y: LanguageChanges): LanguageChanges {
  const u = (p: string[], q: string[]) => [...new Set([...p, ...q])];
  return { added: u(x.added, y.added), removed: u(x.removed, y.removed), changed: u(x.changed, y.changed) };
}

const hasLanguages = (l: LanguageChanges) => l.added.length + l.removed.length + l.changed.length > 0;

function diffEntries<T extends { id: string }>(
  before: readonly T[],
  after: readonly T[],
  opts: {
    title?: (e: T) => string;
    /** Per-language maps inside an entry, by field name. */
    languageFields?: (e: T) => Record<string, Record<string, unknown> | undefined>;
  } = {},
): EntryDiff {
  const title = (e: T) => (opts.title ? { title: opts.title(e) } : {});
  const old = new Map(before.map((e) => [e.id, e]));
  const now = new Map(after.map((e) => [e.id, e]));
  const out: EntryDiff = { added: [], removed: [], changed: [] };
  for (const e of after) {
    const prev = old.get(e.id);
    if (!prev) {
      out.added.push({ id: e.id, ...title(e) });
      continue;
    }
    const keys = new Set([...Object.keys(prev), ...Object.keys(e)]);
    const fields = [...keys]
      .filter((k) => !same((prev as Record<string, unknown>)[k], (e as Record<string, unknown>)[k]))
      .sort();
    if (!fields.length) continue;
    const entry: ChangedEntry = { id: e.id, ...title(e), fields };
    if (opts.languageFields) {
      const pl = opts.languageFields(prev);
      const nl = opts.languageFields(e);
      let langs: LanguageChanges = { added: [], removed: [], changed: [] };
      for (const f of Object.keys(nl)) langs = mergeLanguages(langs, languageChanges(pl[f], nl[f]));
      if (hasLanguages(langs)) entry.languages = langs;
    }
    out.changed.push(entry);
  }
  for (const e of before) if (!now.has(e.id)) out.removed.push({ id: e.id, ...title(e) });
  return out;
}

/**
 * The changes from `before` (the published manifest, or undefined before the first publication)
 * to `after` (the draft's). With media hashes, a media file whose path stays but whose bytes
 * change is listed as changed.
 */
export function diffManifests(
  before: Manifest | undefined,
  after: Manifest,
  hashes: { before?: MediaHashes; after?: MediaHashes } = {},
): ManifestDiff {
  const b: Manifest = before ?? {
    items: [],
    playlists: [],
    schedule: { defaultPlaylistId: '', entries: [] } as Manifest['schedule'],
    emergencies: [],
  };
  const fields: string[] = [];
  if (before && (before.label ?? '') !== (after.label ?? '')) fields.push('label');
  if (before && b.schedule.defaultPlaylistId !== after.schedule.defaultPlaylistId)
    fields.push('schedule.defaultPlaylistId');
  if (before && (b.schedule.timezone ?? '') !== (after.schedule.timezone ?? ''))
    fields.push('schedule.timezone');
  const mb = mediaTargets(b);
  const ma = mediaTargets(after);
  const sb = new Set(mb);
  const sa = new Set(ma);
  return {
    initial: before === undefined,
    fields,
    items: diffEntries(b.items, after.items, {
      title: (i) => i.title,
      languageFields: (i) => ({ variants: i.variants as Record<string, unknown> }),
    }),
    playlists: diffEntries(b.playlists, after.playlists, {
      title: (p) => p.name,
      languageFields: (p) => ({ ticker: p.ticker?.text }),
    }),
    scheduleEntries: diffEntries(b.schedule.entries, after.schedule.entries),
    emergencies: diffEntries(b.emergencies, after.emergencies, {
      title: (e) => Object.values(e.text)[0]?.title ?? Object.values(e.text)[0]?.body ?? e.id,
      languageFields: (e) => ({ text: e.text }),
    }),
    media: {
      added: ma.filter((p) => !sb.has(p)),
      removed: mb.filter((p) => !sa.has(p)),
      changed: ma.filter(
        (p) =>
          sb.has(p) &&
          hashes.before?.[p] !== undefined &&
          hashes.after?.[p] !== undefined &&
          hashes.before[p] !== hashes.after[p],
      ),
    },
  };
}

/** Whether the diff changes nothing at all. */
export function isEmptyDiff(d: ManifestDiff): boolean {
  const n = (e: EntryDiff) => e.added.length + e.removed.length + e.changed.length;
  return (
    !d.initial &&
    d.fields.length === 0 &&
    n(d.items) + n(d.playlists) + n(d.scheduleEntries) + n(d.emergencies) === 0 &&
    d.media.added.length + d.media.removed.length + d.media.changed.length === 0
  );
}

/** The diff as lines of text for a terminal (`gatecast draft show`): one line per change. */
export function diffLines(d: ManifestDiff): string[] {
  if (isEmptyDiff(d)) return ['no changes against the version on air'];
  const out: string[] = [
    d.initial ? 'first version: everything is new' : 'changes against the version on air:',
  ];
  for (const f of d.fields) out.push(`  ~ ${f}`);
  const named = (e: { id: string; title?: string }) =>
    e.title && e.title !== e.id ? `${e.id} "${e.title}"` : e.id;
  const languages = (l: LanguageChanges | undefined) => {
    if (!l) return '';
    const parts = [
      ...l.added.map((x) => `+${x}`),
      ...l.removed.map((x) => `-${x}`),
      ...l.changed.map((x) => `~${x}`),
    ];
    return parts.length ? ` [${parts.join(' ')}]` : '';
  };
  const section = (name: string, e: EntryDiff) => {
    for (const a of e.added) out.push(`  + ${name} ${named(a)}`);
    for (const r of e.removed) out.push(`  - ${name} ${named(r)}`);
    for (const c of e.changed)
      out.push(`  ~ ${name} ${named(c)}: ${c.fields.join(', ')}${languages(c.languages)}`);
  };
  section('item', d.items);
  section('playlist', d.playlists);
  section('schedule entry', d.scheduleEntries);
  section('emergency', d.emergencies);
  for (const p of d.media.added) out.push(`  + media ${p}`);
  for (const p of d.media.removed) out.push(`  - media ${p}`);
  for (const p of d.media.changed) out.push(`  ~ media ${p} (new bytes)`);
  return out;
}
