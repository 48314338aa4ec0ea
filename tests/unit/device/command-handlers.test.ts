import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commandHandlers, DISPLAY_OVERRIDE_MS } from '../../../device/sync/command-handlers.js';
import { CommandDispatcher } from '../../../device/sync/commands.js';
import type { Notice } from '../../../player/surface.js';
import { systemClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function setup() {
  const calls: string[] = [];
  const notices: Notice[] = [];
  const overrides: { state: string; untilMs: number }[] = [];
  const runs: string[][] = [];
  const identifies: number[] = [];
  const trusted = { now: () => systemClock.now() + 5000 };
  const handlers = commandHandlers({
    deviceId: 'dev-1',
    screenLabel: 'Cửa khẩu Hà Tiên · arrivals-1',
    player: {
      reloadPage: async () => void calls.push('reload'),
      restartBrowser: async (reason) => void calls.push(`restart: ${reason}`),
      screenshot: async () => PNG,
      notice: async (n) => void (n && notices.push(n)),
    },
    display: { displayOverride: async (state, untilMs) => void overrides.push({ state, untilMs }) },
    refreshNow: async () => void calls.push('refresh'),
    onIdentify: (untilMs) => identifies.push(untilMs),
    trusted,
    system: systemClock,
    run: async (cmd, args) => {
      runs.push([cmd, ...args]);
      return { code: 0, stdout: '', stderr: '' };
    },
    hostReboot: 'allowed',
    log: memoryLogger(),
  });
  const dispatcher = new CommandDispatcher(handlers, memoryLogger());
  let n = 0;
  const run = (name: string, args?: Record<string, unknown>) =>
    dispatcher.run(
      { id: `c${++n}`, name, ...(args ? { args } : {}), expiresAtMs: systemClock.now() + 60_000 } as never,
      systemClock.now(),
    );
  return { run, calls, notices, overrides, runs, identifies };
}

describe('command handlers', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-03-01T08:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('maps player commands and sync-now to the player and the update client', async () => {
    const h = setup();
    expect((await h.run('reload-player')).status).toBe('ok');
    expect((await h.run('restart-player')).status).toBe('ok');
    expect((await h.run('sync-now')).status).toBe('ok');
    expect(h.calls).toEqual(['reload', 'restart: asked by ops', 'refresh']);
    const shot = await h.run('screenshot');
    expect(shot).toMatchObject({ status: 'ok', screenshotPng: PNG });
  });

  it('overrides display power for twelve hours on the trusted clock', async () => {
    const h = setup();
    await h.run('display-off');
    await h.run('display-on');
    const until = systemClock.now() + 5000 + DISPLAY_OVERRIDE_MS;
    expect(h.overrides).toEqual([
      { state: 'off', untilMs: until },
      { state: 'on', untilMs: until },
    ]);
  });

  it('identifies: the LED until the deadline and the device id on screen', async () => {
    const h = setup();
    await h.run('identify', { durationMs: 20_000 });
    const until = systemClock.now() + 20_000;
    expect(h.identifies).toEqual([until]);
    expect(h.notices).toEqual([{ lines: ['dev-1', 'Cửa khẩu Hà Tiên · arrivals-1'], untilEpochMs: until }]);
  });

  it('asks systemd to reboot before answering, so the answer is what systemd said', async () => {
    const h = setup();
    expect((await h.run('reboot')).status).toBe('ok');
    expect(h.runs).toEqual([['systemctl', 'reboot']]);
  });
});
