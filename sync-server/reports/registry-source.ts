/**
 * The report's data from the fleet registry: gates and screens, each screen's proof-of-play records
 * for the period (one device at a time), outages from the link's session history, and chain
 * verification with the device's own key (protocol/proof-of-play.ts verifyChain).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { type ChainProblem, PopRecord, verifyChain } from '../../protocol/proof-of-play.js';
import type { Registry } from '../registry/registry.js';
import type { ReportDataSource } from './routes.js';
import type {
  ChainBreak,
  ChainVerification,
  Outage,
  ProofOfPlayRecord,
  ReportDevice,
  ReportGate,
  VerifyChain,
} from './types.js';

/** The registry calls the report reads. */
export type ReportRegistry = Pick<
  Registry,
  'listGates' | 'listDevices' | 'getDevice' | 'popBetween' | 'sessions'
>;

/**
 * A stored record in the report's shape. `raw` is the payload the device sent; `row` is what the
 * registry indexed it by. A payload that is not a PopRecord still takes its place in the chain (so
 * the verifier marks it) but counts as no play.
 */
export function reportRecordOf(
  deviceId: string,
  row: { seq: number; at: number },
  raw: unknown,
): ProofOfPlayRecord {
  const parsed = PopRecord.safeParse(raw);
  if (!parsed.success)
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
  const r = parsed.data;
  return {
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
  };
}

/** A device's Ed25519 public key from its registry form: raw 32 bytes, base64url. */
export function devicePublicKey(rawBase64Url: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawBase64Url }, format: 'jwk' });
}

/** Maps protocol chain problems to report breaks (records given in the same order as `records`). */
export function breaksOf(
  problems: readonly ChainProblem[],
  records: readonly ProofOfPlayRecord[],
): ChainBreak[] {
  return problems.map((p): ChainBreak => {
    if (p.kind === 'gap') return { seq: p.seq, kind: 'gap', missing: (p.toSeq ?? p.seq) - p.seq + 1 };
    const seq = records[p.index]?.seq ?? p.seq;
    return { seq, kind: p.kind === 'bad-signature' ? 'signature' : 'edit' };
  });
}

/**
 * Verifies one device's records (sorted by seq) with protocol verifyChain and the device's key.
 * A record whose `seq` differs from the signed one's was moved: it counts as an edit. A device
 * without a known key has every record marked as unsigned.
 */
export function deviceChainVerifier(keyOf: (deviceId: string) => KeyObject | undefined): VerifyChain {
  return (records: readonly ProofOfPlayRecord[]): ChainVerification => {
    if (records.length === 0) return { ok: true, breaks: [] };
    const key = keyOf(records[0]!.deviceId);
    if (!key) {
      const breaks = records.map((r): ChainBreak => ({ seq: r.seq, kind: 'signature' }));
      return { ok: false, breaks };
    }
    const signed = records.map((r) => r.signed ?? r);
    const breaks = breaksOf(verifyChain(signed, key).problems, records);
    records.forEach((r, i) => {
      const claimed = (signed[i] as { seq?: unknown } | null)?.seq;
      if (typeof claimed === 'number' && claimed !== r.seq) breaks.push({ seq: r.seq, kind: 'edit' });
    });
    breaks.sort((a, b) => a.seq - b.seq);
    return { ok: breaks.length === 0, breaks };
  };
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

  constructor(private readonly registry: ReportRegistry) {}

  async gates(): Promise<readonly ReportGate[]> {
    return this.registry.listGates().map((g) => {
      const provinceId = provinceOf(g.siteGroup);
      return {
        siteGroup: g.siteGroup,
        name: g.name,
        provinceId,
        provinceName: provinceId,
        timezone: g.timezone,
        ...(g.openingHours ? { openingHours: g.openingHours } : {}),
      };
    });
  }

  async devices(): Promise<readonly ReportDevice[]> {
    return this.registry
      .listDevices()
      .map((d) => ({ deviceId: d.id, name: d.screenName, siteGroup: d.siteGroup }));
  }

  async deviceData(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ records: readonly ProofOfPlayRecord[]; outages: readonly Outage[] }> {
    const records: ProofOfPlayRecord[] = [];
    for (const row of this.registry.popBetween(deviceId, from, to)) {
      let raw: unknown;
      try {
        raw = JSON.parse(row.payload);
      } catch {
        raw = row.payload; // not JSON: the verifier marks it
      }
      records.push(reportRecordOf(deviceId, row, raw));
    }
    const device = this.registry.getDevice(deviceId);
    const outages = device
      ? offlineOutages(
          deviceId,
          this.registry.sessions(deviceId, from, to),
          from,
          to,
          device.enrolledAtMs,
          device.revokedAtMs,
        )
      : [];
    return { records, outages };
  }

  /** The chain verifier for this registry's devices (keys read once per device). */
  readonly verifyChain: VerifyChain = deviceChainVerifier((deviceId) => {
    if (!this.keys.has(deviceId)) {
      const pk = this.registry.getDevice(deviceId)?.publicKey;
      let key: KeyObject | undefined;
      try {
        key = pk ? devicePublicKey(pk) : undefined;
      } catch {
        key = undefined; // an unusable stored key: records are marked unsigned
      }
      this.keys.set(deviceId, key);
    }
    return this.keys.get(deviceId);
  });
}
