/**
 * The live fleet: one FleetRow per device, built from the registry at start and kept current from
 * the hub's events (presence, stored health, commands). Subscribers (the SSE streams) receive the
 * changed rows, coalesced per event-loop turn.
 */
import type { Clock } from '../../protocol/clock.js';
import type { HealthReport } from '../../protocol/messages.js';
import type { Registry } from '../registry/registry.js';
import type { HubEvent } from '../ingest/ws-connection.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import { type FleetRow, provinceOf, screenState } from './fleet-state.js';

/** The latest published bundle version of a site group (from the TUF repository), if any. */
export type LatestVersionSource = (siteGroup: string) => string | null;
/** Open alerts of a device (its own and its gate's); absent when no alert monitor runs. */
export type AlertCountSource = (deviceId: string, siteGroup: string) => number;

/** An AlertCountSource over the alert monitor's records (sync-server/alerts): unresolved ones count. */
export function openAlertCounter(
  active: () => readonly { deviceId?: string; siteGroup: string; resolvedAt: number | null }[],
): AlertCountSource {
  return (deviceId, siteGroup) =>
    active().filter(
      (a) =>
        a.resolvedAt === null &&
        (a.deviceId === deviceId || (a.deviceId === undefined && a.siteGroup === siteGroup)),
    ).length;
}

export type FleetChange =
  { type: 'rows'; rows: FleetRow[] } | { type: 'command'; deviceId: string; commandId: string };

export interface FleetViewOptions {
  registry: Registry;
  hub: DeviceHub;
  clock: Clock;
  latestVersion?: LatestVersionSource;
  alertCount?: AlertCountSource;
}

export class FleetView {
  private readonly rowsById = new Map<string, FleetRow>();
  private readonly health = new Map<string, Partial<HealthReport>>();
  private readonly listeners = new Set<(c: FleetChange) => void>();
  private dirty = new Set<string>();
  private stopped = false;
  private flushScheduled = false;
  private unsubscribe?: () => void;

  constructor(private readonly o: FleetViewOptions) {}

  start(): void {
    this.stopped = false;
    for (const [id, h] of this.o.registry.health.latest()) this.health.set(id, h.payload as HealthReport);
    for (const d of this.o.registry.devices.list()) if (d.revokedAtMs === null) this.rebuild(d.id);
    this.unsubscribe = this.o.hub.subscribe((e) => this.onHub(e));
  }

  stop(): void {
    // A flush already scheduled must not read the registry, which closes right after.
    this.stopped = true;
    this.unsubscribe?.();
    this.listeners.clear();
    this.dirty.clear();
  }

  /**
   * Every screen. Enrolments and revocations reach the registry without passing the hub, so the
   * device list is reconciled here (one indexed scan) before answering.
   */
  rows(): FleetRow[] {
    const live = new Set<string>();
    for (const d of this.o.registry.devices.list()) {
      if (d.revokedAtMs !== null) continue;
      live.add(d.id);
      if (!this.rowsById.has(d.id)) this.rebuild(d.id);
    }
    for (const id of this.rowsById.keys()) if (!live.has(id)) this.rowsById.delete(id);
    return [...this.rowsById.values()];
  }

  row(id: string): FleetRow | undefined {
    return this.rowsById.get(id) ?? this.rebuild(id);
  }

  latestHealth(id: string): Partial<HealthReport> | undefined {
    return this.health.get(id);
  }

  subscribe(fn: (c: FleetChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Re-reads a device (after a publication or a change the hub does not report) and tells subscribers. */
  refresh(id?: string): void {
    const ids = id ? [id] : [...this.rowsById.keys()];
    for (const i of ids) this.touch(i);
  }

  private onHub(e: HubEvent): void {
    if (e.type === 'command') {
      this.emit({ type: 'command', deviceId: e.deviceId, commandId: e.commandId });
      return;
    }
    if (e.type === 'stored') {
      if (e.stream !== 'health' || e.records.length === 0) return;
      this.health.set(e.deviceId, e.records[e.records.length - 1]!.payload as HealthReport);
    }
    this.touch(e.deviceId);
  }

  private touch(id: string): void {
    if (this.stopped) return;
    this.dirty.add(id);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    // A flush scheduled just before stop() must not read the registry, which closes right after.
    if (this.stopped) return;
    const ids = this.dirty;
    this.dirty = new Set();
    const rows: FleetRow[] = [];
    for (const id of ids) {
      const r = this.rebuild(id);
      if (r) rows.push(r);
    }
    if (rows.length) this.emit({ type: 'rows', rows });
  }

  private emit(c: FleetChange): void {
    for (const fn of this.listeners) fn(c);
  }

  private rebuild(id: string): FleetRow | undefined {
    const d = this.o.registry.devices.get(id);
    if (!d || d.revokedAtMs !== null) {
      this.rowsById.delete(id);
      return undefined;
    }
    const gate = this.o.registry.gates.get(d.siteGroup);
    // Names valid now (a rename or a merger of provinces is recorded with its date); without a
    // recorded name the gate record's names, and the site group's first segment for a province without one.
    const names = this.o.registry.reportNames.namesAt(d.siteGroup, this.o.clock.now());
    const h = this.health.get(id);
    const online = this.o.hub.isOnline(id);
    const row: FleetRow = {
      id,
      siteGroup: d.siteGroup,
      province: names?.provinceName ?? gate?.provinceName ?? provinceOf(d.siteGroup),
      gateName: names?.gateName ?? gate?.name ?? d.siteGroup,
      timezone: gate?.timezone ?? 'Asia/Ho_Chi_Minh',
      screenName: d.screenName,
      state: screenState(online, h),
      online,
      lastSeenMs: Math.max(d.lastSeenMs ?? 0, this.o.hub.lastSeenMs(id) ?? 0, h?.at ?? 0) || null,
      currentItem: h?.currentItem ?? null,
      currentLanguage: h?.currentLanguage ?? null,
      installedVersion: h?.bundle?.installedVersion ?? null,
      latestVersion: this.o.latestVersion?.(d.siteGroup) ?? null,
      alerts: this.o.alertCount ? this.o.alertCount(id, d.siteGroup) : null,
    };
    this.rowsById.set(id, row);
    return row;
  }
}
