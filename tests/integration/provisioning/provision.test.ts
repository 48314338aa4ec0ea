import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerProvisionCommands } from '../../../cli/provision-commands.js';
import { execRun } from '../../../device/display/exec-run.js';
import { fakeClock } from '../../../protocol/clock.js';
import { parseDeviceConfig } from '../../../protocol/config.js';
import { httpEnroller } from '../../../provisioning/enroller.js';
import {
  type Progress,
  type ProvisionDeps,
  ProvisionError,
  type ProvisionOptions,
  provision,
} from '../../../provisioning/provision.js';
import { RootedTarget } from '../../../provisioning/target.js';
import { enrolServer } from '../../helpers/enrol-server.js';
import { verifyUnit } from '../../helpers/systemd.js';
import { tempDir } from '../../helpers/temp.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(tokens = ['tok-good'], gate?: unknown) {
  const srv = await enrolServer({ tokens, serverCaPem: CA, ...(gate ? { gate } : {}) });
  cleanups.push(srv.close);
  const root = tempDir('gatecast-root-');
  cleanups.push(root.cleanup);
  return { srv, root: root.path };
}

function options(url: string, token: string, over: Partial<ProvisionOptions> = {}): ProvisionOptions {
  return {
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
    daemonArgs: ['daemon', '--config', '/etc/gatecast/device.json'],
    ...over,
  };
}

function memoryProgress(): Progress & { labels: string[] } {
  const labels: string[] = [];
  return { labels, begin: () => undefined, step: (l) => labels.push(l), end: () => undefined };
}

function deps(
  root: string,
  over: Partial<ProvisionDeps['facts']> = {},
): ProvisionDeps & { progress: { labels: string[] } } {
  return {
    enroller: httpEnroller(),
    target: new RootedTarget(root),
    facts: {
      nodeVersion: 'v20.20.2',
      chromiumPath: '/usr/bin/chromium',
      freeBytes: 20 * 1024 ** 3,
      hasLabwc: true,
      hasXorg: false,
      hasHardwareWatchdog: true,
      isRoot: false,
      canWrite: async () => true,
      ...over,
    },
    clock: fakeClock('2026-11-22T03:00:00Z'),
    run: execRun(),
    progress: memoryProgress(),
  };
}

/** Every file and link under root, with its mtime, for "nothing changed" checks. */
function snapshot(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else out[relative(root, p)] = st.mtimeMs;
    }
  };
  walk(root);
  return out;
}

describe('gatecast provision into a temporary root against a real HTTP server', () => {
  it('enrols, writes config, trust root, units and kiosk session, and enables the daemon', async () => {
    const { srv, root } = await setup();
    const d = deps(root);
    const r = await provision(options(srv.url, 'tok-good'), d);

    expect(srv.requests.filter((q) => q.path === '/api/enrol')).toEqual([
      { method: 'POST', path: '/api/enrol', body: '{"token":"tok-good"}' },
    ]);
    expect(r).toMatchObject({
      deviceId: 'ha-tien-001',
      gateName: 'Cửa khẩu Quốc tế Hà Tiên',
      siteGroup: 'kien-giang/ha-tien',
      enrolment: 'new',
      session: 'wayland',
    });
    expect(r.steps.every((s) => s.outcome === 'done' || s.outcome === 'skipped')).toBe(true);
    expect(r.steps.find((s) => s.label.startsWith('Creating the user'))?.outcome).toBe('skipped');
    expect(d.progress.labels.length).toBeGreaterThanOrEqual(r.steps.length);

    const cfg = parseDeviceConfig(JSON.parse(readFileSync(join(root, 'etc/gatecast/device.json'), 'utf8')));
    expect(cfg).toMatchObject({
      deviceId: 'ha-tien-001',
      server: { url: srv.url, caFile: '/etc/gatecast/server-ca.pem' },
    });
    expect(statSync(join(root, 'etc/gatecast/device.json')).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(root, 'etc/gatecast/server-ca.pem'), 'utf8')).toBe(CA);
    expect(
      JSON.parse(readFileSync(join(root, 'var/lib/gatecast/trust/root.json'), 'utf8')).signed._type,
    ).toBe('root');
    expect(readFileSync(join(root, 'etc/timezone'), 'utf8')).toBe('Asia/Ho_Chi_Minh\n');
    expect(readlinkSync(join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/Asia/Ho_Chi_Minh');
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/gatecast.service'))).toBe(
      '/etc/systemd/system/gatecast.service',
    );
    expect(readFileSync(join(root, 'etc/systemd/system.conf.d/60-gatecast-watchdog.conf'), 'utf8')).toContain(
      'RuntimeWatchdogSec=14s',
    );
    expect(readFileSync(join(root, 'etc/lightdm/lightdm.conf.d/60-gatecast-kiosk.conf'), 'utf8')).toContain(
      'autologin-session=LXDE-pi-labwc',
    );
    expect(readFileSync(join(root, 'home/gatecast/.config/labwc/autostart'), 'utf8')).toContain(
      "wlopm --on '*' &",
    );
    expect(readFileSync(join(root, 'etc/systemd/journald.conf.d/60-gatecast.conf'), 'utf8')).toContain(
      'SystemMaxUse=64M',
    );

    const unitDir = join(root, 'etc/systemd/system');
    const unit = readFileSync(join(unitDir, 'gatecast.service'), 'utf8');
    expect(unit).toContain('WatchdogSec=30s');
    expect(unit).toContain('Restart=always');
    const v = verifyUnit(unitDir, 'gatecast.service');
    expect(v.output).toBe(v.ran ? '' : 'systemd-analyze not installed: content checks only');

    expect(r.warnings.join('\n')).toContain(`Under --root ${root} no commands were run`);
    expect(r.next).toContain('Run the self-test: gatecast selftest');
  });

  it('--dry-run writes nothing and does not spend the token', async () => {
    const { srv, root } = await setup();
    const r = await provision(options(srv.url, 'tok-good', { dryRun: true }), deps(root));
    expect(snapshot(root)).toEqual({});
    expect(srv.requests).toEqual([]);
    expect(r.enrolment).toBe('would');
    expect(r.steps.every((s) => s.outcome === 'would')).toBe(true);
    expect(r.warnings).toContain('Dry run: nothing was written and the token was not used.');
  });

  it('is idempotent: a second run keeps the enrolment and changes no file', async () => {
    const { srv, root } = await setup();
    await provision(options(srv.url, 'tok-good'), deps(root));
    const before = snapshot(root);
    const r2 = await provision(options(srv.url, 'tok-good'), deps(root));
    expect(snapshot(root)).toEqual(before);
    expect(srv.requests.filter((q) => q.path === '/api/enrol')).toHaveLength(1);
    expect(r2.enrolment).toBe('existing');
    expect(r2.deviceId).toBe('ha-tien-001');
    expect(r2.steps.map((s) => s.outcome).filter((o) => o !== 'unchanged' && o !== 'skipped')).toEqual([
      'done',
    ]); // the fonts check runs each time
    expect(r2.warnings[0]).toBe(
      'Already enrolled as ha-tien-001; keeping it (--reenrol enrols again with a new token).',
    );
  });

  it('keeps what a technician added to the config, and opens /sys for GPIO when it is enabled', async () => {
    const { srv, root } = await setup(['a', 'b']);
    await provision(options(srv.url, 'a'), deps(root));
    const cfgFile = join(root, 'etc/gatecast/device.json');
    const edited = {
      ...JSON.parse(readFileSync(cfgFile, 'utf8')),
      gpio: { enabled: true, statusLedPin: 17 },
    };
    writeFileSync(cfgFile, JSON.stringify(edited));
    const r = await provision(options(srv.url, 'b', { reenrol: true }), deps(root));
    expect(r.enrolment).toBe('new');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    expect(cfg).toMatchObject({ deviceId: 'ha-tien-002', gpio: { enabled: true, statusLedPin: 17 } });
    const unit = readFileSync(join(root, 'etc/systemd/system/gatecast.service'), 'utf8');
    expect(unit).not.toContain('ProtectKernelTunables=yes');
  });

  it('warns about a language with no font and says which package to install', async () => {
    const { srv, root } = await setup();
    const d = deps(root);
    const real = d.run;
    d.run = async (cmd, args) =>
      args[0] === ':lang=km' ? { code: 0, stdout: '', stderr: '' } : real(cmd, args);
    const r = await provision(options(srv.url, 'tok-good'), d);
    expect(r.warnings).toContain('No font for km: sudo apt install fonts-khmeros');
    expect(r.next[0]).toBe('Install the missing fonts: sudo apt install fonts-khmeros');
    expect(r.steps.map((s) => s.label)).toContain('Checking fonts for vi, km, en, zh-Hans');
    expect(r.steps.map((s) => s.label)).toContain('Setting the time zone to Asia/Ho_Chi_Minh');
  });

  it('a bad token gives a clear error and writes nothing', async () => {
    const { srv, root } = await setup();
    const err = await provision(options(srv.url, 'tok-wrong', { lang: 'vi' }), deps(root)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as ProvisionError).code).toBe('PROVISION_FAILED');
    expect((err as ProvisionError).reason).toBe('enrolment');
    expect((err as Error).message).toMatch(
      /^Máy chủ từ chối mã đăng ký: mã sai, đã dùng rồi hoặc đã hết hạn\..*HTTP 410/,
    );
    expect(snapshot(root)).toEqual({});
  });

  it('an unreachable server is named with the network error', async () => {
    const { srv, root } = await setup();
    await srv.close();
    const err = await provision(options(srv.url, 'tok-good'), deps(root)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `Cannot reach the server: ${srv.url}: ECONNREFUSED. Check the network and the address.`,
    );
    expect(snapshot(root)).toEqual({});
    cleanups = cleanups.filter((c) => c !== srv.close);
  });

  it('a gate the config model rejects writes nothing', async () => {
    const { srv, root } = await setup(['t'], { siteGroup: 'Bad Group', name: 'x', languages: ['vi'] });
    const err = await provision(options(srv.url, 't'), deps(root)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /^The server gave an answer provisioning cannot use: .*gate\.siteGroup/,
    );
    expect(snapshot(root)).toEqual({});
  });

  it('says which steps need root before doing anything', async () => {
    const { srv, root } = await setup();
    const d = deps(root, { canWrite: async (p) => !p.includes('/etc/') });
    const err = await provision(options(srv.url, 'tok-good'), d).catch((e: unknown) => e);
    expect((err as ProvisionError).reason).toBe('needs-root');
    expect((err as Error).message).toContain(
      'These steps need root: Writing the trust root; Setting the time zone',
    );
    expect((err as Error).message).not.toContain('Checking fonts');
    expect(srv.requests).toEqual([]);
    expect(snapshot(root)).toEqual({});
  });

  it('refuses to start without its prerequisites, listing each', async () => {
    const { srv, root } = await setup();
    const d = deps(root, { nodeVersion: 'v18.19.0', chromiumPath: undefined, freeBytes: 100 * 1024 ** 2 });
    d.clock = fakeClock('2000-01-01T00:05:00Z');
    const err = await provision(options(srv.url, 'tok-good'), d).catch((e: unknown) => e);
    const msg = (err as Error).message;
    expect(msg).toContain('Node.js v18.19.0 is too old');
    expect(msg).toContain('Chromium not found: sudo apt install chromium');
    expect(msg).toContain('Only 0.1 GiB free on /var/lib/gatecast (need at least 1.0 GiB)');
    expect(msg).toContain('The clock says 2000-01-01T00:05:00.000Z, which cannot be right');
    expect(srv.requests).toEqual([]);
  });

  it('runs from the command line with flags and no terminal, and prints the summary in Vietnamese', async () => {
    const { srv, root } = await setup();
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command('gatecast').exitOverride();
      registerProvisionCommands(program);
      await program.parseAsync(
        [
          'provision',
          '--server',
          srv.url,
          '--token',
          'tok-good',
          '--root',
          root,
          '--session',
          'x11',
          '--lang',
          'vi',
        ],
        { from: 'user' },
      );
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
    const text = out.join('');
    expect(text).toContain('Cài đặt xong.');
    expect(text).toContain('Thiết bị: ha-tien-001');
    expect(text).toContain('Cửa khẩu: Cửa khẩu Quốc tế Hà Tiên (kien-giang/ha-tien)');
    expect(readFileSync(join(root, 'home/gatecast/.config/lxsession/LXDE-pi/autostart'), 'utf8')).toContain(
      '@xset s off',
    );
  });
});
