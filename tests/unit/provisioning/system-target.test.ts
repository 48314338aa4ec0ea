import { describe, expect, it } from 'vitest';
import type { Run, RunResult } from '../../../device/display/display-power.js';
import { SystemCommandError, SystemTarget } from '../../../provisioning/target.js';

function recordingRun(answers: Record<string, Partial<RunResult>>) {
  const calls: string[] = [];
  const run: Run = async (cmd, args) => {
    const line = [cmd, ...args].join(' ');
    calls.push(line);
    return { code: 0, stdout: '', stderr: '', ...(answers[line] ?? {}) };
  };
  return { run, calls };
}

describe('provisioning on the real system runs exactly these commands', () => {
  it('time zone, units, user and ownership', async () => {
    const { run, calls } = recordingRun({
      'timedatectl show -p Timezone --value': { stdout: 'Europe/London\n' },
      'systemctl is-enabled gatecast.service': { code: 1, stdout: 'disabled\n' },
      'id -u gatecast': { code: 1, stderr: 'no such user' },
    });
    const t = new SystemTarget(run);
    expect(await t.currentTimezone()).toBe('Europe/London');
    await t.setTimezone('Asia/Ho_Chi_Minh');
    expect(await t.isUnitEnabled('gatecast.service')).toBe(false);
    await t.enableUnit('gatecast.service');
    await t.daemonReload();
    expect(await t.ensureUser('gatecast', ['video', 'gpio'])).toBe('created');
    await t.chown('/home/gatecast/.config', 'gatecast', 'gatecast', true);
    expect(calls).toEqual([
      'timedatectl show -p Timezone --value',
      'timedatectl set-timezone Asia/Ho_Chi_Minh',
      'systemctl is-enabled gatecast.service',
      'systemctl enable gatecast.service',
      'systemctl daemon-reload',
      'id -u gatecast',
      'useradd --system --create-home --shell /bin/bash --groups video,gpio gatecast',
      'chown -R gatecast:gatecast /home/gatecast/.config',
    ]);
  });

  it('an existing user is only added to the groups; a failing command is a named error', async () => {
    const { run, calls } = recordingRun({
      'id -u gatecast': { stdout: '998\n' },
      'timedatectl set-timezone Asia/Ho_Chi_Minh': { code: 1, stderr: 'Access denied' },
    });
    const t = new SystemTarget(run);
    expect(await t.ensureUser('gatecast', ['video'])).toBe('exists');
    expect(calls).toEqual(['id -u gatecast', 'usermod -a -G video gatecast']);
    const err = await t.setTimezone('Asia/Ho_Chi_Minh').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SystemCommandError);
    expect((err as SystemCommandError).code).toBe('PROVISION_COMMAND_FAILED');
    expect((err as Error).message).toBe(
      'timedatectl set-timezone Asia/Ho_Chi_Minh failed (1): Access denied',
    );
  });
});
