/** The text of an alert, from the alerts catalogue (texts.ts). */
import { type AlertsKey, alertsTexts } from './texts.js';
import type { AlertKind, RaisedAlert } from './types.js';
import { type DashboardLanguage, formatNumber } from '../dashboard/language.js';

export const ALERT_MESSAGE_KEY: Readonly<Record<AlertKind, AlertsKey>> = Object.freeze({
  offline: 'alert.offline',
  'display-off-in-opening-hours': 'alert.displayOffInOpeningHours',
  'disk-low': 'alert.diskLow',
  'temperature-high': 'alert.temperatureHigh',
  'under-voltage': 'alert.underVoltage',
  'playback-errors': 'alert.playbackErrors',
  'bundle-lagging': 'alert.bundleLagging',
  'clock-skew': 'alert.clockSkew',
  'missing-language-variants': 'alert.missingLanguageVariants',
  'trust-root-missing': 'alert.trustRootMissing',
  'disk-fault': 'alert.diskFault',
  'content-file-unusable': 'alert.contentFileUnusable',
  'clock-unverified': 'alert.clockUnverified',
  'release-rollout-halted': 'alert.releaseRolloutHalted',
  'item-not-shown': 'alert.itemNotShown',
});

/** A halted rollout's reason code, said in words (its `reason` param is the code). */
const ROLLOUT_REASON_KEY: Readonly<Record<string, AlertsKey>> = Object.freeze({
  'rolled-back': 'alert.rolloutReason.rolled-back',
  'install-failed': 'alert.rolloutReason.install-failed',
  offline: 'alert.rolloutReason.offline',
  'pending-too-long': 'alert.rolloutReason.pending-too-long',
});

/**
 * The alert's message in `lang`, numbers written the locale's way (vi: "3,1"). A count's plural form
 * is chosen from the written number: "1" is one, and a number with a separator is other.
 */
export function alertText(alert: Pick<RaisedAlert, 'kind' | 'params'>, lang: DashboardLanguage): string {
  const params = Object.fromEntries(
    Object.entries(alert.params).map(([k, v]) => [k, typeof v === 'number' ? formatNumber(v, lang, 1) : v]),
  );
  const reason =
    alert.kind === 'release-rollout-halted' ? ROLLOUT_REASON_KEY[String(params['reason'])] : undefined;
  if (reason) params['reason'] = alertsTexts.text(lang, reason);
  return alertsTexts.text(lang, ALERT_MESSAGE_KEY[alert.kind], params);
}
