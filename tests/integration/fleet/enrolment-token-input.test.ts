import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../sync-server/registry/registry.js';
import { REGISTRY_DB } from '../../../sync-server/main.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { runGatecast } from '../../helpers/cli-process.js';
import { FAKE_ROOT, GATE, OPS_TOKEN, startTempServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();
const DAY_MS = 24 * 3600_000;

describe('enrolment tokens refuse bad input and create nothing', () => {
  it('answers 400 with a named code over HTTP for a bad lifetime or screen name', async () => {
    const s = await startTempServer(cleanups, 'gc-token-input-');
    const cases: [Record<string, unknown>, string][] = [
      [{ ttlMs: 0 }, 'ENROL_TTL_INVALID'],
      [{ ttlMs: -5 * 3600_000 }, 'ENROL_TTL_INVALID'],
      [{ ttlMs: 1.5 }, 'ENROL_TTL_INVALID'],
      [{ ttlMs: 31 * DAY_MS }, 'ENROL_TTL_INVALID'],
      [{ screenName: '' }, 'ENROL_SCREEN_NAME_INVALID'],
      [{ screenName: '   ' }, 'ENROL_SCREEN_NAME_INVALID'],
      [{ screenName: 'x'.repeat(101) }, 'ENROL_SCREEN_NAME_INVALID'],
      [{ screenName: 'a\nb' }, 'ENROL_SCREEN_NAME_INVALID'],
    ];
    for (const [over, code] of cases) {
      const r = await s.api('POST', '/api/enrolment-tokens', {
        siteGroup: GATE.siteGroup,
        screenName: 'entrance',
        ...over,
      });
      expect({ over, status: r.status, code: r.body.error?.code }).toEqual({ over, status: 400, code });
    }
    expect((await s.api('GET', '/api/enrolment-tokens')).body).toEqual([]);
    // The longest allowed lifetime and a name with spaces around it (stored trimmed) are accepted.
    const ok = await s.api('POST', '/api/enrolment-tokens', {
      siteGroup: GATE.siteGroup,
      screenName: '  entrance ',
      ttlMs: 30 * DAY_MS,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.screenName).toBe('entrance');
  });

  it('gatecast enrolment-token prints one line and exits non-zero for a bad --ttl-hours', () => {
    const dir = tempDir('gc-token-cli-');
    cleanups.push(dir.cleanup);
    const rootFile = join(dir.path, 'root.json');
    writeFileSync(rootFile, JSON.stringify(FAKE_ROOT));
    const configFile = join(dir.path, 'server.json');
    const dataDir = join(dir.path, 'server');
    mkdirSync(dataDir);
    writeFileSync(
      configFile,
      JSON.stringify({ dataDir, opsToken: OPS_TOKEN, trustedRootFile: rootFile, gates: [GATE] }),
    );
    const token = (ttl: string, screen = 'entrance') =>
      runGatecast([
        'enrolment-token',
        `--config=${configFile}`,
        `--gate=${GATE.siteGroup}`,
        `--screen=${screen}`,
        `--ttl-hours=${ttl}`,
      ]);
    for (const ttl of ['0', '-5', 'abc', '721']) {
      const r = token(ttl);
      expect({ ttl, status: r.status, stdout: r.stdout }).toEqual({ ttl, status: 1, stdout: '' });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('[ENROL_TTL_INVALID]');
    }
    const blank = token('24', '  ');
    expect(blank.status).toBe(1);
    expect(blank.stderr).toContain('[ENROL_SCREEN_NAME_INVALID]');
    const registry = new Registry(join(dataDir, REGISTRY_DB));
    registry.open();
    try {
      expect(registry.tokens.list()).toEqual([]);
    } finally {
      void registry.close();
    }
    const good = token('24');
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^gce_\S+$/m);
  });
});
