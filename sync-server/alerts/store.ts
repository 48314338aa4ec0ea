/**
 * Active alerts and their acknowledgements kept in the registry database, so a server restart
 * neither raises them again (a new webhook call, a lost acknowledgement) nor forgets them.
 */
import { z } from 'zod';
import type { Logger } from '../../protocol/log.js';
import type { Registry } from '../registry/registry.js';
import type { AlertRecord } from './types.js';

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
  acknowledgedAt: z.number().nullable(),
  acknowledgedBy: z.string().nullable(),
});

/** The stored active alerts; a row that no longer parses is logged and left out (the rules re-raise it). */
export function loadActiveAlerts(registry: Pick<Registry, 'loadAlerts'>, logger: Logger): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const row of registry.loadAlerts()) {
    const r = StoredAlert.safeParse(row.record);
    if (r.success) out.push(r.data as AlertRecord);
    else logger.warn('stored alert dropped: unreadable record', { key: row.key, issues: r.error.issues });
  }
  return out;
}

export function saveActiveAlerts(
  registry: Pick<Registry, 'saveAlerts'>,
  active: readonly AlertRecord[],
): void {
  registry.saveAlerts(active);
}
