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

const DEVICE_RULES = [
  offlineRule,
  displayOffRule,
  diskLowRule,
  temperatureRule,
  underVoltageRule,
  playbackErrorsRule,
  bundleLagRule,
  clockSkewRule,
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
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
