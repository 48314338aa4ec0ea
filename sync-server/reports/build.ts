/**
 * Builds the operations report from proof-of-play records, outages and the gate list. Pure: the
 * same input gives the same report. Records come one device at a time, and within a device one at a
 * time (`ReportBuilder.beginDevice`), so neither a quarter of a large fleet nor one screen's quarter
 * has to sit in memory at once; `addDevice` takes one device's records as an array, and
 * `buildReport` is the one-call form for inputs that fit.
 */
import { type Interval, openingIntervals } from '../../protocol/zoned-time.js';
import {
  addPlays,
  DEFAULT_MIN_OUTAGE_MS,
  type DeviceTally,
  type GateState,
  judgeDevice,
  noBreaks,
  type PlacedBreak,
  ratio,
  REJECTED_LISTED_MAX,
  sortPlays,
  sortReasons,
} from './judge.js';
import { periodRange, ReportInputError, reportDueDate } from './period.js';

export {
  CHAIN_BREAKS_LISTED_MAX,
  DEFAULT_MIN_OUTAGE_MS,
  type DeviceTally,
  noBreaks,
  type PlacedBreak,
  REJECTED_LISTED_MAX,
} from './judge.js';
import {
  type ChainBreak,
  type ChainBreakKind,
  type ChainCheck,
  type DeviceReport,
  type GateReport,
  type Outage,
  type PlayCount,
  type ProofOfPlayRecord,
  type ProvinceReport,
  type Report,
  type ReportDevice,
  type ReportGate,
  type ReportPeriod,
  type RejectedRecord,
  type RejectReason,
  type ReportDeclaredGap,
  type Totals,
  type VerifyChain,
} from './types.js';

export interface ReportOptions {
  period: ReportPeriod;
  gates: readonly ReportGate[];
  devices: readonly ReportDevice[];
  verifyChain: VerifyChain;
  /** When the report is made; time after it is not judged (a quarter still running). */
  generatedAt: number;
  /** Uncovered time in opening hours shorter than this is a transition, not a gap. Default 60 s. */
  minContentGapMs?: number;
  /** A down span (offline, display off, power) shorter than this is no outage. Default 5 min. */
  minOutageMs?: number;
}

function emptyTotals(): Totals {
  return {
    devices: 0,
    plays: 0,
    playsScreenOff: 0,
    playsRejected: 0,
    playsPartial: 0,
    onAirMs: 0,
    onAirPartialMs: 0,
    spanMs: 0,
    upMs: 0,
    uptimeRatio: 1,
    openingMs: 0,
    openingUpMs: 0,
    openingUptimeRatio: 1,
    outages: 0,
    outageMs: 0,
    contentGaps: 0,
    contentGapMs: 0,
    declaredGaps: 0,
    declaredGapRecords: 0,
    declaredGapMs: 0,
    chainBreaks: 0,
  };
}

function addTotals(t: Totals, d: Totals | DeviceReport): void {
  const isDevice = 'deviceId' in d;
  t.devices += isDevice ? 1 : d.devices;
  t.plays += d.plays;
  t.playsScreenOff += d.playsScreenOff;
  t.playsRejected += d.playsRejected;
  t.onAirMs += d.onAirMs;
  t.playsPartial += d.playsPartial;
  t.onAirPartialMs += d.onAirPartialMs;
  t.spanMs += d.spanMs;
  t.openingMs += d.openingMs;
  if (isDevice) {
    t.upMs += d.spanMs * d.uptimeRatio;
    t.openingUpMs += d.openingMs * d.openingUptimeRatio;
    t.outages += d.outages.length;
    t.outageMs += d.outages.reduce((n, o) => n + o.durationMs, 0);
    t.contentGaps += d.contentGaps.length;
    t.contentGapMs += d.contentGaps.reduce((n, g) => n + g.durationMs, 0);
    t.declaredGaps += d.declaredGaps.length;
    t.declaredGapRecords += d.declaredGaps.reduce((n, g) => n + g.records, 0);
    t.declaredGapMs += d.timeline.declaredGapMs;
    t.chainBreaks += Object.values(d.chain.counts).reduce((n, c) => n + c, 0);
  } else {
    t.upMs += d.upMs;
    t.openingUpMs += d.openingUpMs;
    t.outages += d.outages;
    t.outageMs += d.outageMs;
    t.contentGaps += d.contentGaps;
    t.contentGapMs += d.contentGapMs;
    t.declaredGaps += d.declaredGaps;
    t.declaredGapRecords += d.declaredGapRecords;
    t.declaredGapMs += d.declaredGapMs;
    t.chainBreaks += d.chainBreaks;
  }
  t.uptimeRatio = ratio(t.upMs, t.spanMs);
  t.openingUptimeRatio = ratio(t.openingUpMs, t.openingMs);
}

/**
 * Aggregates one device's records for one gate's period, one record at a time, in ascending seq.
 * Records outside the period are ignored. Memory: the per-item counts and the covered intervals
 * (merged as they come), never the records.
 */
export class DeviceAccumulator {
  private readonly counts = new Map<string, Map<string, PlayCount>>();
  private readonly covered: Interval[] = [];
  private readonly breaks: PlacedBreak[] = [];
  private readonly check: ChainCheck | undefined;
  /** Only for a verifier that takes the whole chain at once (no `begin`). */
  private readonly held: ProofOfPlayRecord[] | undefined;
  private readonly rejected: RejectedRecord[] = [];
  private readonly declared: ReportDeclaredGap[] = [];
  private records = 0;
  private plays = 0;
  private playsScreenOff = 0;
  private playsPartial = 0;
  private playsRejected = 0;
  private onAirMs = 0;
  private onAirPartialMs = 0;

  constructor(
    private readonly device: ReportDevice,
    private readonly gate: GateState,
    private readonly verifyChain: VerifyChain,
    private readonly minContentGapMs: number,
    private readonly minOutageMs: number = DEFAULT_MIN_OUTAGE_MS,
  ) {
    this.check = verifyChain.begin?.();
    this.held = this.check ? undefined : [];
  }

  add(r: ProofOfPlayRecord): void {
    if (r.actualStart < this.gate.from || r.actualStart >= this.gate.to) return;
    this.records++;
    if (this.held) {
      this.held.push(r);
      return;
    }
    const before = this.breaks.length;
    const signed = this.check!.add(r, this.breaks);
    this.checkClaims(r, this.breaks);
    const reasons: RejectReason[] = [];
    const kinds = new Set<ChainBreakKind>();
    let kept = before;
    for (let i = before; i < this.breaks.length; i++) {
      const b = this.breaks[i]!;
      // One break per kind and record (an edit found twice at a record is one edit).
      if (b.kind !== 'gap' && kinds.has(b.kind)) continue;
      kinds.add(b.kind);
      b.at = r.actualStart;
      this.breaks[kept++] = b;
      // A gap lies before the record and a broken link between it and the one before: neither is
      // the record's own; every other break is.
      if (b.kind !== 'gap' && b.kind !== 'link') reasons.push(b.kind);
    }
    this.breaks.length = kept;
    if (!signed && !reasons.includes('signature')) reasons.push('signature');
    this.judge(r, sortReasons(reasons));
  }

  /** A signed record that names another screen or site group than the one it was stored for. */
  private checkClaims(r: ProofOfPlayRecord, breaks: ChainBreak[]): void {
    if (!r.claimed) return;
    if (r.claimed.deviceId !== this.device.deviceId) breaks.push({ seq: r.seq, kind: 'device' });
    if (r.claimed.siteGroup !== undefined && r.claimed.siteGroup !== this.device.siteGroup)
      breaks.push({ seq: r.seq, kind: 'site-group' });
  }

  /** Counts the record, or, when it failed a check of its own, keeps it apart with its reasons. */
  private judge(r: ProofOfPlayRecord, reasons: RejectReason[]): void {
    if (reasons.length === 0) {
      this.count(r);
      return;
    }
    this.playsRejected++;
    if (this.rejected.length < REJECTED_LISTED_MAX)
      this.rejected.push({ seq: r.seq, at: r.actualStart, itemId: r.itemId, language: r.language, reasons });
  }

  private count(r: ProofOfPlayRecord): void {
    if (r.gap) {
      // A link of the chain that says plays were lost: kept apart, never a play.
      this.declared.push({ seq: r.seq, ...r.gap, durationMs: 0 });
      return;
    }
    if (!r.screenOn) {
      if (r.region === undefined) this.playsScreenOff++;
      return;
    }
    const end = Math.min(r.actualStart + Math.max(0, r.durationMs), this.gate.to);
    const ms = end - r.actualStart;
    // A side or footer region's plays are listed apart: the screen's plays and coverage are main's.
    const main = r.region === undefined;
    if (main && r.partial) {
      this.playsPartial++;
      this.onAirPartialMs += ms;
    } else if (main) {
      this.plays++;
      this.onAirMs += ms;
    }
    // itemId → language (and region) → count: two small maps, no key string built per main record.
    let byLang = this.counts.get(r.itemId);
    if (!byLang) this.counts.set(r.itemId, (byLang = new Map()));
    const langKey = main ? r.language : `${r.language}\u0000${r.region}`;
    let c = byLang.get(langKey);
    if (!c) {
      c = {
        itemId: r.itemId,
        ...(main ? {} : { region: r.region }),
        language: r.language,
        plays: 0,
        onAirMs: 0,
        playsPartial: 0,
        onAirPartialMs: 0,
      };
      byLang.set(langKey, c);
    }
    if (r.partial) {
      c.playsPartial++;
      c.onAirPartialMs += ms;
    } else {
      c.plays++;
      c.onAirMs += ms;
    }
    if (!main) return;
    // Bridge uncovered stretches shorter than a gap as they come (back-to-back items make one
    // interval, not thousands); records out of time order are bridged the same way in `finish`.
    const last = this.covered[this.covered.length - 1];
    if (last && r.actualStart >= last.from && r.actualStart < last.to + this.minContentGapMs)
      last.to = Math.max(last.to, end);
    else this.covered.push({ from: r.actualStart, to: end });
  }

  /** What the records added up to (after the whole-chain verifier, when that is the one given). */
  private tally(): DeviceTally {
    let breaks: PlacedBreak[] = this.breaks;
    if (this.held) {
      const sorted = this.held;
      const verification = this.verifyChain(sorted);
      const atBySeq = (seq: number) => {
        // Records are sorted by seq: binary search for the record at (or just after) `seq`.
        let lo = 0;
        let hi = sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sorted[mid]!.seq < seq) lo = mid + 1;
          else hi = mid;
        }
        return sorted[lo]?.actualStart ?? null;
      };
      const found: ChainBreak[] = [...verification.breaks];
      for (const r of sorted) this.checkClaims(r, found);
      const seen = new Set<string>();
      breaks = found
        .filter((b) => {
          const k = `${b.seq}\0${b.kind}`;
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        })
        .map((b) => ({ ...b, at: atBySeq(b.seq) }));
      const reasonsBySeq = new Map<number, RejectReason[]>();
      for (const b of breaks) {
        if (b.kind === 'gap' || b.kind === 'link') continue;
        const list = reasonsBySeq.get(b.seq) ?? [];
        if (!list.includes(b.kind)) list.push(b.kind);
        reasonsBySeq.set(b.seq, list);
      }
      for (const r of sorted) this.judge(r, sortReasons(reasonsBySeq.get(r.seq) ?? []));
    }
    const breakCounts = noBreaks();
    let missing = 0;
    for (const b of breaks) {
      breakCounts[b.kind]++;
      missing += b.missing ?? 0;
    }
    return {
      records: this.records,
      plays: this.plays,
      playsScreenOff: this.playsScreenOff,
      playsPartial: this.playsPartial,
      playsRejected: this.playsRejected,
      onAirMs: this.onAirMs,
      onAirPartialMs: this.onAirPartialMs,
      playsByItem: [...this.counts.values()].flatMap((m) => [...m.values()]),
      covered: this.covered,
      breaks,
      breakCounts,
      missing,
      rejected: this.rejected,
      declared: this.declared,
    };
  }

  /** The device's report, with its outages (any order, clipped to the judged span). */
  finish(outagesIn: readonly Outage[]): DeviceReport {
    return judgeDevice(
      this.device,
      this.gate,
      this.tally(),
      outagesIn,
      this.minContentGapMs,
      this.minOutageMs,
    );
  }
}

/** Aggregates one device's records (any order) for one gate's period. */
export function reportDevice(
  device: ReportDevice,
  gate: GateState,
  records: readonly ProofOfPlayRecord[],
  outages: readonly Outage[],
  verifyChain: VerifyChain,
  minContentGapMs: number,
  minOutageMs = DEFAULT_MIN_OUTAGE_MS,
): DeviceReport {
  const inPeriod = records.filter((r) => r.actualStart >= gate.from && r.actualStart < gate.to);
  const sorted = inPeriod.every((r, i) => i === 0 || inPeriod[i - 1]!.seq < r.seq)
    ? inPeriod
    : [...inPeriod].sort((a, b) => a.seq - b.seq);
  const acc = new DeviceAccumulator(device, gate, verifyChain, minContentGapMs, minOutageMs);
  for (const r of sorted) acc.add(r);
  return acc.finish(outages);
}

/** One device being added record by record (`ReportBuilder.beginDevice`). */
export interface DeviceInput {
  /** The next record, in ascending seq; a record of another device is refused. */
  add(record: ProofOfPlayRecord): void;
  /** Ends the device with its outages; its report joins the gate's. */
  finish(outages: readonly Outage[]): void;
}

export class ReportBuilder {
  private readonly gates = new Map<string, GateState>();
  private readonly devices = new Map<string, ReportDevice>();
  private readonly done = new Set<string>();
  /** Devices begun and not finished. */
  private readonly open = new Set<string>();
  private readonly minContentGapMs: number;
  private readonly minOutageMs: number;

  constructor(private readonly options: ReportOptions) {
    this.minContentGapMs = options.minContentGapMs ?? 60_000;
    this.minOutageMs = options.minOutageMs ?? DEFAULT_MIN_OUTAGE_MS;
  }

  private gateState(siteGroup: string): GateState {
    let g = this.gates.get(siteGroup);
    if (g) return g;
    const gate = this.options.gates.find((x) => x.siteGroup === siteGroup);
    if (!gate) throw new ReportInputError(`no gate "${siteGroup}" in the report input`);
    const { from, to } = periodRange(this.options.period, gate.timezone);
    const spanEnd = Math.max(from, Math.min(to, this.options.generatedAt));
    g = {
      gate,
      from,
      to,
      spanEnd,
      opening: openingIntervals(gate.timezone, from, spanEnd, gate.openingHours),
      devices: [],
    };
    this.gates.set(siteGroup, g);
    return g;
  }

  private deviceFor(deviceId: string): ReportDevice {
    if (this.done.has(deviceId)) throw new ReportInputError(`device "${deviceId}" added twice`);
    if (this.devices.size === 0) for (const d of this.options.devices) this.devices.set(d.deviceId, d);
    const device = this.devices.get(deviceId);
    if (!device) throw new ReportInputError(`no device "${deviceId}" in the report input`);
    return device;
  }

  private static foreign(deviceId: string, of: string): ReportInputError {
    return new ReportInputError(`a record of device "${of}" was given for "${deviceId}"`);
  }

  /** Adds one device's records (any order; those outside the period are ignored) and outages. */
  addDevice(deviceId: string, records: readonly ProofOfPlayRecord[], outages: readonly Outage[]): void {
    const device = this.deviceFor(deviceId);
    const foreign =
      records.find((r) => r.deviceId !== deviceId) ?? outages.find((o) => o.deviceId !== deviceId);
    if (foreign) throw ReportBuilder.foreign(deviceId, foreign.deviceId);
    const gate = this.gateState(device.siteGroup);
    gate.devices.push(
      reportDevice(
        device,
        gate,
        records,
        outages,
        this.options.verifyChain,
        this.minContentGapMs,
        this.minOutageMs,
      ),
    );
    this.done.add(deviceId);
  }

  /**
   * Adds one device's period already added up (from rollups: rollup-tally.ts) and its outages. The
   * shortest content gap must be the rollups' cover bridge, the one the tally was merged with.
   */
  addTally(deviceId: string, tally: DeviceTally, outages: readonly Outage[]): void {
    const device = this.deviceFor(deviceId);
    const foreign = outages.find((o) => o.deviceId !== deviceId);
    if (foreign) throw ReportBuilder.foreign(deviceId, foreign.deviceId);
    const gate = this.gateState(device.siteGroup);
    gate.devices.push(judgeDevice(device, gate, tally, outages, this.minContentGapMs, this.minOutageMs));
    this.done.add(deviceId);
  }

  /**
   * Starts a device whose records come one at a time, in ascending seq (e.g. page by page from the
   * registry); it must be finished before the report is.
   */
  beginDevice(deviceId: string): DeviceInput {
    const device = this.deviceFor(deviceId);
    const gate = this.gateState(device.siteGroup);
    const acc = new DeviceAccumulator(
      device,
      gate,
      this.options.verifyChain,
      this.minContentGapMs,
      this.minOutageMs,
    );
    this.done.add(deviceId);
    this.open.add(deviceId);
    let finished = false;
    return {
      add: (r) => {
        if (finished) throw new ReportInputError(`device "${deviceId}" is already finished`);
        if (r.deviceId !== deviceId) throw ReportBuilder.foreign(deviceId, r.deviceId);
        acc.add(r);
      },
      finish: (outages) => {
        if (finished) throw new ReportInputError(`device "${deviceId}" is already finished`);
        const foreign = outages.find((o) => o.deviceId !== deviceId);
        if (foreign) throw ReportBuilder.foreign(deviceId, foreign.deviceId);
        finished = true;
        this.open.delete(deviceId);
        gate.devices.push(acc.finish(outages));
      },
    };
  }

  /** The report. Devices never added count as having no records (and, having no outages, as up). */
  finish(): Report {
    const unfinished = [...this.open][0];
    if (unfinished !== undefined) throw new ReportInputError(`device "${unfinished}" was not finished`);
    for (const d of this.options.devices) if (!this.done.has(d.deviceId)) this.addDevice(d.deviceId, [], []);
    const provinces = new Map<string, ProvinceReport>();
    const all = emptyTotals();
    const gateOrder = [...this.options.gates].sort((a, b) =>
      a.provinceName === b.provinceName
        ? a.name.localeCompare(b.name, 'vi')
        : a.provinceName.localeCompare(b.provinceName, 'vi'),
    );
    for (const gate of gateOrder) {
      const g = this.gateState(gate.siteGroup);
      const totals = emptyTotals();
      const plays = new Map<string, PlayCount>();
      const devices = [...g.devices].sort((a, b) => a.name.localeCompare(b.name, 'vi'));
      for (const d of devices) {
        addTotals(totals, d);
        addPlays(plays, d.playsByItem);
      }
      const report: GateReport = {
        siteGroup: gate.siteGroup,
        name: gate.name,
        ...(gate.formerNames ? { formerNames: gate.formerNames } : {}),
        timezone: gate.timezone,
        from: g.from,
        to: g.to,
        devices,
        playsByItem: sortPlays(plays),
        totals,
      };
      let p = provinces.get(gate.provinceId);
      if (!p) {
        p = {
          provinceId: gate.provinceId,
          provinceName: gate.provinceName,
          gates: [],
          playsByItem: [],
          totals: emptyTotals(),
        };
        provinces.set(gate.provinceId, p);
      }
      p.gates.push(report);
      addTotals(p.totals, totals);
    }
    for (const p of provinces.values()) {
      const plays = new Map<string, PlayCount>();
      for (const g of p.gates) addPlays(plays, g.playsByItem);
      p.playsByItem = sortPlays(plays);
      addTotals(all, p.totals);
    }
    return {
      period: this.options.period,
      minOutageMs: this.minOutageMs,
      generatedAt: this.options.generatedAt,
      dueDate: reportDueDate(this.options.period),
      provinces: [...provinces.values()],
      totals: all,
    };
  }
}

/** One-call form: every device's records and outages in memory. */
export function buildReport(
  options: ReportOptions,
  records: readonly ProofOfPlayRecord[],
  outages: readonly Outage[],
): Report {
  const known = new Set(options.devices.map((d) => d.deviceId));
  const unknown = records.find((r) => !known.has(r.deviceId));
  if (unknown) throw new ReportInputError(`records of unknown device "${unknown.deviceId}"`);
  const builder = new ReportBuilder(options);
  const byDevice = new Map<string, ProofOfPlayRecord[]>();
  for (const r of records) {
    let list = byDevice.get(r.deviceId);
    if (!list) byDevice.set(r.deviceId, (list = []));
    list.push(r);
  }
  for (const d of options.devices)
    builder.addDevice(
      d.deviceId,
      byDevice.get(d.deviceId) ?? [],
      outages.filter((o) => o.deviceId === d.deviceId),
    );
  return builder.finish();
}
