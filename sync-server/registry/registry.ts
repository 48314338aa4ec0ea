/**
 * The fleet registry: gates (sites), devices, groups, enrolment tokens, commands and the telemetry
 * stores (health history with downsampling, events, proof-of-play records), in one SQLite file (WAL).
 *
 * Exactly-once ingest: each (device, stream) has a watermark `acked_seq` — every record at or below it
 * is stored or was dropped on the device — and each telemetry table has PRIMARY KEY (device_id, seq)
 * with INSERT OR IGNORE, so a record sent twice (lost ack, server restart) is stored once.
 */
import type { GateConfig } from '../../protocol/config.js';
import { POP_GENESIS_HASH } from '../../protocol/proof-of-play.js';
import { GatecastError } from '../../protocol/errors.js';
import type { CommandName, CommandStatus, OutboxRecord, OutboxStream } from '../../protocol/messages.js';
import { openAndMigrate, type SqliteDb, type SqlitePragmas } from '../../platform/sqlite.js';
import { WalCheckpointer } from './checkpointer.js';
import { MIGRATIONS } from './schema.js';

export class RegistryError extends GatecastError {
  readonly code = 'REGISTRY_FAILED';
}
export const isRegistryError = (e: unknown): e is RegistryError => e instanceof RegistryError;

/** One batch of a group commit failed and was rolled back alone; the others were stored. */
export class BatchNotStoredError extends GatecastError {
  readonly code = 'BATCH_NOT_STORED';
  constructor(
    readonly deviceId: string,
    readonly stream: OutboxStream,
    options: { cause: unknown },
  ) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`batch not stored: ${why.split('\n')[0]!.slice(0, 200)}`, options);
  }
}
export const isBatchNotStoredError = (e: unknown): e is BatchNotStoredError =>
  e instanceof BatchNotStoredError;

export interface DeviceRow {
  id: string;
  siteGroup: string;
  screenName: string;
  publicKey: string;
  enrolledAtMs: number;
  revokedAtMs: number | null;
  lastSeenMs: number | null;
  online: boolean;
  appVersion: string | null;
}

export interface TokenRow {
  id: string;
  siteGroup: string;
  screenName: string;
  createdAtMs: number;
  expiresAtMs: number;
  usedAtMs: number | null;
  deviceId: string | null;
  revokedAtMs: number | null;
}

export type CommandState = 'queued' | 'sent' | 'acked' | CommandStatus;

export interface CommandRow {
  id: string;
  deviceId: string;
  name: CommandName;
  args: Record<string, unknown> | null;
  issuedAtMs: number;
  expiresAtMs: number;
  state: CommandState;
  message: string | null;
  updatedAtMs: number;
  hasScreenshot: boolean;
}

/** One batch to store: already validated records of one stream of one device. */
export interface IngestBatch {
  deviceId: string;
  stream: OutboxStream;
  fromSeq: number;
  /** Records sorted by seq; payloads already parsed against the stream's schema. */
  records: readonly OutboxRecord[];
  /** Seqs whose payload failed the stream's schema, with the reason: stored in quarantine instead. */
  rejected?: ReadonlyMap<number, string>;
  /**
   * Proof of play: each record's verdict, checked by the hub before storing (sync-server/pop-ingest.ts).
   * A seq not in the map is stored as not verified (NULL).
   */
  popVerdicts?: ReadonlyMap<number, PopVerdict>;
}

/**
 * A PoP record's verdict at ingest: 'ok' is a well-formed record signed by the device key;
 * 'bad-signature' is not signed by it; 'malformed' does not have the record shape.
 */
export type PopVerdict = 'ok' | 'bad-signature' | 'malformed';
const POP_VERDICTS: readonly string[] = ['ok', 'bad-signature', 'malformed'] satisfies PopVerdict[];

/** A stored proof-of-play row with what was found when it was stored. */
export interface StoredPop {
  seq: number;
  at: number;
  /** The hash the record claimed when it was stored (null: the payload had none). */
  hash: string | null;
  /** The verdict at ingest; null when not verified yet (stored before verification at ingest). */
  verdict: PopVerdict | null;
  /** prevHash matched the stored record before it: true/false; null when that one was not stored. */
  linkOk: boolean | null;
  /** The JSON text the device sent. */
  payload: string;
}

const flag = (v: unknown): boolean | null => (v === null || v === undefined ? null : v === 1);
// An unknown word in the column (edited by hand) counts as not verified: the report checks it itself.
const verdictOf = (v: unknown): PopVerdict | null =>
  typeof v === 'string' && POP_VERDICTS.includes(v) ? (v as PopVerdict) : null;

export type HealthResolution = 'raw' | '5m' | '1h';

export interface HealthPoint {
  at: number;
  samples: number;
  cpuTempC: number | null;
  load1: number | null;
  memUsedPct: number | null;
  diskUsedPct: number | null;
  clockOffsetMs: number | null;
  underVoltage: number | null;
  payload?: unknown;
}

export interface RetentionPolicy {
  rawMs: number;
  fiveMinuteMs: number;
  hourlyMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  rawMs: 48 * 3600_000,
  fiveMinuteMs: 30 * 24 * 3600_000,
  hourlyMs: 365 * 24 * 3600_000,
};

/**
 * NORMAL in WAL mode: a commit survives a process crash; a power cut may lose the last transactions,
 * which are then not acked either, so devices resend them.
 */
const REGISTRY_PRAGMAS: SqlitePragmas = {
  synchronous: 'NORMAL',
  foreignKeys: true,
  busyTimeoutMs: 5000,
  journalSizeLimitBytes: 64 * 1024 * 1024,
};

const FIVE_MIN = 5 * 60_000;
/** About 200 MB of WAL with 4 KiB pages. */
const WAL_PAGES_LIMIT = 50_000;
const HOUR = 3600_000;

type Row = Record<string, unknown>;

function healthColumns(
  payload: unknown,
): [number | null, number | null, number | null, number | null, number | null, number | null] {
  const p = payload as {
    cpuTempC?: number | null;
    load1?: number | null;
    memTotalBytes?: number | null;
    memAvailableBytes?: number | null;
    diskTotalBytes?: number | null;
    diskFreeBytes?: number | null;
    clockOffsetMs?: number | null;
    throttling?: { underVoltageNow?: boolean } | null;
  };
  const pct = (total?: number | null, free?: number | null) =>
    total && free != null ? Math.round(((total - free) / total) * 10000) / 100 : null;
  return [
    p.cpuTempC ?? null,
    p.load1 ?? null,
    pct(p.memTotalBytes, p.memAvailableBytes),
    pct(p.diskTotalBytes, p.diskFreeBytes),
    p.clockOffsetMs ?? null,
    p.throttling ? (p.throttling.underVoltageNow ? 1 : 0) : null,
  ];
}

export class Registry {
  private db!: SqliteDb;
  private stmts!: ReturnType<Registry['prepare']>;
  /** storeBatch in a transaction of its own: inside storeBatches' transaction, a savepoint. */
  private storeBatchAlone!: (b: IngestBatch) => number;
  /** Watermarks by `${device}\n${stream}`; the table is the truth, this saves a read per batch. */
  private readonly marks = new Map<string, number>();

  private checkpointer?: WalCheckpointer;
  private walPages = 0;

  constructor(private readonly path: string) {}

  /**
   * Opens (creating) the registry. With `backgroundCheckpointMs`, WAL checkpoints run in a worker
   * thread instead of inside ingest commits (see checkpointer.ts).
   */
  open(options: { backgroundCheckpointMs?: number; onCheckpointError?: (error: string) => void } = {}): void {
    this.db = openAndMigrate(this.path, { pragmas: REGISTRY_PRAGMAS, migrations: MIGRATIONS });
    this.stmts = this.prepare();
    this.storeBatchAlone = this.db.transaction((b: IngestBatch) => this.storeBatch(b));
    if (options.backgroundCheckpointMs) {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new WalCheckpointer(this.path, options.backgroundCheckpointMs, (r) => {
        if (r.ok) this.walPages = r.log ?? 0;
        else options.onCheckpointError?.(r.error ?? 'unknown');
      });
      this.checkpointer.start();
    }
  }

  /** Nobody is connected to a server that just started. */
  markAllOffline(): void {
    this.db.transaction(() => {
      // Sessions left open by a stopped server end when their device was last heard from.
      this.db
        .prepare(
          'UPDATE device_sessions SET disconnected_at = max(connected_at, coalesce((SELECT last_seen FROM devices d WHERE d.id = device_sessions.device_id), connected_at)) WHERE disconnected_at IS NULL',
        )
        .run();
      this.db.prepare('UPDATE devices SET online = 0').run();
    })();
  }

  /** Closes the database; the promise settles once the checkpoint worker has let go of the files too. */
  close(): Promise<void> {
    const stopping = this.checkpointer?.stop() ?? Promise.resolve();
    this.checkpointer = undefined;
    if (this.db?.open) this.db.close();
    return stopping;
  }

  private prepare() {
    const d = this.db;
    return {
      upsertGate: d.prepare(
        'INSERT INTO gates (site_group, config) VALUES (?, ?) ON CONFLICT(site_group) DO UPDATE SET config = excluded.config',
      ),
      getGate: d.prepare('SELECT config FROM gates WHERE site_group = ?'),
      listGates: d.prepare('SELECT config FROM gates ORDER BY site_group'),
      insertToken: d.prepare(
        'INSERT INTO enrolment_tokens (id, token_hash, site_group, screen_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      tokenByHash: d.prepare('SELECT * FROM enrolment_tokens WHERE token_hash = ?'),
      tokenById: d.prepare('SELECT * FROM enrolment_tokens WHERE id = ?'),
      listTokens: d.prepare('SELECT * FROM enrolment_tokens ORDER BY created_at DESC'),
      useToken: d.prepare(
        'UPDATE enrolment_tokens SET used_at = ?, device_id = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL',
      ),
      revokeToken: d.prepare(
        'UPDATE enrolment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
      ),
      insertDevice: d.prepare(
        'INSERT INTO devices (id, site_group, screen_name, public_key, enrolled_at, app_version) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deviceById: d.prepare('SELECT * FROM devices WHERE id = ?'),
      deviceByKey: d.prepare('SELECT id FROM devices WHERE public_key = ?'),
      listDevices: d.prepare('SELECT * FROM devices ORDER BY site_group, screen_name'),
      listDevicesInGroup: d.prepare(
        'SELECT d.* FROM devices d JOIN group_members g ON g.device_id = d.id WHERE g.group_name = ? ORDER BY d.id',
      ),
      revokeDevice: d.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      setOnline: d.prepare(
        'UPDATE devices SET online = ?, last_seen = ?, app_version = coalesce(?, app_version) WHERE id = ?',
      ),
      closeSessions: d.prepare(
        'UPDATE device_sessions SET disconnected_at = max(connected_at, ?) WHERE device_id = ? AND disconnected_at IS NULL',
      ),
      openSession: d.prepare('INSERT INTO device_sessions (device_id, connected_at) VALUES (?, ?)'),
      sessionsBetween: d.prepare(
        'SELECT connected_at, disconnected_at FROM device_sessions WHERE device_id = ? AND connected_at < ? AND (disconnected_at IS NULL OR disconnected_at > ?) ORDER BY connected_at',
      ),
      popBetween: d.prepare(
        'SELECT seq, at, payload FROM pop_records WHERE device_id = ? AND at >= ? AND at < ? ORDER BY seq',
      ),
      setSeen: d.prepare('UPDATE devices SET last_seen = max(coalesce(last_seen, 0), ?) WHERE id = ?'),
      addMember: d.prepare('INSERT OR IGNORE INTO group_members (group_name, device_id) VALUES (?, ?)'),
      removeMember: d.prepare('DELETE FROM group_members WHERE group_name = ? AND device_id = ?'),
      listGroups: d.prepare(
        'SELECT group_name, count(*) AS n FROM group_members GROUP BY group_name ORDER BY group_name',
      ),
      getWatermark: d.prepare('SELECT acked_seq FROM stream_state WHERE device_id = ? AND stream = ?'),
      setWatermark: d.prepare(
        'INSERT INTO stream_state (device_id, stream, acked_seq, gap_records) VALUES (?, ?, ?, ?) ON CONFLICT(device_id, stream) DO UPDATE SET acked_seq = excluded.acked_seq, gap_records = gap_records + excluded.gap_records',
      ),
      insertHealth: d.prepare(
        'INSERT OR IGNORE INTO health_raw (device_id, seq, at, cpu_temp_c, load1, mem_used_pct, disk_used_pct, clock_offset_ms, under_voltage, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertEvent: d.prepare(
        'INSERT OR IGNORE INTO events (device_id, seq, at, kind, level, message, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertQuarantine: d.prepare(
        'INSERT OR IGNORE INTO quarantined_records (device_id, stream, seq, at, payload, reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertPop: d.prepare(
        'INSERT OR IGNORE INTO pop_records (device_id, seq, at, item_id, hash, prev_hash, payload, verdict, link_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      popHashAt: d.prepare('SELECT hash FROM pop_records WHERE device_id = ? AND seq = ?').pluck(),
      popSeqRange: d.prepare(
        'SELECT min(seq) AS lo, max(seq) AS hi FROM pop_records WHERE device_id = ? AND at >= ? AND at < ?',
      ),
      popPage: d.prepare(
        'SELECT seq, at, hash, verdict, link_ok, payload FROM pop_records WHERE device_id = ? AND seq > ? AND seq <= ? AND at >= ? AND at < ? ORDER BY seq LIMIT ?',
      ),
      popUnverified: d.prepare(
        'SELECT rowid AS id, device_id, seq, payload FROM pop_records WHERE rowid > ? AND verdict IS NULL ORDER BY rowid LIMIT ?',
      ),
      setPopVerdict: d.prepare(
        'UPDATE pop_records SET verdict = ? WHERE device_id = ? AND seq = ? AND verdict IS NULL',
      ),
      insertCommand: d.prepare(
        'INSERT INTO commands (id, device_id, name, args, issued_at, expires_at, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      commandById: d.prepare(
        'SELECT c.*, (s.command_id IS NOT NULL) AS has_screenshot FROM commands c LEFT JOIN screenshots s ON s.command_id = c.id WHERE c.id = ?',
      ),
      commandsForDevice: d.prepare(
        'SELECT c.*, (s.command_id IS NOT NULL) AS has_screenshot FROM commands c LEFT JOIN screenshots s ON s.command_id = c.id WHERE c.device_id = ? ORDER BY c.issued_at DESC LIMIT ?',
      ),
      deliverable: d.prepare(
        "SELECT c.*, 0 AS has_screenshot FROM commands c WHERE c.device_id = ? AND c.state IN ('queued', 'sent') AND c.expires_at > ? ORDER BY c.issued_at",
      ),
      setCommandState: d.prepare(
        'UPDATE commands SET state = ?, message = coalesce(?, message), updated_at = ? WHERE id = ?',
      ),
      expireCommands: d.prepare(
        "UPDATE commands SET state = 'expired', message = 'expired before the device answered', updated_at = ? WHERE state IN ('queued', 'sent', 'acked') AND expires_at <= ? RETURNING id",
      ),
      insertScreenshot: d.prepare(
        'INSERT OR REPLACE INTO screenshots (command_id, png, taken_at) VALUES (?, ?, ?)',
      ),
      screenshot: d.prepare('SELECT png FROM screenshots WHERE command_id = ?'),
    };
  }

  // --- gates and groups ---

  upsertGate(gate: GateConfig): void {
    this.stmts.upsertGate.run(gate.siteGroup, JSON.stringify(gate));
  }

  getGate(siteGroup: string): GateConfig | undefined {
    const row = this.stmts.getGate.get(siteGroup) as { config: string } | undefined;
    return row ? (JSON.parse(row.config) as GateConfig) : undefined;
  }

  listGates(): GateConfig[] {
    return (this.stmts.listGates.all() as { config: string }[]).map(
      (r) => JSON.parse(r.config) as GateConfig,
    );
  }

  addToGroup(group: string, deviceId: string): void {
    this.stmts.addMember.run(group, deviceId);
  }

  removeFromGroup(group: string, deviceId: string): void {
    this.stmts.removeMember.run(group, deviceId);
  }

  listGroups(): { name: string; devices: number }[] {
    return (this.stmts.listGroups.all() as { group_name: string; n: number }[]).map((r) => ({
      name: r.group_name,
      devices: r.n,
    }));
  }

  // --- enrolment tokens ---

  insertToken(t: {
    id: string;
    tokenHash: string;
    siteGroup: string;
    screenName: string;
    createdAtMs: number;
    expiresAtMs: number;
  }): void {
    this.stmts.insertToken.run(t.id, t.tokenHash, t.siteGroup, t.screenName, t.createdAtMs, t.expiresAtMs);
  }

  tokenByHash(hash: string): TokenRow | undefined {
    const r = this.stmts.tokenByHash.get(hash) as Row | undefined;
    return r ? toToken(r) : undefined;
  }

  getToken(id: string): TokenRow | undefined {
    const r = this.stmts.tokenById.get(id) as Row | undefined;
    return r ? toToken(r) : undefined;
  }

  listTokens(): TokenRow[] {
    return (this.stmts.listTokens.all() as Row[]).map(toToken);
  }

  revokeToken(id: string, nowMs: number): boolean {
    return this.stmts.revokeToken.run(nowMs, id).changes === 1;
  }

  /** Marks the token used and creates the device, atomically; false when the token was used meanwhile. */
  enrolDevice(
    tokenId: string,
    d: {
      id: string;
      siteGroup: string;
      screenName: string;
      publicKey: string;
      nowMs: number;
      appVersion?: string | undefined;
    },
  ): boolean {
    return this.db.transaction(() => {
      if (this.stmts.useToken.run(d.nowMs, d.id, tokenId).changes !== 1) return false;
      this.stmts.insertDevice.run(
        d.id,
        d.siteGroup,
        d.screenName,
        d.publicKey,
        d.nowMs,
        d.appVersion ?? null,
      );
      return true;
    })();
  }

  /** Adds a device without a token (benchmarks and migrations from another system). */
  addDevice(d: {
    id: string;
    siteGroup: string;
    screenName: string;
    publicKey: string;
    nowMs: number;
  }): void {
    this.stmts.insertDevice.run(d.id, d.siteGroup, d.screenName, d.publicKey, d.nowMs, null);
  }

  /** Adds many devices in one transaction (fleet imports, benchmarks). */
  addDevices(
    list: readonly { id: string; siteGroup: string; screenName: string; publicKey: string; nowMs: number }[],
  ): void {
    this.db.transaction(() => {
      for (const d of list) this.addDevice(d);
    })();
  }

  deviceIdForKey(publicKey: string): string | undefined {
    return (this.stmts.deviceByKey.get(publicKey) as { id: string } | undefined)?.id;
  }

  // --- devices ---

  getDevice(id: string): DeviceRow | undefined {
    const r = this.stmts.deviceById.get(id) as Row | undefined;
    return r ? toDevice(r) : undefined;
  }

  listDevices(group?: string): DeviceRow[] {
    const rows = group ? this.stmts.listDevicesInGroup.all(group) : this.stmts.listDevices.all();
    return (rows as Row[]).map(toDevice);
  }

  revokeDevice(id: string, nowMs: number): boolean {
    return this.stmts.revokeDevice.run(nowMs, id).changes === 1;
  }

  /** Marks a device connected or not, and records the change in its session history. */
  setOnline(id: string, online: boolean, nowMs: number, appVersion?: string): void {
    this.db.transaction(() => {
      this.stmts.setOnline.run(online ? 1 : 0, nowMs, appVersion ?? null, id);
      this.stmts.closeSessions.run(nowMs, id);
      if (online) this.stmts.openSession.run(id, nowMs);
    })();
  }

  /** Connected spans of a device overlapping [fromMs, toMs); an open session ends at null. */
  sessions(deviceId: string, fromMs: number, toMs: number): { from: number; to: number | null }[] {
    return (
      this.stmts.sessionsBetween.all(deviceId, toMs, fromMs) as {
        connected_at: number;
        disconnected_at: number | null;
      }[]
    ).map((r) => ({ from: r.connected_at, to: r.disconnected_at }));
  }

  /** One device's stored PoP payloads (JSON text) with `at` in [fromMs, toMs), by seq, one row at a time. */
  *popBetween(
    deviceId: string,
    fromMs: number,
    toMs: number,
  ): Generator<{ seq: number; at: number; payload: string }> {
    for (const r of this.stmts.popBetween.iterate(deviceId, fromMs, toMs) as Iterable<{
      seq: number;
      at: number;
      payload: string;
    }>)
      yield r;
  }

  /**
   * The seqs of one device's first and last stored PoP record with `at` in [fromMs, toMs), or null
   * when there is none: the bounds for reading the period page by page with `popPage`.
   */
  popSeqRange(deviceId: string, fromMs: number, toMs: number): { first: number; last: number } | null {
    const r = this.stmts.popSeqRange.get(deviceId, fromMs, toMs) as { lo: number | null; hi: number | null };
    return r.lo === null || r.hi === null ? null : { first: r.lo, last: r.hi };
  }

  /**
   * Up to `limit` stored PoP rows of a device with seq in (afterSeq, lastSeq] and `at` in
   * [fromMs, toMs), by seq: one bounded page (no statement stays open between pages).
   */
  popPage(
    deviceId: string,
    range: { fromMs: number; toMs: number; afterSeq: number; lastSeq: number },
    limit: number,
  ): StoredPop[] {
    return (
      this.stmts.popPage.all(
        deviceId,
        range.afterSeq,
        range.lastSeq,
        range.fromMs,
        range.toMs,
        limit,
      ) as Row[]
    ).map((r) => ({
      seq: r['seq'] as number,
      at: r['at'] as number,
      hash: (r['hash'] as string | null) ?? null,
      verdict: verdictOf(r['verdict']),
      linkOk: flag(r['link_ok']),
      payload: r['payload'] as string,
    }));
  }

  /**
   * Up to `limit` PoP rows without a verdict (stored before verification at ingest), after row
   * `afterId` in storage order: a cursor for a one-pass backfill.
   */
  popUnverified(
    afterId: number,
    limit: number,
  ): { id: number; deviceId: string; seq: number; payload: string }[] {
    return (this.stmts.popUnverified.all(afterId, limit) as Row[]).map((r) => ({
      id: r['id'] as number,
      deviceId: r['device_id'] as string,
      seq: r['seq'] as number,
      payload: r['payload'] as string,
    }));
  }

  /** Records the verdicts of rows stored before verification at ingest (only where still unknown). */
  setPopVerdicts(deviceId: string, verdicts: Iterable<readonly [seq: number, verdict: PopVerdict]>): void {
    this.db.transaction(() => {
      for (const [seq, v] of verdicts) this.stmts.setPopVerdict.run(v, deviceId, seq);
    })();
  }

  setLastSeen(entries: Iterable<[string, number]>): void {
    this.db.transaction(() => {
      for (const [id, at] of entries) this.stmts.setSeen.run(at, id);
    })();
  }

  // --- telemetry ingest ---

  watermark(deviceId: string, stream: OutboxStream): number {
    return (
      (this.stmts.getWatermark.get(deviceId, stream) as { acked_seq: number } | undefined)?.acked_seq ?? 0
    );
  }

  /**
   * Stores the batches in one transaction (group commit) and returns, for each, the new watermark
   * to acknowledge: the highest seq up to which every record is stored (or was declared dropped by
   * `fromSeq`). Each batch has a savepoint of its own, so one that fails (a value storage refuses)
   * is rolled back alone and its entry is the BatchNotStoredError; the others are committed. Throws
   * only when the transaction as a whole fails (then nothing is stored).
   */
  storeBatches(batches: readonly IngestBatch[]): (number | BatchNotStoredError)[] {
    try {
      const marks = this.db.transaction(() =>
        batches.map((b) => {
          try {
            return this.storeBatchAlone(b);
          } catch (err) {
            // SQLite ends the whole transaction on some errors (disk full, I/O): then the later
            // batches would run outside it, so the group commit fails as a whole.
            if (!this.db.inTransaction) throw err;
            return new BatchNotStoredError(b.deviceId, b.stream, { cause: err });
          }
        }),
      )();
      // The background checkpointer could not keep the WAL short (a long reader?): do it here.
      if (this.walPages > WAL_PAGES_LIMIT) {
        this.walPages = 0;
        this.db.pragma('wal_checkpoint(PASSIVE)');
      }
      return marks;
    } catch (err) {
      this.marks.clear(); // rolled back: the cached watermarks may be ahead of the table
      throw err;
    }
  }

  private storeBatch(b: IngestBatch): number {
    const s = this.stmts;
    const before = this.watermark(b.deviceId, b.stream);
    // Everything below fromSeq is stored or dropped on the device: the device will never send it.
    let mark = Math.max(before, b.fromSeq - 1);
    const gap = Math.max(0, b.fromSeq - 1 - before);
    // PoP: the hash of the record stored just before, for the link check (seq → hash).
    let prevPop: { seq: number; hash: string | null } | undefined;
    for (const r of b.records) {
      if (r.seq <= before) continue; // already stored and acked: a resend
      const rejected = b.rejected?.get(r.seq);
      if (rejected !== undefined) {
        s.insertQuarantine.run(
          b.deviceId,
          b.stream,
          r.seq,
          r.at,
          JSON.stringify(r.payload) ?? 'null',
          rejected,
        );
      } else if (b.stream === 'health') {
        s.insertHealth.run(b.deviceId, r.seq, r.at, ...healthColumns(r.payload), JSON.stringify(r.payload));
      } else if (b.stream === 'event') {
        const e = r.payload as { kind: string; level: string; message: string };
        s.insertEvent.run(b.deviceId, r.seq, r.at, e.kind, e.level, e.message, JSON.stringify(r.payload));
      } else {
        const p = r.payload as { itemId?: string; hash?: string; prevHash?: string };
        const prevHash =
          r.seq === 1
            ? POP_GENESIS_HASH
            : prevPop?.seq === r.seq - 1
              ? prevPop.hash
              : ((s.popHashAt.get(b.deviceId, r.seq - 1) as string | null | undefined) ?? null);
        const verdict = b.popVerdicts?.get(r.seq) ?? null;
        s.insertPop.run(
          b.deviceId,
          r.seq,
          r.at,
          p.itemId ?? null,
          p.hash ?? null,
          p.prevHash ?? null,
          JSON.stringify(r.payload),
          verdict,
          prevHash === null ? null : p.prevHash === prevHash ? 1 : 0,
        );
        prevPop = { seq: r.seq, hash: p.hash ?? null };
      }
      if (r.seq === mark + 1) mark = r.seq;
    }
    if (mark !== before || gap > 0) {
      s.setWatermark.run(b.deviceId, b.stream, mark, gap);
      this.marks.set(`${b.deviceId}\n${b.stream}`, mark);
    }
    return mark;
  }

  listQuarantined(
    deviceId: string,
  ): { stream: string; seq: number; at: number; payload: string; reason: string }[] {
    return this.db
      .prepare(
        'SELECT stream, seq, at, payload, reason FROM quarantined_records WHERE device_id = ? ORDER BY stream, seq LIMIT 1000',
      )
      .all(deviceId) as { stream: string; seq: number; at: number; payload: string; reason: string }[];
  }

  /** Records declared dropped by a device (gaps below a batch's fromSeq). */
  gapRecords(deviceId: string, stream: OutboxStream): number {
    const r = this.db
      .prepare('SELECT gap_records FROM stream_state WHERE device_id = ? AND stream = ?')
      .get(deviceId, stream) as { gap_records: number } | undefined;
    return r?.gap_records ?? 0;
  }

  countRecords(deviceId: string, stream: OutboxStream): number {
    const table = stream === 'health' ? 'health_raw' : stream === 'event' ? 'events' : 'pop_records';
    return (
      this.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE device_id = ?`).get(deviceId) as { n: number }
    ).n;
  }

  seqs(deviceId: string, stream: OutboxStream): number[] {
    const table = stream === 'health' ? 'health_raw' : stream === 'event' ? 'events' : 'pop_records';
    return (
      this.db.prepare(`SELECT seq FROM ${table} WHERE device_id = ? ORDER BY seq`).all(deviceId) as {
        seq: number;
      }[]
    ).map((r) => r.seq);
  }

  listEvents(
    deviceId: string,
    opts: { afterSeq?: number; limit?: number } = {},
  ): { seq: number; at: number; kind: string; level: string; message: string; payload: unknown }[] {
    const rows = this.db
      .prepare(
        'SELECT seq, at, kind, level, message, payload FROM events WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .all(deviceId, opts.afterSeq ?? 0, Math.min(opts.limit ?? 500, 5000)) as Row[];
    return rows.map((r) => ({
      seq: r['seq'] as number,
      at: r['at'] as number,
      kind: r['kind'] as string,
      level: r['level'] as string,
      message: r['message'] as string,
      payload: JSON.parse(r['payload'] as string),
    }));
  }

  /** PoP records as received: `payload` is the JSON text the device sent for the record. */
  listPop(
    deviceId: string,
    opts: { afterSeq?: number; limit?: number } = {},
  ): {
    seq: number;
    at: number;
    itemId: string | null;
    hash: string | null;
    prevHash: string | null;
    payload: string;
  }[] {
    const rows = this.db
      .prepare(
        'SELECT seq, at, item_id, hash, prev_hash, payload FROM pop_records WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .all(deviceId, opts.afterSeq ?? 0, Math.min(opts.limit ?? 500, 5000)) as Row[];
    return rows.map((r) => ({
      seq: r['seq'] as number,
      at: r['at'] as number,
      itemId: (r['item_id'] as string | null) ?? null,
      hash: (r['hash'] as string | null) ?? null,
      prevHash: (r['prev_hash'] as string | null) ?? null,
      payload: r['payload'] as string,
    }));
  }

  /** The newest health payload of each device (or of one), by the device's own sequence. */
  latestHealth(deviceId?: string): Map<string, { at: number; payload: unknown }> {
    // One index seek per device on (device_id, seq): no scan of the whole history.
    const one = this.db.prepare(
      'SELECT at, payload FROM health_raw WHERE device_id = ? ORDER BY seq DESC LIMIT 1',
    );
    const ids = deviceId
      ? [deviceId]
      : (this.db.prepare('SELECT id FROM devices').all() as { id: string }[]).map((r) => r.id);
    const out = new Map<string, { at: number; payload: unknown }>();
    for (const id of ids) {
      const r = one.get(id) as Row | undefined;
      if (r) out.set(id, { at: r['at'] as number, payload: JSON.parse(r['payload'] as string) as unknown });
    }
    return out;
  }

  /** Counts for monitoring: commands by state, acknowledged watermarks and declared gaps per stream. */
  queueDepths(): {
    commandsByState: Record<string, number>;
    ackedSeqByStream: Record<string, number>;
    gapRecordsByStream: Record<string, number>;
  } {
    const commandsByState: Record<string, number> = {};
    for (const r of this.db
      .prepare('SELECT state, count(*) AS n FROM commands GROUP BY state')
      .all() as Row[])
      commandsByState[r['state'] as string] = r['n'] as number;
    const ackedSeqByStream: Record<string, number> = {};
    const gapRecordsByStream: Record<string, number> = {};
    for (const r of this.db
      .prepare('SELECT stream, sum(acked_seq) AS a, sum(gap_records) AS g FROM stream_state GROUP BY stream')
      .all() as Row[]) {
      ackedSeqByStream[r['stream'] as string] = r['a'] as number;
      gapRecordsByStream[r['stream'] as string] = r['g'] as number;
    }
    return { commandsByState, ackedSeqByStream, gapRecordsByStream };
  }

  /** A trivial read, for the health endpoint. */
  ping(): boolean {
    return (this.db.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
  }

  // --- health history ---

  healthHistory(
    deviceId: string,
    fromMs: number,
    toMs: number,
    resolution: HealthResolution,
    limit = 5000,
  ): HealthPoint[] {
    const cols = 'cpu_temp_c, load1, mem_used_pct, disk_used_pct, clock_offset_ms, under_voltage';
    const sql =
      resolution === 'raw'
        ? `SELECT at, 1 AS samples, ${cols}, payload FROM health_raw WHERE device_id = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?`
        : `SELECT bucket_start AS at, samples, ${cols} FROM ${resolution === '5m' ? 'health_5m' : 'health_1h'} WHERE device_id = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start LIMIT ?`;
    return (this.db.prepare(sql).all(deviceId, fromMs, toMs, limit) as Row[]).map((r) => {
      const p: HealthPoint = {
        at: r['at'] as number,
        samples: r['samples'] as number,
        cpuTempC: r['cpu_temp_c'] as number | null,
        load1: r['load1'] as number | null,
        memUsedPct: r['mem_used_pct'] as number | null,
        diskUsedPct: r['disk_used_pct'] as number | null,
        clockOffsetMs: r['clock_offset_ms'] as number | null,
        underVoltage: r['under_voltage'] as number | null,
      };
      if (r['payload'] !== undefined) p.payload = JSON.parse(r['payload'] as string);
      return p;
    });
  }

  /**
   * Downsamples health: samples not yet counted are merged into their 5-minute buckets (weighted
   * averages, so late arrivals from a device that was offline for days still count once), the
   * hourly buckets they touch are recomputed from the 5-minute ones, then each tier's retention
   * is applied.
   */
  rollupHealth(
    nowMs: number,
    retention: RetentionPolicy = DEFAULT_RETENTION,
  ): { hours: number; purged: number } {
    const metrics = ['cpu_temp_c', 'load1', 'mem_used_pct', 'disk_used_pct', 'clock_offset_ms'];
    const merge = metrics
      .map(
        (m) =>
          `${m} = CASE WHEN excluded.${m} IS NULL THEN ${m} WHEN ${m} IS NULL THEN excluded.${m} ELSE (${m} * samples + excluded.${m} * excluded.samples) / (samples + excluded.samples) END`,
      )
      .join(', ');
    const weighted = metrics
      .map((m) => `sum(${m} * samples) / sum(CASE WHEN ${m} IS NULL THEN 0 ELSE samples END)`)
      .join(', ');
    let purged = 0;
    let hours = 0;
    this.db.transaction(() => {
      const from = (
        this.db.prepare("SELECT last_id FROM rollup_state WHERE name = 'health'").get() as { last_id: number }
      ).last_id;
      const to = (
        this.db.prepare('SELECT coalesce(max(id), 0) AS id FROM health_raw').get() as { id: number }
      ).id;
      const touched = this.db
        .prepare(
          `SELECT DISTINCT device_id, (at / ${HOUR}) * ${HOUR} AS h FROM health_raw WHERE id > ? AND id <= ?`,
        )
        .all(from, to) as { device_id: string; h: number }[];
      this.db
        .prepare(
          `INSERT INTO health_5m (device_id, bucket_start, samples, ${metrics.join(', ')}, under_voltage)
           SELECT device_id, (at / ${FIVE_MIN}) * ${FIVE_MIN} AS b, count(*), ${metrics.map((m) => `avg(${m})`).join(', ')}, max(under_voltage)
           FROM health_raw WHERE id > ? AND id <= ? GROUP BY device_id, b
           ON CONFLICT (device_id, bucket_start) DO UPDATE SET ${merge},
             under_voltage = max(coalesce(under_voltage, 0), coalesce(excluded.under_voltage, 0)),
             samples = samples + excluded.samples`,
        )
        .run(from, to);
      this.db.prepare("UPDATE rollup_state SET last_id = ? WHERE name = 'health'").run(to);
      const hourly = this.db.prepare(
        `INSERT OR REPLACE INTO health_1h (device_id, bucket_start, samples, ${metrics.join(', ')}, under_voltage)
         SELECT device_id, ?, sum(samples), ${weighted}, max(under_voltage)
         FROM health_5m WHERE device_id = ? AND bucket_start >= ? AND bucket_start < ? GROUP BY device_id`,
      );
      for (const t of touched) hourly.run(t.h, t.device_id, t.h, t.h + HOUR);
      hours = touched.length;
      purged += this.db.prepare('DELETE FROM health_raw WHERE at < ?').run(nowMs - retention.rawMs).changes;
      purged += this.db
        .prepare('DELETE FROM health_5m WHERE bucket_start < ?')
        .run(nowMs - retention.fiveMinuteMs).changes;
      purged += this.db
        .prepare('DELETE FROM health_1h WHERE bucket_start < ?')
        .run(nowMs - retention.hourlyMs).changes;
    })();
    return { hours, purged };
  }

  // --- alerts ---

  /** The stored active alerts as saved (JSON values; the alerts module checks their shape). */
  loadAlerts(): { key: string; record: unknown }[] {
    return (this.db.prepare('SELECT key, record FROM alerts_active ORDER BY key').all() as Row[]).map(
      (r) => ({ key: r['key'] as string, record: JSON.parse(r['record'] as string) as unknown }),
    );
  }

  /** Replaces the stored active alerts with `records`, atomically. */
  saveAlerts(records: readonly { key: string }[]): void {
    const insert = this.db.prepare('INSERT INTO alerts_active (key, record) VALUES (?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM alerts_active').run();
      for (const r of records) insert.run(r.key, JSON.stringify(r));
    })();
  }

  /**
   * Appends alert events to the history and forgets events older than `keepFromMs`, in one
   * transaction.
   */
  appendAlertHistory(
    events: readonly { at: number; type: string; key: string; record: unknown }[],
    keepFromMs: number,
  ): void {
    const insert = this.db.prepare('INSERT INTO alerts_history (at, type, key, record) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const e of events) insert.run(e.at, e.type, e.key, JSON.stringify(e.record));
      this.db.prepare('DELETE FROM alerts_history WHERE at < ?').run(keepFromMs);
    })();
  }

  /** The newest `limit` alert events, newest first (JSON records; the alerts module checks their shape). */
  alertHistory(limit: number): { id: number; at: number; type: string; key: string; record: unknown }[] {
    return (
      this.db
        .prepare('SELECT id, at, type, key, record FROM alerts_history ORDER BY at DESC, id DESC LIMIT ?')
        .all(limit) as Row[]
    ).map((r) => ({
      id: r['id'] as number,
      at: r['at'] as number,
      type: r['type'] as string,
      key: r['key'] as string,
      record: JSON.parse(r['record'] as string) as unknown,
    }));
  }

  /** When the server first saw `version` of `siteGroup` published, recording `nowMs` the first time. */
  bundleFirstSeen(siteGroup: string, version: string, nowMs: number): number {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO bundle_versions_seen (site_group, version, first_seen_at) VALUES (?, ?, ?)',
      )
      .run(siteGroup, version, nowMs);
    return (
      this.db
        .prepare('SELECT first_seen_at FROM bundle_versions_seen WHERE site_group = ? AND version = ?')
        .get(siteGroup, version) as { first_seen_at: number }
    ).first_seen_at;
  }

  /** Devices whose newest display command that did not fail is "display-off" (ops turned the panel off). */
  displayOffByCommand(): Set<string> {
    const rows = this.db
      .prepare(
        "SELECT device_id, name FROM commands WHERE name IN ('display-on', 'display-off') AND state NOT IN ('failed', 'expired', 'unsupported') ORDER BY issued_at, rowid",
      )
      .all() as Row[];
    const last = new Map<string, string>();
    for (const r of rows) last.set(r['device_id'] as string, r['name'] as string);
    return new Set([...last].filter(([, name]) => name === 'display-off').map(([id]) => id));
  }

  /** Events of the given kinds stored at or after `sinceMs` (device time), per device, oldest first. */
  eventsSince(kinds: readonly string[], sinceMs: number): Map<string, { at: number; kind: string }[]> {
    const out = new Map<string, { at: number; kind: string }[]>();
    if (kinds.length === 0) return out;
    const rows = this.db
      .prepare(
        `SELECT device_id, at, kind FROM events WHERE at >= ? AND kind IN (${kinds.map(() => '?').join(', ')}) ORDER BY at LIMIT 100000`,
      )
      .all(sinceMs, ...kinds) as Row[];
    for (const r of rows) {
      const id = r['device_id'] as string;
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      list.push({ at: r['at'] as number, kind: r['kind'] as string });
    }
    return out;
  }

  // --- commands ---

  createCommand(c: {
    id: string;
    deviceId: string;
    name: CommandName;
    args?: Record<string, unknown> | undefined;
    issuedAtMs: number;
    expiresAtMs: number;
  }): CommandRow {
    this.stmts.insertCommand.run(
      c.id,
      c.deviceId,
      c.name,
      c.args ? JSON.stringify(c.args) : null,
      c.issuedAtMs,
      c.expiresAtMs,
      'queued',
      c.issuedAtMs,
    );
    return this.getCommand(c.id)!;
  }

  getCommand(id: string): CommandRow | undefined {
    const r = this.stmts.commandById.get(id) as Row | undefined;
    return r ? toCommand(r) : undefined;
  }

  listCommands(deviceId: string, limit = 100): CommandRow[] {
    return (this.stmts.commandsForDevice.all(deviceId, limit) as Row[]).map(toCommand);
  }

  /** Commands queued or sent but not answered and not expired, oldest first. */
  deliverableCommands(deviceId: string, nowMs: number): CommandRow[] {
    return (this.stmts.deliverable.all(deviceId, nowMs) as Row[]).map(toCommand);
  }

  setCommandState(id: string, state: CommandState, nowMs: number, message?: string): void {
    this.stmts.setCommandState.run(state, message ?? null, nowMs, id);
  }

  /** Marks every unanswered command past its expiry 'expired'; returns their ids. */
  expireCommands(nowMs: number): string[] {
    return (this.stmts.expireCommands.all(nowMs, nowMs) as { id: string }[]).map((r) => r.id);
  }

  saveScreenshot(commandId: string, png: Buffer, nowMs: number): void {
    this.stmts.insertScreenshot.run(commandId, png, nowMs);
  }

  screenshot(commandId: string): Buffer | undefined {
    return (this.stmts.screenshot.get(commandId) as { png: Buffer } | undefined)?.png;
  }
}

function toDevice(r: Row): DeviceRow {
  return {
    id: r['id'] as string,
    siteGroup: r['site_group'] as string,
    screenName: r['screen_name'] as string,
    publicKey: r['public_key'] as string,
    enrolledAtMs: r['enrolled_at'] as number,
    revokedAtMs: (r['revoked_at'] as number | null) ?? null,
    lastSeenMs: (r['last_seen'] as number | null) ?? null,
    online: r['online'] === 1,
    appVersion: (r['app_version'] as string | null) ?? null,
  };
}

function toToken(r: Row): TokenRow {
  return {
    id: r['id'] as string,
    siteGroup: r['site_group'] as string,
    screenName: r['screen_name'] as string,
    createdAtMs: r['created_at'] as number,
    expiresAtMs: r['expires_at'] as number,
    usedAtMs: (r['used_at'] as number | null) ?? null,
    deviceId: (r['device_id'] as string | null) ?? null,
    revokedAtMs: (r['revoked_at'] as number | null) ?? null,
  };
}

function toCommand(r: Row): CommandRow {
  return {
    id: r['id'] as string,
    deviceId: r['device_id'] as string,
    name: r['name'] as CommandName,
    args: r['args'] ? (JSON.parse(r['args'] as string) as Record<string, unknown>) : null,
    issuedAtMs: r['issued_at'] as number,
    expiresAtMs: r['expires_at'] as number,
    state: r['state'] as CommandState,
    message: (r['message'] as string | null) ?? null,
    updatedAtMs: r['updated_at'] as number,
    hasScreenshot: r['has_screenshot'] === 1,
  };
}
