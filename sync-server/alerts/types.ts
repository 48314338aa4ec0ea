/**
 * What the alert rules read and what they produce. The fleet registry (sync-server, issue 4) adapts
 * its stored data to `AlertInput`; the rules never touch storage, sockets or the clock themselves.
 * All times are epoch milliseconds.
 */
import type { TimeWindow } from '../../protocol/content.js';
import type { ContentGap } from '../../protocol/schedule.js';

/** One screen as the registry knows it right now. */
export interface DeviceSnapshot {
  deviceId: string;
  /** Human name shown in the dashboard. */
  name: string;
  /** The gate (site group), e.g. "kien-giang/ha-tien"; the province is its first segment. */
  siteGroup: string;
  /** The gate's IANA time zone (Asia/Ho_Chi_Minh for every Vietnamese gate). */
  timezone: string;
  /** The gate's opening hours in local time; absent or empty means always open. */
  openingHours?: readonly TimeWindow[];
  /** Whether the device's WebSocket is connected now. */
  online: boolean;
  /** Last message received from the device; null if it never connected. */
  lastSeenAt: number | null;
  /** When the device was enrolled: the reference for "offline since" if it never connected. */
  enrolledAt: number;
  /** The bundle version the device last reported as installed; null if none yet. */
  installedBundleVersion: string | null;
  /** Ops turned the display off on purpose (command display off): no "display off" alert then. */
  displayOffByOps?: boolean;
}

/** One health sample as the device sent it (issue 4 health message), reduced to what rules read. */
export interface HealthSample {
  deviceId: string;
  /** When the device took the sample (its clock, corrected by the server's offset if known). */
  at: number;
  /** CPU temperature, °C. */
  cpuTempC?: number;
  diskFreeBytes?: number;
  diskTotalBytes?: number;
  /** Under-voltage right now (vcgencmd get_throttled bit 0 or rpi_volt alarm). */
  underVoltageNow?: boolean;
  /** Under-voltage has occurred since boot (bit 16). */
  underVoltageSinceBoot?: boolean;
  display?: 'on' | 'off' | 'unknown';
  /** Playback errors since the previous sample (failed loads, crashes of the page). */
  playbackErrors?: number;
  /** Device clock minus server clock, ms (positive: device ahead). */
  clockOffsetMs?: number;
  /** Where the device's time comes from (protocol HealthReport.clockSource). */
  clockSource?: string;
  /** Whether the device still has its TUF trust root (absent from older devices). */
  trustRoot?: 'present' | 'missing';
  /** A content download stopped by the data disk, while the fault stands (storage.diskFault). */
  diskFault?: { code: 'DISK_FULL' | 'DISK_SPACE_LOW'; message: string };
}

/**
 * A device event that raises an alert by itself, before the next health sample says the same:
 * 'trust-root-missing', 'disk-full' (with its code and message) or 'content-file-unusable' (with
 * the file's target path).
 */
export interface FaultEvent {
  /** When the device raised it (its clock). */
  at: number;
  kind: string;
  code?: string;
  message?: string;
  targetPath?: string;
  /** item-skipped: the item, its title, the language and the file the screen could not show. */
  itemId?: string;
  title?: string;
  language?: string;
  file?: string;
}

/** The event kinds the rules read (RegistryAlertSource reads these). */
export const FAULT_EVENT_KINDS: readonly string[] = [
  'trust-root-missing',
  'disk-full',
  'content-file-unusable',
  'item-skipped',
];

/** The newest published bundle of a gate. */
export interface LatestBundle {
  siteGroup: string;
  version: string;
  publishedAt: number;
}

/** Everything one evaluation reads. */
export interface AlertInput {
  now: number;
  devices: readonly DeviceSnapshot[];
  /** Newest health sample per device id (absent when the device never sent one). */
  latestHealth: ReadonlyMap<string, HealthSample>;
  /** Recent samples per device id, oldest first, covering at least `playbackErrorWindowMs`. */
  recentHealth: ReadonlyMap<string, readonly HealthSample[]>;
  /** Newest published bundle per site group. */
  latestBundles: ReadonlyMap<string, LatestBundle>;
  /**
   * Gate languages the latest bundle has no variant for, per site group, as the schedule engine
   * reports them (protocol/schedule.ts ContentGap).
   */
  contentGaps: ReadonlyMap<string, readonly ContentGap[]>;
  /** Recent fault events per device id, oldest first (covering at least `fileUnusableWindowMs`). */
  faultEvents?: ReadonlyMap<string, readonly FaultEvent[]>;
  /** Release rollouts halted by a failed screen (sync-server/releases), one entry each. */
  haltedRollouts?: readonly HaltedRollout[];
}

/** A release rollout stopped by one screen's failure, as the rollout service saved it. */
export interface HaltedRollout {
  rolloutId: string;
  version: string;
  /** The screen whose failure halted it, its name and gate. */
  deviceId: string;
  screenName: string;
  siteGroup: string;
  /** rollout-policy.ts FailureReason: 'rolled-back', 'install-failed', 'offline', 'pending-too-long'. */
  reason: string;
  /** What the screen or its command said, or ''. */
  detail: string;
}

/** Thresholds; every field has a default in DEFAULT_ALERT_THRESHOLDS. */
export interface AlertThresholds {
  offlineAfterMs: number;
  /** Health older than this is not judged (the offline rule covers a silent device). */
  healthMaxAgeMs: number;
  diskFreeWarningRatio: number;
  diskFreeCriticalRatio: number;
  temperatureWarningC: number;
  temperatureCriticalC: number;
  playbackErrorWindowMs: number;
  playbackErrorCount: number;
  bundleLagAfterMs: number;
  clockSkewMs: number;
  /** An unusable content file is reported for this long after its last event. */
  fileUnusableWindowMs: number;
}

export const DEFAULT_ALERT_THRESHOLDS: Readonly<AlertThresholds> = Object.freeze({
  offlineAfterMs: 10 * 60_000,
  healthMaxAgeMs: 5 * 60_000,
  diskFreeWarningRatio: 0.1,
  diskFreeCriticalRatio: 0.03,
  temperatureWarningC: 75,
  temperatureCriticalC: 80,
  playbackErrorWindowMs: 15 * 60_000,
  playbackErrorCount: 5,
  bundleLagAfterMs: 6 * 3_600_000,
  clockSkewMs: 30_000,
  fileUnusableWindowMs: 60 * 60_000,
});

export type AlertKind =
  | 'offline'
  | 'display-off-in-opening-hours'
  | 'disk-low'
  | 'temperature-high'
  | 'under-voltage'
  | 'playback-errors'
  | 'bundle-lagging'
  | 'clock-skew'
  | 'missing-language-variants'
  | 'trust-root-missing'
  | 'disk-fault'
  | 'content-file-unusable'
  | 'clock-unverified'
  | 'release-rollout-halted'
  | 'item-not-shown';

export type AlertSeverity = 'warning' | 'critical';

/** A condition that holds at evaluation time. `key` identifies it across evaluations. */
export interface RaisedAlert {
  /** `${kind}:${deviceId}` (or `${kind}:${siteGroup}` for gate-wide alerts). */
  key: string;
  kind: AlertKind;
  severity: AlertSeverity;
  siteGroup: string;
  /** Absent for gate-wide alerts (missing language variants). */
  deviceId?: string;
  /** Values for the message text (alerts/texts.ts "alert.*" placeholders). */
  params: Record<string, string | number>;
}

/** Why an alert resolved other than by its condition clearing. */
export type AlertResolveReason = 'retired';

/** An alert over its life: raised, kept while it holds, resolved when it no longer does. */
export interface AlertRecord extends RaisedAlert {
  raisedAt: number;
  /** Last evaluation in which it held. */
  lastHeldAt: number;
  resolvedAt: number | null;
  /** Why it resolved when not because its condition cleared: 'retired' (ops took the screen out of service). */
  resolvedReason?: AlertResolveReason;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
}

export type AlertEvent =
  | { type: 'raised'; alert: AlertRecord }
  | { type: 'escalated'; alert: AlertRecord; from: AlertSeverity }
  | { type: 'resolved'; alert: AlertRecord }
  | { type: 'acknowledged'; alert: AlertRecord };
