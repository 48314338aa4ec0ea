import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { startTempServer } from '../../helpers/sync.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('GET /api/health', () => {
  it('answers without the ops token with the version and the uptime; the rest of /api still needs it', async () => {
    const clock = fakeClock('2026-11-22T04:00:00Z');
    const s = await startTempServer(cleanups, 'gc-health-', {}, clock);

    const first = await fetch(`${s.server.url}/api/health`);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ ok: true, version: pkg.version, uptimeS: 0 });

    clock.advance(90_500);
    const later = await fetch(`${s.server.url}/api/health?probe=1`);
    expect(await later.json()).toMatchObject({ ok: true, version: pkg.version, uptimeS: 90 });

    expect((await fetch(`${s.server.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${s.server.url}/api/health`, { method: 'POST' })).status).toBe(404);
  });
});
