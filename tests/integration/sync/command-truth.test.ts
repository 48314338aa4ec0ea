/**
 * Commands answer what happened on the screen: a screen without display control says 'unsupported'
 * and why, a reboot systemd refused says 'failed' with systemd's words, and the demo refuses to
 * reboot its host. Through the real server, the real ws link and the real Hardware.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../../device/display/display-power.js';
import { Hardware } from '../../../device/hardware.js';
import { commandHandlers, DEMO_HOST_REBOOT, type HostReboot } from '../../../device/sync/command-handlers.js';
import { systemTimers } from '../../../device/timers.js';
import { systemClock } from '../../../protocol/clock.js';
import { parseDeviceConfig } from '../../../protocol/config.js';
import { memoryLogger } from '../../../platform/log.js';
import { enrolTestDevice, GATE, makeDevice, startTempServer, until } from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

async function screen(opts: {
  powerAdapter: 'none' | 'x11';
  run: (cmd: string) => RunResult;
  hostReboot: HostReboot;
}) {
  const s = await startTempServer(cleanups, 'gc-cmdtruth-');
  const e = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'd'));
  const runs: string[][] = [];
  const run = async (cmd: string, args: readonly string[]) => {
    runs.push([cmd, ...args]);
    return opts.run(cmd);
  };
  const hardware = new Hardware({
    config: parseDeviceConfig({ gate: GATE, display: { powerAdapter: opts.powerAdapter } }),
    env: opts.powerAdapter === 'x11' ? { DISPLAY: ':0' } : {},
    log: memoryLogger(),
    clock: systemClock,
    timers: systemTimers,
    run,
    scheduleAt: () => () => undefined,
    technician: {
      info: () => ({ deviceId: '', ips: [], state: '' }),
      show: () => undefined,
      identify: async () => undefined,
    },
    openGpio: async () => undefined,
  });
  await hardware.start();
  cleanups.push(() => hardware.stop());
  const handlers = commandHandlers({
    deviceId: e.deviceId,
    screenLabel: 'Hà Tiên · arrivals-1',
    player: {
      reloadPage: async () => undefined,
      restartBrowser: async () => undefined,
      screenshot: async () => Buffer.alloc(0),
      notice: async () => undefined,
    },
    display: hardware,
    refreshNow: async () => undefined,
    onIdentify: () => undefined,
    trusted: systemClock,
    system: systemClock,
    run,
    hostReboot: opts.hostReboot,
    log: memoryLogger(),
  });
  const dev = makeDevice(join(s.dir, 'd'), e.deviceId, s.server.url, { handlers });
  cleanups.push(() => dev.close());
  dev.client.start();
  const send = async (name: string) => {
    const c = await s.api('POST', `/api/devices/${e.deviceId}/commands`, { name });
    let cmd: { state: string; message: string | null } = { state: 'queued', message: null };
    await until(
      async () => {
        cmd = (await s.api('GET', `/api/commands/${c.body.id}`)).body;
        return !['queued', 'sent', 'acked'].includes(cmd.state);
      },
      5000,
      `${name} answered`,
    );
    return cmd;
  };
  return { send, runs };
}

describe('commands tell the truth', () => {
  it('answers display-off on a screen without display control as unsupported, saying why', async () => {
    const s = await screen({
      powerAdapter: 'none',
      run: () => ({ code: 0, stdout: '', stderr: '' }),
      hostReboot: 'allowed',
    });
    const off = await s.send('display-off');
    expect(off.state).toBe('unsupported');
    expect(off.message).toContain('not supported on this screen: no display control adapter detected');
    expect(off.message).toContain('display.powerAdapter is "none"');
  });

  it('answers a display switch the screen refused as failed, with the reason', async () => {
    const s = await screen({
      powerAdapter: 'x11',
      run: () => ({ code: 1, stdout: '', stderr: 'xset:  unable to open display ":0"' }),
      hostReboot: 'allowed',
    });
    const off = await s.send('display-off');
    expect(off.state).toBe('failed');
    expect(off.message).toContain('unable to open display');
  });

  it('answers a reboot systemd refused as failed, with its words', async () => {
    const s = await screen({
      powerAdapter: 'none',
      run: (cmd) =>
        cmd === 'systemctl'
          ? { code: 1, stdout: '', stderr: 'Failed to reboot system via logind: Access denied' }
          : { code: 0, stdout: '', stderr: '' },
      hostReboot: 'allowed',
    });
    const reboot = await s.send('reboot');
    expect(reboot.state).toBe('failed');
    expect(reboot.message).toContain('Access denied');
    expect(s.runs).toContainEqual(['systemctl', 'reboot']);
  });

  it('answers ok for a reboot only once systemd accepted it', async () => {
    const s = await screen({
      powerAdapter: 'none',
      run: () => ({ code: 0, stdout: '', stderr: '' }),
      hostReboot: 'allowed',
    });
    const reboot = await s.send('reboot');
    expect(reboot.state).toBe('ok');
    expect(s.runs).toContainEqual(['systemctl', 'reboot']);
  });

  it('refuses a host reboot in the demo, running nothing', async () => {
    const s = await screen({
      powerAdapter: 'none',
      run: () => ({ code: 0, stdout: '', stderr: '' }),
      hostReboot: DEMO_HOST_REBOOT,
    });
    const reboot = await s.send('reboot');
    expect(reboot).toMatchObject({ state: 'unsupported', message: 'demo mode: host reboot refused' });
    expect(s.runs.filter((r) => r[0] === 'systemctl')).toEqual([]);
  });
});

describe('a command that stops the daemon still answers', () => {
  it('the link closes only after the result of the running command left (a release switch stops the daemon from inside install-release)', async () => {
    const s = await startTempServer(cleanups, 'gc-cmdstop-');
    const e = await enrolTestDevice(s.api, s.server.url, join(s.dir, 'd'));
    let stopped: Promise<void> | undefined;
    const dev = makeDevice(join(s.dir, 'd'), e.deviceId, s.server.url, {
      handlers: {
        // As the daemon's release switch does: the stop begins while the command is still running.
        restartPlayer: async () => {
          stopped = dev.client.stop();
          await new Promise((r) => setTimeout(r, 100));
        },
      },
    });
    cleanups.push(() => dev.close());
    dev.client.start();
    const c = await s.api('POST', `/api/devices/${e.deviceId}/commands`, {
      name: 'restart-player',
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    await until(() => stopped !== undefined, 10_000, 'the command to run');
    await stopped;
    await until(
      async () => (await s.api('GET', `/api/commands/${c.body.id}`)).body.state === 'ok',
      5000,
      'the result at the server',
    );
  });
});
