/**
 * Staged rollouts of gatecast releases, as the server runs them: ops start a rollout of a release the
 * catalogue lists (TUF `releases` role), pause, resume, abort or advance it; a background tick applies
 * the policy (rollout-policy.ts) to the fleet as the registry knows it (screens in service, their
 * latest health `release`, their link) and offers the release to the screens it names by issuing
 * `install-release` through the server's one command path (fleet/commands.ts). Each screen is offered
 * a version once (the offers table's key). Every action, by a person or by the tick, is audited.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../protocol/clock.js';
import { HealthReport } from '../../protocol/messages.js';
import type { Logger } from '../../platform/log.js';
import type { AccountService, Actor } from '../accounts/service.js';
import type { HaltedRollout } from '../alerts/types.js';
import { queueCommand } from '../fleet/commands.js';
import { publishedReleaseCheck } from './command-check.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import type { CommandState } from '../registry/command-store.js';
import type { Registry } from '../registry/registry.js';
import type { ReleaseCatalog } from './catalog.js';
import { ReleaseNotPublishedError, RolloutActiveError, RolloutNotFoundError } from './errors.js';
import {
  abortRollout,
  advanceRollout,
  checkRolloutDefinition,
  DEFAULT_ROLLOUT_TIMES,
  initialRolloutState,
  judgeScreens,
  pauseRollout,
  type ReleaseReport,
  resumeRollout,
  type RolloutDefinition,
  type RolloutEvent,
  type RolloutHalt,
  type RolloutStage,
  type RolloutState,
  type RolloutStatus,
  type ScreenInput,
  type ScreenVerdict,
  type StageProgress,
  stepRollout,
} from './rollout-policy.js';
import { type OfferRow, type RolloutRow, type RolloutStore, rolloutStoreOf } from './rollout-store.js';

export const ROLLOUT_TICK_MS = 15_000;

export interface RolloutServiceDeps {
  registry: Registry;
  catalog: ReleaseCatalog;
  hub: Pick<DeviceHub, 'isOnline' | 'lastSeenMs' | 'deliverCommands'>;
  accounts: Pick<AccountService, 'audit'>;
  clock: Clock;
  log: Logger;
  /** How long an install-release command waits for its screen. */
  commandTtlMs: number;
  tickIntervalMs?: number;
  /** Called after a rollout changed (an action, or a tick that offered, halted, advanced or completed). */
  onChange?: (rolloutId: string, events: readonly RolloutEvent[]) => void;
}

/** Who acts: a signed-in account, or the ops token (no account; its caller's address). */
export type RolloutActor = { account: Actor } | { opsToken: true; ip: string | null };

export interface NewRollout {
  version: string;
  stages: RolloutStage[];
  advance: 'auto' | 'manual';
  soakMs?: number | undefined;
  pendingDeadlineMs?: number | undefined;
  offlineLimitMs?: number | undefined;
}

export interface ScreenView extends ScreenVerdict {
  screenName: string;
  commandId: string | null;
  commandState: CommandState | null;
}

export interface RolloutView {
  id: string;
  version: string;
  status: RolloutStatus;
  /** The stage being offered (0: the canaries). */
  stage: number;
  halt: (RolloutHalt & { screenName: string }) | null;
  /** Whether the catalogue lists the version now (nothing is offered while it does not). */
  published: boolean;
  createdAtMs: number;
  createdBy: string;
  updatedAtMs: number;
  definition: RolloutDefinition;
  stages: StageProgress[];
  screens: ScreenView[];
}

/** A screen in service and where its gatecast release stands, as its latest health sample says. */
export interface FleetReleaseRow {
  deviceId: string;
  screenName: string;
  siteGroup: string;
  online: boolean;
  /** null: the screen never reported its release (an older device, or no health yet). */
  release: ReleaseReport | null;
  reportedAtMs: number | null;
}

const ReleaseField = HealthReport.shape.release;

export class RolloutService {
  private readonly store: RolloutStore;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(rolloutId: string) => void>();

  constructor(private readonly d: RolloutServiceDeps) {
    this.store = rolloutStoreOf(d.registry);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.d.log.error('rollout tick failed', { err });
      }
    }, this.d.tickIntervalMs ?? ROLLOUT_TICK_MS).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Calls `fn` after each change of a rollout (the releases page's live stream); returns the unsubscribe. */
  subscribe(fn: (rolloutId: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(rolloutId: string, events: readonly RolloutEvent[]): void {
    this.d.onChange?.(rolloutId, events);
    for (const fn of this.listeners) fn(rolloutId);
  }

  /** Every screen in service with its reported release, by gate then name. */
  fleet(): FleetReleaseRow[] {
    const latest = this.d.registry.health.latest();
    return this.inService()
      .map((dev) => {
        const h = latest.get(dev.id);
        return {
          deviceId: dev.id,
          screenName: dev.screenName,
          siteGroup: dev.siteGroup,
          online: this.d.hub.isOnline(dev.id),
          release: releaseOf(h?.payload),
          reportedAtMs: h?.at ?? null,
        };
      })
      .sort((a, b) => a.siteGroup.localeCompare(b.siteGroup) || a.screenName.localeCompare(b.screenName));
  }

  /** The newest rollouts first, each with its progress. */
  list(limit = 20): RolloutView[] {
    return this.store.list(limit).map((r) => this.view(r));
  }

  get(id: string): RolloutView {
    return this.view(this.row(id));
  }

  /** The rollout under way (running, paused or halted), if any. */
  current(): RolloutView | null {
    const r = this.store.active()[0];
    return r ? this.view(r) : null;
  }

  /** Halted rollouts, for the alert rules. */
  halted(): HaltedRollout[] {
    return this.store
      .active()
      .filter((r) => r.state.status === 'halted' && r.state.halt)
      .map((r) => {
        const h = r.state.halt!;
        const dev = this.d.registry.devices.get(h.deviceId);
        return {
          rolloutId: r.id,
          version: r.version,
          deviceId: h.deviceId,
          screenName: dev?.screenName ?? h.deviceId,
          siteGroup: dev?.siteGroup ?? '',
          reason: h.reason,
          detail: h.detail,
        };
      });
  }

  /**
   * Starts a rollout of a published release (ReleaseNotPublishedError otherwise), one at a time
   * (RolloutActiveError), its definition checked against the fleet (RolloutInvalidError); the
   * canaries are offered at once.
   */
  create(by: RolloutActor, input: NewRollout): RolloutView {
    return this.audited(by, 'release.rollout.start', input.version, () => {
      if (!this.d.catalog.get(input.version))
        throw new ReleaseNotPublishedError(
          `release ${input.version} is not published: the TUF releases role does not list it`,
        );
      const active = this.store.active()[0];
      if (active)
        throw new RolloutActiveError(
          `the rollout of ${active.version} (${active.id}) is ${active.state.status}: abort it or let it complete first`,
        );
      const def = checkRolloutDefinition(
        {
          version: input.version,
          stages: input.stages,
          advance: input.advance,
          soakMs: input.soakMs ?? DEFAULT_ROLLOUT_TIMES.soakMs,
          pendingDeadlineMs: input.pendingDeadlineMs ?? DEFAULT_ROLLOUT_TIMES.pendingDeadlineMs,
          offlineLimitMs: input.offlineLimitMs ?? DEFAULT_ROLLOUT_TIMES.offlineLimitMs,
        },
        this.inService().map((dev) => ({ deviceId: dev.id, siteGroup: dev.siteGroup })),
      );
      const now = this.d.clock.now();
      const id = `ro-${randomBytes(6).toString('hex')}`;
      this.store.create({
        id,
        version: def.version,
        definition: def,
        state: initialRolloutState(),
        createdAtMs: now,
        createdBy: actorName(by),
        updatedAtMs: now,
      });
      this.changed(id, []);
      this.tickOne(id);
      return {
        result: this.get(id),
        target: id,
        details: { version: def.version, stages: def.stages.length },
      };
    });
  }

  pause(by: RolloutActor, id: string): RolloutView {
    return this.change(by, 'release.rollout.pause', id, (r) => pauseRollout(r.state));
  }

  /** Goes on; after a halt, the failures seen so far are accepted (listed in the audit entry). */
  resume(by: RolloutActor, id: string): RolloutView {
    return this.change(by, 'release.rollout.resume', id, (r, screens, offers) =>
      resumeRollout(r.definition, r.state, screens, offers, this.d.clock.now()),
    );
  }

  abort(by: RolloutActor, id: string): RolloutView {
    return this.change(by, 'release.rollout.abort', id, (r) => abortRollout(r.state));
  }

  advance(by: RolloutActor, id: string): RolloutView {
    return this.change(by, 'release.rollout.advance', id, (r, screens, offers) =>
      advanceRollout(r.definition, r.state, screens, offers, this.d.clock.now()),
    );
  }

  /** Applies the policy to every rollout under way: offers, halts, advances, completes. */
  tick(): void {
    for (const r of this.store.active()) {
      try {
        this.tickOne(r.id);
      } catch (err) {
        this.d.log.error('rollout step failed', { rolloutId: r.id, err });
      }
    }
  }

  private tickOne(id: string): void {
    const r = this.row(id);
    const now = this.d.clock.now();
    const { screens, offers } = this.inputs(r);
    const published = this.d.catalog.get(r.version) !== null;
    // A version the catalogue no longer lists is offered to nobody: the step runs as if paused
    // (failures still halt), and a running rollout stays running for when it is listed again.
    const seen: RolloutState =
      !published && r.state.status === 'running' ? { ...r.state, status: 'paused' } : r.state;
    const step = stepRollout(r.definition, seen, screens, offers, now);
    const state: RolloutState =
      !published && step.state.status === 'paused' && r.state.status === 'running'
        ? { ...step.state, status: 'running' }
        : step.state;
    if (!published && r.state.status === 'running')
      this.d.log.warn('rollout holds: its release is not published', { rolloutId: id, version: r.version });
    const commands: string[] = [];
    this.store.transaction(() => {
      for (const o of step.offer) {
        const cmd = queueCommand(
          {
            registry: this.d.registry,
            clock: this.d.clock,
            checkCommand: publishedReleaseCheck(this.d.catalog),
          },
          {
            deviceId: o.deviceId,
            name: 'install-release',
            args: { version: r.version },
            ttlMs: this.d.commandTtlMs,
          },
        );
        this.store.addOffer({
          deviceId: o.deviceId,
          version: r.version,
          rolloutId: id,
          stage: o.stage,
          atMs: now,
          commandId: cmd.id,
        });
        commands.push(o.deviceId);
      }
      if (JSON.stringify(state) !== JSON.stringify(r.state)) this.store.saveState(id, state, now);
    });
    for (const deviceId of commands) this.d.hub.deliverCommands(deviceId);
    for (const e of step.events) this.auditEvent(r, e);
    if (step.events.length) this.changed(id, step.events);
  }

  private auditEvent(r: RolloutRow, e: RolloutEvent): void {
    const details: Record<string, unknown> = { version: r.version, by: 'rollout' };
    if (e.type === 'offered') Object.assign(details, { stage: e.stage + 1, screens: e.deviceIds });
    if (e.type === 'halted') Object.assign(details, e.halt);
    if (e.type === 'advanced') Object.assign(details, { stage: e.stage + 1 });
    const action = {
      offered: 'release.rollout.offer',
      halted: 'release.rollout.halt',
      advanced: 'release.rollout.advance',
      completed: 'release.rollout.complete',
    }[e.type];
    this.d.accounts.audit(null, action, r.id, 'ok', details, null);
  }

  private change(
    by: RolloutActor,
    action: string,
    id: string,
    apply: (r: RolloutRow, screens: ScreenInput[], offers: Map<string, OfferRow>) => RolloutState,
  ): RolloutView {
    return this.audited(by, action, id, () => {
      const r = this.row(id);
      const { screens, offers } = this.inputs(r);
      const state = apply(r, screens, offers);
      this.store.saveState(id, state, this.d.clock.now());
      const accepted = state.accepted.filter((x) => !r.state.accepted.includes(x));
      this.changed(id, []);
      this.tickOne(id);
      return {
        result: this.get(id),
        target: id,
        details: {
          version: r.version,
          from: r.state.status,
          to: state.status,
          stage: state.stage + 1,
          ...(accepted.length ? { acceptedFailures: accepted } : {}),
        },
      };
    });
  }

  /** Runs an action and audits it under its actor: 'ok' with its details, or 'failed' with the error's code. */
  private audited<T>(
    by: RolloutActor,
    action: string,
    target: string,
    run: () => { result: T; target: string; details: Record<string, unknown> },
  ): T {
    const actor = 'account' in by ? by.account : null;
    const ip = 'account' in by ? by.account.ip : by.ip;
    const via = 'account' in by ? {} : { via: 'ops-token' };
    try {
      const out = run();
      this.d.accounts.audit(actor, action, out.target, 'ok', { ...via, ...out.details }, ip);
      return out.result;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.d.accounts.audit(
        actor,
        action,
        target,
        'failed',
        { ...via, code: typeof code === 'string' ? code : 'INTERNAL', message: (err as Error).message },
        ip,
      );
      throw err;
    }
  }

  private row(id: string): RolloutRow {
    const r = this.store.get(id);
    if (!r) throw new RolloutNotFoundError(`no rollout ${id}`);
    return r;
  }

  private inService() {
    return this.d.registry.devices
      .list()
      .filter((dev) => dev.revokedAtMs === null && dev.retiredAtMs === null);
  }

  /** The policy's view of the fleet for rollout `r`: screens in service, their reports and offers. */
  private inputs(r: RolloutRow): { screens: ScreenInput[]; offers: Map<string, OfferRow> } {
    const latest = this.d.registry.health.latest();
    const offers = this.store.offers(r.version);
    const screens = this.inService().map((dev): ScreenInput => {
      const offer = offers.get(dev.id);
      const cmd = offer ? this.d.registry.commands.get(offer.commandId) : undefined;
      const seen = Math.max(dev.lastSeenMs ?? 0, this.d.hub.lastSeenMs(dev.id) ?? 0);
      return {
        deviceId: dev.id,
        siteGroup: dev.siteGroup,
        online: this.d.hub.isOnline(dev.id),
        lastSeenMs: seen > 0 ? seen : null,
        release: releaseOf(latest.get(dev.id)?.payload),
        command: cmd ? { state: cmd.state, message: cmd.message } : null,
      };
    });
    return { screens, offers };
  }

  private view(r: RolloutRow): RolloutView {
    const now = this.d.clock.now();
    const { screens, offers } = this.inputs(r);
    const names = new Map(this.d.registry.devices.list().map((dev) => [dev.id, dev.screenName]));
    // The stored state as it stands; progress as the policy sees it now, without acting.
    const preview = stepRollout(
      r.definition,
      { ...r.state, status: asViewed(r.state.status) },
      screens,
      offers,
      now,
    );
    const verdicts = judgeScreens(r.definition, r.state, screens, offers, now);
    const halt = r.state.halt;
    return {
      id: r.id,
      version: r.version,
      status: r.state.status,
      stage: r.state.stage,
      halt: halt ? { ...halt, screenName: names.get(halt.deviceId) ?? halt.deviceId } : null,
      published: this.d.catalog.get(r.version) !== null,
      createdAtMs: r.createdAtMs,
      createdBy: r.createdBy,
      updatedAtMs: r.updatedAtMs,
      definition: r.definition,
      stages: preview.stages.map((s) => ({ ...s, status: stageStatusAsStored(s, r.state) })),
      screens: verdicts.map((v) => {
        const offer = offers.get(v.deviceId);
        const cmd = offer ? this.d.registry.commands.get(offer.commandId) : undefined;
        return {
          ...v,
          screenName: names.get(v.deviceId) ?? v.deviceId,
          commandId: offer?.commandId ?? null,
          commandState: cmd?.state ?? null,
        };
      }),
    };
  }
}

/** A view steps the policy only to count: a running rollout is looked at as paused (nothing offered). */
const asViewed = (s: RolloutStatus): RolloutStatus => (s === 'running' ? 'paused' : s);

/** The stage's status from the stored state (the preview never moves it on). */
function stageStatusAsStored(s: StageProgress, state: RolloutState): StageProgress['status'] {
  if (state.status === 'completed' || s.index < state.stage) return 'done';
  if (s.index > state.stage || state.status === 'aborted') return 'waiting';
  return state.settledAtMs !== null ? 'soaking' : 'offering';
}

function actorName(by: RolloutActor): string {
  return 'account' in by ? by.account.user.username : 'ops-token';
}

/** The `release` of a stored health payload, when it has a valid one. */
function releaseOf(payload: unknown): ReleaseReport | null {
  const raw = (payload as { release?: unknown } | null | undefined)?.release;
  const parsed = ReleaseField.safeParse(raw);
  return parsed.success && parsed.data ? parsed.data : null;
}
