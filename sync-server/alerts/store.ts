/**
 * Active alerts and their acknowledgements kept in the registry database, so a server restart
 * neither raises them again (a new webhook call, a lost acknowledgement) nor forgets them.
 */
import { z } from 'zod';
import type { Logger } from '../../platform/log.js';
import type { AlertStateStore } from './alert-state-store.js';
import type { AlertEvent, AlertRecord } from './types.js';

const StoredAlert = z.object({
  key: z.string().min(1),
  kind: z.enum([
    'offline',
    'display-off-in-opening-hours',
    'disk-low',
    'temperature-high',
    'under-voltage',
    'playback-errors',
    'bundle-lagging',
    'clock-skew',
    'missing-language-variants',
  ]),
  severity: z.enum(['warning', 'critical']),
  siteGroup: z.string(),
  deviceId: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  raisedAt: z.number(),
  lastHeldAt: z.number(),
  resolvedAt: z.number().nullable(),
  resolvedReason: z.enum(['retired']).optional(),
  acknowledgedAt: z.number().nullable(),
  acknowledgedBy: z.string().nullable(),
});

/** The stored active alerts; a row that no longer parses is logged and left out (the rules re-raise it). */
export function loadActiveAlerts(alerts: Pick<AlertStateStore, 'loadActive'>, logger: Logger): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const row of alerts.loadActive()) {
    const r = StoredAlert.safeParse(row.record);
    if (r.success) out.push(r.data as AlertRecord);
    else logger.warn('stored alert dropped: unreadable record', { key: row.key, issues: r.error.issues });
  }
  return out;
}

export function saveActiveAlerts(
  alerts: Pick<AlertStateStore, 'saveActive'>,
  active: readonly AlertRecord[],
): void {
  alerts.saveActive(active);
}

/** How long the alert history keeps an event. */
export const ALERT_HISTORY_RETENTION_MS = 90 * 24 * 3_600_000;

/** One past alert event as the dashboard lists it. */
export interface AlertHistoryEntry {
  at: number;
  type: AlertEvent['type'];
  alert: AlertRecord;
}

const EVENT_TYPES = new Set<string>(['raised', 'escalated', 'acknowledged', 'resolved']);

/** When an event happened, from its record. */
function eventTime(e: AlertEvent, now: number): number {
  if (e.type === 'resolved') return e.alert.resolvedAt ?? now;
  if (e.type === 'acknowledged') return e.alert.acknowledgedAt ?? now;
  if (e.type === 'raised') return e.alert.raisedAt;
  return e.alert.lastHeldAt;
}

/** Stores `events` in the history, dropping events older than the retention. */
export function saveAlertEvents(
  alerts: Pick<AlertStateStore, 'appendHistory'>,
  events: readonly AlertEvent[],
  now: number,
): void {
  alerts.appendHistory(
    events.map((e) => ({ at: eventTime(e, now), type: e.type, key: e.alert.key, record: e.alert })),
    now - ALERT_HISTORY_RETENTION_MS,
  );
}

/** The newest `limit` history events, newest first; unreadable rows are logged and left out. */
export function loadAlertHistory(
  alerts: Pick<AlertStateStore, 'history'>,
  limit: number,
  logger: Logger,
): AlertHistoryEntry[] {
  const out: AlertHistoryEntry[] = [];
  for (const row of alerts.history(limit)) {
    const r = StoredAlert.safeParse(row.record);
    if (r.success && EVENT_TYPES.has(row.type))
      out.push({ at: row.at, type: row.type as AlertEvent['type'], alert: r.data as AlertRecord });
    else logger.warn('alert history entry dropped: unreadable record', { id: row.id, key: row.key });
  }
  return out;
}
