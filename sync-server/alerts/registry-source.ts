/**
 * The alert rules' view of the fleet (`AlertInputSource`), read from the registry (devices, gates,
 * health, events, commands), the hub (who is connected now) and the TUF repository (latest bundle
 * per gate and its manifest's content gaps). `read` is synchronous, as the monitor calls it;
 * manifests are read from disk by `refreshManifests` and cached per published version.
 *
 * Publication time of a bundle: TUF role metadata has no such field, so it is when this server
 * first saw that role version (stored in the registry, so it survives restarts): the publication
 * itself when it went through this server (`notePublished`), otherwise the first evaluation that
 * read it (a version published before the server ever ran counts from then).
 */
import type { GateConfig } from '../../protocol/config.js';
import { contentGaps } from '../../protocol/language-policy.js';
import type { Logger } from '../../platform/log.js';
import type { ContentGap } from '../../protocol/schedule.js';
import { latestManifest } from '../content/schedule-preview.js';
import type { Registry } from '../registry/registry.js';
import type { TufRepository } from '../tuf/repository.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import type { AlertInputSource } from './monitor.js';
import {
  type AlertInput,
  DEFAULT_ALERT_THRESHOLDS,
  type DeviceSnapshot,
  FAULT_EVENT_KINDS,
  type FaultEvent,
  type HaltedRollout,
  type HealthSample,
  type LatestBundle,
} from './types.js';

/** Device event kinds that count as playback errors. */
export const PLAYBACK_ERROR_EVENT_KINDS: readonly string[] = ['item-skipped', 'browser-restart'];

const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';

export interface RegistryAlertSourceOptions {
  registry: Registry;
  hub: Pick<DeviceHub, 'isOnline' | 'lastSeenMs'>;
  /** The served repository; without it no bundle alerts (lagging, missing variants) are raised. */
  tuf?: { repo: TufRepository; repoDir: string } | undefined;
  logger: Logger;
  /** How far back playback-error events are read; the rule's window (default 15 min). */
  playbackErrorWindowMs?: number;
  /** The unusable-file rule's window, when longer than the day of fault events read. */
  fileUnusableWindowMs?: number;
  /** Release rollouts halted now (releases/service.ts). */
  haltedRollouts?: () => HaltedRollout[];
}

/** The health fields the rules read, from a stored health payload (protocol HealthReport). */
export function healthSample(deviceId: string, at: number, payload: unknown): HealthSample {
  const p = (payload ?? {}) as {
    cpuTempC?: number | null;
    diskFreeBytes?: number | null;
    diskTotalBytes?: number | null;
    throttling?: { underVoltageNow?: boolean; underVoltageOccurred?: boolean } | null;
    display?: string;
    clockOffsetMs?: number | null;
    clockSource?: string;
    trustRoot?: string;
    storage?: { diskFault?: { code?: string; message?: string } | null } | null;
  };
  const s: HealthSample = { deviceId, at };
  if (typeof p.cpuTempC === 'number') s.cpuTempC = p.cpuTempC;
  if (typeof p.diskFreeBytes === 'number') s.diskFreeBytes = p.diskFreeBytes;
  if (typeof p.diskTotalBytes === 'number') s.diskTotalBytes = p.diskTotalBytes;
  if (p.throttling) {
    s.underVoltageNow = p.throttling.underVoltageNow === true;
    s.underVoltageSinceBoot = p.throttling.underVoltageOccurred === true;
  }
  // 'blank' and 'crashed' are the player's states, not the panel's: the panel's power is unknown.
  s.display = p.display === 'on' || p.display === 'off' ? p.display : 'unknown';
  if (typeof p.clockOffsetMs === 'number') s.clockOffsetMs = p.clockOffsetMs;
  if (typeof p.clockSource === 'string') s.clockSource = p.clockSource;
  if (p.trustRoot === 'present' || p.trustRoot === 'missing') s.trustRoot = p.trustRoot;
  const fault = p.storage?.diskFault;
  if (fault && (fault.code === 'DISK_FULL' || fault.code === 'DISK_SPACE_LOW'))
    s.diskFault = { code: fault.code, message: typeof fault.message === 'string' ? fault.message : '' };
  return s;
}

/** How far back fault events are read: the unusable-file window, and a day for the others. */
const FAULT_EVENTS_BACK_MS = 24 * 3_600_000;

/** Whether a skipped-item event says which item and language (what item-not-shown is raised from). */
function namesItem(e: FaultEvent): boolean {
  return e.itemId !== undefined && e.language !== undefined;
}

/** A stored device event as the fault rules read it (protocol/messages DeviceEvent, data from device/events). */
export function faultEvent(e: {
  at: number;
  kind: string;
  message: string;
  data: Record<string, unknown>;
}): FaultEvent {
  const out: FaultEvent = { at: e.at, kind: e.kind, message: e.message };
  if (typeof e.data['code'] === 'string') out.code = e.data['code'];
  if (typeof e.data['targetPath'] === 'string') out.targetPath = e.data['targetPath'];
  for (const k of ['itemId', 'title', 'language', 'file'] as const)
    if (typeof e.data[k] === 'string') out[k] = e.data[k];
  return out;
}

interface CachedGaps {
  version: string;
  gaps: readonly ContentGap[];
}

export class RegistryAlertSource implements AlertInputSource {
  private readonly gaps = new Map<string, CachedGaps>();
  private refreshing: Promise<void> | undefined;

  constructor(private readonly o: RegistryAlertSourceOptions) {}

  read(now: number): AlertInput {
    const { registry, hub } = this.o;
    const gates = new Map<string, GateConfig>(registry.gates.list().map((g) => [g.siteGroup, g]));
    const stored = registry.health.latest();
    const latestHealth = new Map<string, HealthSample>();
    const devices: DeviceSnapshot[] = [];
    const siteGroups = new Set<string>(gates.keys());
    const displayOff = registry.devices.displayOffByCommand();
    for (const d of registry.devices.list()) {
      if (d.revokedAtMs !== null) continue;
      siteGroups.add(d.siteGroup);
      const gate = gates.get(d.siteGroup);
      const h = stored.get(d.id);
      if (h) latestHealth.set(d.id, healthSample(d.id, h.at, h.payload));
      const installed = (h?.payload as { bundle?: { installedVersion?: string | null } } | undefined)?.bundle
        ?.installedVersion;
      const seen = Math.max(d.lastSeenMs ?? 0, hub.lastSeenMs(d.id) ?? 0);
      const snap: DeviceSnapshot = {
        deviceId: d.id,
        name: d.screenName,
        siteGroup: d.siteGroup,
        timezone: gate?.timezone ?? DEFAULT_TIMEZONE,
        online: hub.isOnline(d.id),
        lastSeenAt: seen > 0 ? seen : null,
        enrolledAt: d.enrolledAtMs,
        installedBundleVersion: installed ?? null,
        displayOffByOps: displayOff.has(d.id),
      };
      if (gate?.openingHours) snap.openingHours = gate.openingHours;
      devices.push(snap);
    }
    const recentHealth = new Map<string, HealthSample[]>();
    const windowMs = this.o.playbackErrorWindowMs ?? DEFAULT_ALERT_THRESHOLDS.playbackErrorWindowMs;
    // Each playback-error event is one error, as a sample at the event's time. A skipped item that
    // names its item and language is raised on its own as item-not-shown (one alert per item and
    // language); counting it here too would raise two alerts for one fault.
    for (const [id, events] of registry.ingest.eventDetailsSince(PLAYBACK_ERROR_EVENT_KINDS, now - windowMs))
      recentHealth.set(
        id,
        events
          .filter((e) => !(e.kind === 'item-skipped' && namesItem(faultEvent(e))))
          .map((e) => ({ deviceId: id, at: e.at, playbackErrors: 1 })),
      );
    const faultEvents = new Map<string, FaultEvent[]>();
    const faultBack = Math.max(FAULT_EVENTS_BACK_MS, this.o.fileUnusableWindowMs ?? 0);
    for (const [id, events] of registry.ingest.eventDetailsSince(FAULT_EVENT_KINDS, now - faultBack))
      faultEvents.set(id, events.map(faultEvent));
    const latestBundles = new Map<string, LatestBundle>();
    const gapsBySite = new Map<string, readonly ContentGap[]>();
    let stale = false;
    if (this.o.tuf) {
      for (const siteGroup of siteGroups) {
        const v = this.o.tuf.repo.roleMetadata(siteGroup)?.signed.version;
        if (v === undefined || v === 0) continue;
        const version = String(v);
        latestBundles.set(siteGroup, {
          siteGroup,
          version,
          publishedAt: registry.gates.bundleFirstSeen(siteGroup, version, now),
        });
        const cached = this.gaps.get(siteGroup);
        if (cached?.version !== version) stale = true;
        // Until the new manifest is read, the previous version's gaps stand (no resolve/raise flap).
        if (cached) gapsBySite.set(siteGroup, cached.gaps);
      }
    }
    if (stale) void this.refreshManifests();
    const haltedRollouts = this.o.haltedRollouts?.() ?? [];
    return {
      now,
      devices,
      latestHealth,
      recentHealth,
      latestBundles,
      contentGaps: gapsBySite,
      faultEvents,
      haltedRollouts,
    };
  }

  /** A publication seen as it happens: its time is exact, and its manifest is read now. */
  async notePublished(siteGroup: string, version: string, now: number): Promise<void> {
    try {
      this.o.registry.gates.bundleFirstSeen(siteGroup, version, now);
      await this.refreshManifests();
    } catch (err) {
      // The next evaluation records the version itself, at most one interval late.
      this.o.logger.warn('cannot note a publication for alerts', { siteGroup, version, err });
    }
  }

  /** Reads the latest manifest of every gate whose published version changed and caches its gaps. */
  refreshManifests(): Promise<void> {
    this.refreshing ??= this.loadManifests().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async loadManifests(): Promise<void> {
    const tuf = this.o.tuf;
    if (!tuf) return;
    for (const gate of this.o.registry.gates.list()) {
      const v = tuf.repo.roleMetadata(gate.siteGroup)?.signed.version;
      if (v === undefined || v === 0 || this.gaps.get(gate.siteGroup)?.version === String(v)) continue;
      try {
        const m = await latestManifest(tuf.repo, tuf.repoDir, gate.siteGroup);
        if (!m) continue;
        this.gaps.set(gate.siteGroup, {
          version: String(m.version),
          gaps: contentGaps(m.manifest, { languages: gate.languages, missingVariant: gate.missingVariant }),
        });
      } catch (err) {
        this.o.logger.warn('cannot read the latest manifest for alerts', { siteGroup: gate.siteGroup, err });
      }
    }
  }
}
