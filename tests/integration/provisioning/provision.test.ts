import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { registerProvisionCommands } from '../../../cli/provision-commands.js';
import { execRun } from '../../../device/display/exec-run.js';
import { identityKeyPath, loadIdentity } from '../../../device/identity.js';
import { DEFAULT_CONFIG_PATH as DAEMON_CONFIG_PATH, loadConfig } from '../../../device/main.js';
import { requestJson, serverCaPath, trustedRootPath } from '../../../device/sync/enrol.js';
import { fakeClock } from '../../../protocol/clock.js';
import { EnrolError, type Enroller, syncEnroller } from '../../../provisioning/enroller.js';
import { DEFAULT_CONFIG_PATH, deviceKeyPath, trustRootPath } from '../../../provisioning/paths.js';
import {
  type Progress,
  type ProvisionDeps,
  ProvisionError,
  type ProvisionOptions,
  provision,
} from '../../../provisioning/provision.js';
import { RootedTarget } from '../../../provisioning/target.js';
import { FAKE_ROOT, startServer } from '../../helpers/sync.js';
import { verifyUnit } from '../../helpers/systemd.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { selfSignedCert } from '../../helpers/tls.js';

const DATA = '/var/lib/gatecast';
const GATE = {
  siteGroup: 'kien-giang/ha-tien',
  name: 'Cửa khẩu Quốc tế Hà Tiên',
  timezone: 'Asia/Ho_Chi_Minh',
  languages: ['vi', 'km', 'en', 'zh-Hans'],
  openingHours: [{ start: '06:00', end: '22:00' }],
};

const cleanups = cleanupsAfterEach();

/** A real sync server (sync-server/main.ts) on 127.0.0.1:0 and an empty target root. */
async function setup(over: Parameters<typeof startServer>[1] = {}) {
  const dir = tempDir('gatecast-prov-srv-');
  cleanups.push(dir.cleanup);
  const s = await startServer(dir.path, { gates: [GATE], ...over });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await s.server.stop();
    stopped = true;
  };
  cleanups.push(stop);
  const root = tempDir('gatecast-root-');
  cleanups.push(root.cleanup);
  const token = async (screenName = 'entrance'): Promise<string> => {
    const r = await s.api('POST', '/api/enrolment-tokens', { siteGroup: GATE.siteGroup, screenName });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body.token as string;
  };
  return { s, url: s.server.url, root: root.path, token, stop, dir: dir.path };
}

function options(url: string, token: string, over: Partial<ProvisionOptions> = {}): ProvisionOptions {
  return {
    serverUrl: url,
    token,
    configPath: '/etc/gatecast/device.json',
    dataDir: DATA,
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
  enroller: Enroller = syncEnroller({ timeoutMs: 5000 }),
): ProvisionDeps & { progress: { labels: string[] } } {
  return {
    enroller,
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

const devices = (s: Awaited<ReturnType<typeof setup>>['s']) => s.server.registry.devices.list();

describe('gatecast provision into a temporary root against the real sync server', () => {
  it('uses the paths the daemon, the update client and `gatecast enrol` use', () => {
    expect(DEFAULT_CONFIG_PATH).toBe(DAEMON_CONFIG_PATH);
    expect(deviceKeyPath(DATA)).toBe(identityKeyPath(DATA));
    expect(trustRootPath(DATA)).toBe(trustedRootPath(DATA));
    expect(trustRootPath(DATA)).toBe('/var/lib/gatecast/tuf/root.json');
    expect(deviceKeyPath(DATA)).toBe('/var/lib/gatecast/keys/device-ed25519.pem');
  });

  it('enrols with its own key, writes the config the daemon reads, the trust root, units and kiosk session', async () => {
    const { s, url, root, token } = await setup();
    const d = deps(root);
    const r = await provision(options(url, await token()), d);

    const [dev, ...more] = devices(s);
    expect(more).toEqual([]);
    expect(r).toMatchObject({
      deviceId: dev!.id,
      gateName: 'Cửa khẩu Quốc tế Hà Tiên',
      siteGroup: 'kien-giang/ha-tien',
      enrolment: 'new',
      session: 'wayland',
    });
    expect(r.deviceId).toMatch(/^gc-[0-9a-f]{16}$/);
    // the key the server registered is the one on the box, at the daemon's path, 0600
    const dataDir = join(root, DATA);
    expect(loadIdentity(dataDir).publicKey).toBe(dev!.publicKey);
    expect(statSync(join(root, deviceKeyPath(DATA))).mode & 0o777).toBe(0o600);
    expect(r.steps.every((x) => x.outcome === 'done' || x.outcome === 'skipped')).toBe(true);
    expect(r.steps.find((x) => x.label.startsWith('Creating the user'))?.outcome).toBe('skipped');
    expect(d.progress.labels.length).toBeGreaterThanOrEqual(r.steps.length);

    // what device/main.ts reads
    const cfgFile = join(root, 'etc/gatecast/device.json');
    const cfg = loadConfig(cfgFile);
    expect(cfg).toMatchObject({
      deviceId: dev!.id,
      screenName: 'entrance',
      dataDir: DATA,
      server: { url },
      gate: { siteGroup: GATE.siteGroup, languages: GATE.languages, openingHours: GATE.openingHours },
    });
    expect(cfg.server?.caFile).toBeUndefined();
    expect(statSync(cfgFile).mode & 0o777).toBe(0o640);
    // the root the update client starts from: the server's, verbatim
    expect(JSON.parse(readFileSync(join(root, trustedRootPath(DATA)), 'utf8'))).toEqual(FAKE_ROOT);

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
    expect(unit).toContain('daemon --config /etc/gatecast/device.json');
    const v = verifyUnit(unitDir, 'gatecast.service');
    expect(v.output).toBe(v.ran ? '' : 'systemd-analyze not installed: content checks only');

    expect(r.warnings.join('\n')).toContain(`Under --root ${root} no commands were run`);
    expect(r.next).toContain('Run the self-test: gatecast selftest');
  });

  it('--dry-run writes nothing and does not spend the token', async () => {
    const { s, url, root, token } = await setup();
    const r = await provision(options(url, await token(), { dryRun: true }), deps(root));
    expect(snapshot(root)).toEqual({});
    expect(devices(s)).toEqual([]);
    expect(s.server.registry.tokens.list().map((x) => x.usedAtMs)).toEqual([null]);
    expect(r.enrolment).toBe('would');
    expect(r.steps.every((x) => x.outcome === 'would')).toBe(true);
    expect(r.warnings).toContain('Dry run: nothing was written and the token was not used.');
  });

  it('is idempotent: a second run keeps the enrolment and changes no file', async () => {
    const { s, url, root, token } = await setup();
    const tok = await token();
    const r1 = await provision(options(url, tok), deps(root));
    const before = snapshot(root);
    const r2 = await provision(options(url, tok), deps(root));
    expect(snapshot(root)).toEqual(before);
    expect(devices(s)).toHaveLength(1);
    expect(r2.enrolment).toBe('existing');
    expect(r2.deviceId).toBe(r1.deviceId);
    expect(r2.steps.map((x) => x.outcome).filter((o) => o !== 'unchanged' && o !== 'skipped')).toEqual([
      'done',
    ]); // the fonts check runs each time
    expect(r2.warnings[0]).toBe(
      `Already enrolled as ${r1.deviceId}; keeping it (--reenrol enrols again with a new token).`,
    );
  });

  it('--reenrol makes a new key and device, and keeps what a technician added to the config', async () => {
    const { s, url, root, token } = await setup();
    const r1 = await provision(options(url, await token('a')), deps(root));
    const key1 = loadIdentity(join(root, DATA)).publicKey;
    const cfgFile = join(root, 'etc/gatecast/device.json');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        ...JSON.parse(readFileSync(cfgFile, 'utf8')),
        gpio: { enabled: true, statusLedPin: 17 },
      }),
    );
    const r = await provision(options(url, await token('b'), { reenrol: true }), deps(root));
    expect(r.enrolment).toBe('new');
    expect(r.deviceId).not.toBe(r1.deviceId);
    const key2 = loadIdentity(join(root, DATA)).publicKey;
    expect(key2).not.toBe(key1);
    expect(s.server.registry.devices.get(r.deviceId!)?.publicKey).toBe(key2);
    expect(loadConfig(cfgFile)).toMatchObject({
      deviceId: r.deviceId,
      screenName: 'b',
      gpio: { enabled: true, statusLedPin: 17 },
    });
    const unit = readFileSync(join(root, 'etc/systemd/system/gatecast.service'), 'utf8');
    expect(unit).not.toContain('ProtectKernelTunables=yes');
  });

  it('pins the server CA given with --ca: enrols over https, copies it and names it in the config', async () => {
    const certDir = tempDir('gatecast-prov-tls-');
    cleanups.push(certDir.cleanup);
    const { key, cert } = selfSignedCert(certDir.path);
    const { s, url, root } = await setup({ tls: { certFile: cert, keyFile: key } });
    expect(url.startsWith('https://')).toBe(true);
    const ca = readFileSync(cert);
    // the token through the server's own service: the test's fetch does not trust the CA
    const { Enrolment, FileTrustedRootProvider } =
      await import('../../../sync-server/enrolment/enrolment.js');
    const { memoryLogger } = await import('../../../platform/log.js');
    const { systemClock } = await import('../../../protocol/clock.js');
    const en = new Enrolment(
      s.server.registry,
      new FileTrustedRootProvider(s.config.trustedRootFile!),
      systemClock,
      memoryLogger(),
    );
    const t = en.createToken(GATE.siteGroup, 'tls-screen', 3600_000).token;

    // without the CA the certificate is refused and nothing is written
    const refused = await provision(options(url, t), deps(root)).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/^Cannot reach the server: .*self-signed/);
    expect(snapshot(root)).toEqual({});

    const r = await provision(options(url, t, { caFile: cert }), deps(root));
    expect(r.enrolment).toBe('new');
    const cfg = loadConfig(join(root, 'etc/gatecast/device.json'));
    expect(cfg.server).toEqual({ url, caFile: serverCaPath(DATA) });
    expect(readFileSync(join(root, serverCaPath(DATA)))).toEqual(ca);
    // selftest's server row: the health route with the copied CA pinned
    const health = await requestJson(
      'GET',
      new URL('/api/health', url),
      undefined,
      readFileSync(join(root, cfg.server!.caFile!)),
      5000,
    );
    expect(health).toMatchObject({ status: 200, body: { ok: true } });

    // a kept enrolment given the CA again changes nothing; the token is not spent twice
    const before = snapshot(root);
    const again = await provision(options(url, t, { caFile: cert }), deps(root));
    expect(again.enrolment).toBe('existing');
    expect(snapshot(root)).toEqual(before);
  });

  it('warns about a language with no font and says which package to install', async () => {
    const { url, root, token } = await setup();
    const d = deps(root);
    const real = d.run;
    d.run = async (cmd, args) =>
      args[0] === ':lang=km' ? { code: 0, stdout: '', stderr: '' } : real(cmd, args);
    const r = await provision(options(url, await token()), d);
    expect(r.warnings).toContain('No font for km: sudo apt install fonts-khmeros');
    expect(r.next[0]).toBe('Install the missing fonts: sudo apt install fonts-khmeros');
    expect(r.steps.map((x) => x.label)).toContain('Checking fonts for vi, km, en, zh-Hans');
    expect(r.steps.map((x) => x.label)).toContain('Setting the time zone to Asia/Ho_Chi_Minh');
  });

  it('a used token gives a clear error in Vietnamese and writes nothing, not even the key', async () => {
    const { url, root, token } = await setup();
    const tok = await token();
    const other = tempDir('gatecast-root-');
    cleanups.push(other.cleanup);
    await provision(options(url, tok), deps(other.path));
    const err = await provision(options(url, tok, { lang: 'vi' }), deps(root)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as ProvisionError).code).toBe('PROVISION_FAILED');
    expect((err as ProvisionError).reason).toBe('enrolment');
    expect((err as Error).message).toMatch(
      /^Máy chủ từ chối mã đăng ký: mã sai, đã dùng rồi hoặc đã hết hạn\..*\[ENROL_TOKEN_USED\]/,
    );
    expect(snapshot(root)).toEqual({});
  });

  it('another refusal is passed on with the server reason, and the token stays usable', async () => {
    const { s, url, root, token, dir } = await setup();
    const tok = await token();
    unlinkSync(join(dir, 'root.json')); // the server has lost its TUF root
    const err = await provision(options(url, tok), deps(root)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^The server refused enrolment: .*\[ENROL_NO_TRUST_ROOT\]$/);
    expect(snapshot(root)).toEqual({});
    expect(s.server.registry.tokens.list().map((x) => x.usedAtMs)).toEqual([null]);
    writeFileSync(join(dir, 'root.json'), JSON.stringify(FAKE_ROOT));
    expect((await provision(options(url, tok), deps(root))).enrolment).toBe('new');
  });

  it('an unreachable server is named with the network error', async () => {
    const { url, root, token, stop } = await setup();
    const tok = await token();
    await stop();
    const err = await provision(options(url, tok), deps(root)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /^Cannot reach the server: cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*\. Check the network and the address\.$/,
    );
    expect(snapshot(root)).toEqual({});
  });

  it('an answer that is not a valid enrolment response writes nothing', async () => {
    const fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            v: 1,
            deviceId: 'gc-0000000000000001',
            screenName: 'x',
            gate: { siteGroup: 'Bad Group', name: 'x', languages: ['vi'] },
            trustedRoot: FAKE_ROOT,
          }),
        );
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => fake.close(r)));
    const root = tempDir('gatecast-root-');
    cleanups.push(root.cleanup);
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const err = await provision(options(url, 'gce_0123456789abcdef0123'), deps(root.path)).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(
      /^The server gave an answer provisioning cannot use: .*gate\.siteGroup/,
    );
    expect(snapshot(root.path)).toEqual({});
  });

  it('an enroller failure the server cannot produce is reported through the port', async () => {
    const { url, root, token } = await setup();
    const failing: Enroller = async () => {
      throw new EnrolError('connection reset mid-answer', 'unreachable');
    };
    const err = await provision(options(url, await token()), deps(root, {}, failing)).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe(
      'Cannot reach the server: connection reset mid-answer. Check the network and the address.',
    );
    expect(snapshot(root)).toEqual({});
  });

  it('refuses plain http to a host that is not this machine before anything else', async () => {
    const root = tempDir('gatecast-root-');
    cleanups.push(root.cleanup);
    const err = await provision(options('http://192.0.2.10:8080', 'gce_x'), deps(root.path)).catch(
      (e: unknown) => e,
    );
    expect((err as ProvisionError).reason).toBe('input-missing');
    expect((err as Error).message).toContain('Refusing plain http to http://192.0.2.10:8080');
    expect(snapshot(root.path)).toEqual({});
  });

  it('refuses a --ca that is not a PEM certificate before the token is spent', async () => {
    const { s, url, root, token, dir } = await setup();
    const notCa = join(dir, 'not-a-cert.pem');
    writeFileSync(notCa, 'hello');
    for (const caFile of [notCa, join(dir, 'absent.pem')]) {
      const err = await provision(options(url, await token(), { caFile }), deps(root)).catch(
        (e: unknown) => e,
      );
      expect((err as ProvisionError).reason).toBe('input-missing');
      expect((err as Error).message).toMatch(new RegExp(`^Cannot use the CA file ${caFile}: `));
    }
    expect(devices(s)).toEqual([]);
    expect(snapshot(root)).toEqual({});
  });

  it('says which steps need root before doing anything', async () => {
    const { s, url, root, token } = await setup();
    const d = deps(root, { canWrite: async (p) => !p.includes('/etc/') });
    const err = await provision(options(url, await token()), d).catch((e: unknown) => e);
    expect((err as ProvisionError).reason).toBe('needs-root');
    expect((err as Error).message).toContain(
      'These steps need root: Setting the time zone to …; Installing the systemd units;',
    );
    expect((err as Error).message).not.toContain('Checking fonts');
    expect((err as Error).message).not.toContain('Enrolling');
    expect(devices(s)).toEqual([]);
    expect(snapshot(root)).toEqual({});
  });

  it('refuses to start without its prerequisites, listing each', async () => {
    const { s, url, root, token } = await setup();
    const d = deps(root, { nodeVersion: 'v18.19.0', chromiumPath: undefined, freeBytes: 100 * 1024 ** 2 });
    d.clock = fakeClock('2000-01-01T00:05:00Z');
    const err = await provision(options(url, await token()), d).catch((e: unknown) => e);
    const msg = (err as Error).message;
    expect(msg).toContain('Node.js v18.19.0 is too old');
    expect(msg).toContain('Chromium not found: sudo apt install chromium');
    expect(msg).toContain('Only 0.1 GiB free on /var/lib/gatecast (need at least 1.0 GiB)');
    expect(msg).toContain('The clock says 2000-01-01T00:05:00.000Z, which cannot be right');
    expect(devices(s)).toEqual([]);
  });

  it('runs from the command line with flags and no terminal, and prints the summary in Vietnamese', async () => {
    const { s, url, root, token } = await setup();
    const tok = await token();
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((x: string | Uint8Array) => {
      out.push(String(x));
      return true;
    });
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const program = new Command('gatecast').exitOverride();
      registerProvisionCommands(program);
      await program.parseAsync(
        ['provision', '--server', url, '--token', tok, '--root', root, '--session', 'x11', '--lang', 'vi'],
        { from: 'user' },
      );
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
    const text = out.join('');
    const [dev] = devices(s);
    expect(text).toContain('Cài đặt xong.');
    expect(text).toContain(`Thiết bị: ${dev!.id}`);
    expect(text).toContain('Cửa khẩu: Cửa khẩu Quốc tế Hà Tiên (kien-giang/ha-tien)');
    expect(existsSync(join(root, deviceKeyPath(DATA)))).toBe(true);
    expect(readFileSync(join(root, 'home/gatecast/.config/lxsession/LXDE-pi/autostart'), 'utf8')).toContain(
      '@xset s off',
    );
  });
});
