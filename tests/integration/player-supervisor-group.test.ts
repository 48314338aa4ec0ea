/**
 * The whole browser goes when the supervisor replaces it: renderers frozen with SIGSTOP (a hung GPU
 * driver, a debugger, a bad cgroup freeze) ignore every request to close, and used to outlive each
 * restart (~400 MB a time). Real Chromium, real signals.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { descendants, parentMap } from '../../player/browser/proc-tree.js';
import { contentUrl } from '../../player/page-server.js';
import { SITE } from '../helpers/player-bundle.js';
import { type Rig, rigPerTest, slide, started, nextRestart } from '../helpers/player-rig.js';

const media = (f: string) => contentUrl(`${SITE}/media/${f}`);

/** Whether `pid` still runs (a zombie waiting to be reaped has already let go of its memory). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Freezes every process of the browser but the browser itself; returns their pids. */
async function freezeChildren(r: Rig): Promise<number[]> {
  const pid = r.surface.pid!;
  const children = descendants(pid, parentMap()).filter((p) => p !== pid);
  expect(children.length).toBeGreaterThan(0);
  for (const p of children) process.kill(p, 'SIGSTOP');
  frozenByTests.push(...children);
  return children;
}

/** Every process a test froze, killed after it whatever the outcome, so none is left behind. */
const frozenByTests: number[] = [];
afterEach(() => {
  for (const p of frozenByTests.splice(0)) if (isAlive(p)) process.kill(p, 'SIGKILL');
});

describe('Chromium supervisor: the browser goes as a whole', () => {
  const rigs = rigPerTest('gatecast-supgrp-');

  it('kills renderers frozen with SIGSTOP when it restarts the browser', async () => {
    const r = await rigs.start();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const frozen = await freezeChildren(r);
    await r.surface.restart('test');
    await expect.poll(() => frozen.filter(isAlive), { timeout: 10_000 }).toEqual([]);
    await r.waitFor(started('a'));
  });

  it('kills frozen renderers left behind by a browser that died', async () => {
    const r = await rigs.start();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const frozen = await freezeChildren(r);
    const restarted = nextRestart(r, 20_000);
    process.kill(r.surface.pid!, 'SIGKILL');
    expect((await restarted).reason).toBe('browser disconnected');
    await expect.poll(() => frozen.filter(isAlive), { timeout: 10_000 }).toEqual([]);
    await r.waitFor(started('a'));
  });
});
