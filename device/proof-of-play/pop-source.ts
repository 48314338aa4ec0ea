import type { PopSource } from '../outbox/outbox.js';
import type { SqlitePopLog } from './sqlite-pop-log.js';

/** Proof of play as the outbox reads it: one of its streams. */
export function popSourceOf(pop: Pick<SqlitePopLog, 'readAfter' | 'acknowledge'>): PopSource {
  return {
    readAfter: (seq, limit) =>
      pop.readAfter(seq, limit).map((r) => ({ seq: r.seq, at: r.actualStartAt, payload: r })),
    acknowledge: (upto) => {
      pop.acknowledge(upto);
    },
  };
}
