/**
 * A device's period from its proof-of-play rollups (registry/pop-rollups.ts) in the shape the report
 * builder judges (build.ts DeviceTally): the same figures the builder adds up from the raw records,
 * read from the period's rows as the store added them up (PopRollupStore.period): a few rows per
 * item, and the lists (covered time, rejected records, breaks, declared gaps). Pure.
 *
 * A period runs from a local midnight to a local midnight at the gate, so its records are those of
 * its local days. Time on air is cut at the period's end, as from raw records: a play on the last
 * day counts up to midnight, one on an earlier day in full (a single play longer than a day that
 * runs past the period's end would count in full: plays are seconds to minutes long).
 */
import { dayEnd, localDay, type PeriodRollups } from '../registry/pop-rollups.js';
import { noBreaks, type DeviceTally, type PlacedBreak } from './build.js';
import type { PlayCount, RejectedRecord, RejectReason } from './types.js';

/** The local days at `timezone` that make up [from, to) (from and to are local midnights). */
export function periodDays(timezone: string, from: number, to: number): { fromDay: number; toDay: number } {
  return { fromDay: localDay(timezone, from), toDay: localDay(timezone, to - 1) };
}

export function tallyOfRollups(
  rollups: PeriodRollups,
  timezone: string,
  from: number,
  to: number,
): DeviceTally {
  const { toDay } = periodDays(timezone, from, to);
  const lastDayEnd = dayEnd(timezone, toDay);
  const tally: DeviceTally = {
    records: rollups.records,
    plays: 0,
    playsScreenOff: 0,
    playsPartial: 0,
    playsRejected: 0,
    onAirMs: 0,
    onAirPartialMs: 0,
    playsByItem: [],
    covered: [],
    breaks: [],
    breakCounts: noBreaks(),
    missing: 0,
    rejected: [],
    declared: [],
  };
  const byItem = new Map<string, PlayCount>();
  for (const p of rollups.plays) {
    // A side or footer region's plays are listed apart: the screen's plays are main's.
    const main = p.region === '';
    if (main) tally.playsScreenOff += p.playsScreenOff;
    const k = `${p.itemId}\0${p.language}\0${p.region}`;
    let c = byItem.get(k);
    if (!c) {
      c = {
        itemId: p.itemId,
        ...(main ? {} : { region: p.region as 'side' | 'footer' }),
        language: p.language,
        plays: 0,
        onAirMs: 0,
        playsPartial: 0,
        onAirPartialMs: 0,
      };
      byItem.set(k, c);
    }
    if (p.partial) {
      if (main) tally.playsPartial += p.plays;
      if (main) tally.onAirPartialMs += p.onAirMs;
      c.playsPartial += p.plays;
      c.onAirPartialMs += p.onAirMs;
    } else {
      if (main) tally.plays += p.plays;
      if (main) tally.onAirMs += p.onAirMs;
      c.plays += p.plays;
      c.onAirMs += p.onAirMs;
    }
  }
  // Only screen-on plays make an item line (screen-off ones are counted on the screen alone).
  tally.playsByItem = [...byItem.values()].filter((c) => c.plays + c.playsPartial > 0);
  tally.covered = rollups.cover.map((s) => ({ from: s.from, to: Math.min(s.to, lastDayEnd) }));
  for (const r of rollups.rejected) {
    tally.playsRejected += r.records;
    for (const reason of r.reasons.split('+') as RejectReason[]) tally.breakCounts[reason] += r.records;
  }
  const breaks: PlacedBreak[] = [];
  const rejected: RejectedRecord[] = [];
  for (const r of rollups.rejectedList) {
    const reasons = r.reasons.split('+') as RejectReason[];
    rejected.push({ seq: r.seq, at: r.at, itemId: r.itemId, language: r.language, reasons });
    for (const kind of reasons) breaks.push({ seq: r.seq, kind, at: r.at });
  }
  for (const l of rollups.links) {
    breaks.push({ seq: l.seq, kind: 'link', at: l.at });
    tally.breakCounts.link++;
  }
  // A hole between two runs of stored seqs is a gap of the period when the records on both sides are in it.
  for (let i = 1; i < rollups.runs.length; i++) {
    const a = rollups.runs[i - 1]!;
    const b = rollups.runs[i]!;
    if (a.toAt < from || a.toAt >= to || b.fromAt < from || b.fromAt >= to) continue;
    const missing = b.fromSeq - a.toSeq - 1;
    breaks.push({ seq: a.toSeq + 1, kind: 'gap', missing, at: b.fromAt });
    tally.breakCounts.gap++;
    tally.missing += missing;
  }
  tally.breaks = breaks;
  tally.rejected = rejected;
  tally.declared = rollups.declared.map((g) => ({
    seq: g.seq,
    records: g.records,
    from: g.fromMs,
    to: g.toMs,
    reason: g.reason,
    durationMs: 0,
  }));
  return tally;
}
