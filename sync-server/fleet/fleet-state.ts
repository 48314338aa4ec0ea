/**
 * The fleet view's pure part: a screen's state from its presence and newest health report, and the
 * grouping of screens by province (the first segment of the site group, "kien-giang/ha-tien") and gate.
 */
import type { HealthReport } from '../../protocol/messages.js';

export type ScreenState = 'playing' | 'offline' | 'displayOff' | 'error';
export const SCREEN_STATES: readonly ScreenState[] = ['playing', 'offline', 'displayOff', 'error'];

/** One screen as the fleet page shows it (also the live update's payload). */
export interface FleetRow {
  id: string;
  siteGroup: string;
  province: string;
  gateName: string;
  timezone: string;
  screenName: string;
  state: ScreenState;
  online: boolean;
  lastSeenMs: number | null;
  currentItem: string | null;
  currentLanguage: string | null;
  installedVersion: string | null;
  latestVersion: string | null;
  alerts: number | null;
}

export function screenState(online: boolean, health: Partial<HealthReport> | undefined): ScreenState {
  if (!online) return 'offline';
  if (!health) return 'playing';
  if (health.display === 'off' || health.display === 'blank') return 'displayOff';
  if (health.display === 'crashed' || health.storage?.rootReadOnly === true) return 'error';
  return 'playing';
}

export function provinceOf(siteGroup: string): string {
  const i = siteGroup.indexOf('/');
  return i < 0 ? siteGroup : siteGroup.slice(0, i);
}

export interface GateGroup {
  siteGroup: string;
  gateName: string;
  rows: FleetRow[];
}
export interface ProvinceGroup {
  province: string;
  gates: GateGroup[];
}

/** Provinces, then gates, then screens, each in name order. */
export function groupFleet(rows: readonly FleetRow[]): ProvinceGroup[] {
  const provinces = new Map<string, Map<string, GateGroup>>();
  for (const r of rows) {
    let gates = provinces.get(r.province);
    if (!gates) provinces.set(r.province, (gates = new Map()));
    let g = gates.get(r.siteGroup);
    if (!g) gates.set(r.siteGroup, (g = { siteGroup: r.siteGroup, gateName: r.gateName, rows: [] }));
    g.rows.push(r);
  }
  const byName = (a: string, b: string) => a.localeCompare(b, 'vi');
  return [...provinces.entries()]
    .sort(([a], [b]) => byName(a, b))
    .map(([province, gates]) => ({
      province,
      gates: [...gates.values()]
        .sort((a, b) => byName(a.gateName, b.gateName))
        .map((g) => ({ ...g, rows: g.rows.sort((a, b) => byName(a.screenName, b.screenName)) })),
    }));
}

export function countStates(rows: Iterable<FleetRow>): Record<ScreenState, number> {
  const n: Record<ScreenState, number> = { playing: 0, offline: 0, displayOff: 0, error: 0 };
  for (const r of rows) n[r.state]++;
  return n;
}
