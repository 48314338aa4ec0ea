/**
 * The rollouts' saved state in the registry database (migration 'registry-releases-1'): each rollout
 * with its definition and the policy's state (JSON, shapes of rollout-policy.ts written by this
 * store only), and the offers made, one per screen and version.
 */
import type { SqliteDb } from '../../platform/sqlite.js';
import type { Registry } from '../registry/registry.js';
import { columns } from '../registry/rows.js';
import type { Offer, RolloutDefinition, RolloutState, RolloutStatus } from './rollout-policy.js';

export interface RolloutRow {
  id: string;
  version: string;
  definition: RolloutDefinition;
  state: RolloutState;
  createdAtMs: number;
  createdBy: string;
  updatedAtMs: number;
}

export interface OfferRow extends Offer {
  deviceId: string;
  rolloutId: string;
  commandId: string;
}

const rolloutColumns = columns('release_rollouts', {
  id: 'str',
  version: 'str',
  definition: 'json',
  state: 'json',
  createdAtMs: ['num', 'created_at'],
  createdBy: 'str',
  updatedAtMs: ['num', 'updated_at'],
});
const offerColumns = columns('release_offers', {
  deviceId: 'str',
  rolloutId: 'str',
  stage: 'num',
  atMs: ['num', 'offered_at'],
  commandId: 'str',
});

const ACTIVE: readonly RolloutStatus[] = ['running', 'paused', 'halted'];

const toRow = (r: ReturnType<typeof rolloutColumns.all>[number]): RolloutRow => ({
  ...r,
  definition: r.definition as RolloutDefinition,
  state: r.state as RolloutState,
});

export class RolloutStore {
  private readonly s;

  constructor(private readonly db: SqliteDb) {
    this.s = {
      insert: db.prepare(
        'INSERT INTO release_rollouts (id, version, definition, state, status, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      get: db.prepare('SELECT * FROM release_rollouts WHERE id = ?'),
      list: db.prepare('SELECT * FROM release_rollouts ORDER BY created_at DESC, id DESC LIMIT ?'),
      active: db.prepare(
        `SELECT * FROM release_rollouts WHERE status IN (${ACTIVE.map(() => '?').join(', ')}) ORDER BY created_at`,
      ),
      save: db.prepare('UPDATE release_rollouts SET state = ?, status = ?, updated_at = ? WHERE id = ?'),
      offers: db.prepare('SELECT * FROM release_offers WHERE version = ?'),
      offer: db.prepare(
        'INSERT INTO release_offers (device_id, version, rollout_id, stage, offered_at, command_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  create(r: RolloutRow): void {
    this.s.insert.run(
      r.id,
      r.version,
      JSON.stringify(r.definition),
      JSON.stringify(r.state),
      r.state.status,
      r.createdAtMs,
      r.createdBy,
      r.updatedAtMs,
    );
  }

  get(id: string): RolloutRow | null {
    const r = rolloutColumns.one(this.s.get.get(id));
    return r ? toRow(r) : null;
  }

  /** The newest rollouts first. */
  list(limit = 50): RolloutRow[] {
    return rolloutColumns.all(this.s.list.all(limit)).map(toRow);
  }

  /** Rollouts still under way (running, paused or halted), oldest first. */
  active(): RolloutRow[] {
    return rolloutColumns.all(this.s.active.all(...ACTIVE)).map(toRow);
  }

  saveState(id: string, state: RolloutState, nowMs: number): void {
    this.s.save.run(JSON.stringify(state), state.status, nowMs, id);
  }

  /** Every offer of `version`, whichever rollout made it, by screen. */
  offers(version: string): Map<string, OfferRow> {
    return new Map(offerColumns.all(this.s.offers.all(version)).map((o) => [o.deviceId, o]));
  }

  /** Records an offer; a second offer of the same version to the same screen breaks the key and throws. */
  addOffer(o: OfferRow & { version: string }): void {
    this.s.offer.run(o.deviceId, o.version, o.rolloutId, o.stage, o.atMs, o.commandId);
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

const openRolloutStore = (db: SqliteDb): RolloutStore => new RolloutStore(db);

/** The rollouts' store over `registry`'s database (one per open registry). */
export const rolloutStoreOf = (registry: Pick<Registry, 'featureStore'>): RolloutStore =>
  registry.featureStore(openRolloutStore);
