/**
 * `npm run bench -- provision [runs]`: wall time of a full `provision` (enrol over HTTP, prerequisite
 * and font checks, every file, time zone, enable) into a fresh temporary root against a local enrolment
 * server, against the baseline of only writing the same files with `install -D` (one shell), same run.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execRun } from '../device/display/exec-run.js';
import { systemClock } from '../protocol/clock.js';
import { httpEnroller } from '../provisioning/enroller.js';
import { provision } from '../provisioning/provision.js';
import { RootedTarget } from '../provisioning/target.js';
import { median, resultLine } from './lib.js';

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
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          deviceId: `bench-${n}`,
          gate: {
            siteGroup: 'kien-giang/ha-tien',
            name: 'Cửa khẩu Quốc tế Hà Tiên',
            languages: ['vi', 'km', 'en', 'zh-Hans'],
            openingHours: [{ start: '06:00', end: '22:00' }],
          },
          trustedRootJson: JSON.stringify({ signed: { _type: 'root', version: 1 }, signatures: [] }),
          serverCaPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const full: number[] = [];
  const base: number[] = [];
  const run = execRun();
  try {
    for (let i = 0; i < runs; i++) {
      const root = mkdtempSync(join(tmpdir(), 'gatecast-bench-prov-'));
      const copy = mkdtempSync(join(tmpdir(), 'gatecast-bench-copy-'));
      try {
        const t0 = performance.now();
        await provision(
          {
            serverUrl: url,
            token: `t${i}`,
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
            enroller: httpEnroller(),
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
    await new Promise((r) => server.close(r));
  }
  process.stdout.write(`runs: ${runs}; provision ms: ${full.map((x) => x.toFixed(0)).join(' ')}\n`);
  process.stdout.write(`baseline (install -D + sync) ms: ${base.map((x) => x.toFixed(0)).join(' ')}\n`);
  resultLine(
    'provision',
    Math.round(median(full)),
    'ms median',
    Math.round(median(base)),
    '< 10 s on a Pi, excluding package downloads',
  );
}
