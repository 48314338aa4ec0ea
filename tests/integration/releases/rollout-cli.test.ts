/**
 * `gatecast release rollout` (the built CLI, its own process) against the real server with simulated
 * screens: start, status, pause, resume, abort through the ops API; refusals exit 1 with the server's
 * reason and code. Build first: npx tsc -p tsconfig.build.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { runGatecastAsync } from '../../helpers/cli-process.js';
import { startReleaseRig } from '../../helpers/release-rig.js';
import { OPS_TOKEN } from '../../helpers/sync.js';

const cleanups = cleanupsAfterEach();

describe('gatecast release rollout', () => {
  it('starts, shows, pauses, resumes and aborts a rollout, and exits 1 with the reason on a refusal', async () => {
    const r = await startReleaseRig(cleanups, 'gc-ro-cli-', ['canary', 'gate-a']);
    const [canary, a] = r.screens as [(typeof r.screens)[0], (typeof r.screens)[0]];
    canary.outcome = 'pending';
    const tokenFile = join(r.dir, 'ops-token');
    writeFileSync(tokenFile, `${OPS_TOKEN}\n`, { mode: 0o600 });
    const cli = (...args: string[]) =>
      runGatecastAsync(['release', 'rollout', ...args, '--server', r.base, '--token-file', tokenFile]);

    const refused = await cli(
      'start',
      '--release',
      '9.9.9',
      '--canary',
      canary.deviceId,
      '--stage',
      'fleet:100%',
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('HTTP 409, RELEASE_NOT_PUBLISHED');
    expect(refused.stderr).toContain('release 9.9.9 is not published');
    const badStage = await cli(
      'start',
      '--release',
      '1.1.0',
      '--canary',
      canary.deviceId,
      '--stage',
      'fleet',
    );
    expect(badStage.status).toBe(1);
    expect(badStage.stderr).toContain('--stage fleet: write');
    expect((await r.api('GET', '/api/releases')).body.current).toBeNull();

    const start = await cli(
      'start',
      '--release',
      '1.1.0',
      '--canary',
      canary.deviceId,
      '--stage',
      'gate:kien-giang/ha-tien:100%',
      '--soak-minutes',
      '5',
    );
    expect(start.stderr).toBe('');
    expect(start.status).toBe(0);
    const id = /rollout (ro-[0-9a-f]+) of 1\.1\.0: running/.exec(start.stdout)?.[1];
    expect(id).toBeDefined();
    expect(start.stdout).toContain('next stage after 5 min settled');
    await r.reported(canary, '1.1.0', 'pending');

    const status = await cli('status');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain(
      'stage 1 canary: offering, 0/1 committed, 1 offered, 0 failed, 0 waiting',
    );
    expect(status.stdout).toContain('canary (kien-giang/ha-tien): pending; runs 1.1.0 pending');
    const json = await cli('status', id!, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ id, status: 'running', version: '1.1.0' });

    const pause = await cli('pause', id!);
    expect(pause.status).toBe(0);
    expect(pause.stdout).toContain(`rollout ${id} of 1.1.0: paused`);
    const again = await cli('pause', id!);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('HTTP 409, ROLLOUT_STATE');
    expect(again.stderr).toContain('cannot pause a rollout that is paused');
    expect((await cli('resume', id!)).stdout).toContain(': running');
    const abort = await cli('abort', id!);
    expect(abort.status).toBe(0);
    expect(abort.stdout).toContain(': aborted');
    expect(r.installCommands(a)).toEqual([]);
    const unknown = await cli('abort', 'ro-nope');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('HTTP 404, ROLLOUT_NOT_FOUND');
  }, 300_000); // each CLI run is its own node process: seconds each on a loaded machine
});
