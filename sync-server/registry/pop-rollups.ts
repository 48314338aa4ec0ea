/**
 * Proof-of-play rollups, kept at ingest (schema.ts registry-rollups-1) in the transaction that stores
 * the records, so a period report reads a few rows per screen and day instead of every record:
 *
 * - plays: per screen, local day (at its gate), item and language — plays with the screen on,
 *   plays with it off, and seconds on air (each play's time within its day);
 * - rejected: per screen, day and reasons — records that fail a check of their own (shape, hash,
 *   signature, claimed seq, screen or site group), kept as evidence and counted in no total;
 * - cover: per screen, the time covered by counted plays, merged where they are less than
 *   COVER_BRIDGE_MS apart (shorter stretches are transitions, not content gaps);
 * - runs: the chain's running state, each unbroken run of stored seqs (holes are missing records);
 * - declared: the gaps the screen declared in its chain (protocol PopGapRecord) that pass their checks.
 *
 * Each contribution depends only on the record itself (its own checks) and the screen's gate, never on
 * the order records arrive in; so late and repeated deliveries give the same rollups as a recount
 * from the stored rows (`recountRollups`, which the property test compares against). Links between
 * records are judged by the report from `pop_records.link_ok`, not here.
 */
import { PopChainRecord, popHash } from '../../protocol/proof-of-play.js';
import { zoneOffsetMs } from '../../protocol/zoned-time.js';
import type { SqliteDb, SqliteStatement } from '../../platform/sqlite.js';
import type { PopVerdict } from './pop-store.js';
import { rowMapper } from './rows.js';

/** Plays closer than this are one covered stretch (the report's shortest content gap by default). */
export const COVER_BRIDGE_MS = 60_000;
const DAY_MS = 86_400_000;

/** What a stored row is judged from: its seq, payload and the verdict found at ingest. */
export interface RollupRow {
  seq: number;
  at: number;
  payload: unknown;
  verdict: PopVerdict | null;
}

/** The screen's place: the site group it belongs to and its gate's time zone. */
export interface RollupDevice {
  deviceId: string;
  siteGroup: string;
  timezone: string;
}

export interface PlaysRollup {
  day: number;
  itemId: string;
  language: string;
  plays: number;
  playsScreenOff: number;
  onAirMs: number;
}
export interface RejectedRollup {
  day: number;
  reasons: string;
  records: number;
}
export interface DeclaredRollup {
  seq: number;
  fromMs: number;
  toMs: number;
  records: number;
  reason: string;
}
export interface Span {
  from: number;
  to: number;
}

/** One device's rollups, in a canonical order (for comparing). */
export interface DeviceRollups {
  plays: PlaysRollup[];
  rejected: RejectedRollup[];
  cover: Span[];
  runs: Span[];
  declared: DeclaredRollup[];
}

/** What one stored record adds to the rollups. */
export type Contribution =
  | {
      kind: 'play';
      day: number;
      itemId: string;
      language: string;
      screenOn: boolean;
      onAirMs: number;
      span: Span | null;
    }
  | { kind: 'declared'; gap: DeclaredRollup }
  | { kind: 'rejected'; day: number; reasons: string };

/** The local day number (days since 1970-01-01 at the gate) of instant `t`. */
export function localDay(timezone: string, t: number): number {
  return Math.floor((t + zoneOffsetMs(timezone, t)) / DAY_MS);
}

/** The first instant after local day `day` ends (the next local midnight). */
function dayEnd(timezone: string, day: number): number {
  const guess = (day + 1) * DAY_MS;
  return guess - zoneOffsetMs(timezone, guess - zoneOffsetMs(timezone, guess));
}

/** What one record adds, judged by its own checks only (pure). */
export function contributionOf(device: RollupDevice, row: RollupRow): Contribution {
  const parsed = row.verdict === 'malformed' ? undefined : PopChainRecord.safeParse(row.payload).data;
  const day = localDay(device.timezone, row.at);
  if (!parsed) return { kind: 'rejected', day, reasons: 'edit' };
  const reasons: string[] = [];
  if (popHash(parsed) !== parsed.hash || parsed.seq !== row.seq) reasons.push('edit');
  if (row.verdict !== 'ok') reasons.push('signature');
  if (parsed.deviceId !== device.deviceId) reasons.push('device');
  if ('siteGroup' in parsed && parsed.siteGroup !== device.siteGroup) reasons.push('site-group');
  if (reasons.length) return { kind: 'rejected', day, reasons: reasons.join('+') };
  if ('kind' in parsed)
    return {
      kind: 'declared',
      gap: {
        seq: row.seq,
        fromMs: parsed.fromAt,
        toMs: parsed.toAt,
        records: parsed.count,
        reason: parsed.reason,
      },
    };
  const start = parsed.actualStartAt;
  const playDay = localDay(device.timezone, start);
  const end = Math.min(start + parsed.durationMs, dayEnd(device.timezone, playDay));
  return {
    kind: 'play',
    day: playDay,
    itemId: parsed.itemId,
    language: parsed.language,
    screenOn: parsed.screenOn,
    onAirMs: parsed.screenOn ? Math.max(0, end - start) : 0,
    span: parsed.screenOn && end > start ? { from: start, to: end } : null,
  };
}

/** Spans merged where they overlap or lie less than `bridge` apart (any order in, sorted out). */
export function mergeSpans(spans: readonly Span[], bridge = COVER_BRIDGE_MS): Span[] {
  const out: Span[] = [];
  for (const s of [...spans].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && s.from < last.to + bridge) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
const sortPlays = byKey<PlaysRollup>((p) => `${String(p.day).padStart(8, '0')}\0${p.itemId}\0${p.language}`);
const sortRejected = byKey<RejectedRollup>((r) => `${String(r.day).padStart(8, '0')}\0${r.reasons}`);

/** The rollups of one device recounted from its stored rows (any order; pure). */
export function recountRollups(device: RollupDevice, rows: Iterable<RollupRow>): DeviceRollups {
  const plays = new Map<string, PlaysRollup>();
  const rejected = new Map<string, RejectedRollup>();
  const spans: Span[] = [];
  const seqs: number[] = [];
  const declared: DeclaredRollup[] = [];
  for (const row of rows) {
    seqs.push(row.seq);
    const c = contributionOf(device, row);
    if (c.kind === 'rejected') {
      const k = `${c.day}\0${c.reasons}`;
      const r = rejected.get(k) ?? { day: c.day, reasons: c.reasons, records: 0 };
      r.records++;
      rejected.set(k, r);
    } else if (c.kind === 'declared') declared.push(c.gap);
    else {
      const k = `${c.day}\0${c.itemId}\0${c.language}`;
      const p = plays.get(k) ?? {
        day: c.day,
        itemId: c.itemId,
        language: c.language,
        plays: 0,
        playsScreenOff: 0,
        onAirMs: 0,
      };
      if (c.screenOn) p.plays++;
      else p.playsScreenOff++;
      p.onAirMs += c.onAirMs;
      plays.set(k, p);
      if (c.span) spans.push(c.span);
    }
  }
  return {
    plays: [...plays.values()].sort(sortPlays),
    rejected: [...rejected.values()].sort(sortRejected),
    cover: mergeSpans(spans),
    runs: mergeSpans(
      seqs.map((s) => ({ from: s, to: s })),
      2,
    ),
    declared: declared.sort((a, b) => a.seq - b.seq),
  };
}

const playsRow = rowMapper('pop_rollup_plays', (r) => ({
  day: r.num('day'),
  itemId: r.str('item_id'),
  language: r.str('language'),
  plays: r.num('plays'),
  playsScreenOff: r.num('plays_screen_off'),
  onAirMs: r.num('on_air_ms'),
}));
const rejectedRow = rowMapper('pop_rollup_rejected', (r) => ({
  day: r.num('day'),
  reasons: r.str('reasons'),
  records: r.num('records'),
}));
const spanRow = rowMapper('pop_rollup_cover', (r) => ({ from: r.num('from_ms'), to: r.num('to_ms') }));
const runRow = rowMapper('pop_rollup_runs', (r) => ({ from: r.num('from_seq'), to: r.num('to_seq') }));
const declaredRow = rowMapper('pop_rollup_declared', (r) => ({
  seq: r.num('seq'),
  fromMs: r.num('from_ms'),
  toMs: r.num('to_ms'),
  records: r.num('records'),
  reason: r.str('reason'),
}));
const placeRow = rowMapper('devices', (r) => ({
  siteGroup: r.str('site_group'),
  config: r.strOrNull('config'),
}));

/** The rollup tables: updated record by record inside the ingest transaction, read by reports. */
export class PopRollupStore {
  private readonly s: Record<string, SqliteStatement>;
  private readonly places = new Map<string, RollupDevice | null>();

  constructor(db: SqliteDb) {
    this.s = {
      place:
        db.prepare(`SELECT d.site_group, g.config FROM devices d LEFT JOIN gates g ON g.site_group = d.site_group
                    WHERE d.id = ?`),
      addPlay: db.prepare(
        `INSERT INTO pop_rollup_plays (device_id, day, item_id, language, plays, plays_screen_off, on_air_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(device_id, day, item_id, language) DO UPDATE SET
         plays = plays + excluded.plays, plays_screen_off = plays_screen_off + excluded.plays_screen_off,
         on_air_ms = on_air_ms + excluded.on_air_ms`,
      ),
      addRejected: db.prepare(
        `INSERT INTO pop_rollup_rejected (device_id, day, reasons, records) VALUES (?, ?, ?, 1)
         ON CONFLICT(device_id, day, reasons) DO UPDATE SET records = records + 1`,
      ),
      addDeclared: db.prepare(
        'INSERT OR IGNORE INTO pop_rollup_declared (device_id, seq, from_ms, to_ms, records, reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      coverNear: db.prepare(
        'SELECT from_ms, to_ms FROM pop_rollup_cover WHERE device_id = ? AND from_ms < ? ORDER BY from_ms DESC',
      ),
      coverDelete: db.prepare('DELETE FROM pop_rollup_cover WHERE device_id = ? AND from_ms = ?'),
      coverInsert: db.prepare('INSERT INTO pop_rollup_cover (device_id, from_ms, to_ms) VALUES (?, ?, ?)'),
      runBefore: db.prepare(
        'SELECT from_seq, to_seq FROM pop_rollup_runs WHERE device_id = ? AND from_seq < ? ORDER BY from_seq DESC LIMIT 1',
      ),
      runAt: db.prepare('SELECT from_seq, to_seq FROM pop_rollup_runs WHERE device_id = ? AND from_seq = ?'),
      runDelete: db.prepare('DELETE FROM pop_rollup_runs WHERE device_id = ? AND from_seq = ?'),
      runInsert: db.prepare('INSERT INTO pop_rollup_runs (device_id, from_seq, to_seq) VALUES (?, ?, ?)'),
      plays: db.prepare(
        'SELECT day, item_id, language, plays, plays_screen_off, on_air_ms FROM pop_rollup_plays WHERE device_id = ? ORDER BY day, item_id, language',
      ),
      rejected: db.prepare(
        'SELECT day, reasons, records FROM pop_rollup_rejected WHERE device_id = ? ORDER BY day, reasons',
      ),
      cover: db.prepare('SELECT from_ms, to_ms FROM pop_rollup_cover WHERE device_id = ? ORDER BY from_ms'),
      runs: db.prepare('SELECT from_seq, to_seq FROM pop_rollup_runs WHERE device_id = ? ORDER BY from_seq'),
      declared: db.prepare(
        'SELECT seq, from_ms, to_ms, records, reason FROM pop_rollup_declared WHERE device_id = ? ORDER BY seq',
      ),
    };
  }

  /** The device's site group and gate time zone (cached; null: not enrolled here). */
  place(deviceId: string): RollupDevice | null {
    let p = this.places.get(deviceId);
    if (p !== undefined) return p;
    const row = placeRow.one(this.s.place!.get(deviceId));
    const tz = row?.config ? (JSON.parse(row.config) as { timezone?: string }).timezone : undefined;
    p = row ? { deviceId, siteGroup: row.siteGroup, timezone: tz ?? 'Asia/Ho_Chi_Minh' } : null;
    this.places.set(deviceId, p);
    return p;
  }

  /** Adds one newly stored record (never one stored before: the caller checks the insert took). */
  add(device: RollupDevice, row: RollupRow): void {
    const s = this.s;
    const id = device.deviceId;
    this.mergeRun(id, row.seq);
    const c = contributionOf(device, row);
    if (c.kind === 'rejected') s.addRejected!.run(id, c.day, c.reasons);
    else if (c.kind === 'declared')
      s.addDeclared!.run(id, c.gap.seq, c.gap.fromMs, c.gap.toMs, c.gap.records, c.gap.reason);
    else {
      s.addPlay!.run(id, c.day, c.itemId, c.language, c.screenOn ? 1 : 0, c.screenOn ? 0 : 1, c.onAirMs);
      if (c.span) this.mergeCover(id, c.span);
    }
  }

  /** Joins a new seq to the runs of stored seqs it touches (the one ending just before, the one just after). */
  private mergeRun(id: string, seq: number): void {
    const s = this.s;
    let from = seq;
    let to = seq;
    const prev = runRow.one(s.runBefore!.get(id, seq));
    if (prev && prev.to === seq - 1) {
      from = prev.from;
      s.runDelete!.run(id, prev.from);
    }
    const next = runRow.one(s.runAt!.get(id, seq + 1));
    if (next) {
      to = next.to;
      s.runDelete!.run(id, next.from);
    }
    s.runInsert!.run(id, from, to);
  }

  /** Merges a play's span into the covered spans less than COVER_BRIDGE_MS from it. */
  private mergeCover(id: string, span: Span): void {
    const s = this.s;
    let { from, to } = span;
    const joined: number[] = [];
    // Stored spans are disjoint and sorted, at least the bridge apart: those within reach are the
    // last ones starting before to + bridge, back to the first that ends out of reach.
    for (const raw of s.coverNear!.iterate(id, span.to + COVER_BRIDGE_MS)) {
      const near = spanRow.one(raw)!;
      if (near.to + COVER_BRIDGE_MS <= span.from) break;
      from = Math.min(from, near.from);
      to = Math.max(to, near.to);
      joined.push(near.from);
    }
    for (const f of joined) s.coverDelete!.run(id, f);
    s.coverInsert!.run(id, from, to);
  }

  /** One device's rollups as stored. */
  device(deviceId: string): DeviceRollups {
    const s = this.s;
    return {
      plays: playsRow.all(s.plays!.all(deviceId)),
      rejected: rejectedRow.all(s.rejected!.all(deviceId)),
      cover: spanRow.all(s.cover!.all(deviceId)),
      runs: runRow.all(s.runs!.all(deviceId)),
      declared: declaredRow.all(s.declared!.all(deviceId)),
    };
  }
}
