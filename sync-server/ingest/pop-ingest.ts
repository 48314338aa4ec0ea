/**
 * Proof of play is verified once, when the server stores it: each record's shape, and its signature
 * with the device's registered key (Ed25519, the costly part). The verdict is stored with the
 * record (registry `pop_records.verdict`), so a report only re-checks what is cheap and could have
 * changed since: the stored payload against its hash, the links between records and the sequence.
 * A record that fails is still stored — it is evidence — and never counts as a play. A gap record
 * (plays the device declares it lost, `kind: 'gap'`) is judged like a play: its shape, then the
 * signature; 'ok' means a genuine declaration of the device, never a play. Pure.
 */
import type { KeyObject } from 'node:crypto';
import { PopChainRecord, popHash, popSignatureValid } from '../../protocol/proof-of-play.js';
import type { PopVerdict } from '../registry/pop-store.js';

/** What is wrong with a record at ingest: its verdict's reason, or (logged only) an edit. */
export type PopIngestProblem = 'malformed' | 'bad-signature' | 'edited' | 'wrong-seq';

export interface PopIngestCheck {
  /** seq → verdict, for the registry. */
  verdicts: Map<number, PopVerdict>;
  /** Records that fail a check, for the log (the report marks them from what is stored). */
  problems: { seq: number; problem: PopIngestProblem }[];
}

/** The verdict of one record (a play or a gap): its shape, then the device key's signature of its hash. */
export function popVerdict(payload: unknown, key: KeyObject | undefined): PopVerdict {
  const r = PopChainRecord.safeParse(payload);
  if (!r.success) return 'malformed';
  return key !== undefined && popSignatureValid(r.data.hash, r.data.signature, key) ? 'ok' : 'bad-signature';
}

/**
 * Checks a batch's PoP records (seq and payload as delivered). `key` undefined (an unusable stored
 * key) fails every signature. Seqs in `skip` (quarantined payloads) are not checked. A record that
 * does not match its hash, or claims another seq, keeps its verdict: the report recomputes both
 * from what is stored and marks it; here it is only reported for the log.
 */
export function checkPopBatch(
  records: readonly { seq: number; payload: unknown }[],
  key: KeyObject | undefined,
  skip?: ReadonlyMap<number, unknown>,
): PopIngestCheck {
  const verdicts = new Map<number, PopVerdict>();
  const problems: PopIngestCheck['problems'] = [];
  for (const r of records) {
    if (skip?.has(r.seq)) continue;
    const verdict = popVerdict(r.payload, key);
    verdicts.set(r.seq, verdict);
    if (verdict !== 'ok') {
      problems.push({ seq: r.seq, problem: verdict });
      if (verdict === 'malformed') continue;
    }
    const p = r.payload as PopChainRecord;
    if (popHash(p) !== p.hash) problems.push({ seq: r.seq, problem: 'edited' });
    if (p.seq !== r.seq) problems.push({ seq: r.seq, problem: 'wrong-seq' });
  }
  return { verdicts, problems };
}
