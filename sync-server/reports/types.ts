/**
 * Inputs and outputs of the operations report. The proof-of-play chain format belongs to the
 * player/scheduler work (protocol/); until it lands there, `ProofOfPlayRecord` mirrors its fields
 * and chain verification is injected as a `VerifyChain` function. All times are epoch ms.
 */
import type { TimeWindow } from '../../protocol/content.js';

/** One item shown on one screen: a link in that device's hash chain, signed by the device. */
export interface ProofOfPlayRecord {
  deviceId: string;
  /** Device-wide sequence number, +1 per record. */
  seq: number;
  /** `hash` of the record with seq - 1. */
  prevHash: string;
  /** Hash over this record's fields and prevHash. */
  hash: string;
  /** Device's Ed25519 signature over `hash`. */
  signature: string;
  itemId: string;
  playlistId: string;
  language: string;
  /** SHA-256 of the media variant shown. */
  variantSha256: string;
  bundleVersion: string;
  scheduledStart: number;
  actualStart: number;
  durationMs: number;
  /** Whether the display was on while it played. */
  screenOn: boolean;
  /** The item was cut short (protocol PopEntry.partial): counted apart from whole plays. */
  partial?: boolean;
  /** Shown in a layout's side or footer region (protocol PopEntry.region); absent: main. */
  region?: 'side' | 'footer';
  /**
   * The record exactly as the device signed it (protocol/proof-of-play.ts PopRecord, or whatever was
   * stored), for a verifier that checks the device's own hash and signature (registry-source.ts).
   */
  signed?: unknown;
  /**
   * What the server found when it stored the record (registry): the verdict at ingest (null: not
   * verified yet) and whether its prevHash matched the stored record before it (null: unknown).
   */
  stored?: { verdict: 'ok' | 'bad-signature' | 'malformed' | null; linkOk: boolean | null };
  /** The screen and site group the signed record says it was shown on (absent: not known). */
  claimed?: { deviceId: string; siteGroup?: string };
  /**
   * Set when the record is a declared gap (protocol PopGapRecord, `kind: 'gap'`): plays the screen
   * could not keep, how many, from when to when and why. It is a link of the chain, never a play.
   */
  gap?: DeclaredGap;
}

/** Plays a screen declared lost in its chain (its disk was full, or it stopped with plays unwritten). */
export interface DeclaredGap {
  /** How many plays are missing. */
  records: number;
  from: number;
  to: number;
  reason: string;
}

/**
 * gap: records missing; edit: the record does not match its hash (or claims another seq, or is not
 * a record at all); signature: not the device's; device / site-group: the record claims another
 * screen or another site group; link: the record's prevHash is not the hash of the stored record
 * before it (for seq 1: not the genesis hash).
 *
 * The counting rule for a broken link: the record at the break still counts when it passes its own
 * checks (its signature shows the device made it); the break is listed in the chain column and
 * counted in its breaks, so the chain is never called intact. Only a failed check of the record's
 * own (a RejectReason) keeps it out of the totals.
 */
export type ChainBreakKind = 'gap' | 'edit' | 'signature' | 'device' | 'site-group' | 'link';

/** Every kind, in the order a record's breaks are listed. */
export const CHAIN_BREAK_KINDS: readonly ChainBreakKind[] = [
  'gap',
  'edit',
  'signature',
  'device',
  'site-group',
  'link',
];

/** Why a record is not counted: every break of its own found at the record itself. */
export type RejectReason = Exclude<ChainBreakKind, 'gap' | 'link'>;

/** A record kept as evidence but left out of every total, with why. */
export interface RejectedRecord {
  seq: number;
  at: number;
  itemId: string;
  language: string;
  reasons: RejectReason[];
}

/** A place where a device's chain does not hold: missing records, an altered record, a bad signature. */
export interface ChainBreak {
  /** The sequence number where it was found (for a gap: the first missing one). */
  seq: number;
  kind: ChainBreakKind;
  /** For gaps: how many records are missing. */
  missing?: number;
}

export interface ChainVerification {
  ok: boolean;
  breaks: ChainBreak[];
}

/**
 * Checks one device's records one at a time, in ascending seq, so a device's period never has to
 * sit in memory. The first record's prevHash is taken on trust (its predecessor lies before the
 * period) unless the check knows better.
 */
export interface ChainCheck {
  /**
   * Checks the next record and pushes what breaks at it into `breaks`. Returns false when the record
   * must not count as a play (its signature is not the device's).
   */
  add(record: ProofOfPlayRecord, breaks: ChainBreak[]): boolean;
}

/**
 * Verifies one device's records, sorted by seq. With `begin`, the same check record by record
 * (what the report builder uses); without it, the builder hands over the device's records at once
 * and every record counts.
 */
export type VerifyChain = ((records: readonly ProofOfPlayRecord[]) => ChainVerification) & {
  begin?: () => ChainCheck;
};

export type OutageKind = 'offline' | 'display-off' | 'power';

/** A span in which a screen showed nothing to travellers, from the fleet registry's history. */
export interface Outage {
  deviceId: string;
  from: number;
  to: number;
  kind: OutageKind;
}

export interface ReportGate {
  /** Site group id, e.g. "kien-giang/ha-tien". */
  siteGroup: string;
  /** Human name, e.g. "Cửa khẩu Quốc tế Hà Tiên". */
  name: string;
  provinceId: string;
  /** Human province name, e.g. "Kiên Giang". */
  provinceName: string;
  timezone: string;
  /** Absent: always open. */
  openingHours?: readonly TimeWindow[];
  /**
   * Names the gate or its province had earlier in the period (a rename or a merger within it), the
   * latest last; `name` and `provinceName` are the ones valid at the period's end.
   */
  formerNames?: readonly { name: string; provinceName: string; until: number }[];
}

export interface ReportDevice {
  deviceId: string;
  name: string;
  siteGroup: string;
  /** When the screen joined the fleet (enrolment or first install); before it, nothing is judged. */
  activeFrom?: number;
  /** When it was retired (revoked); after it, nothing is judged. */
  activeTo?: number | null;
  /**
   * Proof-of-play records the screen itself declared lost (it could not keep them), when the server
   * knows; these are explained holes in the chain, not breaks.
   */
  declaredLost?: number;
}

/**
 * The reporting period, resolved in each gate's time zone. `basis: 'reporting'` uses the data
 * cut-off of Decree 09/2019/NĐ-CP art. 12 (docs/reporting-rules.md): a quarter runs from the 15th of
 * the month before it to the 14th of its last month; a year from 15 December of the year before to
 * 14 December.
 */
export type ReportPeriod =
  | { kind: 'quarter'; year: number; quarter: 1 | 2 | 3 | 4; basis?: 'calendar' | 'reporting' }
  | { kind: 'year'; year: number; basis?: 'calendar' | 'reporting' }
  /** Inclusive local dates, YYYY-MM-DD. */
  | { kind: 'custom'; from: string; to: string };

export interface PlayCount {
  itemId: string;
  /**
   * A layout's side or footer region, which loops its own playlist beside main: its plays are
   * listed apart and are not in a screen's plays, time on air or coverage (main's). Absent: main.
   */
  region?: 'side' | 'footer';
  /** The item's title in the report's language (or the emergency's text), when known. */
  title?: string;
  language: string;
  /** Whole plays with the screen on, and their time on air. */
  plays: number;
  onAirMs: number;
  /** Plays cut short (PopEntry.partial) with the screen on, and their time on air: counted apart. */
  playsPartial: number;
  onAirPartialMs: number;
}

export interface ReportOutage {
  from: number;
  to: number;
  kind: OutageKind;
  durationMs: number;
}

export interface ReportGap {
  from: number;
  to: number;
  durationMs: number;
}

/** A declared gap in the report: where it lies in the screen's span and how much it hid. */
export interface ReportDeclaredGap extends DeclaredGap {
  /** The seq of the gap record. */
  seq: number;
  /** Its span within the screen's span. */
  durationMs: number;
}

export interface ChainReport {
  /** No break of any kind. */
  ok: boolean;
  records: number;
  /** The first CHAIN_BREAKS_LISTED_MAX breaks by seq (all are counted in `counts`). */
  breaks: (ChainBreak & { at: number | null })[];
  /** Breaks by kind, and the records missing in gaps. */
  counts: Record<ChainBreakKind, number>;
  missing: number;
  /**
   * The last finished re-audit covered this screen's period (reports/reaudit.ts): when it ended,
   * and how many of its records it judged differently from ingest. Absent: not re-verified.
   */
  reverified?: { at: number; differ: number };
}

export interface DeviceReport {
  deviceId: string;
  name: string;
  /** Plays with the screen on. */
  plays: number;
  /** Plays recorded while the screen was off (not counted as plays). */
  playsScreenOff: number;
  /** Plays cut short with the screen on, and their time on air (not in `plays` / `onAirMs`). */
  playsPartial: number;
  onAirPartialMs: number;
  /**
   * Records that fail a check of their own (hash, link, signature, device, site group): kept as
   * evidence, counted in no total.
   */
  playsRejected: number;
  /** The rejected records with their reasons, the first REJECTED_LISTED_MAX of them. */
  rejected: RejectedRecord[];
  onAirMs: number;
  /** The screen's own span: the period cut to its enrolment, retirement and the report's time. */
  from: number;
  to: number;
  /** The time judged: `to - from` (0 for a screen not in service in the period). */
  spanMs: number;
  uptimeRatio: number;
  openingMs: number;
  openingUptimeRatio: number;
  outages: ReportOutage[];
  /** Time in opening hours with nothing recorded that the screen did not declare (below). */
  contentGaps: ReportGap[];
  /** The gaps the screen declared in its chain (lost plays), counted apart from content gaps. */
  declaredGaps: ReportDeclaredGap[];
  /**
   * The opening hours of the screen's span on one timeline: on air (plays recorded, with
   * transitions shorter than a gap) + content gaps + declared gaps + outages = opening hours, to
   * the millisecond.
   */
  timeline: { openingMs: number; onAirMs: number; gapMs: number; declaredGapMs: number; outageMs: number };
  chain: ChainReport;
  /** Records the screen declared lost (null: not known to this report). */
  declaredLost: number | null;
  playsByItem: PlayCount[];
}

export interface Totals {
  devices: number;
  plays: number;
  playsScreenOff: number;
  playsRejected: number;
  playsPartial: number;
  onAirMs: number;
  onAirPartialMs: number;
  spanMs: number;
  upMs: number;
  uptimeRatio: number;
  openingMs: number;
  openingUpMs: number;
  openingUptimeRatio: number;
  outages: number;
  outageMs: number;
  contentGaps: number;
  contentGapMs: number;
  /** Declared gaps, the plays they say were lost, and their time in opening hours. */
  declaredGaps: number;
  declaredGapRecords: number;
  declaredGapMs: number;
  chainBreaks: number;
}

export interface GateReport {
  siteGroup: string;
  name: string;
  /** Names valid earlier in the period (ReportGate.formerNames). */
  formerNames?: ReportGate['formerNames'];
  timezone: string;
  from: number;
  to: number;
  devices: DeviceReport[];
  playsByItem: PlayCount[];
  totals: Totals;
}

export interface ProvinceReport {
  provinceId: string;
  provinceName: string;
  gates: GateReport[];
  playsByItem: PlayCount[];
  totals: Totals;
}

export interface Report {
  period: ReportPeriod;
  /** The shortest outage counted as one (shorter link drops are not outages). */
  minOutageMs: number;
  generatedAt: number;
  /** YYYY-MM-DD, for quarters and years. */
  dueDate: string | null;
  provinces: ProvinceReport[];
  totals: Totals;
  /** The last finished re-audit of the stored records; null: never; absent: not known to the source. */
  reaudit?: ReportReaudit | null;
}

/** What the last finished re-audit of the stored proof of play found (reports/reaudit.ts). */
export interface ReportReaudit {
  startedAt: number;
  finishedAt: number;
  /** The period it checked ("2026-Q1"), or null for the whole registry. */
  period: string | null;
  records: number;
  /** Problems found, by chain break kind. */
  counts: Partial<Record<ChainBreakKind, number>>;
  /** Records judged differently from ingest, and the first of them. */
  differ: number;
  differList: { deviceId: string; seq: number; atIngest: string; now: string }[];
}
