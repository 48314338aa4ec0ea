/**
 * Ending an emergency early (docs/drafts.md §7). When an emergency draft is made, `commit` draws its
 * end secret and returns the SHA-256 that goes into the signed emergency. `end` (an operator's or an
 * approver's action, audited by the route) reveals the secret to every screen of the site group as an
 * `end-emergency` command, kept in the registry's command queue until the emergency would have
 * expired, so a screen offline now gets it when it connects; a screen that connects for the first
 * time after the end (new, or re-enrolled) is sent it then (`deviceOnline`). Each screen checks the
 * secret against the commitment signed in its own bundle before it takes the emergency off air, and
 * its answer is the command's result: `status` says which screens confirmed the end and which not yet.
 */
import type { Clock } from '../../protocol/clock.js';
import { endCommitmentOf, newEndSecret } from '../../protocol/emergency-end.js';
import { coded } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import type { CommandState } from '../registry/command-store.js';
import type { Registry } from '../registry/registry.js';
import { latestManifest } from '../tuf/published-manifest.js';
import type { TufRepository } from '../tuf/repository.js';
import { EmergencyNotFoundError } from './approval-service.js';
import { type EmergencyEndStore, emergencyEndStore } from './emergency-end-store.js';

/** The emergency on air was signed without an end commitment (or its secret is not on this server). */
export class EmergencyNotEndableError extends coded('EMERGENCY_NOT_ENDABLE') {}
/** The emergency was already ended early; the answer names who ended it and when. */
export class EmergencyAlreadyEndedError extends coded('EMERGENCY_ALREADY_ENDED') {}

/** Where one screen stands with an end. */
export type ScreenEndState =
  /** The screen checked the secret against its signed commitment and took the emergency off air (or keeps the end for the bundle still to come). */
  | 'confirmed'
  /** Not answered yet (offline, or the command is on its way). */
  | 'waiting'
  /** The screen refused the end (its answer names why, e.g. EMERGENCY_END_SECRET_MISMATCH). */
  | 'refused'
  /** The emergency expired by itself before the screen answered. */
  | 'expired';

export interface ScreenEnd {
  deviceId: string;
  screenName: string;
  online: boolean;
  state: ScreenEndState;
  /** The screen's own words (or the server's, for an expired command). */
  message: string | null;
  commandId: string;
}

export interface EmergencyEndStatus {
  siteGroup: string;
  emergencyId: string;
  endedAt: string;
  endedBy: string;
  expiresAt: string;
  screens: ScreenEnd[];
  confirmed: number;
  waiting: number;
  refused: number;
}

/** What the approval service needs: a commitment for each new emergency, and which ones ended early. */
export interface EmergencyEndings {
  commit(siteGroup: string, emergencyId: string, expiresAtMs: number): string;
  /** Who ended the emergency early and when, or undefined while it has not been. */
  endedEarly(siteGroup: string, emergencyId: string): { at: string; by: string } | undefined;
}

export interface EmergencyEndServiceOptions {
  registry: Registry;
  /**
   * Queues the `end-emergency` command for a screen without sending it (fleet/commands.ts
   * queueEmergencyEnd: the generic command routes may not issue it); the hub delivers it.
   */
  queueEnd(c: { deviceId: string; emergencyId: string; secret: string; ttlMs: number }): { id: string };
  hub: Pick<DeviceHub, 'deliverCommands'>;
  repo: TufRepository;
  repoDir: string;
  clock: Clock;
  log: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();

function screenState(state: CommandState): ScreenEndState {
  if (state === 'ok') return 'confirmed';
  if (state === 'failed' || state === 'unsupported') return 'refused';
  if (state === 'expired') return 'expired';
  return 'waiting';
}

export class EmergencyEndService implements EmergencyEndings {
  readonly #o: EmergencyEndServiceOptions;

  constructor(o: EmergencyEndServiceOptions) {
    this.#o = o;
  }

  get #store(): EmergencyEndStore {
    return this.#o.registry.featureStore(emergencyEndStore);
  }

  commit(siteGroup: string, emergencyId: string, expiresAtMs: number): string {
    const secret = newEndSecret();
    const commitment = endCommitmentOf(secret);
    this.#store.add({
      siteGroup,
      emergencyId,
      secret,
      commitment,
      createdAtMs: this.#o.clock.now(),
      expiresAtMs,
    });
    return commitment;
  }

  endedEarly(siteGroup: string, emergencyId: string): { at: string; by: string } | undefined {
    const r = this.#store.get(siteGroup, emergencyId);
    return r?.endedAtMs != null ? { at: iso(r.endedAtMs), by: r.endedBy ?? '' } : undefined;
  }

  /**
   * Ends emergency `emergencyId` of `siteGroup` early: it must be on air (in the version on air, not
   * expired) with an end commitment whose secret this server holds, and not ended already. Records
   * the end (who, when) and sends each screen of the site group the secret.
   */
  async end(siteGroup: string, emergencyId: string, by: string): Promise<EmergencyEndStatus> {
    const { repo, repoDir, clock, registry, hub, log } = this.#o;
    const now = clock.now();
    const onAir = await latestManifest(repo, repoDir, siteGroup);
    const e = onAir?.manifest.emergencies.find((x) => x.id === emergencyId);
    if (!onAir || !e || Date.parse(e.expiresAt) <= now)
      throw new EmergencyNotFoundError(`no emergency message "${emergencyId}" on air in "${siteGroup}"`);
    const row = this.#store.get(siteGroup, emergencyId);
    if (!e.endCommitment)
      throw new EmergencyNotEndableError(
        `emergency "${emergencyId}" was signed without an end commitment; end it with a draft for approval`,
      );
    if (!row || row.commitment !== e.endCommitment || endCommitmentOf(row.secret) !== e.endCommitment)
      throw new EmergencyNotEndableError(
        `this server holds no secret for the end commitment signed with emergency "${emergencyId}"; end it with a draft for approval`,
      );
    if (row.endedAtMs !== null)
      throw new EmergencyAlreadyEndedError(
        `emergency "${emergencyId}" was already ended by ${row.endedBy} at ${iso(row.endedAtMs)}`,
      );
    const devices = this.#store.transaction(() => {
      if (!this.#store.markEnded(siteGroup, emergencyId, now, by))
        throw new EmergencyAlreadyEndedError(`emergency "${emergencyId}" was already ended`);
      return registry.devices
        .list()
        .filter((d) => d.siteGroup === siteGroup && d.revokedAtMs === null)
        .map((d) => {
          this.#reveal(siteGroup, emergencyId, row.secret, Date.parse(e.expiresAt), d.id);
          return d.id;
        });
    });
    for (const id of devices) hub.deliverCommands(id);
    log.warn('emergency ended early', { siteGroup, emergencyId, by, screens: devices.length });
    return this.status(siteGroup, emergencyId);
  }

  /** Which screens confirmed the end, which refused it and which have not answered yet. */
  status(siteGroup: string, emergencyId: string): EmergencyEndStatus {
    const { registry } = this.#o;
    const row = this.#store.get(siteGroup, emergencyId);
    if (!row || row.endedAtMs === null)
      throw new EmergencyNotFoundError(`emergency "${emergencyId}" of "${siteGroup}" was not ended early`);
    const screens: ScreenEnd[] = [];
    for (const c of this.#store.commands(siteGroup, emergencyId)) {
      const cmd = registry.commands.get(c.commandId);
      const dev = registry.devices.get(c.deviceId);
      if (!cmd || !dev) continue;
      screens.push({
        deviceId: dev.id,
        screenName: dev.screenName,
        online: dev.online,
        state: screenState(cmd.state),
        message: cmd.message,
        commandId: cmd.id,
      });
    }
    const count = (s: ScreenEndState) => screens.filter((x) => x.state === s).length;
    return {
      siteGroup,
      emergencyId,
      endedAt: iso(row.endedAtMs),
      endedBy: row.endedBy ?? '',
      expiresAt: iso(row.expiresAtMs),
      screens,
      confirmed: count('confirmed'),
      waiting: count('waiting'),
      refused: count('refused'),
    };
  }

  /**
   * A screen connected: it is sent the end of every emergency of its site group ended early and not
   * yet expired that it was not sent (a screen enrolled since). Queued only: the hub delivers the
   * queue right after the welcome.
   */
  deviceOnline(deviceId: string): void {
    const dev = this.#o.registry.devices.get(deviceId);
    if (!dev || dev.revokedAtMs !== null) return;
    const now = this.#o.clock.now();
    for (const r of this.#store.endedBefore(now, dev.siteGroup)) {
      if (this.#store.commands(r.siteGroup, r.emergencyId).some((c) => c.deviceId === deviceId)) continue;
      this.#reveal(r.siteGroup, r.emergencyId, r.secret, r.expiresAtMs, deviceId);
    }
  }

  #reveal(
    siteGroup: string,
    emergencyId: string,
    secret: string,
    expiresAtMs: number,
    deviceId: string,
  ): void {
    const ttlMs = Math.max(1000, expiresAtMs - this.#o.clock.now());
    const cmd = this.#o.queueEnd({ deviceId, emergencyId, secret, ttlMs });
    this.#store.addCommand(siteGroup, emergencyId, deviceId, cmd.id);
  }
}
