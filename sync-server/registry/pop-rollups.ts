/**
 * Proof-of-play rollups, kept at ingest (schema.ts registry-rollups-2) in the transaction that stores
 * the records, so a period report reads a few rows per screen and day instead of every record. Every
 * record is placed on the local day (at its gate) of its start: a play's actual start, a declared
 * gap's first lost play, a record that does not parse its stored time.
 *
 * - days: records per screen and day, of every kind (the chain column's "records checked");
 * - plays: per screen, day, item, language, layout region (PopEntry.region; '' is main) and
 *   whole/partial (PopEntry.partial) — plays with the screen on, plays with it off, seconds on air up
 *   to the day's end and past it;
 * - rejected: per screen, day and reasons — records that fail a check of their own (shape, hash,
 *   signature, claimed seq, screen or site group), kept as evidence and counted in no total; and
 *   the lowest REJECTED_KEPT_PER_DAY of them per day by seq, with what the report lists of each;
 * - cover: per screen and day, the time covered by counted plays, merged where they are less than
 *   COVER_BRIDGE_MS apart (shorter stretches are transitions, not content gaps);
 * - runs: the chain's running state, each unbroken run of stored seqs with its first and last
 *   record's start (a hole between two runs is missing records, placed by the records around it);
 * - links: the broken links — a record whose prevHash is not the hash the stored record before it
 *   claims (for seq 1, the genesis hash) — found when the second of the two arrives, in any order;
 * - declared: the gaps the screen declared in its chain (protocol PopGapRecord) that pass their checks.
 *
 * A record's own contribution depends only on the record and the screen's gate, and a link only on
 * the two records it joins, never on the order records arrive in; so late and repeated deliveries
 * give the same rollups as a recount from the stored rows (`recountRollups`, which the property
 * test compares against).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  POP_GENESIS_HASH,
  PopChainRecord,
  popHash,
  popSignatureValid,
} from '../../protocol/proof-of-play.js';
import { zoneOffsetMs } from '../../protocol/zoned-time.js';
import type { SqliteDb, SqliteStatement } from '../../platform/sqlite.js';
import type { PopVerdict } from './pop-store.js';
import { columns } from './rows.js';

/** Plays closer than this are one covered stretch (the report's shortest content gap). */
export const COVER_BRIDGE_MS = 60_000;
/** Rejected records kept per screen and day (the lowest seqs); all are counted. */
export const REJECTED_KEPT_PER_DAY = 1000;
const DAY_MS = 86_400_000;

/** What a stored row is judged from: its seq, payload and the verdict found at ingest. */
export interface RollupRow {
  seq: number;
  at: number;
  payload: unknown;
  verdict: PopVerdict | null;
}

/** The screen's place: the site group it belongs to, its gate's time zone and its key. */
export interface RollupDevice {
  deviceId: string;
  siteGroup: string;
  timezone: string;
  /** Checks a record stored without a verdict (absent: such a record counts as unsigned). */
  key?: KeyObject;
}

export interface DayRollup {
  day: number;
  records: number;
}
export interface PlaysRollup {
  day: number;
  itemId: string;
  language: string;
  /** The layout region it was shown in: 'side', 'footer', or '' for main. */
  region: string;
  partial: boolean;
  plays: number;
  playsScreenOff: number;
  /** Seconds on air (ms) up to the end of the play's day, and past it. */
  onAirMs: number;
  onAirNextMs: number;
}
export interface RejectedRollup {
  day: number;
  /** 'edit', 'signature', 'device', 'site-group', joined by '+' in that order. */
  reasons: string;
  records: number;
}
export interface RejectedEntry {
  day: number;
  seq: number;
  at: number;
  itemId: string;
  language: string;
  reasons: string;
}
export interface DeclaredRollup {
  day: number;
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
export interface DaySpan extends Span {
  day: number;
}
export interface RunRollup {
  fromSeq: number;
  toSeq: number;
  fromAt: number;
  toAt: number;
}
export interface LinkBreak {
  day: number;
  seq: number;
  at: number;
}

/** One device's rollups, in a canonical order (for comparing). */
export interface DeviceRollups {
  days: DayRollup[];
  plays: PlaysRollup[];
  rejected: RejectedRollup[];
  rejectedList: RejectedEntry[];
  cover: DaySpan[];
  runs: RunRollup[];
  links: LinkBreak[];
  declared: DeclaredRollup[];
}

/** A device's plays of one item, language and kind over a period, added up in the store. */
export interface PeriodPlays {
  itemId: string;
  language: string;
  /** The layout region it was shown in: 'side', 'footer', or '' for main. */
  region: string;
  partial: boolean;
  plays: number;
  playsScreenOff: number;
  /** Time on air, cut at the end of the period's last day (PeriodRange.toDay). */
  onAirMs: number;
}

/**
 * One device's rollups for a period as a report reads them: the counters added up over its days in
 * the store (a few rows per screen, not a few per day), the lists as stored.
 */
export interface PeriodRollups {
  records: number;
  plays: PeriodPlays[];
  rejected: { reasons: string; records: number }[];
  rejectedList: RejectedEntry[];
  cover: DaySpan[];
  runs: RunRollup[];
  links: LinkBreak[];
  declared: DeclaredRollup[];
}

/** What one stored record adds to the rollups, besides its link. */
export type Contribution = { day: number; start: number } & (
  | {
      kind: 'play';
      itemId: string;
      language: string;
      /** '' for main. */
      region: string;
      partial: boolean;
      screenOn: boolean;
      onAirMs: number;
      onAirNextMs: number;
      span: Span | null;
    }
  | { kind: 'declared'; gap: DeclaredRollup }
  | { kind: 'rejected'; reasons: string; itemId: string; language: string }
);

/** The local day number (days since 1970-01-01 at the gate) of instant `t`. */
export function localDay(timezone: string, t: number): number {
  return Math.floor((t + zoneOffsetMs(timezone, t)) / DAY_MS);
}

/** The first instant after local day `day` ends (the next local midnight). */
export function dayEnd(timezone: string, day: number): number {
  const guess = (day + 1) * DAY_MS;
  return guess - zoneOffsetMs(timezone, guess - zoneOffsetMs(timezone, guess));
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The hashes a stored payload claims (null where it has none): what links are judged by, at ingest
 * and in the report alike, whether or not the record passes its own checks.
 */
export function claimedLink(payload: unknown): { hash: string | null; prevHash: string | null } {
  const p = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  return { hash: str(p['hash']), prevHash: str(p['prevHash']) };
}

/**
 * Whether record `seq` (claiming `prevHash`) links to the record before it, which claims `before`
 * (for seq 1, the genesis hash). Unknown (a side without a claimed hash) is no break.
 */
export function linkHolds(seq: number, prevHash: string | null, before: string | null): boolean {
  const expected = seq === 1 ? POP_GENESIS_HASH : before;
  return expected === null || prevHash === null || prevHash === expected;
}

/** What one record adds, judged by its own checks only (pure). */
export function contributionOf(device: RollupDevice, row: RollupRow): Contribution {
  const parsed = row.verdict === 'malformed' ? undefined : PopChainRecord.safeParse(row.payload).data;
  const tz = device.timezone;
  if (!parsed)
    return {
      kind: 'rejected',
      day: localDay(tz, row.at),
      start: row.at,
      reasons: 'edit',
      itemId: '',
      language: '',
    };
  const isGap = 'kind' in parsed;
  const start = isGap ? parsed.fromAt : parsed.actualStartAt;
  const day = localDay(tz, start);
  const reasons: string[] = [];
  if (popHash(parsed) !== parsed.hash || parsed.seq !== row.seq) reasons.push('edit');
  const signed =
    row.verdict === null
      ? device.key !== undefined && popSignatureValid(parsed.hash, parsed.signature, device.key)
      : row.verdict === 'ok';
  if (!signed) reasons.push('signature');
  if (parsed.deviceId !== device.deviceId) reasons.push('device');
  if (!isGap && parsed.siteGroup !== device.siteGroup) reasons.push('site-group');
  if (reasons.length)
    return {
      kind: 'rejected',
      day,
      start,
      reasons: reasons.join('+'),
      itemId: isGap ? '' : parsed.itemId,
      language: isGap ? '' : parsed.language,
    };
  if (isGap)
    return {
      kind: 'declared',
      day,
      start,
      gap: {
        day,
        seq: row.seq,
        fromMs: parsed.fromAt,
        toMs: parsed.toAt,
        records: parsed.count,
        reason: parsed.reason,
      },
    };
  const end = start + Math.max(0, parsed.durationMs);
  const midnight = dayEnd(tz, day);
  const on = parsed.screenOn;
  return {
    kind: 'play',
    day,
    start,
    itemId: parsed.itemId,
    language: parsed.language,
    region: parsed.region ?? '',
    partial: parsed.partial === true,
    screenOn: on,
    onAirMs: on ? Math.min(end, midnight) - start : 0,
    onAirNextMs: on ? Math.max(0, end - midnight) : 0,
    // What covers the screen's time is main's: a side region loops beside it and would hide its gaps.
    span: on && !parsed.region ? { from: start, to: end } : null,
  };
}

/** Spans merged where they overlap or lie less than `bridge` apart (any order in, sorted out). */
export function mergeSpans(spans: readonly Span[], bridge = COVER_BRIDGE_MS): Span[] {
  const out: Span[] = [];
  for (const s of [...spans].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && s.from < last.to + bridge) last.to = Math.max(last.to, s.to);
    else out.push({ from: s.from, to: s.to });
  }
  return out;
}

const cmp = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0);

/** The rollups of one device recounted from its stored rows (any order; pure). */
export function recountRollups(device: RollupDevice, rowsIn: Iterable<RollupRow>): DeviceRollups {
  const rows = [...rowsIn].sort((a, b) => a.seq - b.seq);
  const days = new Map<number, DayRollup>();
  const plays = new Map<string, PlaysRollup>();
  const rejected = new Map<string, RejectedRollup>();
  const rejectedList: RejectedEntry[] = [];
  const spans = new Map<number, Span[]>();
  const runs: RunRollup[] = [];
  const links: LinkBreak[] = [];
  const declared: DeclaredRollup[] = [];
  let prev: { seq: number; hash: string | null } | undefined;
  for (const row of rows) {
    const c = contributionOf(device, row);
    const d = days.get(c.day) ?? { day: c.day, records: 0 };
    d.records++;
    days.set(c.day, d);
    const link = claimedLink(row.payload);
    const before = prev?.seq === row.seq - 1 ? prev.hash : null;
    if ((row.seq === 1 || prev?.seq === row.seq - 1) && !linkHolds(row.seq, link.prevHash, before))
      links.push({ day: c.day, seq: row.seq, at: c.start });
    prev = { seq: row.seq, hash: link.hash };
    const run = runs[runs.length - 1];
    if (run && run.toSeq === row.seq - 1) {
      run.toSeq = row.seq;
      run.toAt = c.start;
    } else runs.push({ fromSeq: row.seq, toSeq: row.seq, fromAt: c.start, toAt: c.start });
    if (c.kind === 'rejected') {
      const k = `${c.day}\0${c.reasons}`;
      const r = rejected.get(k) ?? { day: c.day, reasons: c.reasons, records: 0 };
      r.records++;
      rejected.set(k, r);
      rejectedList.push({
        day: c.day,
        seq: row.seq,
        at: c.start,
        itemId: c.itemId,
        language: c.language,
        reasons: c.reasons,
      });
    } else if (c.kind === 'declared') declared.push(c.gap);
    else {
      const k = `${c.day}\0${c.itemId}\0${c.language}\0${c.region}\0${c.partial}`;
      const p = plays.get(k) ?? {
        day: c.day,
        itemId: c.itemId,
        language: c.language,
        region: c.region,
        partial: c.partial,
        plays: 0,
        playsScreenOff: 0,
        onAirMs: 0,
        onAirNextMs: 0,
      };
      if (c.screenOn) p.plays++;
      else p.playsScreenOff++;
      p.onAirMs += c.onAirMs;
      p.onAirNextMs += c.onAirNextMs;
      plays.set(k, p);
      if (c.span) spans.set(c.day, [...(spans.get(c.day) ?? []), c.span]);
    }
  }
  const kept = new Map<number, number>();
  return {
    days: [...days.values()].sort((a, b) => a.day - b.day),
    plays: [...plays.values()].sort(
      (a, b) =>
        a.day - b.day ||
        cmp(a.itemId, b.itemId) ||
        cmp(a.language, b.language) ||
        cmp(a.region, b.region) ||
        Number(a.partial) - Number(b.partial),
    ),
    rejected: [...rejected.values()].sort((a, b) => a.day - b.day || cmp(a.reasons, b.reasons)),
    rejectedList: rejectedList.filter((r) => {
      const n = (kept.get(r.day) ?? 0) + 1;
      kept.set(r.day, n);
      return n <= REJECTED_KEPT_PER_DAY;
    }),
    cover: [...spans.entries()]
      .sort((a, b) => a[0] - b[0])
      .flatMap(([day, list]) => mergeSpans(list).map((s) => ({ day, ...s }))),
    runs,
    links,
    declared: declared.sort((a, b) => a.seq - b.seq),
  };
}

const dayRow = columns('pop_day_records', { day: 'num', records: 'num' });
const playsRow = columns('pop_day_plays', {
  day: 'num',
  itemId: 'str',
  language: 'str',
  region: 'str',
  partial: 'isOne',
  plays: 'num',
  playsScreenOff: 'num',
  onAirMs: 'num',
  onAirNextMs: 'num',
});
const rejectedRow = columns('pop_day_rejected', { day: 'num', reasons: 'str', records: 'num' });
const periodRecordsRow = columns('pop_day_records', { records: 'num' });
const periodPlaysRow = columns('pop_day_plays', {
  itemId: 'str',
  language: 'str',
  region: 'str',
  partial: 'isOne',
  plays: 'num',
  playsScreenOff: 'num',
  onAirMs: 'num',
});
const periodRejectedRow = columns('pop_day_rejected', { reasons: 'str', records: 'num' });
const rejectedEntryRow = columns('pop_day_rejected_list', {
  day: 'num',
  seq: 'num',
  at: 'num',
  itemId: 'str',
  language: 'str',
  reasons: 'str',
});
const coverRow = columns('pop_day_cover', { day: 'num', from: ['num', 'from_ms'], to: ['num', 'to_ms'] });
const runRow = columns('pop_chain_runs', { fromSeq: 'num', toSeq: 'num', fromAt: 'num', toAt: 'num' });
const linkRow = columns('pop_chain_links', { day: 'num', seq: 'num', at: 'num' });
const declaredRow = columns('pop_day_declared', {
  day: 'num',
  seq: 'num',
  fromMs: 'num',
  toMs: 'num',
  records: 'num',
  reason: 'str',
});
const placeRow = columns('devices', {
  siteGroup: 'str',
  config: 'strOrNull',
  publicKey: 'strOrNull',
});
const neighbourRow = columns('pop_records', {
  at: 'numOrNull',
  hash: 'strOrNull',
  prevHash: 'strOrNull',
  payload: 'str',
  verdict: 'strOrNull',
});
const countRow = columns('pop_day_rejected_list', { n: 'num' });
const backfillState = columns('pop_rollup_backfill', { toRowid: 'num', doneRowid: 'num' });
const backfillRow = columns('pop_records', {
  id: 'num',
  deviceId: 'str',
  seq: 'num',
  at: 'numOrNull',
  payload: 'str',
  verdict: 'strOrNull',
});

/** A device's Ed25519 public key from its registry form (raw 32 bytes, base64url); undefined if unusable. */
function deviceKey(raw: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });
  } catch {
    return undefined; // an unusable stored key: records without a verdict count as unsigned
  }
}

/** Where the backfill of rows stored before the rollups stands (storage order, rowid). */
export interface BackfillProgress {
  /** Rows up to this rowid are added; the backfill ends at `toRowid`. */
  doneRowid: number;
  toRowid: number;
  done: boolean;
}

/** The period a report reads: the device's local days from `fromDay` to `toDay` inclusive. */
export interface DayRange {
  fromDay: number;
  toDay: number;
}

/** The rollup tables: updated record by record inside the ingest transaction, read by reports. */
export class PopRollupStore {
  private readonly s: Record<string, SqliteStatement>;
  private readonly places = new Map<string, RollupDevice | null>();

  constructor(private readonly db: SqliteDb) {
    const upsert = (table: string, cols: string[], key: string[], add: string[]) =>
      db.prepare(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
         ON CONFLICT(${key.join(', ')}) DO UPDATE SET ${add.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
      );
    const byDay = (table: string, cols: string, order: string) =>
      db.prepare(
        `SELECT ${cols} FROM ${table} WHERE device_id = ? AND day >= ? AND day <= ? ORDER BY ${order}`,
      );
    this.s = {
      place: db.prepare(`SELECT d.site_group, g.config, d.public_key FROM devices d
                         LEFT JOIN gates g ON g.site_group = d.site_group WHERE d.id = ?`),
      addDay: upsert('pop_day_records', ['device_id', 'day', 'records'], ['device_id', 'day'], ['records']),
      addPlay: upsert(
        'pop_day_plays',
        [
          'device_id',
          'day',
          'item_id',
          'language',
          'region',
          'partial',
          'plays',
          'plays_screen_off',
          'on_air_ms',
          'on_air_next_ms',
        ],
        ['device_id', 'day', 'item_id', 'language', 'region', 'partial'],
        ['plays', 'plays_screen_off', 'on_air_ms', 'on_air_next_ms'],
      ),
      addRejected: upsert(
        'pop_day_rejected',
        ['device_id', 'day', 'reasons', 'records'],
        ['device_id', 'day', 'reasons'],
        ['records'],
      ),
      keepRejected: db.prepare(
        'INSERT OR IGNORE INTO pop_day_rejected_list (device_id, day, seq, at, item_id, language, reasons) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      rejectedKept: db.prepare(
        'SELECT count(*) AS n FROM pop_day_rejected_list WHERE device_id = ? AND day = ?',
      ),
      dropHighestRejected: db.prepare(
        `DELETE FROM pop_day_rejected_list WHERE device_id = ? AND day = ? AND seq =
           (SELECT max(seq) FROM pop_day_rejected_list WHERE device_id = ? AND day = ?)`,
      ),
      addDeclared: db.prepare(
        'INSERT OR IGNORE INTO pop_day_declared (device_id, day, seq, from_ms, to_ms, records, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      addLink: db.prepare(
        'INSERT OR IGNORE INTO pop_chain_links (device_id, seq, day, at) VALUES (?, ?, ?, ?)',
      ),
      neighbour: db.prepare(
        'SELECT at, hash, prev_hash, payload, verdict FROM pop_records WHERE device_id = ? AND seq = ?',
      ),
      coverNear: db.prepare(
        'SELECT day, from_ms, to_ms FROM pop_day_cover WHERE device_id = ? AND day = ? AND from_ms < ? ORDER BY from_ms DESC',
      ),
      coverDelete: db.prepare('DELETE FROM pop_day_cover WHERE device_id = ? AND day = ? AND from_ms = ?'),
      coverInsert: db.prepare(
        'INSERT INTO pop_day_cover (device_id, day, from_ms, to_ms) VALUES (?, ?, ?, ?)',
      ),
      runBefore: db.prepare(
        'SELECT from_seq, to_seq, from_at, to_at FROM pop_chain_runs WHERE device_id = ? AND from_seq < ? ORDER BY from_seq DESC LIMIT 1',
      ),
      runAt: db.prepare(
        'SELECT from_seq, to_seq, from_at, to_at FROM pop_chain_runs WHERE device_id = ? AND from_seq = ?',
      ),
      runDelete: db.prepare('DELETE FROM pop_chain_runs WHERE device_id = ? AND from_seq = ?'),
      runInsert: db.prepare(
        'INSERT INTO pop_chain_runs (device_id, from_seq, to_seq, from_at, to_at) VALUES (?, ?, ?, ?, ?)',
      ),
      days: byDay('pop_day_records', 'day, records', 'day'),
      plays: byDay(
        'pop_day_plays',
        'day, item_id, language, region, partial, plays, plays_screen_off, on_air_ms, on_air_next_ms',
        'day, item_id, language, region, partial',
      ),
      rejected: byDay('pop_day_rejected', 'day, reasons, records', 'day, reasons'),
      rejectedList: byDay('pop_day_rejected_list', 'day, seq, at, item_id, language, reasons', 'seq'),
      cover: byDay('pop_day_cover', 'day, from_ms, to_ms', 'day, from_ms'),
      links: byDay('pop_chain_links', 'day, seq, at', 'seq'),
      declared: byDay('pop_day_declared', 'day, seq, from_ms, to_ms, records, reason', 'seq'),
      runs: db.prepare(
        'SELECT from_seq, to_seq, from_at, to_at FROM pop_chain_runs WHERE device_id = ? ORDER BY from_seq',
      ),
      periodRecords: db.prepare(
        'SELECT coalesce(sum(records), 0) AS records FROM pop_day_records WHERE device_id = ? AND day >= ? AND day <= ?',
      ),
      // Time on air past a day's end counts on every day but the period's last (its end cuts it).
      periodPlays: db.prepare(
        `SELECT item_id, language, region, partial, sum(plays) AS plays, sum(plays_screen_off) AS plays_screen_off,
                sum(on_air_ms) + sum(CASE WHEN day < ? THEN on_air_next_ms ELSE 0 END) AS on_air_ms
         FROM pop_day_plays WHERE device_id = ? AND day >= ? AND day <= ?
         GROUP BY item_id, language, region, partial ORDER BY item_id, language, region, partial`,
      ),
      periodRejected: db.prepare(
        `SELECT reasons, sum(records) AS records FROM pop_day_rejected
         WHERE device_id = ? AND day >= ? AND day <= ? GROUP BY reasons ORDER BY reasons`,
      ),
      backfillState: db.prepare('SELECT to_rowid, done_rowid FROM pop_rollup_backfill'),
      backfillRows: db.prepare(
        'SELECT rowid AS id, device_id, seq, at, payload, verdict FROM pop_records WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?',
      ),
      backfillMove: db.prepare('UPDATE pop_rollup_backfill SET done_rowid = ?'),
    };
  }

  /** The device's site group, gate time zone and key (cached; null: not enrolled here). */
  place(deviceId: string): RollupDevice | null {
    let p = this.places.get(deviceId);
    if (p !== undefined) return p;
    const row = placeRow.one(this.s.place!.get(deviceId));
    const tz = row?.config ? (JSON.parse(row.config) as { timezone?: string }).timezone : undefined;
    const key = row?.publicKey ? deviceKey(row.publicKey) : undefined;
    p = row
      ? { deviceId, siteGroup: row.siteGroup, timezone: tz ?? 'Asia/Ho_Chi_Minh', ...(key ? { key } : {}) }
      : null;
    this.places.set(deviceId, p);
    return p;
  }

  /**
   * Adds one newly stored record (never one stored before: the caller checks the insert took, and
   * the record is already in pop_records, so its neighbours' links can be judged).
   */
  add(device: RollupDevice, row: RollupRow): void {
    const s = this.s;
    const id = device.deviceId;
    const c = contributionOf(device, row);
    s.addDay!.run(id, c.day, 1);
    this.mergeRun(id, row.seq, c.start);
    this.judgeLinks(device, row, c);
    if (c.kind === 'rejected') {
      s.addRejected!.run(id, c.day, c.reasons, 1);
      s.keepRejected!.run(id, c.day, row.seq, c.start, c.itemId, c.language, c.reasons);
      if (countRow.one(s.rejectedKept!.get(id, c.day))!.n > REJECTED_KEPT_PER_DAY)
        s.dropHighestRejected!.run(id, c.day, id, c.day);
    } else if (c.kind === 'declared')
      s.addDeclared!.run(id, c.day, row.seq, c.gap.fromMs, c.gap.toMs, c.gap.records, c.gap.reason);
    else {
      s.addPlay!.run(
        id,
        c.day,
        c.itemId,
        c.language,
        c.region,
        c.partial ? 1 : 0,
        c.screenOn ? 1 : 0,
        c.screenOn ? 0 : 1,
        c.onAirMs,
        c.onAirNextMs,
      );
      if (c.span) this.mergeCover(id, c.day, c.span);
    }
  }

  /** The links on either side of a new record, judged now that both ends may be stored. */
  private judgeLinks(device: RollupDevice, row: RollupRow, c: Contribution): void {
    const s = this.s;
    const id = device.deviceId;
    const own = claimedLink(row.payload);
    if (row.seq === 1) {
      if (!linkHolds(1, own.prevHash, null)) s.addLink!.run(id, 1, c.day, c.start);
    } else {
      const before = neighbourRow.one(s.neighbour!.get(id, row.seq - 1));
      if (before && !linkHolds(row.seq, own.prevHash, before.hash))
        s.addLink!.run(id, row.seq, c.day, c.start);
    }
    const after = neighbourRow.one(s.neighbour!.get(id, row.seq + 1));
    if (after && !linkHolds(row.seq + 1, after.prevHash, own.hash)) {
      let payload: unknown;
      try {
        payload = JSON.parse(after.payload);
      } catch {
        payload = after.payload;
      }
      const next = contributionOf(device, {
        seq: row.seq + 1,
        at: after.at ?? 0,
        payload,
        verdict: after.verdict as PopVerdict | null,
      });
      s.addLink!.run(id, row.seq + 1, next.day, next.start);
    }
  }

  /** Joins a new seq to the runs of stored seqs it touches (the one ending just before, the one just after). */
  private mergeRun(id: string, seq: number, at: number): void {
    const s = this.s;
    let run = { fromSeq: seq, toSeq: seq, fromAt: at, toAt: at };
    const prev = runRow.one(s.runBefore!.get(id, seq));
    if (prev && prev.toSeq === seq - 1) {
      run = { ...run, fromSeq: prev.fromSeq, fromAt: prev.fromAt };
      s.runDelete!.run(id, prev.fromSeq);
    }
    const next = runRow.one(s.runAt!.get(id, seq + 1));
    if (next) {
      run = { ...run, toSeq: next.toSeq, toAt: next.toAt };
      s.runDelete!.run(id, next.fromSeq);
    }
    s.runInsert!.run(id, run.fromSeq, run.toSeq, run.fromAt, run.toAt);
  }

  /** Merges a play's span into its day's covered spans less than COVER_BRIDGE_MS from it. */
  private mergeCover(id: string, day: number, span: Span): void {
    const s = this.s;
    let { from, to } = span;
    const joined: number[] = [];
    // Stored spans are disjoint and sorted, at least the bridge apart: those within reach are the
    // last ones starting before to + bridge, back to the first that ends out of reach.
    for (const raw of s.coverNear!.iterate(id, day, span.to + COVER_BRIDGE_MS)) {
      const near = coverRow.one(raw)!;
      if (near.to + COVER_BRIDGE_MS <= span.from) break;
      from = Math.min(from, near.from);
      to = Math.max(to, near.to);
      joined.push(near.from);
    }
    for (const f of joined) s.coverDelete!.run(id, day, f);
    s.coverInsert!.run(id, day, from, to);
  }

  /** Where the backfill stands. */
  backfillProgress(): BackfillProgress {
    const st = backfillState.one(this.s.backfillState!.get()) ?? { toRowid: 0, doneRowid: 0 };
    return { ...st, done: st.doneRowid >= st.toRowid };
  }

  /**
   * Adds up to `limit` rows stored before the rollups (in storage order) in one transaction that
   * also moves the cursor on: a stop at any point leaves each row added once or not at all, and
   * the next call goes on from there. Rows of a screen not enrolled here are passed over.
   */
  backfill(limit: number): BackfillProgress {
    this.db.transaction(() => {
      const st = this.backfillProgress();
      if (st.done) return;
      const rows = backfillRow.all(this.s.backfillRows!.all(st.doneRowid, st.toRowid, limit));
      for (const r of rows) {
        const place = this.place(r.deviceId);
        if (!place) continue;
        let payload: unknown;
        try {
          payload = JSON.parse(r.payload);
        } catch {
          payload = r.payload;
        }
        this.add(place, { seq: r.seq, at: r.at ?? 0, payload, verdict: r.verdict as PopVerdict | null });
      }
      const last = rows.length < limit ? st.toRowid : rows[rows.length - 1]!.id;
      this.s.backfillMove!.run(last);
    })();
    return this.backfillProgress();
  }

  /**
   * One device's rollups for the local days in `range`, the counters added up over them by SQLite
   * (runs: all of them). What a report reads: a quarter is a few rows per screen and item.
   */
  period(deviceId: string, range: DayRange): PeriodRollups {
    const s = this.s;
    const args = [deviceId, range.fromDay, range.toDay] as const;
    return {
      records: periodRecordsRow.one(s.periodRecords!.get(...args))?.records ?? 0,
      plays: periodPlaysRow.all(s.periodPlays!.all(range.toDay, ...args)),
      rejected: periodRejectedRow.all(s.periodRejected!.all(...args)),
      rejectedList: rejectedEntryRow.all(s.rejectedList!.all(...args)),
      cover: coverRow.all(s.cover!.all(...args)),
      runs: runRow.all(s.runs!.all(deviceId)),
      links: linkRow.all(s.links!.all(...args)),
      declared: declaredRow.all(s.declared!.all(...args)),
    };
  }

  /** One device's rollups as stored, for the local days in `range` (runs: all of them). */
  device(deviceId: string, range: DayRange = { fromDay: -1e9, toDay: 1e9 }): DeviceRollups {
    const s = this.s;
    const args = [deviceId, range.fromDay, range.toDay] as const;
    return {
      days: dayRow.all(s.days!.all(...args)),
      plays: playsRow.all(s.plays!.all(...args)),
      rejected: rejectedRow.all(s.rejected!.all(...args)),
      rejectedList: rejectedEntryRow.all(s.rejectedList!.all(...args)),
      cover: coverRow.all(s.cover!.all(...args)),
      runs: runRow.all(s.runs!.all(deviceId)),
      links: linkRow.all(s.links!.all(...args)),
      declared: declaredRow.all(s.declared!.all(...args)),
    };
  }
}
