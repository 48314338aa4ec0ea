/**
 * Health history: raw samples (stored by ingest), 5-minute and hourly rollups, retention per tier,
 * and each device's newest sample.
 */
import type { SqliteDb, SqliteStatement } from '../../platform/sqlite.js';
import { rowMapper } from './rows.js';

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

const FIVE_MIN = 5 * 60_000;
const HOUR = 3600_000;

const COLUMNS = 'cpu_temp_c, load1, mem_used_pct, disk_used_pct, clock_offset_ms, under_voltage';
const METRICS = ['cpu_temp_c', 'load1', 'mem_used_pct', 'disk_used_pct', 'clock_offset_ms'];
const MERGE = METRICS.map(
  (m) =>
    `${m} = CASE WHEN excluded.${m} IS NULL THEN ${m} WHEN ${m} IS NULL THEN excluded.${m} ELSE (${m} * samples + excluded.${m} * excluded.samples) / (samples + excluded.samples) END`,
).join(', ');
const WEIGHTED = METRICS.map(
  (m) => `sum(${m} * samples) / sum(CASE WHEN ${m} IS NULL THEN 0 ELSE samples END)`,
).join(', ');

const pointRow = rowMapper('health', (r): HealthPoint => {
  const p: HealthPoint = {
    at: r.num('at'),
    samples: r.num('samples'),
    cpuTempC: r.numOrNull('cpu_temp_c'),
    load1: r.numOrNull('load1'),
    memUsedPct: r.numOrNull('mem_used_pct'),
    diskUsedPct: r.numOrNull('disk_used_pct'),
    clockOffsetMs: r.numOrNull('clock_offset_ms'),
    underVoltage: r.numOrNull('under_voltage'),
  };
  if (r.raw('payload') !== undefined) p.payload = r.json('payload');
  return p;
});
const latestRow = rowMapper('health_raw', (r) => ({ at: r.num('at'), payload: r.json('payload') }));
const numRow = (what: string, column: string) => rowMapper(what, (r) => r.num(column));
const lastIdRow = numRow('rollup_state', 'last_id');
const maxIdRow = numRow('health_raw', 'id');
const touchedRow = rowMapper('health_raw', (r) => ({ deviceId: r.str('device_id'), h: r.num('h') }));

export class HealthStore {
  private readonly s;
  private readonly byResolution: Record<HealthResolution, SqliteStatement>;

  constructor(
    private readonly db: SqliteDb,
    private readonly deviceIds: () => string[],
  ) {
    this.byResolution = {
      raw: db.prepare(
        `SELECT at, 1 AS samples, ${COLUMNS}, payload FROM health_raw WHERE device_id = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?`,
      ),
      '5m': db.prepare(
        `SELECT bucket_start AS at, samples, ${COLUMNS} FROM health_5m WHERE device_id = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start LIMIT ?`,
      ),
      '1h': db.prepare(
        `SELECT bucket_start AS at, samples, ${COLUMNS} FROM health_1h WHERE device_id = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start LIMIT ?`,
      ),
    };
    this.s = {
      // One index seek per device on (device_id, seq): no scan of the whole history.
      latest: db.prepare('SELECT at, payload FROM health_raw WHERE device_id = ? ORDER BY seq DESC LIMIT 1'),
      lastRolledUp: db.prepare("SELECT last_id FROM rollup_state WHERE name = 'health'"),
      maxRawId: db.prepare('SELECT coalesce(max(id), 0) AS id FROM health_raw'),
      touchedHours: db.prepare(
        `SELECT DISTINCT device_id, (at / ${HOUR}) * ${HOUR} AS h FROM health_raw WHERE id > ? AND id <= ?`,
      ),
      mergeFiveMinutes: db.prepare(
        `INSERT INTO health_5m (device_id, bucket_start, samples, ${METRICS.join(', ')}, under_voltage)
           SELECT device_id, (at / ${FIVE_MIN}) * ${FIVE_MIN} AS b, count(*), ${METRICS.map((m) => `avg(${m})`).join(', ')}, max(under_voltage)
           FROM health_raw WHERE id > ? AND id <= ? GROUP BY device_id, b
           ON CONFLICT (device_id, bucket_start) DO UPDATE SET ${MERGE},
             under_voltage = max(coalesce(under_voltage, 0), coalesce(excluded.under_voltage, 0)),
             samples = samples + excluded.samples`,
      ),
      setRolledUp: db.prepare("UPDATE rollup_state SET last_id = ? WHERE name = 'health'"),
      hourly: db.prepare(
        `INSERT OR REPLACE INTO health_1h (device_id, bucket_start, samples, ${METRICS.join(', ')}, under_voltage)
         SELECT device_id, ?, sum(samples), ${WEIGHTED}, max(under_voltage)
         FROM health_5m WHERE device_id = ? AND bucket_start >= ? AND bucket_start < ? GROUP BY device_id`,
      ),
      purgeRaw: db.prepare('DELETE FROM health_raw WHERE at < ?'),
      purgeFiveMinutes: db.prepare('DELETE FROM health_5m WHERE bucket_start < ?'),
      purgeHourly: db.prepare('DELETE FROM health_1h WHERE bucket_start < ?'),
    };
  }

  /** The newest health payload of each device (or of one), by the device's own sequence. */
  latest(deviceId?: string): Map<string, { at: number; payload: unknown }> {
    const out = new Map<string, { at: number; payload: unknown }>();
    for (const id of deviceId ? [deviceId] : this.deviceIds()) {
      const r = latestRow.one(this.s.latest.get(id));
      if (r) out.set(id, r);
    }
    return out;
  }

  history(
    deviceId: string,
    fromMs: number,
    toMs: number,
    resolution: HealthResolution,
    limit = 5000,
  ): HealthPoint[] {
    return pointRow.all(this.byResolution[resolution].all(deviceId, fromMs, toMs, limit));
  }

  /**
   * Downsamples health: samples not yet counted are merged into their 5-minute buckets (weighted
   * averages, so late arrivals from a device that was offline for days still count once), the
   * hourly buckets they touch are recomputed from the 5-minute ones, then each tier's retention
   * is applied.
   */
  rollup(nowMs: number, retention: RetentionPolicy = DEFAULT_RETENTION): { hours: number; purged: number } {
    const s = this.s;
    let purged = 0;
    let hours = 0;
    this.db.transaction(() => {
      const from = lastIdRow.one(s.lastRolledUp.get())!;
      const to = maxIdRow.one(s.maxRawId.get())!;
      const touched = touchedRow.all(s.touchedHours.all(from, to));
      s.mergeFiveMinutes.run(from, to);
      s.setRolledUp.run(to);
      for (const t of touched) s.hourly.run(t.h, t.deviceId, t.h, t.h + HOUR);
      hours = touched.length;
      purged += s.purgeRaw.run(nowMs - retention.rawMs).changes;
      purged += s.purgeFiveMinutes.run(nowMs - retention.fiveMinuteMs).changes;
      purged += s.purgeHourly.run(nowMs - retention.hourlyMs).changes;
    })();
    return { hours, purged };
  }
}
