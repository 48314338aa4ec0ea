import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import {
  abortRollout,
  advanceRollout,
  checkRolloutDefinition,
  initialRolloutState,
  type Offer,
  pauseRollout,
  type ReleaseReport,
  resumeRollout,
  type RolloutDefinition,
  type RolloutState,
  type ScreenInput,
  stageTargets,
  stepRollout,
} from '../../../sync-server/releases/rollout-policy.js';
import {
  RolloutInvalidError,
  RolloutStageUnsettledError,
  RolloutStateError,
} from '../../../sync-server/releases/errors.js';

const MIN = 60_000;
const HA_TIEN = 'kien-giang/ha-tien';
const XA_XIA = 'kien-giang/xa-xia';
const LAO_CAI = 'lao-cai/lao-cai';

const committed = (running: string): ReleaseReport => ({
  running,
  state: 'committed',
  staging: null,
  lastRollback: null,
});
const pending = (running: string): ReleaseReport => ({ ...committed(running), state: 'pending' });
const rolledBack = (running: string, version: string, reason: string, at = 0): ReleaseReport => ({
  running,
  state: 'rolled-back',
  staging: null,
  lastRollback: { version, reason, at },
});

/** A fleet of screens on release 1.0.0, all online; tests change them in place. */
function fleet(spec: Record<string, string>): Map<string, ScreenInput> {
  return new Map(
    Object.entries(spec).map(([deviceId, siteGroup]) => [
      deviceId,
      { deviceId, siteGroup, online: true, lastSeenMs: null, release: committed('1.0.0'), command: null },
    ]),
  );
}

const FLEET = {
  'ht-1': HA_TIEN,
  'ht-2': HA_TIEN,
  'ht-3': HA_TIEN,
  'ht-4': HA_TIEN,
  'xx-1': XA_XIA,
  'xx-2': XA_XIA,
  'lc-1': LAO_CAI,
  'lc-2': LAO_CAI,
};

function definition(over: Partial<RolloutDefinition> = {}): RolloutDefinition {
  return {
    version: '1.1.0',
    stages: [
      { scope: 'canary', select: { screens: ['ht-1'] } },
      { scope: 'gate', area: HA_TIEN, select: { percent: 50 } },
      { scope: 'province', area: 'kien-giang', select: { percent: 100 } },
      { scope: 'fleet', select: { percent: 100 } },
    ],
    advance: 'auto',
    soakMs: 30 * MIN,
    pendingDeadlineMs: 60 * MIN,
    offlineLimitMs: 20 * MIN,
    ...over,
  };
}

/** Drives the policy as the service does: steps at the clock's time, records offers, plays devices. */
function rig(def = definition(), spec: Record<string, string> = FLEET) {
  const clock = fakeClock('2026-12-06T03:00:00Z');
  const screens = fleet(spec);
  const offers = new Map<string, Offer>();
  let state: RolloutState = initialRolloutState();
  const r = {
    clock,
    screens,
    offers,
    get state() {
      return state;
    },
    set state(s: RolloutState) {
      state = s;
    },
    step() {
      const out = stepRollout(def, state, [...screens.values()], offers, clock.now());
      for (const o of out.offer) offers.set(o.deviceId, { atMs: clock.now(), stage: o.stage });
      state = out.state;
      return out;
    },
    /** Every offered screen installs and commits the version. */
    commitOffered() {
      for (const id of offers.keys()) r.set(id, { release: committed(def.version) });
    },
    set(id: string, change: Partial<ScreenInput>) {
      screens.set(id, { ...screens.get(id)!, ...change });
    },
    list: () => [...screens.values()],
  };
  return r;
}

describe('rollout policy: stages', () => {
  it('offers the canaries first and nothing else', () => {
    const r = rig();
    const out = r.step();
    expect(out.offer).toEqual([{ deviceId: 'ht-1', stage: 0 }]);
    expect(out.state.status).toBe('running');
    expect(out.stages.map((s) => s.status)).toEqual(['offering', 'waiting', 'waiting', 'waiting']);
    // A second step offers nobody twice.
    expect(r.step().offer).toEqual([]);
  });

  it('passes canaries, soaks, then gate, province and fleet in turn, and completes', () => {
    const r = rig();
    r.step();
    r.set('ht-1', { release: pending('1.1.0') });
    expect(r.step().screens.find((s) => s.deviceId === 'ht-1')!.phase).toBe('pending');
    r.commitOffered();
    let out = r.step();
    expect(out.stages[0]!.status).toBe('soaking');
    expect(out.stages[0]!.soakEndsAtMs).toBe(r.clock.now() + 30 * MIN);
    r.clock.advance(30 * MIN - 1);
    expect(r.step().offer).toEqual([]);
    r.clock.advance(1);
    out = r.step();
    expect(out.events).toContainEqual({ type: 'advanced', stage: 1 });
    // Half of Hà Tiên's four screens: the canary counts, one more by id.
    expect(out.offer.map((o) => o.deviceId)).toEqual(['ht-2']);
    r.commitOffered();
    r.step();
    r.clock.advance(30 * MIN);
    out = r.step();
    expect(out.offer.map((o) => o.deviceId)).toEqual(['ht-3', 'ht-4', 'xx-1', 'xx-2']);
    r.commitOffered();
    r.step();
    r.clock.advance(30 * MIN);
    out = r.step();
    expect(out.offer.map((o) => o.deviceId)).toEqual(['lc-1', 'lc-2']);
    r.commitOffered();
    out = r.step();
    expect(out.state.status).toBe('completed');
    expect(out.events).toContainEqual({ type: 'completed' });
    expect(out.stages.every((s) => s.status === 'done')).toBe(true);
    expect(out.stages[3]).toMatchObject({ targets: 8, offered: 8, committed: 8, failed: 0, waiting: 0 });
    expect(r.step().offer).toEqual([]);
  });

  it('waits for ops to advance by hand in manual mode, however long it soaks', () => {
    const r = rig(definition({ advance: 'manual' }));
    r.step();
    r.commitOffered();
    r.step();
    r.clock.advance(24 * 60 * MIN);
    const out = r.step();
    expect(out.offer).toEqual([]);
    expect(out.stages[0]!.status).toBe('soaking');
    expect(out.stages[0]!.soakEndsAtMs).toBeNull();
    r.state = advanceRollout(definition(), r.state, r.list(), r.offers, r.clock.now());
    expect(r.step().offer.map((o) => o.deviceId)).toEqual(['ht-2']);
  });

  it('refuses to advance by hand while an offered screen has not settled', () => {
    const r = rig(definition({ advance: 'manual' }));
    r.step();
    expect(() => advanceRollout(definition(), r.state, r.list(), r.offers, r.clock.now())).toThrow(
      RolloutStageUnsettledError,
    );
    r.set('ht-1', { release: pending('1.1.0') });
    expect(() => advanceRollout(definition(), r.state, r.list(), r.offers, r.clock.now())).toThrow(/ht-1/);
  });

  it('restarts the soak when a stage stops being settled', () => {
    const r = rig();
    r.step();
    r.commitOffered();
    r.step();
    r.clock.advance(20 * MIN);
    // The canary reports it is pending again (switched again by hand): not settled, soak restarts.
    r.set('ht-1', { release: pending('1.1.0') });
    expect(r.step().state.settledAtMs).toBeNull();
    r.set('ht-1', { release: committed('1.1.0') });
    r.step();
    r.clock.advance(20 * MIN);
    expect(r.step().offer).toEqual([]);
    r.clock.advance(10 * MIN);
    expect(r.step().offer.map((o) => o.deviceId)).toEqual(['ht-2']);
  });

  it('counts a screen already running the version as committed and does not offer it', () => {
    const r = rig();
    r.set('ht-2', { release: committed('1.1.0') });
    r.step();
    r.commitOffered();
    r.step();
    r.clock.advance(30 * MIN);
    const out = r.step();
    expect(out.offer).toEqual([]);
    expect(out.stages[1]).toMatchObject({ targets: 2, committed: 2, offered: 1 });
  });

  it('offers an offline canary only when it returns, and holds the stage until then', () => {
    const r = rig();
    r.set('ht-1', { online: false });
    let out = r.step();
    expect(out.offer).toEqual([]);
    expect(out.stages[0]).toMatchObject({ status: 'offering', waiting: 1 });
    r.clock.advance(5 * 60 * MIN);
    expect(r.step().offer).toEqual([]);
    r.set('ht-1', { online: true });
    out = r.step();
    expect(out.offer).toEqual([{ deviceId: 'ht-1', stage: 0 }]);
  });

  it('lets a middle stage advance past a screen offline at its turn, and offers it in a later stage', () => {
    const r = rig();
    r.set('ht-2', { online: false });
    r.step();
    r.commitOffered();
    r.step();
    r.clock.advance(30 * MIN);
    let out = r.step();
    expect(out.offer).toEqual([]);
    expect(out.stages[1]).toMatchObject({ status: 'soaking', waiting: 1 });
    r.clock.advance(30 * MIN);
    out = r.step();
    expect(out.offer.map((o) => o.deviceId)).toEqual(['ht-3', 'ht-4', 'xx-1', 'xx-2']);
    r.set('ht-2', { online: true });
    out = r.step();
    expect(out.offer.map((o) => o.deviceId)).toEqual(['ht-2']);
  });

  it('does not complete while a screen of the last stage is offline and never offered', () => {
    const r = rig(
      definition({ stages: [definition().stages[0]!, { scope: 'fleet', select: { percent: 100 } }] }),
    );
    r.set('lc-2', { online: false });
    r.step();
    r.commitOffered();
    r.step();
    r.clock.advance(30 * MIN);
    r.step();
    r.commitOffered();
    let out = r.step();
    expect(out.state.status).toBe('running');
    expect(out.stages[1]).toMatchObject({ waiting: 1, committed: 7 });
    r.set('lc-2', { online: true });
    r.step();
    r.commitOffered();
    out = r.step();
    expect(out.state.status).toBe('completed');
  });

  it('leaves out screens no longer in service (retired) from every stage', () => {
    const r = rig();
    r.screens.delete('ht-3');
    r.screens.delete('ht-4');
    expect(stageTargets(definition(), r.list())[1]).toEqual(['ht-1']);
  });
});

describe('rollout policy: failures halt', () => {
  it('halts when a canary rolls the version back, and offers nobody else', () => {
    const r = rig();
    r.step();
    r.set('ht-1', { release: rolledBack('1.0.0', '1.1.0', 'player did not start') });
    const out = r.step();
    expect(out.state.status).toBe('halted');
    expect(out.state.halt).toEqual({
      reason: 'rolled-back',
      deviceId: 'ht-1',
      detail: 'player did not start',
      atMs: r.clock.now(),
    });
    expect(out.events).toContainEqual({ type: 'halted', halt: out.state.halt });
    r.clock.advance(24 * 60 * MIN);
    expect(r.step().offer).toEqual([]);
    expect(r.state.status).toBe('halted');
  });

  it('halts when a canary stays pending past the deadline', () => {
    const r = rig();
    r.step();
    r.set('ht-1', { release: pending('1.1.0') });
    r.clock.advance(60 * MIN);
    expect(r.step().state.status).toBe('running');
    r.clock.advance(1);
    const out = r.step();
    expect(out.state.halt).toMatchObject({ reason: 'pending-too-long', deviceId: 'ht-1', detail: 'pending' });
  });

  it('halts when a canary goes offline after the offer beyond the limit', () => {
    const r = rig();
    r.step();
    r.clock.advance(5 * MIN);
    r.set('ht-1', { online: false, lastSeenMs: r.clock.now() });
    r.clock.advance(20 * MIN);
    expect(r.step().state.status).toBe('running');
    r.clock.advance(1);
    expect(r.step().state.halt).toMatchObject({ reason: 'offline', deviceId: 'ht-1' });
  });

  it('halts when the screen answers install-release with a failure', () => {
    const r = rig();
    r.step();
    r.set('ht-1', { command: { state: 'unsupported', message: 'over-the-air updates are not set up' } });
    expect(r.step().state.halt).toMatchObject({
      reason: 'install-failed',
      detail: 'over-the-air updates are not set up',
    });
  });

  it('halts on a failure in a later stage too, and a pause does not hide it', () => {
    const r = rig();
    r.step();
    r.commitOffered();
    r.step();
    r.clock.advance(30 * MIN);
    r.step();
    r.state = pauseRollout(r.state);
    r.set('ht-2', { release: rolledBack('1.0.0', '1.1.0', 'no content on air') });
    const out = r.step();
    expect(out.state.status).toBe('halted');
    expect(out.state.halt!.deviceId).toBe('ht-2');
  });

  it('resumes after a halt with the failure accepted, and goes on', () => {
    const r = rig();
    r.step();
    r.set('ht-1', { release: rolledBack('1.0.0', '1.1.0', 'player did not start') });
    r.step();
    r.state = resumeRollout(definition(), r.state, r.list(), r.offers, r.clock.now());
    expect(r.state).toMatchObject({ status: 'running', halt: null, accepted: ['ht-1'] });
    let out = r.step();
    expect(out.state.status).toBe('running');
    const canary = out.screens.find((s) => s.deviceId === 'ht-1')!;
    expect(canary).toMatchObject({ phase: 'failed', accepted: true });
    // The accepted failure settles the canary stage: it soaks, then the gate stage starts.
    expect(out.stages[0]!.status).toBe('soaking');
    r.clock.advance(30 * MIN);
    out = r.step();
    expect(out.offer.map((o) => o.deviceId)).toEqual(['ht-2']);
  });
});

describe('rollout policy: pause, resume, abort', () => {
  it('offers nothing while paused, and the stage waiting resumes where it was', () => {
    const r = rig();
    r.step();
    r.commitOffered();
    r.state = pauseRollout(r.state);
    r.clock.advance(60 * MIN);
    let out = r.step();
    expect(out.offer).toEqual([]);
    expect(out.state.status).toBe('paused');
    r.state = resumeRollout(definition(), r.state, r.list(), r.offers, r.clock.now());
    out = r.step();
    expect(out.stages[0]!.status).toBe('soaking');
    r.clock.advance(30 * MIN);
    expect(r.step().offer.map((o) => o.deviceId)).toEqual(['ht-2']);
  });

  it('offers nothing once aborted and cannot be resumed', () => {
    const r = rig();
    r.step();
    r.state = abortRollout(r.state);
    r.commitOffered();
    r.clock.advance(24 * 60 * MIN);
    expect(r.step().offer).toEqual([]);
    expect(r.state.status).toBe('aborted');
    expect(() => resumeRollout(definition(), r.state, r.list(), r.offers, r.clock.now())).toThrow(
      RolloutStateError,
    );
    expect(() => abortRollout(r.state)).toThrow(RolloutStateError);
  });

  it('refuses actions that do not apply', () => {
    const s = initialRolloutState();
    expect(() => resumeRollout(definition(), s, [], new Map(), 0)).toThrow(
      /cannot resume a rollout that is running/,
    );
    expect(() => pauseRollout(pauseRollout(s))).toThrow(/cannot pause a rollout that is paused/);
    expect(() => advanceRollout(definition(), { ...s, stage: 3 }, [], new Map(), 0)).toThrow(
      /last stage completes by itself/,
    );
    expect(() => advanceRollout(definition(), { ...s, status: 'halted' }, [], new Map(), 0)).toThrow(
      RolloutStateError,
    );
  });
});

describe('rollout definition check', () => {
  const screens = [...fleet(FLEET).values()];

  it('accepts a good definition and de-duplicates listed screens', () => {
    const def = definition({
      stages: [{ scope: 'canary', select: { screens: ['ht-1', 'ht-1', 'lc-1'] } }],
    });
    expect(checkRolloutDefinition(def, screens).stages[0]!.select).toEqual({ screens: ['ht-1', 'lc-1'] });
  });

  it('names every problem', () => {
    const bad: RolloutDefinition = {
      ...definition(),
      version: '1.1.0; rm',
      stages: [
        { scope: 'gate', area: 'nowhere/gate', select: { percent: 150 } },
        { scope: 'canary', select: { screens: [] } },
        { scope: 'gate', area: HA_TIEN, select: { screens: ['lc-1', 'ghost'] } },
      ],
      pendingDeadlineMs: 0,
    };
    let err: unknown;
    try {
      checkRolloutDefinition(bad, screens);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RolloutInvalidError);
    const m = (err as Error).message;
    for (const part of [
      'is not a release version',
      'stage 1 must list the canaries',
      'no screen in service in gate nowhere/gate',
      'percentage 150 is not within 1–100',
      'stage 2: only the first stage lists canaries',
      'stage 2: the list of screens is empty',
      'screen lc-1 is not in gate kien-giang/ha-tien',
      'screen ghost is not in service',
      'pending deadline must be positive',
    ])
      expect(m).toContain(part);
    expect(() => checkRolloutDefinition({ ...definition(), stages: [] }, screens)).toThrow(
      /at least the canary/,
    );
  });
});
