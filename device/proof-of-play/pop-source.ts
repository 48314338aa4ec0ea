import type { PopSource } from '../outbox/outbox.js';
import type { SqlitePopLog } from './sqlite-pop-log.js';

/** Proof of play as the outbox reads it: one of its streams. */
export function popSourceOf(pop: Pick<SqlitePopLog, 'readAfter' | 'acknowledge'>): PopSource {
  return {
    readAfter: (seq, limit) =>
      pop
        .readAfter(seq, limit)
        // A gap record is dated by the first play it declares lost.
        .map((r) => ({ seq: r.seq, at: 'kind' in r ? r.fromAt : r.actualStartAt, payload: r })),
    acknowledge: (upto) => {
      pop.acknowledge(upto);
    },
  };
}
