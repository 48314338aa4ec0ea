/**
 * The generic part of proof-of-play chain verification: sequence continuity and hash links between
 * consecutive records, checked one record at a time. How one record's hash and signature are checked
 * belongs to the record format (protocol/proof-of-play.ts); it is passed in as `checkRecord`.
 */
import type { ChainBreak, ChainCheck, ChainVerification, ProofOfPlayRecord, VerifyChain } from './types.js';

/** 'ok', or why a single record fails on its own: its hash does not match, or its signature. */
export type RecordCheck = (record: ProofOfPlayRecord) => 'ok' | 'edit' | 'signature';

/** A VerifyChain from a record-by-record check: `begin` for streaming, the function for arrays. */
export function streamingVerifier(begin: () => ChainCheck): VerifyChain {
  const verify = (records: readonly ProofOfPlayRecord[]): ChainVerification => {
    const check = begin();
    const breaks: ChainBreak[] = [];
    for (const r of records) check.add(r, breaks);
    return { ok: breaks.length === 0, breaks };
  };
  return Object.assign(verify, { begin });
}

export function linkedChainVerifier(checkRecord: RecordCheck): VerifyChain {
  return streamingVerifier(() => {
    let prev: ProofOfPlayRecord | undefined;
    return {
      add(r, breaks) {
        if (prev) {
          if (r.seq > prev.seq + 1)
            breaks.push({ seq: prev.seq + 1, kind: 'gap', missing: r.seq - prev.seq - 1 });
          else if (r.seq <= prev.seq)
            breaks.push({ seq: r.seq, kind: 'edit' }); // a repeated or reordered seq
          else if (r.prevHash !== prev.hash) breaks.push({ seq: r.seq, kind: 'link' });
        }
        prev = r;
        const own = checkRecord(r);
        if (own !== 'ok') breaks.push({ seq: r.seq, kind: own });
        return own !== 'signature';
      },
    };
  });
}
