/**
 * Judging one screen's period once its records are added up (a DeviceTally, from raw records in
 * build.ts or from rollups in rollup-tally.ts): its timeline — span, outages, content gaps, declared
 * gaps — its chain column and the breaks and rejected records it lists. Pure.
 */
import {
  type Interval,
  intersectIntervals,
  mergeIntervals,
  subtractIntervals,
  totalLength,
} from '../../protocol/zoned-time.js';
import {
  CHAIN_BREAK_KINDS,
  type ChainBreak,
  type ChainBreakKind,
  type DeviceReport,
  type Outage,
  type PlayCount,
  type RejectedRecord,
  type RejectReason,
  type ReportDeclaredGap,
  type ReportDevice,
  type ReportGate,
} from './types.js';

/** Rejected records listed per device (all are counted in `playsRejected`); bounds a wholly bad chain. */
export const REJECTED_LISTED_MAX = 1000;

export const DEFAULT_MIN_OUTAGE_MS = 5 * 60_000;

export const keyOf = (itemId: string, language: string, region = '') =>
  `${itemId}\u0000${language}\u0000${region}`;

export function addPlays(into: Map<string, PlayCount>, from: Iterable<PlayCount>): void {
  for (const p of from) {
    const k = keyOf(p.itemId, p.language, p.region);
    const cur = into.get(k);
    if (cur) {
      cur.plays += p.plays;
      cur.onAirMs += p.onAirMs;
      cur.playsPartial += p.playsPartial;
      cur.onAirPartialMs += p.onAirPartialMs;
    } else into.set(k, { ...p });
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Item, language, then main before its regions. */
export const sortPlays = (m: Map<string, PlayCount>) =>
  [...m.values()].sort(
    (a, b) => cmp(a.itemId, b.itemId) || cmp(a.language, b.language) || cmp(a.region ?? '', b.region ?? ''),
  );

export const ratio = (num: number, den: number) => (den > 0 ? num / den : 1);

export interface GateState {
  gate: ReportGate;
  from: number;
  to: number;
  /** The judged span: [from, min(to, generatedAt)). */
  spanEnd: number;
  opening: Interval[];
  devices: DeviceReport[];
}

/** Where a break was found: the start of the record at (or just after) its seq. */
export type PlacedBreak = ChainBreak & { at: number | null };

/** Breaks listed per device (all are counted in `chain.counts`). */
export const CHAIN_BREAKS_LISTED_MAX = 1000;

const KIND_RANK = new Map(CHAIN_BREAK_KINDS.map((k, i) => [k, i]));
const byBreak = (a: ChainBreak, b: ChainBreak) =>
  a.seq - b.seq || KIND_RANK.get(a.kind)! - KIND_RANK.get(b.kind)!;
/** A record's reasons in the one order they are listed in. */
export const sortReasons = (reasons: RejectReason[]): RejectReason[] =>
  reasons.sort((a, b) => KIND_RANK.get(a)! - KIND_RANK.get(b)!);

export function noBreaks(): Record<ChainBreakKind, number> {
  return { gap: 0, edit: 0, signature: 0, device: 0, 'site-group': 0, link: 0 };
}

/**
 * What a device's period adds up to before its timeline is judged: the same from raw records
 * (DeviceAccumulator) and from rollups (reports/rollup-source.ts), so both give the same report.
 */
export interface DeviceTally {
  /** Records in the period, of every kind. */
  records: number;
  plays: number;
  playsScreenOff: number;
  playsPartial: number;
  playsRejected: number;
  onAirMs: number;
  onAirPartialMs: number;
  /** Counts per item and language (any order). */
  playsByItem: Iterable<PlayCount>;
  /** Time covered by counted plays (screen on), cut at the period's end, any order. */
  covered: Interval[];
  /** At least the first CHAIN_BREAKS_LISTED_MAX breaks by seq (any order, one per seq and kind). */
  breaks: PlacedBreak[];
  /** Every break, by kind, and the records missing in gaps. */
  breakCounts: Record<ChainBreakKind, number>;
  missing: number;
  /** At least the first REJECTED_LISTED_MAX rejected records by seq (any order). */
  rejected: RejectedRecord[];
  /** The declared gaps counted (any order). */
  declared: ReportDeclaredGap[];
}

/**
 * The device's report from its tally and outages: the timeline (span, outages, content gaps,
 * declared gaps), the chain column and the listed breaks and rejected records. Pure.
 */
export function judgeDevice(
  device: ReportDevice,
  gate: GateState,
  tally: DeviceTally,
  outagesIn: readonly Outage[],
  minContentGapMs: number,
  minOutageMs: number,
): DeviceReport {
  const { from, spanEnd } = gate;
  // The screen's own span: from enrolment (or first install) to retirement, within the period.
  const start = Math.max(from, device.activeFrom ?? from);
  const end = Math.max(start, Math.min(spanEnd, device.activeTo ?? spanEnd));
  const span: Interval[] = end > start ? [{ from: start, to: end }] : [];
  // Plays less than a content gap apart are one covered stretch, whatever order they came in.
  const covered = mergeIntervals(bridgeIntervals(tally.covered, minContentGapMs));
  // One timeline: time with plays recorded is on air whatever the link said (a screen plays
  // without the network); a down span is an outage where nothing played, if long enough.
  const outages: { from: number; to: number; kind: Outage['kind'] }[] = [];
  for (const o of [...outagesIn].sort((a, b) => a.from - b.from)) {
    const clipped = { from: Math.max(o.from, start), to: Math.min(o.to, end) };
    if (clipped.to <= clipped.from) continue;
    for (const piece of subtractIntervals([clipped], covered))
      if (piece.to - piece.from >= minOutageMs) outages.push({ ...piece, kind: o.kind });
  }
  const down = mergeIntervals(outages.map((o) => ({ from: o.from, to: o.to })));
  const spanMs = totalLength(span);
  const downMs = totalLength(intersectIntervals(span, down));
  const opening = intersectIntervals(gate.opening, span);
  const openingMs = totalLength(opening);
  const openingDownMs = totalLength(intersectIntervals(opening, down));

  const expected = subtractIntervals(opening, down);
  const declared = [...tally.declared].sort((a, b) => a.seq - b.seq);
  // What the screen declared lost is a gap it explained: counted apart from the unexplained ones.
  const declaredSpans = mergeIntervals(
    declared.filter((g) => g.to > g.from).map((g) => ({ from: g.from, to: g.to })),
  );
  const uncovered = subtractIntervals(expected, covered);
  const gaps = subtractIntervals(uncovered, declaredSpans)
    .filter((g) => g.to - g.from >= minContentGapMs)
    .map((g) => ({ from: g.from, to: g.to, durationMs: g.to - g.from }));
  const gapMs = gaps.reduce((n, g) => n + g.durationMs, 0);
  const declaredGapMs = totalLength(intersectIntervals(uncovered, declaredSpans));
  const declaredGaps = declared.map((g) => ({
    ...g,
    durationMs: totalLength(intersectIntervals([{ from: g.from, to: Math.max(g.from, g.to) }], span)),
  }));
  const breakTotal = Object.values(tally.breakCounts).reduce((n, c) => n + c, 0);
  const plays = new Map<string, PlayCount>();
  addPlays(plays, tally.playsByItem);

  return {
    deviceId: device.deviceId,
    name: device.name,
    plays: tally.plays,
    playsScreenOff: tally.playsScreenOff,
    playsPartial: tally.playsPartial,
    playsRejected: tally.playsRejected,
    rejected: [...tally.rejected].sort((a, b) => a.seq - b.seq).slice(0, REJECTED_LISTED_MAX),
    onAirMs: tally.onAirMs,
    onAirPartialMs: tally.onAirPartialMs,
    from: start,
    to: end,
    spanMs,
    uptimeRatio: ratio(spanMs - downMs, spanMs),
    openingMs,
    openingUptimeRatio: ratio(openingMs - openingDownMs, openingMs),
    outages: outages.map((o) => ({ from: o.from, to: o.to, kind: o.kind, durationMs: o.to - o.from })),
    contentGaps: gaps,
    declaredGaps,
    timeline: {
      openingMs,
      onAirMs: openingMs - openingDownMs - gapMs - declaredGapMs,
      gapMs,
      declaredGapMs,
      outageMs: openingDownMs,
    },
    declaredLost: device.declaredLost ?? null,
    chain: {
      ok: breakTotal === 0,
      records: tally.records,
      breaks: [...tally.breaks].sort(byBreak).slice(0, CHAIN_BREAKS_LISTED_MAX),
      counts: { ...tally.breakCounts },
      missing: tally.missing,
    },
    playsByItem: sortPlays(plays),
  };
}

/** Intervals joined where they overlap or lie less than `bridge` apart (any order in, sorted out). */
export function bridgeIntervals(intervals: readonly Interval[], bridge: number): Interval[] {
  const out: Interval[] = [];
  for (const s of [...intervals].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && s.from < last.to + bridge) last.to = Math.max(last.to, s.to);
    else out.push({ from: s.from, to: s.to });
  }
  return out;
}
