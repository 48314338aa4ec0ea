/**
 * `gatecast demo`, run as its own process, checks before it deletes or starts anything: a busy port
 * is one clear line (which port, how to pick another), and a folder the demo did not make is never
 * deleted. The commands it prints run here as printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MARKER, gatecastCommand, prepareDemoDir } from '../../cli/demo-guards.js';
import { GATECAST_JS, runGatecast } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/temp.js';

const listen = (): Promise<{ server: Server; port: number }> =>
  new Promise((resolveListen) => {
    const server = createServer();
    server.listen({ host: '127.0.0.1', port: 0 }, () =>
      resolveListen({ server, port: (server.address() as { port: number }).port }),
    );
  });

describe('gatecast demo: guards', { timeout: 180_000 }, () => {
  let t: ReturnType<typeof tempDir>;
  let busy: Server | undefined;
  afterEach(async () => {
    t.cleanup();
    await new Promise<void>((r) => (busy ? busy.close(() => r()) : r()));
    busy = undefined;
  });

  it('says in one line that the port is busy, and deletes nothing, not even its own folder', async () => {
    t = tempDir('gatecast-demo-');
    const held = await listen();
    busy = held.server;
    const own = join(t.path, 'own');
    prepareDemoDir(own);
    writeFileSync(join(own, 'screen.png'), 'last run');
    const r = runGatecast(['demo', '--dir', own, '--port', String(held.port), '--duration-s', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `gatecast: port ${held.port} on 127.0.0.1 is busy (another program is listening there): ` +
        `pick another with --port ${held.port + 1}, or --port 0 for any free port [DEMO_PORT_BUSY]\n`,
    );
    expect(r.stdout).toBe('');
    expect(readFileSync(join(own, 'screen.png'), 'utf8')).toBe('last run');
  });

  it('refuses to wipe a folder it did not make, and leaves it as it was', () => {
    t = tempDir('gatecast-demo-');
    const mine = join(t.path, 'my-work');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep me');
    const r = runGatecast(['demo', '--dir', mine, '--port', '0', '--duration-s', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `gatecast: ${mine} exists and was not made by gatecast demo (no ${DEMO_MARKER} file in it); ` +
        'nothing was deleted. Pick another --dir, or remove that folder yourself. [DEMO_DIR_NOT_OURS]\n',
    );
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(existsSync(join(mine, DEMO_MARKER))).toBe(false);
  });

  it('empties a folder it made, and marks a new one', () => {
    t = tempDir('gatecast-demo-');
    const dir = join(t.path, 'demo');
    prepareDemoDir(dir);
    writeFileSync(join(dir, 'old.db'), 'x');
    prepareDemoDir(dir);
    expect(existsSync(join(dir, 'old.db'))).toBe(false);
    expect(existsSync(join(dir, DEMO_MARKER))).toBe(true);
  });

  it('prints gatecast commands that run here: node <path>/bin/gatecast.js, or gatecast when linked on PATH', () => {
    t = tempDir('gatecast-demo-');
    const root = join(GATECAST_JS, '..', '..', '..');
    const cmd = gatecastCommand({ PATH: '/usr/bin:/bin' }, root);
    expect(cmd).toBe('node bin/gatecast.js');
    expect(gatecastCommand({ PATH: '/usr/bin' }, t.path)).toBe(`node ${join(root, 'bin', 'gatecast.js')}`);
    // What `npm link` makes: <prefix>/bin/gatecast → this checkout's bin/gatecast.js.
    const bin = join(t.path, 'prefix', 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(join(root, 'bin', 'gatecast.js'), join(bin, 'gatecast'));
    expect(gatecastCommand({ PATH: `${bin}:/usr/bin` }, t.path)).toBe('gatecast');
    // Another gatecast first on PATH is not this checkout's.
    const other = join(t.path, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'gatecast'), '#!/bin/sh\n', { mode: 0o755 });
    expect(gatecastCommand({ PATH: `${other}:${bin}` }, t.path)).toBe(
      `node ${join(root, 'bin', 'gatecast.js')}`,
    );
    // The printed form runs from there as printed.
    const r = spawnSync(cmd.split(' ')[0]!, [...cmd.split(' ').slice(1), '--version'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
