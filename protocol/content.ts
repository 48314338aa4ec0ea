/**
 * The content model: what authors produce, approvers sign and screens play.
 *
 * A **bundle** is everything one site group (e.g. `kien-giang/ha-tien`) plays: its manifest
 * (`<siteGroup>/bundle.json`, a TUF target) lists items, playlists, the schedule and emergencies;
 * media files are TUF targets of their own under `<siteGroup>/media/…`, referenced by target path.
 * Their lengths and hashes come from verified TUF metadata, never from the manifest.
 */
import { z } from 'zod';
import { ContentError, type Problem } from './errors.js';
import { contentLanguageProblem, languageTagProblem } from './language-tags.js';
import { timeZoneProblem } from './time-zones.js';
import { deepFreeze, zodProblems } from './validate.js';

// ---------------------------------------------------------------------------------------------
// Identifiers

/** Site group: province/gate slugs, e.g. `kien-giang/ha-tien`. Also a TUF delegated role name. */
export const SiteGroupId = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*(?:\/[a-z0-9]+(?:-[a-z0-9]+)*){0,3}$/, {
  message: 'site group must be lower-case slugs separated by "/", e.g. "kien-giang/ha-tien"',
});
export type SiteGroupId = z.infer<typeof SiteGroupId>;

/** Item, playlist and schedule-entry ids: short slugs, unique within a bundle. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'must be a lower-case slug (a-z, 0-9, ".", "_", "-")' });

/**
 * A BCP-47 language tag in canonical form, registered, and not a near miss of a gate language
 * (`vi`, `km`, `lo`, `zh-Hans`, `en`; see language-tags.ts).
 */
export const LanguageTag = z.string().superRefine((tag, ctx) => {
  const why = contentLanguageProblem(tag);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});
export type LanguageTag = string;

export { languageTagProblem };

/** A record keyed by language tag; bad keys are reported by name (zod's own key errors are terse). */
export function byLanguage<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).superRefine((r, ctx) => {
    for (const key of Object.keys(r)) {
      const why = contentLanguageProblem(key);
      if (why) ctx.addIssue({ code: 'custom', path: [key], message: why });
    }
  });
}

/**
 * A path to a TUF target inside a bundle: relative, "/"-separated, no "..", ".", empty segments,
 * backslashes, NUL or other control characters. Checked here and again by the store before any
 * file is touched.
 */
export const TargetPath = z
  .string()
  .min(1)
  .max(512)
  .superRefine((p, ctx) => {
    const why = targetPathProblem(p);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

export function targetPathProblem(p: string): string | undefined {
  if (p.startsWith('/')) return `target path "${p}" must be relative`;
  if (p.includes('\\')) return `target path "${p}" must not contain a backslash`;
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'target path must not contain control characters or NUL';
  if (p.split('/').some((s) => s === '' || s === '.' || s === '..'))
    return `target path "${p}" must not contain empty, "." or ".." segments`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Media items and their language variants

const Duration = z
  .number()
  .int()
  .min(500)
  .max(24 * 3600 * 1000);

/** A text slide's words in one language. */
export const TextContent = z.object({
  title: z.string().max(300).optional(),
  body: z.string().min(1).max(4000),
});
export type TextContent = z.infer<typeof TextContent>;

export const ImageVariant = z.object({ src: TargetPath });
export const VideoVariant = z.object({ src: TargetPath, poster: TargetPath.optional() });
/** An HTML package: an entry page plus every file it loads, all bundle targets. Runs sandboxed. */
export const HtmlVariant = z.object({ entry: TargetPath, assets: z.array(TargetPath).max(500).default([]) });
export const TextVariant = TextContent;

/**
 * BCP-47 "no linguistic content": the one variant of an item with no words in it (a silent clip, a
 * map without labels). Such an item plays once per pass instead of once per gate language, and is
 * never a content gap.
 */
export const LANGUAGE_NEUTRAL = 'zxx';

const variants = <T extends z.ZodType>(v: T) =>
  byLanguage(v)
    .refine((r) => Object.keys(r).length > 0, { message: 'at least one language variant' })
    .refine((r) => !(LANGUAGE_NEUTRAL in r) || Object.keys(r).length === 1, {
      message: `a "${LANGUAGE_NEUTRAL}" (no linguistic content) variant must be the item's only variant`,
    });

/** Whether an item's only variant is the language-neutral one. */
export function isLanguageNeutral(variantLanguages: readonly string[]): boolean {
  return variantLanguages.length === 1 && variantLanguages[0] === LANGUAGE_NEUTRAL;
}

const itemBase = {
  id: Slug,
  title: z.string().min(1).max(200),
  /** How long the item stays on screen. Videos default to their own length when absent. */
  durationMs: Duration.optional(),
};

export const MediaItem = z.discriminatedUnion('kind', [
  z.object({ ...itemBase, kind: z.literal('image'), variants: variants(ImageVariant) }),
  z.object({
    ...itemBase,
    kind: z.literal('video'),
    variants: variants(VideoVariant),
    /** Loop the video until durationMs has passed (otherwise play once). */
    loop: z.boolean().default(false),
  }),
  z.object({ ...itemBase, kind: z.literal('html'), variants: variants(HtmlVariant) }),
  z.object({
    ...itemBase,
    kind: z.literal('text'),
    variants: variants(TextVariant),
    /** Visual style of the slide; the player maps names to CSS. */
    style: z.enum(['standard', 'notice', 'warning']).default('standard'),
  }),
]);
export type MediaItem = z.infer<typeof MediaItem>;
export type MediaKind = MediaItem['kind'];

// ---------------------------------------------------------------------------------------------
// Playlists

export const Transition = z.enum(['cut', 'fade']);

/**
 * How a playlist walks an item's languages:
 * - `all-in-turn`: every gate language of the item, one after another, before the next item;
 * - `rotate-per-loop`: one language per pass through the playlist, the next language on the next pass.
 */
export const LanguageMode = z.enum(['all-in-turn', 'rotate-per-loop']);
export type LanguageMode = z.infer<typeof LanguageMode>;

export const PlaylistEntry = z.object({
  itemId: Slug,
  /** Overrides the item's own duration in this playlist. */
  durationMs: Duration.optional(),
});

export const Ticker = z.object({
  /** Per language; the player shows the gate's languages in its order, separated by a bullet. */
  text: byLanguage(z.string().min(1).max(1000)),
  speedPxPerS: z.number().min(10).max(600).default(80),
});
export type Ticker = z.infer<typeof Ticker>;

export const Playlist = z.object({
  id: Slug,
  name: z.string().min(1).max(200),
  entries: z.array(PlaylistEntry).min(1).max(1000),
  languageMode: LanguageMode.default('all-in-turn'),
  transition: Transition.default('cut'),
  fadeMs: z.number().int().min(0).max(3000).default(400),
  ticker: Ticker.optional(),
  /** The layout this playlist plays in (its items in the main region); absent: the whole screen. */
  layoutId: Slug.optional(),
});
export type Playlist = z.infer<typeof Playlist>;

// ---------------------------------------------------------------------------------------------
// Schedule (the engine that evaluates it lives elsewhere; this is its data)

const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'dates are YYYY-MM-DD' });
const LocalTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, { message: 'times are HH:MM, 00:00 to 24:00' });

/** A daily time window in the gate's local time; `end` before `start` crosses midnight. */
export const TimeWindow = z
  .object({ start: LocalTime, end: LocalTime })
  .refine((w) => w.start !== w.end, { message: 'window start and end must differ' });
export type TimeWindow = z.infer<typeof TimeWindow>;

export const ScheduleEntry = z
  .object({
    id: Slug,
    playlistId: Slug,
    /** Higher wins when entries overlap; ties go to the entry listed first. */
    priority: z.number().int().min(0).max(1000).default(0),
    /** Inclusive local dates. */
    from: LocalDate.optional(),
    to: LocalDate.optional(),
    /** ISO weekdays, 1 = Monday … 7 = Sunday; absent means every day. */
    weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
    /** Absent means all day. */
    window: TimeWindow.optional(),
  })
  .refine((e) => !(e.from && e.to) || e.from <= e.to, { message: '"from" must not be after "to"' });
export type ScheduleEntry = z.infer<typeof ScheduleEntry>;

/** A zone name of the IANA database, as the database spells it (see time-zones.ts). */
export const IanaTimeZone = z.string().superRefine((zone, ctx) => {
  const why = timeZoneProblem(zone);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});

export const Schedule = z.object({
  /** IANA zone; when absent the gate's config decides (default Asia/Ho_Chi_Minh). */
  timezone: IanaTimeZone.optional(),
  /** Plays whenever no entry matches, and whenever the time is unknown. */
  defaultPlaylistId: Slug,
  entries: z.array(ScheduleEntry).max(500).default([]),
});
export type Schedule = z.infer<typeof Schedule>;

/** An emergency message: overrides everything on the gate's screens until it expires. */
export const Emergency = z
  .object({
    id: Slug,
    /** Per language; shown in the gate's languages in turn. */
    text: byLanguage(TextContent),
    startsAt: z.iso.datetime({ offset: true }),
    expiresAt: z.iso.datetime({ offset: true }),
    /** How long each language stays up before the next. */
    perLanguageMs: Duration.default(8000),
    /**
     * SHA-256 (hex) of the secret that ends this emergency early (protocol/emergency-end.ts): signed
     * with the bundle, so the approvers agree that whoever reveals the secret may take it off air.
     */
    endCommitment: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: 'end commitment must be a SHA-256 as 64 lower-case hex digits' })
      .optional(),
  })
  .refine((e) => Date.parse(e.startsAt) < Date.parse(e.expiresAt), {
    message: 'emergency must expire after it starts',
  });
export type Emergency = z.infer<typeof Emergency>;

// ---------------------------------------------------------------------------------------------
// The gate and the layouts of its screens (see docs/layouts.md)

/** A daily opening window of the gate, in its local time; `end` not after `start` runs past midnight. */
export const GateHoursWindow = z
  .object({
    start: LocalTime,
    end: LocalTime,
    /** ISO weekdays (1 = Monday … 7 = Sunday) the window opens on; absent means every day. */
    weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
  })
  .refine((w) => w.start !== w.end, { message: 'window start and end must differ' });
export type GateHoursWindow = z.infer<typeof GateHoursWindow>;

/** The gate as its screens name it: its name in each language and its opening hours. */
export const GateInfo = z.object({
  name: byLanguage(z.string().min(1).max(120)).refine((r) => Object.keys(r).length > 0, {
    message: 'at least one language',
  }),
  /** When the gate lets travellers through; a weekday no window opens on is a closed day. Absent: no countdown. */
  hours: z.array(GateHoursWindow).min(1).max(28).optional(),
});
export type GateInfo = z.infer<typeof GateInfo>;

/** The regions a layout may have besides `main` (where the playlist using the layout plays). */
export const REGION_NAMES = ['main', 'header', 'footer', 'side', 'ticker'] as const;
export type RegionName = (typeof REGION_NAMES)[number];

/** A region with its own playlist (its items in the gate's languages in turn, looping). */
const PlaylistRegion = z.object({ playlistId: Slug });

export const Layout = z.object({
  id: Slug,
  name: z.string().min(1).max(200).optional(),
  /**
   * The shape of the main region's content. The other regions take what is left, so main shows it
   * with no bars on any screen (docs/layouts.md).
   */
  mainAspect: z
    .string()
    .regex(/^[1-9]\d?:[1-9]\d?$/, { message: 'aspect is W:H, e.g. "16:9"' })
    .default('16:9'),
  regions: z
    .object({
      /** The gate's name in the language on air, the date and time, and the opening countdown. */
      header: z.object({ clock: z.boolean().default(true), countdown: z.boolean().default(true) }).optional(),
      /** Scrolling text; without its own text it shows the main playlist's ticker. */
      ticker: Ticker.partial({ text: true }).optional(),
      side: PlaylistRegion.optional(),
      footer: PlaylistRegion.optional(),
    })
    .strict(),
});
export type Layout = z.infer<typeof Layout>;

// ---------------------------------------------------------------------------------------------
// The bundle manifest

export const BUNDLE_MANIFEST_NAME = 'bundle.json';
export const bundleManifestPath = (siteGroup: string) => `${siteGroup}/${BUNDLE_MANIFEST_NAME}`;

/**
 * The manifest's shape. The references between its parts (ids, playlists, site group) are checked
 * by `referenceProblems` on the raw value, so that they are reported even when the shape is wrong
 * elsewhere: every problem at once, never in rounds.
 */
export const BundleManifest = z.object({
  schema: z.literal(1),
  siteGroup: SiteGroupId,
  /** Human-readable label; the version that counts is the TUF targets version. */
  label: z.string().max(200).optional(),
  createdAt: z.iso.datetime({ offset: true }),
  items: z.array(MediaItem).max(2000),
  playlists: z.array(Playlist).min(1).max(200),
  schedule: Schedule,
  emergencies: z.array(Emergency).max(20).default([]),
  /** The gate's name and hours, for layouts with a header. */
  gate: GateInfo.optional(),
  layouts: z.array(Layout).max(20).optional(),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

/** Every media target path the manifest references, each once, in first-seen order. */
export function mediaTargets(m: Pick<BundleManifest, 'items'>): string[] {
  const out = new Set<string>();
  for (const item of m.items) {
    for (const v of Object.values(item.variants) as Record<string, unknown>[]) {
      for (const key of ['src', 'poster', 'entry'] as const) {
        const p = v[key];
        if (typeof p === 'string') out.add(p);
      }
      if (Array.isArray(v['assets'])) for (const a of v['assets'] as string[]) out.add(a);
    }
  }
  return [...out];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const idOf = (v: unknown): string | undefined =>
  isRecord(v) && typeof v['id'] === 'string' ? v['id'] : undefined;
const pathText = (path: (string | number)[]) =>
  path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.');

/**
 * The references between the parts of a manifest, read from the raw value as far as its shape
 * allows: duplicate ids, playlist entries naming unknown items, the schedule naming unknown
 * playlists, media targets outside the site group. Paths as `zodProblems` writes them.
 */
export function referenceProblems(raw: unknown): Problem[] {
  if (!isRecord(raw)) return [];
  const problems: Problem[] = [];
  const add = (path: (string | number)[], message: string) =>
    problems.push({ path: pathText(path), message });
  const items = listOf(raw['items']);
  const playlists = listOf(raw['playlists']);
  const schedule = isRecord(raw['schedule']) ? raw['schedule'] : {};
  const entries = listOf(schedule['entries']);
  const dup = (list: unknown[], at: string[]) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      const id = idOf(v);
      if (id === undefined) return;
      if (seen.has(id)) add([...at, i, 'id'], `duplicate id "${id}"`);
      seen.add(id);
    });
  };
  dup(items, ['items']);
  dup(playlists, ['playlists']);
  dup(entries, ['schedule', 'entries']);
  const layouts = listOf(raw['layouts']);
  dup(layouts, ['layouts']);
  const itemIds = new Set(items.map(idOf).filter((id) => id !== undefined));
  const playlistIds = new Set(playlists.map(idOf).filter((id) => id !== undefined));
  playlists.forEach((p, pi) => {
    if (!isRecord(p)) return;
    listOf(p['entries']).forEach((e, ei) => {
      const itemId = isRecord(e) ? e['itemId'] : undefined;
      if (typeof itemId === 'string' && !itemIds.has(itemId))
        add(
          ['playlists', pi, 'entries', ei, 'itemId'],
          `playlist "${idOf(p) ?? pi}" names unknown item "${itemId}"`,
        );
    });
  });
  const layoutIds = new Set(layouts.map(idOf).filter((id) => id !== undefined));
  playlists.forEach((p, pi) => {
    const layoutId = isRecord(p) ? p['layoutId'] : undefined;
    if (typeof layoutId === 'string' && !layoutIds.has(layoutId))
      add(['playlists', pi, 'layoutId'], `playlist "${idOf(p) ?? pi}" names unknown layout "${layoutId}"`);
  });
  layouts.forEach((l, li) => {
    const regions = isRecord(l) && isRecord(l['regions']) ? l['regions'] : {};
    for (const name of ['side', 'footer'] as const) {
      const r = regions[name];
      const playlistId = isRecord(r) ? r['playlistId'] : undefined;
      if (typeof playlistId === 'string' && !playlistIds.has(playlistId))
        add(
          ['layouts', li, 'regions', name, 'playlistId'],
          `layout "${idOf(l) ?? li}" plays unknown playlist "${playlistId}" in its ${name}`,
        );
    }
    if (isRecord(regions['header']) && !isRecord(raw['gate']))
      add(
        ['layouts', li, 'regions', 'header'],
        `layout "${idOf(l) ?? li}" has a header but the bundle names no gate`,
      );
  });
  const def = schedule['defaultPlaylistId'];
  if (typeof def === 'string' && !playlistIds.has(def))
    add(['schedule', 'defaultPlaylistId'], `default playlist "${def}" does not exist`);
  entries.forEach((e, i) => {
    const playlistId = isRecord(e) ? e['playlistId'] : undefined;
    if (typeof playlistId === 'string' && !playlistIds.has(playlistId))
      add(
        ['schedule', 'entries', i, 'playlistId'],
        `schedule entry "${idOf(e) ?? i}" names unknown playlist "${playlistId}"`,
      );
  });
  const siteGroup = raw['siteGroup'];
  if (typeof siteGroup === 'string')
    for (const ref of mediaReferences(raw))
      if (!ref.target.startsWith(`${siteGroup}/`))
        add(ref.path, `media target "${ref.target}" lies outside site group "${siteGroup}/"`);
  return problems;
}

/** Where a variant names a media file: `src`, `poster`, `entry` or one of `assets`. */
export type MediaRole = 'src' | 'poster' | 'entry' | 'assets';

export interface MediaReference {
  /** JSON path of the string, e.g. `items.[0].variants.vi.src`, `items.[2].variants.en.assets.[1]`. */
  path: (string | number)[];
  target: string;
  /** The item's kind as written (it may be wrong: the shape is checked elsewhere). */
  kind: unknown;
  role: MediaRole;
}

/** Every media target string a raw manifest's variants hold, with where it is. */
export function mediaReferences(raw: unknown): MediaReference[] {
  const out: MediaReference[] = [];
  if (!isRecord(raw)) return out;
  listOf(raw['items']).forEach((item, i) => {
    if (!isRecord(item) || !isRecord(item['variants'])) return;
    for (const [lang, v] of Object.entries(item['variants'])) {
      if (!isRecord(v)) continue;
      for (const role of ['src', 'poster', 'entry', 'assets'] as const) {
        const val = v[role];
        const at: (string | number)[] = ['items', i, 'variants', lang, role];
        if (role === 'assets')
          listOf(val).forEach((a, ai) => {
            if (typeof a === 'string') out.push({ path: [...at, ai], target: a, kind: item['kind'], role });
          });
        else if (typeof val === 'string') out.push({ path: at, target: val, kind: item['kind'], role });
      }
    }
  });
  return out;
}

/** Every problem of a raw manifest: its shape and its references, each once, with its path. */
export function bundleManifestProblems(raw: unknown): Problem[] {
  return checkBundleManifest(raw).problems;
}

function checkBundleManifest(raw: unknown): { problems: Problem[]; manifest?: BundleManifest } {
  const result = BundleManifest.safeParse(raw);
  const problems = result.success ? [] : zodProblems(result.error);
  const seen = new Set(problems.map((p) => `${p.path}\n${p.message}`));
  for (const p of referenceProblems(raw)) if (!seen.has(`${p.path}\n${p.message}`)) problems.push(p);
  return result.success && problems.length === 0 ? { problems, manifest: result.data } : { problems };
}

/** Parses and checks a bundle manifest; throws ContentError listing every problem. */
export function parseBundleManifest(raw: unknown): BundleManifest {
  const { problems, manifest } = checkBundleManifest(raw);
  if (!manifest) throw new ContentError('invalid bundle manifest', problems);
  return deepFreeze(manifest);
}
