/**
 * The staged rollout of a gatecast release, as pure functions: given the rollout's definition and
 * saved state, the fleet (screens in service, each with its latest `release` report and the answer
 * to its install-release command), the offers already made and the clock, `stepRollout` says which
 * screens to offer now, the rollout's new state and its progress per stage. The service
 * (service.ts) stores the result and issues the commands; nothing here touches storage or sockets.
 *
 * Stages: the first lists the canaries; each later one selects screens of a gate, a province or the
 * whole fleet, as a list or a percentage of that scope's screens. Stages are cumulative: a stage's
 * screens are its own selection and every earlier stage's (a percentage counts screens already
 * covered first), so a screen skipped while offline is offered when it returns.
 *
 * A screen offered the release fails when it reports a rollback of this version, answers the
 * install-release command with a failure (failed, unsupported, expired), is offline beyond
 * `offlineLimitMs` since the offer (or since it was last seen after it), or has not committed the
 * release `pendingDeadlineMs` after the offer. Any failure halts the rollout: nothing more is offered
 * until ops resume it, which accepts the failures seen so far.
 */
import type { HealthReport } from '../../protocol/messages.js';
import type { CommandState } from '../registry/command-store.js';
import { RolloutInvalidError, RolloutStageUnsettledError, RolloutStateError } from './errors.js';

export type StageScope = 'canary' | 'gate' | 'province' | 'fleet';
export type StageSelect = { screens: string[] } | { percent: number };

export interface RolloutStage {
  scope: StageScope;
  /** The gate (site group) or province (its first segment) of a gate or province stage. */
  area?: string;
  select: StageSelect;
}

export interface RolloutDefinition {
  version: string;
  stages: RolloutStage[];
  /** 'auto': the next stage starts once the current one has been settled for `soakMs`; 'manual': ops advance. */
  advance: 'auto' | 'manual';
  soakMs: number;
  /** An offered screen not committed this long after the offer has failed. */
  pendingDeadlineMs: number;
  /** An offered screen offline this long (since the offer or its last contact after it) has failed. */
  offlineLimitMs: number;
}

export const DEFAULT_ROLLOUT_TIMES = Object.freeze({
  soakMs: 60 * 60_000,
  pendingDeadlineMs: 2 * 60 * 60_000,
  offlineLimitMs: 30 * 60_000,
});

export type RolloutStatus = 'running' | 'paused' | 'halted' | 'completed' | 'aborted';
export const FAILURE_REASONS = ['rolled-back', 'install-failed', 'offline', 'pending-too-long'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface RolloutHalt {
  reason: FailureReason;
  deviceId: string;
  /** What the screen or its command said (the rollback's reason, the command's message), or ''. */
  detail: string;
  atMs: number;
}

export interface RolloutState {
  status: RolloutStatus;
  /** Index of the stage being offered. */
  stage: number;
  /** Since when the current stage has been settled (the soak's start); null while it is not. */
  settledAtMs: number | null;
  halt: RolloutHalt | null;
  /** Screens whose failure ops accepted when resuming: they no longer halt nor hold a stage. */
  accepted: string[];
}

export const initialRolloutState = (): RolloutState => ({
  status: 'running',
  stage: 0,
  settledAtMs: null,
  halt: null,
  accepted: [],
});

export type ReleaseReport = NonNullable<HealthReport['release']>;

export interface ScreenInput {
  deviceId: string;
  siteGroup: string;
  online: boolean;
  lastSeenMs: number | null;
  /** The latest health sample's `release`, or null (never reported, or an older device). */
  release: ReleaseReport | null;
  /** The install-release command of this screen's offer, as it stands; null when not offered. */
  command: { state: CommandState; message: string | null } | null;
}

export interface Offer {
  atMs: number;
  stage: number;
}

export type ScreenPhase = 'not-targeted' | 'waiting' | 'offered' | 'pending' | 'committed' | 'failed';

export interface ScreenVerdict {
  deviceId: string;
  siteGroup: string;
  /** The first stage whose screens include it; null when no stage does. */
  stage: number | null;
  phase: ScreenPhase;
  offeredAtMs: number | null;
  failure: { reason: FailureReason; detail: string } | null;
  /** Ops accepted its failure when resuming. */
  accepted: boolean;
  online: boolean;
  release: ReleaseReport | null;
}

export type StageStatus = 'waiting' | 'offering' | 'soaking' | 'done';

export interface StageProgress {
  index: number;
  scope: StageScope;
  area: string | null;
  status: StageStatus;
  /** Screens of the stage (cumulative), and how many of them stand where. */
  targets: number;
  offered: number;
  committed: number;
  failed: number;
  /** Targets not offered yet (offline ones wait for their return). */
  waiting: number;
  /** When the soak ends (auto advance), while soaking. */
  soakEndsAtMs: number | null;
}

export type RolloutEvent =
  | { type: 'offered'; deviceIds: string[]; stage: number }
  | { type: 'halted'; halt: RolloutHalt }
  | { type: 'advanced'; stage: number }
  | { type: 'completed' };

export interface RolloutStep {
  state: RolloutState;
  /** Screens to offer the release now (each once: the caller records the offer). */
  offer: { deviceId: string; stage: number }[];
  screens: ScreenVerdict[];
  stages: StageProgress[];
  events: RolloutEvent[];
}

const isFinal = (s: RolloutStatus) => s === 'completed' || s === 'aborted';
const provinceOf = (siteGroup: string) => siteGroup.split('/')[0] ?? siteGroup;
const FAILED_COMMAND: ReadonlySet<CommandState> = new Set(['failed', 'unsupported', 'expired']);

function inScope(stage: RolloutStage, siteGroup: string): boolean {
  if (stage.scope === 'gate') return siteGroup === stage.area;
  if (stage.scope === 'province') return provinceOf(siteGroup) === stage.area;
  return true;
}

/**
 * Checks a definition against the fleet: the first stage (and only it) lists canaries, gate and
 * province stages name an area the fleet has, percentages are within 1–100, listed screens are in
 * service and in their stage's scope, times are positive. Throws RolloutInvalidError naming every
 * problem; returns the definition with listed screens de-duplicated.
 */
export function checkRolloutDefinition(
  def: RolloutDefinition,
  fleet: readonly Pick<ScreenInput, 'deviceId' | 'siteGroup'>[],
): RolloutDefinition {
  const problems: string[] = [];
  const byId = new Map(fleet.map((s) => [s.deviceId, s]));
  if (!/^[0-9A-Za-z.+-]{1,64}$/.test(def.version))
    problems.push(`version ${JSON.stringify(def.version)} is not a release version`);
  if (def.stages.length === 0) problems.push('a rollout needs at least the canary stage');
  const stages = def.stages.map((stage, i) => {
    const at = `stage ${i + 1}`;
    if ((i === 0) !== (stage.scope === 'canary'))
      problems.push(i === 0 ? `${at} must list the canaries` : `${at}: only the first stage lists canaries`);
    if (stage.scope === 'gate' || stage.scope === 'province') {
      const areas = new Set(
        fleet.map((s) => (stage.scope === 'gate' ? s.siteGroup : provinceOf(s.siteGroup))),
      );
      if (!stage.area) problems.push(`${at}: a ${stage.scope} stage names its ${stage.scope}`);
      else if (!areas.has(stage.area))
        problems.push(`${at}: no screen in service in ${stage.scope} ${stage.area}`);
    } else if (stage.area !== undefined) problems.push(`${at}: a ${stage.scope} stage has no area`);
    if ('percent' in stage.select) {
      const p = stage.select.percent;
      if (stage.scope === 'canary') problems.push(`${at}: canaries are a list of screens`);
      if (!Number.isFinite(p) || p <= 0 || p > 100)
        problems.push(`${at}: percentage ${p} is not within 1–100`);
      return stage;
    }
    const screens = [...new Set(stage.select.screens)];
    if (screens.length === 0) problems.push(`${at}: the list of screens is empty`);
    for (const id of screens) {
      const s = byId.get(id);
      if (!s) problems.push(`${at}: screen ${id} is not in service`);
      else if (!inScope(stage, s.siteGroup))
        problems.push(`${at}: screen ${id} is not in ${stage.scope} ${stage.area}`);
    }
    return { ...stage, select: { screens } };
  });
  if (!(def.soakMs >= 0)) problems.push('the soak time is not a duration');
  if (!(def.pendingDeadlineMs > 0)) problems.push('the pending deadline must be positive');
  if (!(def.offlineLimitMs > 0)) problems.push('the offline limit must be positive');
  if (problems.length)
    throw new RolloutInvalidError(`rollout of ${def.version} refused: ${problems.join('; ')}`);
  return { ...def, stages };
}

/** Each stage's screens (cumulative, in stage order), from the screens in service now. */
export function stageTargets(def: RolloutDefinition, screens: readonly ScreenInput[]): string[][] {
  const inFleet = new Map(screens.map((s) => [s.deviceId, s]));
  const ids = [...inFleet.keys()].sort();
  const out: string[][] = [];
  let covered = new Set<string>();
  for (const stage of def.stages) {
    let chosen: string[];
    if ('screens' in stage.select) chosen = stage.select.screens.filter((id) => inFleet.has(id));
    else {
      const scope = ids.filter((id) => inScope(stage, inFleet.get(id)!.siteGroup));
      const k = Math.ceil((stage.select.percent * scope.length) / 100 - 1e-9);
      // Screens already covered count towards the share first, then the others by id.
      chosen = [...scope.filter((id) => covered.has(id)), ...scope.filter((id) => !covered.has(id))].slice(
        0,
        k,
      );
    }
    covered = new Set([...covered, ...chosen]);
    out.push([...covered].sort());
  }
  return out;
}

function judge(
  def: RolloutDefinition,
  s: ScreenInput,
  offer: Offer | undefined,
  now: number,
): Pick<ScreenVerdict, 'phase' | 'failure'> {
  const r = s.release;
  const v = def.version;
  if (r?.running === v && r.state === 'committed') return { phase: 'committed', failure: null };
  if (!offer) return { phase: r?.running === v ? 'pending' : 'waiting', failure: null };
  const fail = (reason: FailureReason, detail: string) => ({
    phase: 'failed' as const,
    failure: { reason, detail },
  });
  if (r?.lastRollback?.version === v) return fail('rolled-back', r.lastRollback.reason);
  if (s.command && FAILED_COMMAND.has(s.command.state))
    return fail('install-failed', s.command.message ?? s.command.state);
  const contact = Math.max(offer.atMs, s.lastSeenMs ?? offer.atMs);
  if (!s.online && now - contact > def.offlineLimitMs) return fail('offline', '');
  if (now - offer.atMs > def.pendingDeadlineMs)
    return fail('pending-too-long', r?.running === v ? 'pending' : '');
  return { phase: r?.running === v ? 'pending' : 'offered', failure: null };
}

/** Every screen's verdict, in device id order. */
export function judgeScreens(
  def: RolloutDefinition,
  state: RolloutState,
  screens: readonly ScreenInput[],
  offers: ReadonlyMap<string, Offer>,
  now: number,
): ScreenVerdict[] {
  const targets = stageTargets(def, screens);
  const stageOf = new Map<string, number>();
  targets.forEach((ids, i) => ids.forEach((id) => stageOf.has(id) || stageOf.set(id, i)));
  const accepted = new Set(state.accepted);
  return [...screens]
    .sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0))
    .map((s) => {
      const offer = offers.get(s.deviceId);
      const stage = stageOf.get(s.deviceId) ?? null;
      const j = judge(def, s, offer, now);
      const phase = stage === null && !offer && j.phase === 'waiting' ? 'not-targeted' : j.phase;
      return {
        deviceId: s.deviceId,
        siteGroup: s.siteGroup,
        stage,
        phase,
        offeredAtMs: offer?.atMs ?? null,
        failure: j.failure,
        accepted: j.failure !== null && accepted.has(s.deviceId),
        online: s.online,
        release: s.release,
      };
    });
}

/** Whether a screen of stage `i` lets the stage settle. */
function isSettledScreen(v: ScreenVerdict, i: number, last: number): boolean {
  if (v.phase === 'committed' || v.accepted) return true;
  // Between the canaries and the last stage, a screen that was offline when its turn came waits for a later one.
  return i > 0 && i < last && v.phase === 'waiting' && !v.online;
}

function progress(
  def: RolloutDefinition,
  state: RolloutState,
  targets: string[][],
  verdicts: ReadonlyMap<string, ScreenVerdict>,
): StageProgress[] {
  return def.stages.map((stage, i) => {
    const vs = targets[i]!.map((id) => verdicts.get(id)!);
    const done = state.status === 'completed' || i < state.stage;
    const current = i === state.stage && !isFinal(state.status);
    const soaking = current && state.settledAtMs !== null;
    return {
      index: i,
      scope: stage.scope,
      area: stage.area ?? null,
      status: done ? 'done' : soaking ? 'soaking' : current ? 'offering' : 'waiting',
      targets: vs.length,
      offered: vs.filter((v) => v.offeredAtMs !== null).length,
      committed: vs.filter((v) => v.phase === 'committed').length,
      failed: vs.filter((v) => v.phase === 'failed').length,
      waiting: vs.filter((v) => v.phase === 'waiting').length,
      soakEndsAtMs: soaking && def.advance === 'auto' ? state.settledAtMs! + def.soakMs : null,
    };
  });
}

/**
 * One step of the rollout at `now`: failures halt it, a running rollout offers the current stage's
 * screens that are online and not offered yet, and a settled stage soaks, then (auto) gives way to
 * the next; the last stage settled completes the rollout.
 */
export function stepRollout(
  def: RolloutDefinition,
  state: RolloutState,
  screens: readonly ScreenInput[],
  offers: ReadonlyMap<string, Offer>,
  now: number,
): RolloutStep {
  let s: RolloutState = { ...state, accepted: [...state.accepted] };
  const made = new Map(offers);
  const offer: RolloutStep['offer'] = [];
  const events: RolloutEvent[] = [];
  const byId = new Map(screens.map((x) => [x.deviceId, x]));
  const last = def.stages.length - 1;
  let verdicts = judgeScreens(def, s, screens, made, now);
  for (;;) {
    if (s.status === 'running' || s.status === 'paused') {
      const failed = verdicts.find((v) => v.failure && !v.accepted);
      if (failed) {
        const halt = { ...failed.failure!, deviceId: failed.deviceId, atMs: now };
        s = { ...s, status: 'halted', halt, settledAtMs: null };
        events.push({ type: 'halted', halt });
      }
    }
    if (s.status !== 'running') break;
    const targets = stageTargets(def, screens)[s.stage]!;
    const byVerdict = new Map(verdicts.map((v) => [v.deviceId, v]));
    const fresh = targets.filter((id) => byVerdict.get(id)!.phase === 'waiting' && byId.get(id)!.online);
    if (fresh.length) {
      for (const id of fresh) {
        made.set(id, { atMs: now, stage: s.stage });
        offer.push({ deviceId: id, stage: s.stage });
      }
      events.push({ type: 'offered', deviceIds: fresh, stage: s.stage });
      verdicts = judgeScreens(def, s, screens, made, now);
    }
    const settled = targets.every((id) =>
      isSettledScreen(
        verdicts.find((v) => v.deviceId === id)!,
        s.stage,
        last,
      ),
    );
    if (!settled) {
      s = { ...s, settledAtMs: null };
      break;
    }
    const since = s.settledAtMs ?? now;
    if (s.stage === last) {
      s = { ...s, status: 'completed', settledAtMs: since };
      events.push({ type: 'completed' });
      break;
    }
    if (def.advance === 'auto' && now - since >= def.soakMs) {
      s = { ...s, stage: s.stage + 1, settledAtMs: null };
      events.push({ type: 'advanced', stage: s.stage });
      continue;
    }
    s = { ...s, settledAtMs: since };
    break;
  }
  const targets = stageTargets(def, screens);
  const stages = progress(def, s, targets, new Map(verdicts.map((v) => [v.deviceId, v])));
  return { state: s, offer, screens: verdicts, stages, events };
}

function refuse(state: RolloutState, action: string): never {
  throw new RolloutStateError(`cannot ${action} a rollout that is ${state.status}`);
}

/** Stops offering; screens already offered go on and are still judged (a failure still halts). */
export function pauseRollout(state: RolloutState): RolloutState {
  if (state.status !== 'running') refuse(state, 'pause');
  return { ...state, status: 'paused' };
}

/**
 * Offers again: a paused rollout goes on; a halted one goes on with every failure seen so far
 * accepted (those screens stay as they are and no longer hold their stage).
 */
export function resumeRollout(
  def: RolloutDefinition,
  state: RolloutState,
  screens: readonly ScreenInput[],
  offers: ReadonlyMap<string, Offer>,
  now: number,
): RolloutState {
  if (state.status === 'paused') return { ...state, status: 'running' };
  if (state.status !== 'halted') refuse(state, 'resume');
  const failed = judgeScreens(def, state, screens, offers, now)
    .filter((v) => v.failure)
    .map((v) => v.deviceId);
  const accepted = [
    ...new Set([...state.accepted, ...failed, ...(state.halt ? [state.halt.deviceId] : [])]),
  ].sort();
  return { ...state, status: 'running', halt: null, accepted };
}

/** Ends the rollout for good: nothing more is offered (screens already offered keep what they run). */
export function abortRollout(state: RolloutState): RolloutState {
  if (isFinal(state.status)) refuse(state, 'abort');
  return { ...state, status: 'aborted', settledAtMs: null };
}

/**
 * Moves to the next stage by hand, without waiting for the soak: every screen offered in the current
 * stage must have settled (committed, or its failure accepted). The last stage completes by itself.
 */
export function advanceRollout(
  def: RolloutDefinition,
  state: RolloutState,
  screens: readonly ScreenInput[],
  offers: ReadonlyMap<string, Offer>,
  now: number,
): RolloutState {
  if (state.status !== 'running' && state.status !== 'paused') refuse(state, 'advance');
  if (state.stage >= def.stages.length - 1)
    throw new RolloutStateError('the last stage completes by itself once its screens have settled');
  const targets = new Set(stageTargets(def, screens)[state.stage]);
  const unsettled = judgeScreens(def, state, screens, offers, now).filter(
    (v) => targets.has(v.deviceId) && v.offeredAtMs !== null && v.phase !== 'committed' && !v.accepted,
  );
  if (unsettled.length)
    throw new RolloutStageUnsettledError(
      `stage ${state.stage + 1} has screens not settled yet: ${unsettled.map((v) => v.deviceId).join(', ')}`,
    );
  return { ...state, stage: state.stage + 1, settledAtMs: null };
}
