/**
 * The alert rules: pure functions of `AlertInput`. Each rule looks at one device (or one gate) and
 * returns the alerts that hold now; `evaluateAlerts` runs them all.
 */
import { isWithinOpeningHours } from '../../protocol/zoned-time.js';
import {
  type AlertInput,
  type AlertKind,
  type AlertSeverity,
  type AlertThresholds,
  DEFAULT_ALERT_THRESHOLDS,
  type DeviceSnapshot,
  type FaultEvent,
  type HaltedRollout,
  type HealthSample,
  type RaisedAlert,
} from './types.js';

const deviceAlert = (
  kind: AlertKind,
  severity: AlertSeverity,
  d: DeviceSnapshot,
  params: Record<string, string | number> = {},
): RaisedAlert => ({
  key: `${kind}:${d.deviceId}`,
  kind,
  severity,
  siteGroup: d.siteGroup,
  deviceId: d.deviceId,
  params,
});

const round1 = (n: number) => Math.round(n * 10) / 10;

function isOffline(d: DeviceSnapshot, now: number, t: AlertThresholds): boolean {
  return !d.online && now - (d.lastSeenAt ?? d.enrolledAt) > t.offlineAfterMs;
}

export function offlineRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  if (!isOffline(d, input.now, t)) return [];
  const since = d.lastSeenAt ?? d.enrolledAt;
  return [
    deviceAlert('offline', 'critical', d, {
      minutes: Math.round(t.offlineAfterMs / 60_000),
      offlineMinutes: Math.floor((input.now - since) / 60_000),
    }),
  ];
}

/** Health rules judge only a fresh sample from an online device. */
function freshHealth(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): HealthSample | undefined {
  if (!d.online) return undefined;
  const h = input.latestHealth.get(d.deviceId);
  return h && input.now - h.at <= t.healthMaxAgeMs ? h : undefined;
}

export function displayOffRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  const h = freshHealth(d, input, t);
  if (!h || h.display !== 'off' || d.displayOffByOps) return [];
  if (!isWithinOpeningHours(d.timezone, input.now, d.openingHours)) return [];
  return [deviceAlert('display-off-in-opening-hours', 'critical', d)];
}

export function diskLowRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  const h = freshHealth(d, input, t);
  if (!h || h.diskFreeBytes === undefined || !h.diskTotalBytes) return [];
  const ratio = h.diskFreeBytes / h.diskTotalBytes;
  if (ratio >= t.diskFreeWarningRatio) return [];
  const severity = ratio < t.diskFreeCriticalRatio ? 'critical' : 'warning';
  return [deviceAlert('disk-low', severity, d, { freePercent: round1(ratio * 100) })];
}

export function temperatureRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  const h = freshHealth(d, input, t);
  if (!h || h.cpuTempC === undefined || h.cpuTempC < t.temperatureWarningC) return [];
  const severity = h.cpuTempC >= t.temperatureCriticalC ? 'critical' : 'warning';
  return [deviceAlert('temperature-high', severity, d, { celsius: round1(h.cpuTempC) })];
}

export function underVoltageRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  const h = freshHealth(d, input, t);
  if (!h || !(h.underVoltageNow || h.underVoltageSinceBoot)) return [];
  // Under-voltage now corrupts SD cards: critical. One that happened since boot is a warning.
  return [deviceAlert('under-voltage', h.underVoltageNow ? 'critical' : 'warning', d)];
}

export function playbackErrorsRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  if (!d.online) return [];
  const since = input.now - t.playbackErrorWindowMs;
  let count = 0;
  for (const h of input.recentHealth.get(d.deviceId) ?? []) if (h.at > since) count += h.playbackErrors ?? 0;
  if (count < t.playbackErrorCount) return [];
  return [
    deviceAlert('playback-errors', 'warning', d, {
      count,
      minutes: Math.round(t.playbackErrorWindowMs / 60_000),
    }),
  ];
}

export function bundleLagRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  const latest = input.latestBundles.get(d.siteGroup);
  if (!latest || d.installedBundleVersion === latest.version) return [];
  if (input.now - latest.publishedAt <= t.bundleLagAfterMs) return [];
  return [
    deviceAlert('bundle-lagging', 'warning', d, {
      installed: d.installedBundleVersion ?? '—',
      latest: latest.version,
      hours: Math.floor((input.now - latest.publishedAt) / 3_600_000),
    }),
  ];
}

export function clockSkewRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  const h = freshHealth(d, input, t);
  if (!h || h.clockOffsetMs === undefined || Math.abs(h.clockOffsetMs) <= t.clockSkewMs) return [];
  return [deviceAlert('clock-skew', 'warning', d, { seconds: Math.round(h.clockOffsetMs / 1000) })];
}

/** The device's fault events of one kind, oldest first. */
function faultEvents(d: DeviceSnapshot, input: AlertInput, kind: string): FaultEvent[] {
  return (input.faultEvents?.get(d.deviceId) ?? []).filter((e) => e.kind === kind);
}

/** The newest event of `kind` the device raised after its latest health sample (which cannot say it yet). */
function eventAfterLatestSample(d: DeviceSnapshot, input: AlertInput, kind: string): FaultEvent | undefined {
  const after = input.latestHealth.get(d.deviceId)?.at ?? -Infinity;
  return faultEvents(d, input, kind)
    .filter((e) => e.at > after)
    .at(-1);
}

/**
 * No trust root: the screen can take no update, emergencies included, until a technician re-enrols
 * it. It cannot come back by itself, so the latest sample of any age holds it (an offline screen
 * stays flagged), and an event newer than that sample raises it at once.
 */
export function trustRootMissingRule(d: DeviceSnapshot, input: AlertInput): RaisedAlert[] {
  const h = input.latestHealth.get(d.deviceId);
  if (h?.trustRoot !== 'missing' && !eventAfterLatestSample(d, input, 'trust-root-missing')) return [];
  return [deviceAlert('trust-root-missing', 'critical', d)];
}

/**
 * A content download stopped by the data disk (full, or below the reserve kept for proof of play):
 * from a fresh sample's storage.diskFault, or at once from a disk-full event newer than the latest
 * sample. A later sample without the fault resolves it.
 */
export function diskFaultRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  const fault = freshHealth(d, input, t)?.diskFault;
  const event = eventAfterLatestSample(d, input, 'disk-full');
  const code = fault?.code ?? (event?.code === 'DISK_SPACE_LOW' ? 'DISK_SPACE_LOW' : event && 'DISK_FULL');
  if (!code) return [];
  return [
    deviceAlert('disk-fault', code === 'DISK_FULL' ? 'critical' : 'warning', d, {
      code,
      message: fault?.message ?? event?.message ?? '',
    }),
  ];
}

/** Installed files found damaged, truncated or gone (not shown, fetched again), named, within the window. */
export function contentFileUnusableRule(
  d: DeviceSnapshot,
  input: AlertInput,
  t: AlertThresholds,
): RaisedAlert[] {
  const since = input.now - t.fileUnusableWindowMs;
  const files = new Set(
    faultEvents(d, input, 'content-file-unusable')
      .filter((e) => e.at > since)
      .map((e) => e.targetPath ?? '?'),
  );
  if (files.size === 0) return [];
  return [
    deviceAlert('content-file-unusable', 'warning', d, {
      files: [...files].sort().join(', '),
      count: files.size,
    }),
  ];
}

/**
 * The screen's system clock ran far ahead of its last-known-good time with nothing to back it: it
 * schedules from that floor, and its proof of play is flagged 'unverified' (times are a lower bound).
 */
export function clockUnverifiedRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  if (freshHealth(d, input, t)?.clockSource !== 'unverified') return [];
  return [deviceAlert('clock-unverified', 'warning', d)];
}

/** One alert per gate listing the languages its latest bundle lacks, with the items concerned. */
export function missingVariantsRule(siteGroup: string, input: AlertInput): RaisedAlert[] {
  const gaps = input.contentGaps.get(siteGroup) ?? [];
  if (gaps.length === 0) return [];
  const languages = [...new Set(gaps.map((g) => g.language))].sort();
  const items = [...new Set(gaps.map((g) => g.itemId))].sort();
  return [
    {
      key: `missing-language-variants:${siteGroup}`,
      kind: 'missing-language-variants',
      severity: 'warning',
      siteGroup,
      params: { languages: languages.join(', '), items: items.join(', '), count: gaps.length },
    },
  ];
}

/**
 * A release rollout halted by a screen's failure (a rollback, a failed install, offline or pending too
 * long after the offer): critical, on that screen, until ops resume or abort the rollout.
 */
export function rolloutHaltedRule(r: HaltedRollout): RaisedAlert[] {
  return [
    {
      key: `release-rollout-halted:${r.rolloutId}`,
      kind: 'release-rollout-halted',
      severity: 'critical',
      siteGroup: r.siteGroup,
      deviceId: r.deviceId,
      params: { version: r.version, screen: r.screenName, reason: r.reason, detail: r.detail || '—' },
    },
  ];
}

/**
 * An item the screen could not show (file missing, failed to decode), raised at once from the
 * device's item-skipped event: one alert per item and language, naming the title and the file,
 * standing while such events keep coming within the playback-error window.
 */
export function itemNotShownRule(d: DeviceSnapshot, input: AlertInput, t: AlertThresholds): RaisedAlert[] {
  if (!d.online) return [];
  const since = input.now - t.playbackErrorWindowMs;
  const latest = new Map<string, FaultEvent>();
  for (const e of faultEvents(d, input, 'item-skipped'))
    if (e.at > since && e.itemId && e.language) latest.set(`${e.itemId}:${e.language}`, e);
  return [...latest].map(([key, e]) => ({
    ...deviceAlert('item-not-shown', 'warning', d, {
      itemId: e.itemId!,
      language: e.language!,
      title: e.title ?? e.itemId!,
      file: e.file ?? '—',
      reason: e.message ?? '',
    }),
    key: `item-not-shown:${d.deviceId}:${key}`,
  }));
}

const DEVICE_RULES = [
  offlineRule,
  displayOffRule,
  diskLowRule,
  temperatureRule,
  underVoltageRule,
  playbackErrorsRule,
  bundleLagRule,
  clockSkewRule,
  trustRootMissingRule,
  diskFaultRule,
  contentFileUnusableRule,
  clockUnverifiedRule,
  itemNotShownRule,
];

/** Every alert that holds for `input`, sorted by key. */
export function evaluateAlerts(input: AlertInput, thresholds: Partial<AlertThresholds> = {}): RaisedAlert[] {
  const t: AlertThresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...thresholds };
  const out: RaisedAlert[] = [];
  const gates = new Set<string>();
  for (const d of input.devices) {
    gates.add(d.siteGroup);
    for (const rule of DEVICE_RULES) out.push(...rule(d, input, t));
  }
  for (const g of gates) out.push(...missingVariantsRule(g, input));
  for (const r of input.haltedRollouts ?? []) out.push(...rolloutHaltedRule(r));
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
