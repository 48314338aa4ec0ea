/**
 * `npm run bench -- provision [runs]`: wall time of a full `provision` (key generation and enrolment
 * with the real sync server on 127.0.0.1, prerequisite and font checks, every file, time zone, enable)
 * into a fresh temporary root, against the baseline of only writing the same files with `install -D`
 * (one shell), same run. Token creation (an ops step) is outside the timed part.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execRun } from '../device/display/exec-run.js';
import { systemClock } from '../protocol/clock.js';
import { memoryLogger } from '../platform/log.js';
import { syncEnroller } from '../provisioning/enroller.js';
import { provision } from '../provisioning/provision.js';
import { RootedTarget } from '../provisioning/target.js';
import { parseServerConfig } from '../sync-server/config/config.js';
import { SyncServer } from '../sync-server/main.js';
import { medianResultLine, printRunTimes } from './lib.js';

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (lstatSync(p).isDirectory()) walk(p);
      else if (lstatSync(p).isFile()) out.push(relative(root, p));
    }
  };
  walk(root);
  return out;
}

export default async function (args: string[]): Promise<void> {
  const runs = Number(args[0] ?? 7);
  const serverDir = mkdtempSync(join(tmpdir(), 'gatecast-bench-srv-'));
  const rootFile = join(serverDir, 'root.json');
  writeFileSync(rootFile, JSON.stringify({ signed: { _type: 'root', version: 1 }, signatures: [] }));
  const opsToken = 'bench-ops-token-0123456789abcdef';
  const siteGroup = 'kien-giang/ha-tien';
  const server = new SyncServer(
    parseServerConfig({
      dataDir: join(serverDir, 'server'),
      port: 0,
      opsToken,
      trustedRootFile: rootFile,
      logLevel: 'warn',
      gates: [
        {
          siteGroup,
          name: 'Cửa khẩu Quốc tế Hà Tiên',
          languages: ['vi', 'km', 'en', 'zh-Hans'],
          openingHours: [{ start: '06:00', end: '22:00' }],
        },
      ],
    }),
    { log: memoryLogger('bench-server') },
  );
  await server.start();
  const url = server.url;
  const newToken = async (i: number): Promise<string> => {
    const res = await fetch(`${url}/api/enrolment-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ siteGroup, screenName: `bench-${i}` }),
    });
    if (res.status !== 201) throw new Error(`token: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const full: number[] = [];
  const base: number[] = [];
  const run = execRun();
  try {
    for (let i = 0; i < runs; i++) {
      const root = mkdtempSync(join(tmpdir(), 'gatecast-bench-prov-'));
      const copy = mkdtempSync(join(tmpdir(), 'gatecast-bench-copy-'));
      try {
        const token = await newToken(i);
        const t0 = performance.now();
        await provision(
          {
            serverUrl: url,
            token,
            configPath: '/etc/gatecast/device.json',
            dataDir: '/var/lib/gatecast',
            session: 'wayland',
            user: 'gatecast',
            watchdogSec: 30,
            dryRun: false,
            reenrol: false,
            lang: 'en',
            nodePath: process.execPath,
            cliPath: '/usr/lib/gatecast/dist/cli/gatecast.js',
            daemonArgs: ['daemon'],
          },
          {
            enroller: syncEnroller(),
            target: new RootedTarget(root),
            facts: {
              nodeVersion: process.version,
              chromiumPath: '/usr/bin/chromium',
              freeBytes: 8 * 1024 ** 3,
              hasLabwc: true,
              hasXorg: false,
              hasHardwareWatchdog: true,
              isRoot: false,
              canWrite: async () => true,
            },
            clock: systemClock,
            run,
            progress: { begin: () => undefined, step: () => undefined, end: () => undefined },
          },
        );
        full.push(performance.now() - t0);
        const list = files(root);
        const script = list
          .map((f) => `install -D -m 644 '${join(root, f)}' '${join(copy, f)}'`)
          .join(' && ');
        const t1 = performance.now();
        spawnSync('sh', ['-c', `${script} && sync -f '${copy}'`]);
        base.push(performance.now() - t1);
        if (i === 0) process.stdout.write(`files per provision: ${list.length}\n`);
      } finally {
        rmSync(root, { recursive: true, force: true });
        rmSync(copy, { recursive: true, force: true });
      }
    }
  } finally {
    await server.stop();
    rmSync(serverDir, { recursive: true, force: true });
  }
  printRunTimes(runs, 'provision', full, 'install -D + sync', base);
  medianResultLine('provision', 'ms median', full, base, '< 10 s on a Pi, excluding package downloads');
}
