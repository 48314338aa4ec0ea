/**
 * The generic part of proof-of-play chain verification: sequence continuity and hash links between
 * consecutive records. How one record's hash and signature are computed belongs to the record format
 * (player/scheduler work in protocol/); it is passed in as `checkRecord`.
 */
import type { ChainBreak, ChainVerification, ProofOfPlayRecord, VerifyChain } from './types.js';

/** 'ok', or why a single record fails on its own: its hash does not match, or its signature. */
export type RecordCheck = (record: ProofOfPlayRecord) => 'ok' | 'edit' | 'signature';

export function linkedChainVerifier(checkRecord: RecordCheck): VerifyChain {
  return (records: readonly ProofOfPlayRecord[]): ChainVerification => {
    const breaks: ChainBreak[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const prev = i > 0 ? records[i - 1]! : undefined;
      if (prev) {
        if (r.seq > prev.seq + 1)
          breaks.push({ seq: prev.seq + 1, kind: 'gap', missing: r.seq - prev.seq - 1 });
        else if (r.seq <= prev.seq)
          breaks.push({ seq: r.seq, kind: 'edit' }); // a repeated or reordered seq
        else if (r.prevHash !== prev.hash) breaks.push({ seq: r.seq, kind: 'edit' });
      }
      const own = checkRecord(r);
      if (own !== 'ok') breaks.push({ seq: r.seq, kind: own });
    }
    return { ok: breaks.length === 0, breaks };
  };
}
