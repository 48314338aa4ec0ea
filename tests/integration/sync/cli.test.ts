import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerServerCommands } from '../../../cli/server-commands.js';
import { registerSyncCommands } from '../../../cli/sync-commands.js';
import { GATE, OPS_TOKEN, startTempServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();
afterEach(() => {
  vi.restoreAllMocks();
});

function program() {
  const p = new Command('gatecast').exitOverride();
  registerSyncCommands(p);
  registerServerCommands(p);
  return p;
}

describe('gatecast enrolment-token and enrol', () => {
  it('creates a token from the server config and enrols a device with it', async () => {
    const s = await startTempServer(cleanups, 'gc-cli-');
    const configFile = join(s.dir, 'server.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        dataDir: s.config.dataDir,
        opsToken: OPS_TOKEN,
        trustedRootFile: s.config.trustedRootFile,
        gates: [GATE],
      }),
    );
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    await program().parseAsync([
      'node',
      'gatecast',
      'enrolment-token',
      '--config',
      configFile,
      '--gate',
      GATE.siteGroup,
      '--screen',
      'entrance',
    ]);
    const token = /^(gce_\S+)$/m.exec(out.join(''))?.[1] ?? '';
    expect(token).toMatch(/^gce_/);
    const dataDir = join(s.dir, 'device');
    const enrol = () =>
      program().parseAsync([
        'node',
        'gatecast',
        'enrol',
        '--server',
        s.server.url,
        '--token',
        token,
        '--data-dir',
        dataDir,
      ]);
    await enrol();
    expect(out.join('')).toMatch(/enrolled as gc-[0-9a-f]{16} \(entrance at Cửa khẩu Quốc tế Hà Tiên\)/);
    const cfg = JSON.parse(readFileSync(join(dataDir, 'device.json'), 'utf8'));
    expect(cfg).toMatchObject({ screenName: 'entrance', server: { url: s.server.url } });
    await expect(enrol()).rejects.toThrow(/already enrolled/);
  });

  it('names every config problem at once', async () => {
    const dir = tempDir('gc-cli-');
    cleanups.push(dir.cleanup);
    const configFile = join(dir.path, 'server.json');
    writeFileSync(configFile, JSON.stringify({ opsToken: 'short', port: 'x' }));
    await expect(
      program().parseAsync(['node', 'gatecast', 'server', '--config', configFile]),
    ).rejects.toThrow(/dataDir[\s\S]*opsToken[\s\S]*trustedRootFile/);
  });
});
