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
import type { Emergency } from '../../protocol/content.js';
import {
  endCommitmentOf,
  type EmergencyEndPreview,
  type EmergencyRef,
  newEndSecret,
} from '../../protocol/emergency-end.js';
import { coded } from '../../protocol/errors.js';
import type { DraftView } from '../../protocol/publish-api.js';
import type { Logger } from '../../platform/log.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import type { CommandState } from '../registry/command-store.js';
import type { Registry } from '../registry/registry.js';
import type { DraftService } from '../tuf/drafts.js';
import { DraftNotFoundError } from '../tuf/errors.js';
import { latestManifest, manifestAtVersion, type PublishedManifest } from '../tuf/published-manifest.js';
import type { TufRepository } from '../tuf/repository.js';
import { EmergencyNotFoundError } from './errors.js';
import { type EmergencyEndRow, type EmergencyEndStore, emergencyEndStore } from './emergency-end-store.js';

/** The emergency on air was signed without an end commitment (or its secret is not on this server). */
export class EmergencyNotEndableError extends coded('EMERGENCY_NOT_ENDABLE') {}
/** The emergency was already ended early; the answer names who ended it and when. */
export class EmergencyAlreadyEndedError extends coded('EMERGENCY_ALREADY_ENDED') {}
/** The emergency has expired: it left the screens by itself, there is nothing to end. */
export class EmergencyExpiredError extends coded('EMERGENCY_EXPIRED') {}
/** The emergency is not on air: its draft was not published (yet), or a later version took it off. */
export class EmergencyNotOnAirError extends coded('EMERGENCY_NOT_ON_AIR') {}
/** The emergency's end-status was asked for, but it was not ended early. */
export class EmergencyNotEndedError extends coded('EMERGENCY_NOT_ENDED') {}

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
  /** The drafts, to name an emergency by the draft that carries it and say where that draft stands. */
  drafts?: Pick<DraftService, 'get' | 'list' | 'manifest'> | undefined;
  repo: TufRepository;
  repoDir: string;
  clock: Clock;
  log: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** An emergency `ref` named: its site group and id, and the draft it was named by. */
export interface Resolved {
  siteGroup: string;
  emergencyId: string;
  draft?: DraftView;
}

interface Endable {
  siteGroup: string;
  emergency: Emergency;
  row: EmergencyEndRow;
  onAir: PublishedManifest;
}

/** Why an emergency is not on air, from where its draft stands (when it is known). */
function whyNotOnAir(draft: DraftView | undefined, now: number): string {
  if (!draft)
    return 'it was never published (its draft waits for signatures, was sent back or ran out of time), or a later version took it off';
  if (draft.status === 'published')
    return `its draft ${draft.id} was published as version ${draft.version}, and a later version took it off`;
  if (draft.status === 'rejected') return `its draft ${draft.id} was sent back to its author`;
  if (draft.approveBy && Date.parse(draft.approveBy) <= now)
    return `its draft ${draft.id} was not approved in time (approve by ${draft.approveBy})`;
  return `its draft ${draft.id} still waits for signatures (${draft.signedBy.length} of ${draft.threshold}); discard the draft instead`;
}

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
   * Which emergency `ref` names: an emergency id this server drew an end secret for, an emergency
   * on air, or the emergency draft that put one on air (the emergency it adds to its base version).
   */
  async resolve(ref: EmergencyRef): Promise<Resolved> {
    const { repo, repoDir } = this.#o;
    const where = ref.siteGroup ? ` in "${ref.siteGroup}"` : '';
    const rows = this.#store
      .byEmergencyId(ref.id)
      .filter((r) => !ref.siteGroup || r.siteGroup === ref.siteGroup);
    const groups = new Set(rows.map((r) => r.siteGroup));
    if (!rows.length)
      for (const g of ref.siteGroup ? [ref.siteGroup] : repo.siteGroups().map((x) => x.siteGroup)) {
        const m = await latestManifest(repo, repoDir, g);
        if (m?.manifest.emergencies.some((e) => e.id === ref.id)) groups.add(g);
      }
    if (groups.size > 1)
      throw new EmergencyNotFoundError(
        `emergency "${ref.id}" is in several site groups (${[...groups].sort().join(', ')}): name the site group`,
      );
    const [found] = groups;
    if (found) return { siteGroup: found, emergencyId: ref.id };
    const draft = await this.#draft(ref.id);
    if (!draft || (ref.siteGroup && draft.siteGroup !== ref.siteGroup))
      throw new EmergencyNotFoundError(`no emergency message or emergency draft "${ref.id}"${where}`);
    if (draft.kind !== 'emergency')
      throw new EmergencyNotFoundError(
        `draft "${draft.id}" is a content draft, not an emergency message; name an emergency or its draft`,
      );
    const base = draft.basedOnVersion
      ? await manifestAtVersion(repo, repoDir, draft.siteGroup, draft.basedOnVersion)
      : undefined;
    const before = new Set(base?.manifest.emergencies.map((e) => e.id) ?? []);
    const added = (await this.#draftEmergencies(draft.id)).filter((id) => !before.has(id));
    if (added.length !== 1)
      throw new EmergencyNotFoundError(
        added.length
          ? `draft "${draft.id}" adds several emergency messages (${added.join(', ')}): name one`
          : `draft "${draft.id}" puts no new emergency message on air (it ends or keeps those on air): name the emergency to end`,
      );
    return { siteGroup: draft.siteGroup, emergencyId: added[0]!, draft };
  }

  /**
   * What ending `ref` early would take off air and which screens it would be sent to, or the
   * refusal `end` would give: unknown (EMERGENCY_NOT_FOUND), already ended (EMERGENCY_ALREADY_ENDED),
   * expired (EMERGENCY_EXPIRED), not on air (EMERGENCY_NOT_ON_AIR), or signed without a commitment
   * whose secret this server holds (EMERGENCY_NOT_ENDABLE).
   */
  async check(ref: EmergencyRef): Promise<EmergencyEndPreview> {
    const c = await this.#endable(await this.resolve(ref));
    return {
      siteGroup: c.siteGroup,
      emergencyId: c.emergency.id,
      version: c.onAir.version,
      startsAt: c.emergency.startsAt,
      expiresAt: c.emergency.expiresAt,
      text: c.emergency.text,
      screens: this.#screensOf(c.siteGroup).map((d) => ({
        deviceId: d.id,
        screenName: d.screenName,
        online: d.online,
      })),
    };
  }

  /**
   * Ends the emergency `ref` names early (the checks are `check`'s): records the end (who, when) and
   * sends each screen of the site group the secret.
   */
  async end(ref: EmergencyRef, by: string): Promise<EmergencyEndStatus> {
    const { hub, log } = this.#o;
    const { siteGroup, emergency: e, row } = await this.#endable(await this.resolve(ref));
    const emergencyId = e.id;
    const now = this.#o.clock.now();
    const devices = this.#store.transaction(() => {
      if (!this.#store.markEnded(siteGroup, emergencyId, now, by))
        throw new EmergencyAlreadyEndedError(`emergency "${emergencyId}" was already ended`);
      return this.#screensOf(siteGroup).map((d) => {
        this.#reveal(siteGroup, emergencyId, row.secret, Date.parse(e.expiresAt), d.id);
        return d.id;
      });
    });
    for (const id of devices) hub.deliverCommands(id);
    log.warn('emergency ended early', { siteGroup, emergencyId, by, screens: devices.length });
    return this.status({ siteGroup, id: emergencyId });
  }

  #screensOf(siteGroup: string) {
    return this.#o.registry.devices.list().filter((d) => d.siteGroup === siteGroup && d.revokedAtMs === null);
  }

  async #draft(id: string): Promise<DraftView | undefined> {
    if (!this.#o.drafts) return undefined;
    try {
      return await this.#o.drafts.get(id);
    } catch (err) {
      if (err instanceof DraftNotFoundError) return undefined;
      throw err;
    }
  }

  async #draftEmergencies(draftId: string): Promise<string[]> {
    const raw = JSON.parse((await this.#o.drafts!.manifest(draftId)).toString('utf8')) as {
      emergencies?: { id?: unknown }[];
    };
    return (raw.emergencies ?? []).map((e) => e.id).filter((x): x is string => typeof x === 'string');
  }

  /** The draft that first carried emergency `emergencyId` (the one that made it), if it is still kept. */
  async #draftCarrying(siteGroup: string, emergencyId: string): Promise<DraftView | undefined> {
    if (!this.#o.drafts) return undefined;
    const drafts = (await this.#o.drafts.list())
      .filter((d) => d.kind === 'emergency' && d.siteGroup === siteGroup)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const d of drafts) if ((await this.#draftEmergencies(d.id)).includes(emergencyId)) return d;
    return undefined;
  }

  async #endable(r: Resolved): Promise<Endable> {
    const { repo, repoDir, clock } = this.#o;
    const { siteGroup, emergencyId } = r;
    const now = clock.now();
    const row = this.#store.get(siteGroup, emergencyId);
    if (row?.endedAtMs != null)
      throw new EmergencyAlreadyEndedError(
        `emergency "${emergencyId}" of "${siteGroup}" was already ended by ${row.endedBy} at ${iso(row.endedAtMs)}`,
      );
    const onAir = await latestManifest(repo, repoDir, siteGroup);
    const e = onAir?.manifest.emergencies.find((x) => x.id === emergencyId);
    const expiresAtMs = e ? Date.parse(e.expiresAt) : row?.expiresAtMs;
    if (expiresAtMs !== undefined && expiresAtMs <= now)
      throw new EmergencyExpiredError(
        `emergency "${emergencyId}" of "${siteGroup}" expired at ${iso(expiresAtMs)}: it has left the screens by itself`,
      );
    if (!onAir || !e) {
      const draft = r.draft ?? (await this.#draftCarrying(siteGroup, emergencyId));
      throw new EmergencyNotOnAirError(
        `emergency "${emergencyId}" of "${siteGroup}" is not on air${onAir ? ` (version ${onAir.version} is)` : ''}: ${whyNotOnAir(draft, now)}`,
      );
    }
    if (!e.endCommitment)
      throw new EmergencyNotEndableError(
        `emergency "${emergencyId}" was signed without an end commitment; end it with a draft for approval`,
      );
    if (!row || row.commitment !== e.endCommitment || endCommitmentOf(row.secret) !== e.endCommitment)
      throw new EmergencyNotEndableError(
        `this server holds no secret for the end commitment signed with emergency "${emergencyId}"; end it with a draft for approval`,
      );
    return { siteGroup, emergency: e, row, onAir };
  }

  /** Which screens confirmed the end of the emergency `ref` names, which refused it and which have not answered yet. */
  async status(ref: EmergencyRef): Promise<EmergencyEndStatus> {
    const { registry } = this.#o;
    const { siteGroup, emergencyId } = await this.resolve(ref);
    const row = this.#store.get(siteGroup, emergencyId);
    if (!row || row.endedAtMs === null)
      throw new EmergencyNotEndedError(`emergency "${emergencyId}" of "${siteGroup}" was not ended early`);
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
