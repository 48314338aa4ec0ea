/**
 * The generic command routes (the dashboard's and the ops API's "send a command to a screen") through
 * the real server and SQLite registry: `end-emergency` is the emergency end service's alone (docs/drafts.md
 * §7), so both refuse it by name and queue nothing, whatever its arguments; other commands still go.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { sessionCall, startFleetRig } from '../../helpers/fleet-rig.js';
import { enrolTestDevice } from '../../helpers/sync.js';

const cleanups = cleanupsAfterEach();

describe('reserved commands on the generic command routes', () => {
  it('refuses end-emergency from the dashboard and the ops API with COMMAND_RESERVED and queues nothing', async () => {
    const r = await startFleetRig(cleanups, 'gc-reserved-cmd-');
    const { deviceId } = await enrolTestDevice(r.api, r.base, join(r.dir, 'screen'), 'arrivals-1');
    const forged = { name: 'end-emergency', args: { emergencyId: 'em-x', secret: 'ab'.repeat(32) } };

    const ops = await r.api('POST', `/api/devices/${deviceId}/commands`, forged);
    expect(ops.status).toBe(403);
    expect(ops.body.error.code).toBe('COMMAND_RESERVED');
    expect(ops.body.error.message).toContain('gatecast emergency end');
    const dash = await sessionCall(
      r.base,
      r.op,
      'POST',
      `/api/dashboard/devices/${deviceId}/commands`,
      forged,
    );
    expect(dash.status).toBe(403);
    expect(dash.body.error.code).toBe('COMMAND_RESERVED');
    // Without arguments too: the kind decides, not what comes with it.
    const bare = await r.api('POST', `/api/devices/${deviceId}/commands`, { name: 'end-emergency' });
    expect(bare.body.error?.code).toBe('COMMAND_RESERVED');
    expect((await r.api('GET', `/api/devices/${deviceId}/commands`)).body).toEqual([]);
    expect(r.server.registry.commands.list(deviceId)).toEqual([]);

    // Every other command still goes the usual way.
    const identify = await sessionCall(r.base, r.op, 'POST', `/api/dashboard/devices/${deviceId}/commands`, {
      name: 'identify',
    });
    expect(identify.status).toBe(201);
    expect(r.server.registry.commands.list(deviceId).map((c) => c.name)).toEqual(['identify']);
  });
});
