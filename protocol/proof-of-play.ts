/**
 * Proof of play: what a screen showed, as a hash chain signed by the device's key. The device
 * appends records; the server (and any auditor) verifies them with `verifyChain`. Both sides use the
 * canonical encoding here, so a record hashes the same wherever it is checked.
 *
 * Record n's hash is SHA-256 of the canonical JSON of its body, and the body includes record n-1's
 * hash (`prevHash`), so deleting or editing a record breaks the chain at that point. The device
 * signs each hash with its Ed25519 key, so re-computing the chain after an edit needs that key.
 *
 * A chain holds two kinds of record: a play (`PopRecord`: one item shown) and a gap (`PopGapRecord`,
 * `kind: 'gap'`): plays the device could not keep (its disk was full past its memory buffer, or it
 * stopped before it could write them), declared with how many, from when to when and why, so the
 * chain shows the hole instead of hiding it. A gap is hashed, linked and signed like a play; it is
 * never a play, and `verifyChain` lists it in `declaredGaps`, not among its problems.
 */
import { createHash, createPublicKey, hash as digest, type KeyObject, verify } from 'node:crypto';
import { z } from 'zod';
import { ProtocolError } from './errors.js';
import { zodProblems } from './validate.js';

/** The `prevHash` of record 1. */
export const POP_GENESIS_HASH = '0'.repeat(64);

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lower-case hex digits' });
const EpochMs = z.number().int().min(0);

/** What the device says about one item it showed. */
export const PopEntry = z
  .object({
    deviceId: z.string().min(1).max(64),
    siteGroup: z.string().min(1).max(200),
    /** TUF targets version of the bundle the item came from. */
    bundleVersion: z.number().int().min(0),
    itemId: z.string().min(1).max(128),
    playlistId: z.string().min(1).max(128),
    scheduleEntryId: z.string().min(1).max(128).nullable(),
    source: z.enum(['emergency', 'schedule', 'default', 'time-unknown']),
    /** The language shown, and the gate language the slot was for (they differ after a fallback). */
    language: z.string().min(1).max(35),
    forLanguage: z.string().min(1).max(35),
    /**
     * SHA-256 of what was shown: the media target's hash from verified TUF metadata (for HTML, the
     * entry page's), or of the canonical text for text slides and emergencies; null if unknown.
     */
    variantSha256: Sha256Hex.nullable(),
    scheduledStartAt: EpochMs,
    actualStartAt: EpochMs,
    durationMs: z.number().int().min(0),
    screenOn: z.boolean(),
    /**
     * How far the device trusted its clock when it recorded the times. 'unverified': the system
     * clock ran far ahead of the last-known-good time with nothing to back it, so the times are that
     * floor advanced on the monotonic clock (devices before this value never send it).
     */
    clockStatus: z.enum(['ntp', 'server', 'last-known-good', 'unverified', 'unknown']),
    /**
     * Present (true) only when the item was cut short: an emergency took over, the playlist changed
     * or the player stopped before `durationMs` of the item's planned length. Reports count partial
     * plays apart. Absent on whole plays, so records made before this field hash as they did.
     */
    partial: z.literal(true).optional(),
    /**
     * The layout region the item was shown in, when it is not main: a side or footer region loops its
     * own playlist beside what the schedule put in main. Absent on main's plays, so records made
     * before this field hash as they did.
     */
    region: z.enum(['side', 'footer']).optional(),
  })
  .strict();
export type PopEntry = z.infer<typeof PopEntry>;

/** A layout region that shows items of its own (recorded in `PopEntry.region`). */
export type PopRegion = NonNullable<PopEntry['region']>;

/** What the hashed part of a record (a play's or a gap's) adds to its entry: its place in the chain. */
const CHAIN_LINK = {
  v: z.literal(1),
  seq: z.number().int().min(1),
  prevHash: Sha256Hex,
};
/** What a record adds to its hashed part: the hash and its signature. */
const SEAL = {
  hash: Sha256Hex,
  /** Base64 Ed25519 signature of `popSigningBytes(hash)`. */
  signature: z.string().min(1).max(200),
};

/** The hashed part of a record: the entry, its place in the chain and the previous hash. */
export const PopBody = PopEntry.extend(CHAIN_LINK).strict();
export type PopBody = z.infer<typeof PopBody>;

export const PopRecord = PopBody.extend(SEAL).strict();
export type PopRecord = z.infer<typeof PopRecord>;

/**
 * Why plays were lost: the memory buffer that holds them while the disk refuses writes overflowed
 * (the oldest went), or the daemon stopped (or was killed) with plays still in it.
 */
export const PopGapReason = z.enum(['buffer-full', 'process-ended']);
export type PopGapReason = z.infer<typeof PopGapReason>;

/** What the device says about plays it could not keep. */
export const PopGapEntry = z
  .object({
    kind: z.literal('gap'),
    deviceId: z.string().min(1).max(64),
    /** How many plays are missing. */
    count: z.number().int().min(1),
    /** The first lost play's actual start, and the last lost play's end (epoch ms, the device's clock). */
    fromAt: EpochMs,
    toAt: EpochMs,
    reason: PopGapReason,
    /** The write error that kept them in memory (e.g. "SQLITE_FULL: database or disk is full"). */
    error: z.string().max(300),
  })
  .strict();
export type PopGapEntry = z.infer<typeof PopGapEntry>;

export const PopGapBody = PopGapEntry.extend(CHAIN_LINK).strict();
export type PopGapBody = z.infer<typeof PopGapBody>;

export const PopGapRecord = PopGapBody.extend(SEAL).strict();
export type PopGapRecord = z.infer<typeof PopGapRecord>;

/** Any record of the chain: a play or a declared gap. */
export const PopChainRecord = z.union([PopRecord, PopGapRecord]);
export type PopChainRecord = PopRecord | PopGapRecord;

export function isPopGapRecord(r: PopChainRecord | PopBody | PopGapBody): r is PopGapRecord {
  return (r as { kind?: unknown }).kind === 'gap';
}

/** Parses a record received from elsewhere; throws ProtocolError listing the problems. */
export function parsePopRecord(raw: unknown): PopRecord {
  const r = PopRecord.safeParse(raw);
  if (!r.success) throw new ProtocolError('invalid proof-of-play record', zodProblems(r.error));
  return r.data;
}

/** Parses a chain record (a play or a gap) received from elsewhere; throws ProtocolError. */
export function parsePopChainRecord(raw: unknown): PopChainRecord {
  const r = PopChainRecord.safeParse(raw);
  if (!r.success) throw new ProtocolError('invalid proof-of-play record', zodProblems(r.error));
  return r.data;
}

/** The body's keys in canonical (sorted) order, computed once: hashing runs for every record. */
const BODY_KEYS: readonly string[] = Object.keys(PopBody.shape).sort();
const GAP_BODY_KEYS: readonly string[] = Object.keys(PopGapBody.shape).sort();

/**
 * Canonical JSON of a record body: keys sorted, no spaces; `hash`/`signature` never included. A gap
 * (`kind: 'gap'`) is hashed over its own keys; a play never has `kind`, so the two never collide.
 */
export function canonicalPopBody(record: PopBody | PopRecord | PopGapBody | PopGapRecord): string {
  const keys = (record as { kind?: unknown }).kind === 'gap' ? GAP_BODY_KEYS : BODY_KEYS;
  const body: Record<string, unknown> = {};
  for (const key of keys) body[key] = (record as Record<string, unknown>)[key];
  return JSON.stringify(body);
}

export function popHash(record: PopBody | PopRecord | PopGapBody | PopGapRecord): string {
  return digest('sha256', canonicalPopBody(record), 'hex');
}

/**
 * Whether `signature` (base64) is the device key's Ed25519 signature of record hash `hash`. A garbled
 * signature or a key of the wrong type is simply not valid.
 */
export function popSignatureValid(hash: string, signature: string, key: KeyObject): boolean {
  try {
    return verify(null, popSigningBytes(hash), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** The bytes the device signs for a record: a domain tag and the record's hash. */
export function popSigningBytes(hash: string): Buffer {
  return Buffer.from(`gatecast/pop/v1:${hash}`, 'utf8');
}

export type ChainProblemKind =
  /** Records with these sequence numbers are missing. */
  | 'gap'
  /** The record's content does not match its hash. */
  | 'edited'
  /** The record's prevHash is not the previous record's hash. */
  | 'broken-link'
  /** The signature is not the device key's signature of the hash. */
  | 'bad-signature'
  /** A sequence number repeats or goes backwards. */
  | 'out-of-order'
  /** The record does not have the record shape. */
  | 'malformed';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The record concerned; for a gap, the first missing sequence number. */
  seq: number;
  /** For a gap: the last missing sequence number. */
  toSeq?: number;
  /** Index of the record in the list given. */
  index: number;
  message: string;
}

/** A gap the device declared in its chain (a valid gap record): plays lost, never counted. */
export interface DeclaredGap {
  seq: number;
  index: number;
  count: number;
  fromAt: number;
  toAt: number;
  reason: PopGapReason;
  error: string;
}

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** Gap records found (each hash, link and signature checked like a play's). */
  declaredGaps: DeclaredGap[];
  firstSeq?: number;
  lastSeq?: number;
  problems: ChainProblem[];
}

export interface VerifyChainOptions {
  /**
   * The last record known good before these (e.g. the last one the server stored). Without it the
   * first record is trusted as the start of the chain, unless its seq is 1 (then it must link to
   * the genesis hash).
   */
  after?: { seq: number; hash: string };
  /** The device's reported head: records missing after the last one given count as a gap. */
  expectedLastSeq?: number;
}

/**
 * Verifies records in the order given (ascending seq): that each matches its hash, links to the
 * previous one, carries a valid signature by `publicKey` (Ed25519; a KeyObject or PEM), and that no
 * sequence number is missing. Reports every problem with where it is; never throws on bad records.
 * A valid gap record is part of the chain (it leaves no problem) and is listed in `declaredGaps`.
 */
export function verifyChain(
  records: readonly unknown[],
  publicKey: KeyObject | string,
  options: VerifyChainOptions = {},
): ChainReport {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const problems: ChainProblem[] = [];
  let prev: { seq: number; hash: string } | undefined = options.after;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  const declaredGaps: DeclaredGap[] = [];
  records.forEach((raw, index) => {
    const parsed = PopChainRecord.safeParse(raw);
    if (!parsed.success) {
      const seq = typeof (raw as { seq?: unknown })?.seq === 'number' ? (raw as { seq: number }).seq : -1;
      problems.push({
        kind: 'malformed',
        seq,
        index,
        message: zodProblems(parsed.error)
          .map((p) => `${p.path}: ${p.message}`)
          .join('; '),
      });
      prev = undefined;
      return;
    }
    const r = parsed.data;
    firstSeq ??= r.seq;
    if (popHash(r) !== r.hash)
      problems.push({
        kind: 'edited',
        seq: r.seq,
        index,
        message: `record ${r.seq} does not match its hash`,
      });
    if (!popSignatureValid(r.hash, r.signature, key))
      problems.push({
        kind: 'bad-signature',
        seq: r.seq,
        index,
        message: `record ${r.seq} is not signed by the device key`,
      });
    if (prev) {
      if (r.seq <= prev.seq) {
        problems.push({
          kind: 'out-of-order',
          seq: r.seq,
          index,
          message: `record ${r.seq} follows record ${prev.seq}`,
        });
        return; // keep linking from the higher record
      }
      if (r.seq > prev.seq + 1) {
        problems.push({
          kind: 'gap',
          seq: prev.seq + 1,
          toSeq: r.seq - 1,
          index,
          message: `records ${prev.seq + 1}…${r.seq - 1} are missing`,
        });
      } else if (r.prevHash !== prev.hash) {
        problems.push({
          kind: 'broken-link',
          seq: r.seq,
          index,
          message: `record ${r.seq} does not link to record ${prev.seq}`,
        });
      }
    } else if (r.seq === 1 && r.prevHash !== POP_GENESIS_HASH) {
      problems.push({
        kind: 'broken-link',
        seq: 1,
        index,
        message: 'record 1 does not start from the genesis hash',
      });
    }
    if (isPopGapRecord(r))
      declaredGaps.push({
        seq: r.seq,
        index,
        count: r.count,
        fromAt: r.fromAt,
        toAt: r.toAt,
        reason: r.reason,
        error: r.error,
      });
    // Without `after`, a first record with seq > 1 is trusted as the start (older ones were pruned).
    prev = { seq: r.seq, hash: r.hash };
    lastSeq = r.seq;
  });
  if (options.expectedLastSeq !== undefined) {
    const have = lastSeq ?? options.after?.seq ?? 0;
    if (options.expectedLastSeq > have)
      problems.push({
        kind: 'gap',
        seq: have + 1,
        toSeq: options.expectedLastSeq,
        index: records.length,
        message: `records ${have + 1}…${options.expectedLastSeq} are missing at the end`,
      });
  }
  const report: ChainReport = {
    ok: problems.length === 0,
    checked: records.length,
    declaredGaps,
    problems,
  };
  if (firstSeq !== undefined) report.firstSeq = firstSeq;
  if (lastSeq !== undefined) report.lastSeq = lastSeq;
  return report;
}

/** SHA-256 of a text slide's (or emergency's) words in one language: canonical JSON, keys sorted. */
export function textContentSha256(text: { title?: string | undefined; body: string }): string {
  const canonical = JSON.stringify(
    text.title === undefined ? { body: text.body } : { body: text.body, title: text.title },
  );
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
