/**
 * What the report reads, one device at a time (routes.ts and service.ts use it; registry-source.ts
 * is the sync server's, over its registry and telemetry).
 */
import type { ItemTitle } from '../registry/report-names-store.js';
import type { DeviceTally } from './build.js';
import type { NamedGate } from './names.js';
import type { Outage, ProofOfPlayRecord, ReportDevice, ReportReaudit } from './types.js';

/** The registry/telemetry adapter the report reads. */
export interface ReportDataSource {
  /** Gates, with their name history when the source keeps one. */
  gates(): Promise<readonly NamedGate[]>;
  /** Published item and emergency titles per language (absent: items are shown by id). */
  titles?(): Promise<readonly ItemTitle[]>;
  devices(): Promise<readonly ReportDevice[]>;
  /** One device's proof-of-play records with actualStart in [from, to), and outages overlapping it. */
  deviceData(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ records: readonly ProofOfPlayRecord[]; outages: readonly Outage[] }>;
  /**
   * One device's period already added up (from rollups: preferred when present and it answers;
   * undefined: read the records).
   */
  deviceTally?(
    deviceId: string,
    from: number,
    to: number,
    timezone: string,
  ): Promise<{ tally: DeviceTally; outages: readonly Outage[] } | undefined>;
  /** The last finished re-audit of the stored records (null: never); absent: the source keeps none. */
  lastReaudit?(): Promise<ReportReaudit | null>;
  /**
   * Whether that re-audit covered one device's records with `at` in [from, to) — its range holds
   * the period and no record of it was stored after it started — and how many it judged differently.
   */
  reverified?(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ at: number; differ: number } | undefined>;
  /** The same records in pages, by seq (preferred when present). */
  deviceStream?(
    deviceId: string,
    from: number,
    to: number,
  ): Promise<{ pages: AsyncIterable<readonly ProofOfPlayRecord[]>; outages: readonly Outage[] }>;
}
