/**
 * The life of an alert as a pure reducer: a new evaluation raises alerts that were not active,
 * keeps (and updates) the ones that still hold, resolves the ones that no longer do. An operator's
 * acknowledgement sticks until the alert resolves or escalates.
 */
import { coded } from '../../protocol/errors.js';
import type { AlertEvent, AlertRecord, AlertResolveReason, RaisedAlert } from './types.js';

export class AlertNotFoundError extends coded('ALERT_NOT_FOUND') {}
export const isAlertNotFoundError = (e: unknown): e is AlertNotFoundError => e instanceof AlertNotFoundError;

export interface AlertStep {
  /** Active alerts after this evaluation, by key order. */
  active: AlertRecord[];
  /** What changed, for the dashboard's live feed and the webhook. */
  events: AlertEvent[];
}

/** Applies one evaluation (`held`, from evaluateAlerts at `now`) to the active alerts. */
export function reduceAlerts(
  previous: readonly AlertRecord[],
  held: readonly RaisedAlert[],
  now: number,
): AlertStep {
  const prevByKey = new Map(previous.map((a) => [a.key, a]));
  const heldKeys = new Set<string>();
  const active: AlertRecord[] = [];
  const events: AlertEvent[] = [];
  for (const h of held) {
    if (heldKeys.has(h.key)) continue; // a rule set returning the same key twice: first wins
    heldKeys.add(h.key);
    const prev = prevByKey.get(h.key);
    if (!prev) {
      const alert: AlertRecord = {
        ...h,
        raisedAt: now,
        lastHeldAt: now,
        resolvedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
      };
      active.push(alert);
      events.push({ type: 'raised', alert });
      continue;
    }
    const escalated = prev.severity === 'warning' && h.severity === 'critical';
    const alert: AlertRecord = {
      ...prev,
      severity: h.severity,
      params: h.params,
      lastHeldAt: now,
      // An escalation needs a fresh look: clear the acknowledgement.
      acknowledgedAt: escalated ? null : prev.acknowledgedAt,
      acknowledgedBy: escalated ? null : prev.acknowledgedBy,
    };
    active.push(alert);
    if (escalated) events.push({ type: 'escalated', alert, from: prev.severity });
  }
  for (const prev of previous) {
    if (!heldKeys.has(prev.key)) events.push({ type: 'resolved', alert: { ...prev, resolvedAt: now } });
  }
  active.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { active, events };
}

/** Marks the active alert `key` acknowledged by `user`; an unknown key is an AlertNotFoundError. */
export function acknowledgeAlert(
  active: readonly AlertRecord[],
  key: string,
  user: string,
  now: number,
): AlertStep {
  const found = active.find((a) => a.key === key);
  if (!found) throw new AlertNotFoundError(`no active alert "${key}"`);
  if (found.acknowledgedAt !== null) return { active: [...active], events: [] };
  const alert: AlertRecord = { ...found, acknowledgedAt: now, acknowledgedBy: user };
  return {
    active: active.map((a) => (a.key === key ? alert : a)),
    events: [{ type: 'acknowledged', alert }],
  };
}

/** Resolves every active alert of one device at once, saying why (the device left the fleet). */
export function resolveDeviceAlerts(
  active: readonly AlertRecord[],
  deviceId: string,
  reason: AlertResolveReason,
  now: number,
): AlertStep {
  return {
    active: active.filter((a) => a.deviceId !== deviceId),
    events: active
      .filter((a) => a.deviceId === deviceId)
      .map((a) => ({ type: 'resolved' as const, alert: { ...a, resolvedAt: now, resolvedReason: reason } })),
  };
}
