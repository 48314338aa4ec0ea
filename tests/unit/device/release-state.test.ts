import { describe, expect, it } from 'vitest';
import {
  beginRollback,
  committedState,
  decideAtStart,
  type DiskFacts,
  pendingSwitch,
  proofVerdict,
  type ReleasePolicy,
  ReleaseState,
  releaseHealth,
  type StartAction,
  stateAfter,
} from '../../../device/release/release-state.js';
import { compareVersions, installRefusal, type ReleaseManifest } from '../../../protocol/release.js';

const policy: ReleasePolicy = { maxStarts: 3, pendingDeadlineMs: 600_000 };
const T0 = 1_800_000_000_000;

function committed(v: string): ReleaseState {
  return {
    schema: 1,
    committed: v,
    pending: null,
    lastRollback: null,
    outcome: 'committed',
    rollbackReported: true,
  };
}

/** What the store does with an action (the on-disk effect), for simulating a sequence of starts. */
function apply(disk: DiskFacts, action: StartAction, now: number): DiskFacts {
  const state = disk.state === 'missing' || disk.state === 'corrupt' ? null : disk.state;
  const next = stateAfter(state, action, now);
  const current = action.kind === 'rollback' || action.kind === 'repair' ? action.to : disk.current;
  return { ...disk, state: next ?? disk.state, current };
}

describe('decideAtStart: every combination of state, current link, installed releases, clock and start id', () => {
  const versions = ['1.0.0', '1.1.0', '2.0.0'];
  const currents = [null, ...versions];
  const installedSets = [[], ['1.0.0'], ['1.1.0'], ['1.0.0', '1.1.0'], ['1.0.0', '1.1.0', '2.0.0']];
  const states: (ReleaseState | 'missing' | 'corrupt')[] = ['missing', 'corrupt', committed('1.0.0')];
  for (const starts of [0, 1, 2, 3, 4])
    for (const rolling of [false, true])
      for (const startId of [null, 'inv-a']) {
        const s = pendingSwitch(committed('1.0.0'), '1.1.0', T0, '/data/device.db.release-backup');
        const p = { ...s.pending!, starts, lastStartId: startId };
        states.push({ ...s, pending: rolling ? { ...p, rollingBack: { reason: 'r', at: T0 } } : p });
      }
  const clocks = [T0 - 3_600_000, T0, T0 + policy.pendingDeadlineMs - 1, T0 + policy.pendingDeadlineMs];
  const startIds = [null, 'inv-a', 'inv-b'];

  const cases: { disk: DiskFacts; now: number; startId: string | null }[] = [];
  for (const state of states)
    for (const current of currents)
      for (const installed of installedSets)
        for (const now of clocks)
          for (const startId of startIds)
            // `current` names an unpacked release or nothing (the store reads a dangling link as null).
            if (current === null || installed.includes(current))
              cases.push({ disk: { state, current, installed }, now, startId });

  it(`covers ${cases.length} cases`, () => expect(cases.length).toBeGreaterThan(2000));

  it('only ever runs or switches to an unpacked release', () => {
    for (const c of cases) {
      const a = decideAtStart(c.disk, c.now, policy, c.startId);
      if (a.kind === 'rollback' || a.kind === 'repair') expect(c.disk.installed).toContain(a.to);
      if (a.kind === 'run' || a.kind === 'count-start' || a.kind === 'adopt')
        expect(c.disk.installed, JSON.stringify(c)).toContain(c.disk.current);
    }
  });

  it('is stuck only when neither the current, the committed nor the rollback release is there', () => {
    for (const c of cases) {
      const a = decideAtStart(c.disk, c.now, policy, c.startId);
      if (a.kind !== 'stuck') continue;
      const s = c.disk.state;
      if (s === 'corrupt' || s === 'missing') expect(c.disk.current).toBeNull();
      else {
        expect(c.disk.installed).not.toContain(s.committed);
        if (s.pending) expect(c.disk.installed).not.toContain(s.pending.from);
      }
    }
  });

  it('settles: after the action is carried out, the same start runs and writes nothing more', () => {
    for (const c of cases) {
      const a = decideAtStart(c.disk, c.now, policy, c.startId);
      if (a.kind === 'stuck' || a.kind === 'unmanaged') continue;
      const after = apply(c.disk, a, c.now);
      const again = decideAtStart(after, c.now, policy, a.kind === 'count-start' ? c.startId : c.startId);
      if (a.kind === 'count-start' && c.startId === null) {
        // Without a start id every process start counts: the second one counts again or rolls back
        // (stuck when the release to go back to is gone).
        expect(['count-start', 'rollback', 'stuck']).toContain(again.kind);
      } else expect(again, JSON.stringify({ c, a })).toEqual({ kind: 'run' });
    }
  });

  it('a pending release that never commits is rolled back after exactly maxStarts starts', () => {
    let disk: DiskFacts = {
      state: pendingSwitch(committed('1.0.0'), '1.1.0', T0, null),
      current: '1.1.0',
      installed: ['1.0.0', '1.1.0'],
    };
    const kinds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const a = decideAtStart(disk, T0 + i, policy, `inv-${i}`);
      kinds.push(a.kind);
      disk = apply(disk, a, T0 + i);
      if (a.kind === 'rollback') {
        expect(a.reason).toBe('did not prove itself in 3 starts');
        break;
      }
    }
    expect(kinds).toEqual(['count-start', 'count-start', 'count-start', 'rollback']);
    expect(disk.current).toBe('1.0.0');
    const s = disk.state as ReleaseState;
    expect(s.committed).toBe('1.0.0');
    expect(s.outcome).toBe('rolled-back');
    expect(s.lastRollback).toEqual({
      version: '1.1.0',
      reason: 'did not prove itself in 3 starts',
      at: T0 + 3,
    });
  });

  it('ExecStartPre and the daemon of one systemd start count it once', () => {
    const disk: DiskFacts = {
      state: pendingSwitch(committed('1.0.0'), '1.1.0', T0, null),
      current: '1.1.0',
      installed: ['1.0.0', '1.1.0'],
    };
    const pre = decideAtStart(disk, T0, policy, 'inv-x');
    expect(pre).toEqual({ kind: 'count-start', starts: 1, startId: 'inv-x' });
    expect(decideAtStart(apply(disk, pre, T0), T0, policy, 'inv-x')).toEqual({ kind: 'run' });
  });

  it('rolls back once the deadline since the switch has passed, but not for a clock that went back', () => {
    const disk: DiskFacts = {
      state: pendingSwitch(committed('1.0.0'), '1.1.0', T0, null),
      current: '1.1.0',
      installed: ['1.0.0', '1.1.0'],
    };
    expect(decideAtStart(disk, T0 + 600_000, policy, null)).toEqual({
      kind: 'rollback',
      version: '1.1.0',
      to: '1.0.0',
      reason: 'not committed within 600 s of the switch',
    });
    expect(decideAtStart(disk, T0 - 86_400_000, policy, null).kind).toBe('count-start');
  });

  it('a cut between writing pending and renaming current drops the pending entry', () => {
    const disk: DiskFacts = {
      state: pendingSwitch(committed('1.0.0'), '1.1.0', T0, null),
      current: '1.0.0',
      installed: ['1.0.0', '1.1.0'],
    };
    const a = decideAtStart(disk, T0, policy, null);
    expect(a).toEqual({ kind: 'abandon', version: '1.1.0' });
    expect((apply(disk, a, T0).state as ReleaseState).pending).toBeNull();
  });

  it('a rollback begun before a cut is finished at the next start, with its first reason', () => {
    const s = beginRollback(pendingSwitch(committed('1.0.0'), '1.1.0', T0, null), 'no server link', T0 + 5);
    for (const current of ['1.0.0', '1.1.0'])
      expect(
        decideAtStart({ state: s, current, installed: ['1.0.0', '1.1.0'] }, T0 + 9, policy, null),
      ).toEqual({
        kind: 'rollback',
        version: '1.1.0',
        to: '1.0.0',
        reason: 'no server link',
      });
  });

  it('adopts a hand-installed current release and leaves a bare checkout unmanaged', () => {
    expect(
      decideAtStart({ state: 'missing', current: '1.0.0', installed: ['1.0.0'] }, T0, policy, null),
    ).toEqual({
      kind: 'adopt',
      version: '1.0.0',
    });
    expect(decideAtStart({ state: 'missing', current: null, installed: [] }, T0, policy, null)).toEqual({
      kind: 'unmanaged',
    });
  });
});

describe('state changes', () => {
  it('commit makes the pending release the committed one; a rollback in progress is not committed', () => {
    const p = pendingSwitch(committed('1.0.0'), '1.1.0', T0, null);
    expect(committedState(p)).toMatchObject({ committed: '1.1.0', pending: null, outcome: 'committed' });
    const r = beginRollback(p, 'x', T0);
    expect(committedState(r)).toBe(r);
    expect(ReleaseState.parse(committedState(p))).toBeTruthy();
  });

  it('health says pending while the pending release runs, rolled-back after a rollback until the next commit', () => {
    const p = pendingSwitch(committed('1.0.0'), '1.1.0', T0, null);
    expect(releaseHealth(p, '1.1.0', null).state).toBe('pending');
    const back = stateAfter(p, { kind: 'rollback', version: '1.1.0', to: '1.0.0', reason: 'r' }, T0)!;
    expect(releaseHealth(back, '1.0.0', null)).toEqual({
      running: '1.0.0',
      state: 'rolled-back',
      staging: null,
      lastRollback: { version: '1.1.0', reason: 'r', at: T0 },
    });
    const again = committedState(pendingSwitch(back, '1.2.0', T0, null));
    expect(releaseHealth(again, '1.2.0', null).state).toBe('committed');
    expect(releaseHealth(again, '1.2.0', null).lastRollback?.version).toBe('1.1.0');
  });
});

describe('proofVerdict', () => {
  it('commits once an item is on air and the link is up, waits until the time is over, then rolls back naming what was missing', () => {
    const f = { commitWithinMs: 120_000 };
    expect(proofVerdict({ ...f, onAir: true, linkUp: true, sinceStartMs: 5 })).toEqual({ kind: 'commit' });
    expect(proofVerdict({ ...f, onAir: true, linkUp: false, sinceStartMs: 119_999 })).toEqual({
      kind: 'wait',
    });
    expect(proofVerdict({ ...f, onAir: true, linkUp: false, sinceStartMs: 120_000 })).toEqual({
      kind: 'rollback',
      reason: 'no server link within 120 s of its start',
    });
    expect(proofVerdict({ ...f, onAir: false, linkUp: false, sinceStartMs: 200_000 })).toEqual({
      kind: 'rollback',
      reason: 'no content on air and no server link within 120 s of its start',
    });
  });
});

describe('release manifest rules', () => {
  const m: ReleaseManifest = {
    schema: 1,
    name: 'gatecast',
    version: '1.0.0',
    platform: 'linux-x64',
    nodeAbi: '127',
    minNodeVersion: '22.0.0',
    migrations: [],
    builtAt: '2026-12-01T00:00:00Z',
    allowDowngradeFrom: [],
  };
  const here = { platform: 'linux-x64' as const, nodeAbi: '127', nodeVersion: 'v22.3.0', running: '1.2.0' };

  it('orders versions as semver does', () => {
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc.2', '1.2.0-rc.10', '0.9.9', '1.2.1'].sort(compareVersions);
    expect(sorted).toEqual(['0.9.9', '1.2.0-rc.2', '1.2.0-rc.10', '1.2.0', '1.2.1', '1.10.0']);
  });

  it('refuses another platform, ABI, an older node, the running version and an unsigned downgrade', () => {
    expect(installRefusal({ ...m, version: '1.3.0' }, here)).toBeNull();
    expect(installRefusal({ ...m, version: '1.3.0', platform: 'linux-arm64' }, here)).toMatch(
      /built for linux-arm64/,
    );
    expect(installRefusal({ ...m, version: '1.3.0', nodeAbi: '115' }, here)).toMatch(/ABI 115/);
    expect(installRefusal({ ...m, version: '1.3.0', minNodeVersion: '22.10.0' }, here)).toMatch(
      /needs node 22.10.0/,
    );
    expect(installRefusal({ ...m, version: '1.2.0' }, here)).toMatch(/is the one running/);
    expect(installRefusal(m, here)).toMatch(/does not allow a downgrade from 1.2.0/);
    expect(installRefusal({ ...m, allowDowngradeFrom: ['1.2.0'] }, here)).toBeNull();
  });
});
