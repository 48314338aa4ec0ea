/**
 * The report's data from the fleet registry: gates and screens, each screen's proof-of-play records
 * for the period (one device at a time, in bounded pages), outages from the link's session history,
 * and the chain check: the signature verdicts stored at ingest (sync-server/pop-ingest.ts) plus
 * what is cheap to check again — each payload against its hash, the links and the sequence.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  type ChainProblem,
  POP_GENESIS_HASH,
  PopChainRecord,
  PopGapRecord,
  PopRecord,
  popHash,
  popSignatureValid,
} from '../../protocol/proof-of-play.js';
import type { DeviceStore } from '../registry/device-store.js';
import type { GateStore } from '../registry/gate-store.js';
import type { IngestStore } from '../registry/ingest-store.js';
import { claimedLink } from '../registry/pop-rollups.js';
import type { PopStore, PopVerdict } from '../registry/pop-store.js';
import type { PopRollupStore } from '../registry/pop-rollups.js';
import type { DeviceTally } from './build.js';
import { periodDays, tallyOfRollups } from './rollup-tally.js';
import type { ItemTitle, ReportNamesStore } from '../registry/report-names-store.js';
import { streamingVerifier } from './chain-check.js';
import type { NamedGate } from './names.js';
import type { ReportDataSource } from './data-source.js';
import type { ReauditStore } from '../registry/reaudit-store.js';
import type {
  ChainBreak,
  ChainCheck,
  Outage,
  ProofOfPlayRecord,
  ReportDevice,
  ReportReaudit,
  VerifyChain,
} from './types.js';

/** The registry calls the report reads. */
export interface ReportRegistry {
  gates: Pick<GateStore, 'list'>;
  devices: Pick<DeviceStore, 'list' | 'get' | 'sessions'>;
  pop: Pick<PopStore, 'seqRange' | 'page' | 'setVerdicts'>;
  reportNames?: Pick<ReportNamesStore, 'gateNames' | 'titles' | 'setTitles'>;
  ingest?: Pick<IngestStore, 'gapRecords'>;
  /** The proof-of-play rollups kept at ingest: when present and complete, reports read them. */
  rollups?: Pick<PopRollupStore, 'period' | 'backfillProgress'>;
}

/** Records read from the registry per page: bounded memory, and the event loop runs between pages. */
export const REPORT_PAGE_RECORDS = 2000;

/** What the registry stored about a row besides its payload. */
export interface StoredRow {
  seq: number;
  at: number;
  verdict?: PopVerdict | null;
  linkOk?: boolean | null;
}

/** The report shape of a payload that is not a PopRecord: no play, marked by the verifier. */
function malformedRecord(deviceId: string, row: StoredRow, raw: unknown): ProofOfPlayRecord {
  return {
    deviceId,
    seq: row.seq,
    prevHash: '',
    hash: '',
    signature: '',
    itemId: '',
    playlistId: '',
    language: '',
    variantSha256: '',
    bundleVersion: '',
    scheduledStart: row.at,
    actualStart: row.at,
    durationMs: 0,
    screenOn: false,
    signed: raw,
  };
}

const str = (v: unknown): v is string => typeof v === 'string';
const int = (v: unknown): v is number => Number.isSafeInteger(v);

/**
 * A stored record in the report's shape. `raw` is the payload the device sent; `row` is what the
 * registry indexed it by and, when given, what it found at ingest. A payload that is not a PopRecord
 * still takes its place in the chain (so the verifier marks it) but counts as no play.
 *
 * A record judged well-formed at ingest is mapped by a few type checks instead of the full schema:
 * its hash, recomputed by the verifier, shows whether it is still what was judged; one edited into
 * another shape since is treated as malformed here.
 */
export function reportRecordOf(deviceId: string, row: StoredRow, raw: unknown): ProofOfPlayRecord {
  if ((raw as { kind?: unknown } | null)?.kind === 'gap') return gapRecordOf(deviceId, row, raw);
  let r: PopRecord | undefined;
  if (row.verdict === 'ok' || row.verdict === 'bad-signature') {
    const p = raw as Partial<Record<keyof PopRecord, unknown>> | null;
    if (
      typeof p === 'object' &&
      p !== null &&
      str(p.deviceId) &&
      str(p.siteGroup) &&
      str(p.prevHash) &&
      str(p.hash) &&
      str(p.signature) &&
      str(p.itemId) &&
      str(p.playlistId) &&
      str(p.language) &&
      (p.variantSha256 === null || str(p.variantSha256)) &&
      int(p.bundleVersion) &&
      int(p.scheduledStartAt) &&
      int(p.actualStartAt) &&
      int(p.durationMs) &&
      typeof p.screenOn === 'boolean'
    )
      r = p as PopRecord;
  } else if (row.verdict !== 'malformed') {
    const parsed = PopRecord.safeParse(raw);
    if (parsed.success) r = parsed.data;
  }
  const stored =
    row.verdict === undefined ? undefined : { verdict: row.verdict ?? null, linkOk: row.linkOk ?? null };
  if (!r) {
    const m = malformedRecord(deviceId, row, raw);
    if (stored) m.stored = stored;
    return m;
  }
  const out: ProofOfPlayRecord = {
    deviceId,
    // The registry's seq is the one the chain was delivered under; a record claiming another is edited.
    seq: row.seq,
    prevHash: r.prevHash,
    hash: r.hash,
    signature: r.signature,
    itemId: r.itemId,
    playlistId: r.playlistId,
    language: r.language,
    variantSha256: r.variantSha256 ?? '',
    bundleVersion: String(r.bundleVersion),
    scheduledStart: r.scheduledStartAt,
    actualStart: r.actualStartAt,
    durationMs: r.durationMs,
    screenOn: r.screenOn,
    signed: raw,
    claimed: { deviceId: r.deviceId, siteGroup: r.siteGroup },
  };
  if (r.partial === true) out.partial = true;
  if (r.region) out.region = r.region;
  if (stored) out.stored = stored;
  return out;
}

/** A device's Ed25519 public key from its registry form: raw 32 bytes, base64url. */
export function devicePublicKey(rawBase64Url: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawBase64Url }, format: 'jwk' });
}

/**
 * A declared gap (protocol PopGapRecord) in the report's shape: a link of the chain with its hash
 * and signature checked like a play's, counting as none; its lost plays and their span in `gap`.
 * One that does not parse takes its place as malformed.
 */
function gapRecordOf(deviceId: string, row: StoredRow, raw: unknown): ProofOfPlayRecord {
  const stored =
    row.verdict === undefined ? undefined : { verdict: row.verdict ?? null, linkOk: row.linkOk ?? null };
  const parsed = row.verdict === 'malformed' ? undefined : PopGapRecord.safeParse(raw).data;
  const out = parsed
    ? {
        ...malformedRecord(deviceId, row, raw),
        prevHash: parsed.prevHash,
        hash: parsed.hash,
        signature: parsed.signature,
        actualStart: parsed.fromAt,
        scheduledStart: parsed.fromAt,
        claimed: { deviceId: parsed.deviceId },
        gap: { records: parsed.count, from: parsed.fromAt, to: parsed.toAt, reason: parsed.reason },
      }
    : malformedRecord(deviceId, row, raw);
  if (stored) out.stored = stored;
  return out;
}

/** Maps protocol chain problems to report breaks (records given in the same order as `records`). */
export function breaksOf(
  problems: readonly ChainProblem[],
  records: readonly ProofOfPlayRecord[],
): ChainBreak[] {
  return problems.map((p): ChainBreak => {
    if (p.kind === 'gap') return { seq: p.seq, kind: 'gap', missing: (p.toSeq ?? p.seq) - p.seq + 1 };
    const seq = records[p.index]?.seq ?? p.seq;
    return {
      seq,
      kind: p.kind === 'bad-signature' ? 'signature' : p.kind === 'broken-link' ? 'link' : 'edit',
    };
  });
}

interface CheckOptions {
  /** Use the verdict stored at ingest instead of verifying the signature again. */
  trustStored: boolean;
  /** A record without a stored verdict was verified here (to store it). */
  onVerified?: (deviceId: string, seq: number, verdict: PopVerdict) => void;
}

/**
 * The device chain check, one record at a time (records in ascending seq): per record, the gap
 * before it, its own checks — the shape, the hash recomputed from the payload, the seq it claims,
 * the signature (or its verdict at ingest) — and its link: its prevHash against the hash the
 * record before it claims (for seq 1, the genesis hash; for the period's first record, whose
 * predecessor was not read, the link found at ingest). Links compare claimed hashes only
 * (`claimedLink`), as ingest does, so a record edited in place breaks at itself, not at the next.
 * A device without a usable key has every record marked as unsigned.
 */
function chainCheck(keyOf: (deviceId: string) => KeyObject | undefined, opts: CheckOptions): ChainCheck {
  let prev: { seq: number; hash: string | null } | undefined;
  let key: KeyObject | undefined | null = null; // null: not looked up yet
  const keyFor = (deviceId: string) => {
    if (key === null) key = keyOf(deviceId);
    return key;
  };
  return {
    add(r, breaks) {
      const raw = (r.signed ?? r) as Record<string, unknown>;
      const stored = opts.trustStored ? r.stored : undefined;
      const verdict = stored?.verdict ?? null;
      if (!opts.trustStored && !keyFor(r.deviceId)) {
        breaks.push({ seq: r.seq, kind: 'signature' });
        return false;
      }
      if (prev && r.seq <= prev.seq) {
        breaks.push({ seq: r.seq, kind: 'edit' }); // a repeated or reordered seq
        return true; // keep linking from the higher record
      }
      if (prev && r.seq > prev.seq + 1)
        breaks.push({ seq: prev.seq + 1, kind: 'gap', missing: r.seq - prev.seq - 1 });
      const link = claimedLink(raw);
      const linked =
        r.seq === 1
          ? link.prevHash === null || link.prevHash === POP_GENESIS_HASH
          : prev?.seq === r.seq - 1
            ? prev.hash === null || link.prevHash === null || link.prevHash === prev.hash
            : stored?.linkOk !== false;
      prev = { seq: r.seq, hash: link.hash };
      let signed = true;
      const malformed =
        verdict === 'malformed' ||
        (opts.trustStored ? r.hash === '' : !PopChainRecord.safeParse(r.signed ?? r).success);
      if (malformed) {
        if (stored && verdict === null) opts.onVerified?.(r.deviceId, r.seq, 'malformed');
        breaks.push({ seq: r.seq, kind: 'edit' }); // not the device's to judge: the edit keeps it out
      } else {
        if (popHash(raw as PopRecord) !== r.hash || (typeof raw['seq'] === 'number' && raw['seq'] !== r.seq))
          breaks.push({ seq: r.seq, kind: 'edit' });
        if (verdict === 'ok' || verdict === 'bad-signature') signed = verdict === 'ok';
        else {
          const k = keyFor(r.deviceId);
          signed = k !== undefined && popSignatureValid(r.hash, r.signature, k);
          if (stored) opts.onVerified?.(r.deviceId, r.seq, signed ? 'ok' : 'bad-signature');
        }
        if (!signed) breaks.push({ seq: r.seq, kind: 'signature' });
      }
      if (!linked) breaks.push({ seq: r.seq, kind: 'link' });
      return signed;
    },
  };
}

/**
 * Verifies one device's records (sorted by seq) in full with the device's key: every signature is
 * checked again (an audit of the stored evidence; about 100 µs a record). A record whose `seq`
 * differs from the signed one's was moved: it counts as an edit. A device without a known key has
 * every record marked as unsigned.
 */
export function deviceChainVerifier(keyOf: (deviceId: string) => KeyObject | undefined): VerifyChain {
  return streamingVerifier(() => chainCheck(keyOf, { trustStored: false }));
}

/**
 * The report's check of stored records: the signature verdict stored at ingest is trusted, and what
 * could have changed since is checked again — the payload against its hash (an edit in the database),
 * links and gaps. Records stored before verification at ingest are verified here, with `keyOf`,
 * and `onVerified` hears each verdict so it can be stored.
 */
export function storedChainVerifier(
  keyOf: (deviceId: string) => KeyObject | undefined,
  onVerified?: (deviceId: string, seq: number, verdict: PopVerdict) => void,
): VerifyChain {
  return streamingVerifier(() =>
    chainCheck(keyOf, { trustStored: true, ...(onVerified ? { onVerified } : {}) }),
  );
}

/**
 * Offline spans of a device in [from, to): time not covered by a link session, from its enrolment
 * (before it, the screen did not exist) to its revocation. Pure.
 */
export function offlineOutages(
  deviceId: string,
  sessions: readonly { from: number; to: number | null }[],
  from: number,
  to: number,
  enrolledAt: number,
  revokedAt: number | null,
): Outage[] {
  const start = Math.max(from, enrolledAt);
  const end = Math.min(to, revokedAt ?? to);
  const out: Outage[] = [];
  let cursor = start;
  for (const s of [...sessions].sort((a, b) => a.from - b.from)) {
    if (cursor >= end) break;
    if (s.from > cursor) out.push({ deviceId, from: cursor, to: Math.min(s.from, end), kind: 'offline' });
    cursor = Math.max(cursor, s.to ?? end);
  }
  if (cursor < end) out.push({ deviceId, from: cursor, to: end, kind: 'offline' });
  return out;
}

/** Province of a gate: the first segment of its site group ("kien-giang/ha-tien" → "kien-giang"). */
export const provinceOf = (siteGroup: string): string => siteGroup.split('/')[0] ?? siteGroup;

export class RegistryReportSource implements ReportDataSource {
  private readonly keys = new Map<string, KeyObject | undefined>();
  /** Verdicts found for rows stored before verification at ingest, written back after each page. */
  private readonly verified: [deviceId: string, seq: number, verdict: PopVerdict][] = [];

  constructor(
    private readonly registry: ReportRegistry,
    private readonly pageRecords = REPORT_PAGE_RECORDS,
    /** The titles of what is published now (main.ts reads the bundle manifests), recorded before each report. */
    private readonly publishedTitles?: () => Promise<readonly ItemTitle[]>,
    /** The re-audits of the stored records (reports/reaudit.ts), for what the report says of them. */
    private readonly reaudits?: Pick<ReauditStore, 'lastDone' | 'differ' | 'differIn' | 'storedAfter'>,
  ) {}

  /** The last finished re-audit, or null when none ever finished (or none is kept here). */
  async lastReaudit(): Promise<ReportReaudit | null> {
    const run = this.reaudits?.lastDone();
    if (!run || run.finishedAt === null) return null;
    return {
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      period: run.period,
      records: run.done,
      counts: run.counts,
      differ: run.differ,
      differList: this.reaudits!.differ(run.id, 20).map(({ deviceId, seq, atIngest, now }) => ({
        deviceId,
        seq,
        atIngest,
        now,
      })),
    };
  }

  /**
   * Whether the last finished re-audit covered a device's records with `at` in [from, to): its
   * range holds the whole of it and none of them was stored after the re-audit started.
   */
  async reverified(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ at: number; differ: number } | undefined> {
    const run = this.reaudits?.lastDone();
    if (!run || run.finishedAt === null) return undefined;
    if ((run.fromMs !== null && from < run.fromMs) || (run.toMs !== null && to > run.toMs)) return undefined;
    if (this.reaudits!.storedAfter(deviceId, from, to, run.toRowid)) return undefined;
    return { at: run.finishedAt, differ: this.reaudits!.differIn(run.id, deviceId, from, to) };
  }

  /**
   * Gates with their name history (gate_names); a gate without one is named by its gate record
   * (its name and province name) and, lacking a province name, by its site group's first segment.
   */
  async gates(): Promise<readonly NamedGate[]> {
    const history = new Map<string, ReturnType<ReportNamesStore['gateNames']>>();
    for (const n of this.registry.reportNames?.gateNames() ?? []) {
      const list = history.get(n.siteGroup) ?? [];
      list.push(n);
      history.set(n.siteGroup, list);
    }
    return this.registry.gates.list().map((g) => {
      const provinceId = provinceOf(g.siteGroup);
      const names = history.get(g.siteGroup);
      return {
        siteGroup: g.siteGroup,
        name: g.name,
        provinceId,
        provinceName: g.provinceName ?? provinceId,
        timezone: g.timezone,
        ...(g.openingHours ? { openingHours: g.openingHours } : {}),
        ...(names ? { names } : {}),
      };
    });
  }

  /** Screens with their service span (enrolment to revocation) and the records they declared lost. */
  async devices(): Promise<readonly ReportDevice[]> {
    return this.registry.devices.list().map((d) => ({
      deviceId: d.id,
      name: d.screenName,
      siteGroup: d.siteGroup,
      activeFrom: d.enrolledAtMs,
      activeTo: d.revokedAtMs,
      ...(this.registry.ingest ? { declaredLost: this.registry.ingest.gapRecords(d.id, 'pop') } : {}),
    }));
  }

  /** Item and emergency titles: what is published now is recorded first, so expired ones stay named. */
  async titles(): Promise<readonly ItemTitle[]> {
    const names = this.registry.reportNames;
    if (!names) return [];
    if (this.publishedTitles) names.setTitles(await this.publishedTitles());
    return names.titles();
  }

  private outages(deviceId: string, from: number, to: number): Outage[] {
    const device = this.registry.devices.get(deviceId);
    return device
      ? offlineOutages(
          deviceId,
          this.registry.devices.sessions(deviceId, from, to),
          from,
          to,
          device.enrolledAtMs,
          device.revokedAtMs,
        )
      : [];
  }

  /**
   * One device's records with `at` in [from, to), by seq, in pages of at most `pageRecords`; the
   * event loop runs between pages (ingest goes on while a long report is built).
   */
  async *pages(deviceId: string, from: number, to: number): AsyncGenerator<ProofOfPlayRecord[]> {
    const range = this.registry.pop.seqRange(deviceId, from, to);
    if (!range) return;
    let afterSeq = range.first - 1;
    try {
      for (;;) {
        const rows = this.registry.pop.page(
          deviceId,
          { fromMs: from, toMs: to, afterSeq, lastSeq: range.last },
          this.pageRecords,
        );
        if (rows.length === 0) return;
        yield rows.map((row) => {
          let raw: unknown;
          try {
            raw = JSON.parse(row.payload);
          } catch {
            raw = row.payload; // not JSON: the verifier marks it
          }
          return reportRecordOf(deviceId, row, raw);
        });
        this.storeVerified();
        afterSeq = rows[rows.length - 1]!.seq;
        if (rows.length < this.pageRecords) return;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.storeVerified();
    }
  }

  private storeVerified(): void {
    if (this.verified.length === 0) return;
    const byDevice = new Map<string, [number, PopVerdict][]>();
    for (const [deviceId, seq, verdict] of this.verified.splice(0)) {
      let list = byDevice.get(deviceId);
      if (!list) byDevice.set(deviceId, (list = []));
      list.push([seq, verdict]);
    }
    for (const [deviceId, list] of byDevice) this.registry.pop.setVerdicts(deviceId, list);
  }

  async deviceStream(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ pages: AsyncIterable<readonly ProofOfPlayRecord[]>; outages: readonly Outage[] }> {
    return { pages: this.pages(deviceId, from, to), outages: this.outages(deviceId, from, to) };
  }

  /**
   * Whether the report can be read from the rollups: they are kept here and every row stored
   * before them has been added (the backfill is done).
   */
  rollupsReady(): boolean {
    return this.registry.rollups?.backfillProgress().done ?? false;
  }

  /**
   * One device's period [from, to) added up from the rollups (summed by the store: a few rows per item), with its
   * outages; undefined when the rollups are not ready (rollupsReady).
   */
  async deviceTally(
    deviceId: string,
    from: number,
    to: number,
    timezone: string,
  ): Promise<{ tally: DeviceTally; outages: readonly Outage[] } | undefined> {
    const rollups = this.registry.rollups;
    if (!rollups || !this.rollupsReady()) return undefined;
    const stored = rollups.period(deviceId, periodDays(timezone, from, to));
    return { tally: tallyOfRollups(stored, timezone, from, to), outages: this.outages(deviceId, from, to) };
  }

  /** The device's records in one array (tests and small periods; the report route streams). */
  async deviceData(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ records: readonly ProofOfPlayRecord[]; outages: readonly Outage[] }> {
    const records: ProofOfPlayRecord[] = [];
    for await (const page of this.pages(deviceId, from, to)) records.push(...page);
    return { records, outages: this.outages(deviceId, from, to) };
  }

  /** A device's public key from the registry (undefined: none usable). */
  deviceKey(deviceId: string): KeyObject | undefined {
    return this.keyOf(deviceId);
  }

  private keyOf = (deviceId: string): KeyObject | undefined => {
    if (!this.keys.has(deviceId)) {
      const pk = this.registry.devices.get(deviceId)?.publicKey;
      let key: KeyObject | undefined;
      try {
        key = pk ? devicePublicKey(pk) : undefined;
      } catch {
        key = undefined; // an unusable stored key: records are marked unsigned
      }
      this.keys.set(deviceId, key);
    }
    return this.keys.get(deviceId);
  };

  /**
   * The chain verifier for this registry's devices: signature verdicts from ingest, everything
   * else checked again; rows stored before verification at ingest are verified once and the
   * verdict stored.
   */
  readonly verifyChain: VerifyChain = storedChainVerifier(this.keyOf, (deviceId, seq, verdict) => {
    this.verified.push([deviceId, seq, verdict]);
  });

  /** A full audit: every signature verified again with the device key (slow: see bench/report.ts). */
  readonly auditChain: VerifyChain = deviceChainVerifier(this.keyOf);
}
