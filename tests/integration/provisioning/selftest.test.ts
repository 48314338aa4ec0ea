import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { enrolDevice } from '../../../device/sync/enrol.js';
import { deviceKeyPath, trustRootPath } from '../../../provisioning/paths.js';
import { formatSelftest, type SelftestResult, selftest } from '../../../provisioning/selftest.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { FAKE_ROOT, startServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const GATE = {
  siteGroup: 'kien-giang/ha-tien',
  name: 'Hà Tiên',
  languages: ['vi', 'km', 'lo', 'zh-Hans', 'en'],
};

let srv: Awaited<ReturnType<typeof startServer>>;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
let dataDir: string;

/** A real sync server and a device enrolled with it: key, trust root and config where enrolment puts them. */
beforeAll(async () => {
  dir = tempDir('gatecast-selftest-');
  srv = await startServer(dir.path, { gates: [GATE] });
  const tok = await srv.api('POST', '/api/enrolment-tokens', { siteGroup: GATE.siteGroup, screenName: 's' });
  dataDir = join(dir.path, 'data');
  configPath = join(dir.path, 'device.json');
  await enrolDevice({ serverUrl: srv.server.url, token: tok.body.token, dataDir, configPath });
});

afterAll(async () => {
  await srv?.server.stop();
  dir.cleanup();
});

const byId = (r: SelftestResult, id: string) => r.checks.find((c) => c.id === id);

/** The self-test of the device configured in `config`, with this machine's Chromium. */
const runSelftest = (config: string, over: Partial<Parameters<typeof selftest>[0]> = {}) =>
  selftest({
    configPath: config,
    lang: 'en',
    env: { PATH: process.env['PATH'] },
    chromiumPath: chromiumPath(),
    ...over,
  });

/** Writes the config of a box `name` enrolled as `deviceId` whose server is unreachable; returns its path. */
function unreachableBox(name: string, deviceId: string): string {
  const cfg = join(dir.path, `${name}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({
      deviceId,
      gate: { siteGroup: GATE.siteGroup, name: 'x', languages: ['en'] },
      dataDir: join(dir.path, name),
      server: { url: 'http://127.0.0.1:1' },
    }),
  );
  return cfg;
}

describe('selftest with the real Chromium and fonts', () => {
  it('passes on this machine: every language renders, server and keys are there', async () => {
    const r = await runSelftest(configPath);
    const failed = r.checks.filter((c) => c.status === 'fail');
    expect(failed).toEqual([]);
    expect(r.ok).toBe(true);
    for (const lang of ['vi', 'km', 'lo', 'zh-Hans', 'en'])
      expect(byId(r, `fonts:${lang}`)).toMatchObject({ status: 'pass', name: `Text in ${lang}` });
    expect(byId(r, 'chromium')?.status).toBe('pass');
    expect(byId(r, 'server')?.detail).toMatch(
      new RegExp(`^${srv.server.url}/api/health answered in \\d+ ms$`),
    );
    // the files enrolment wrote, at the paths the daemon reads
    expect(byId(r, 'trust')).toMatchObject({ status: 'pass', detail: trustRootPath(dataDir) });
    expect(JSON.parse(readFileSync(trustRootPath(dataDir), 'utf8'))).toEqual(FAKE_ROOT);
    expect(byId(r, 'key')).toMatchObject({ status: 'pass', detail: deviceKeyPath(dataDir) });
    expect(byId(r, 'gpio')?.status).toBe('skip');
    // no session, no CEC, no opening hours: a warning, not a failure
    expect(byId(r, 'display')?.status).toBe('warn');
  });

  it('fails with a clear message when a script has no font (fontconfig limited to DejaVu Sans)', async () => {
    const fonts = join(dir.path, 'fonts');
    mkdirSync(fonts, { recursive: true });
    symlinkSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', join(fonts, 'DejaVuSans.ttf'));
    const conf = join(dir.path, 'fonts.conf');
    writeFileSync(
      conf,
      `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>${fonts}</dir><cachedir>${join(dir.path, 'fc-cache')}</cachedir></fontconfig>`,
    );
    const r = await runSelftest(configPath, { lang: 'vi', chromiumEnv: { FONTCONFIG_FILE: conf } });
    expect(r.ok).toBe(false);
    expect(byId(r, 'fonts:vi')?.status).toBe('pass');
    expect(byId(r, 'fonts:en')?.status).toBe('pass');
    const km = byId(r, 'fonts:km')!;
    expect(km.status).toBe('fail');
    expect(km.name).toBe('Chữ km');
    expect(km.detail).toMatch(/^\d+ ký tự hiện thành ô trống \(.+\): sudo apt install fonts-khmeros$/);
    // DejaVu Sans covers Lao (fc-query lists "lo"), so Lao passes: the check follows real coverage
    expect(byId(r, 'fonts:lo')?.status).toBe('pass');
    expect(byId(r, 'fonts:zh-Hans')?.detail).toContain('fonts-noto-cjk');
    const table = formatSelftest(r, 'vi');
    expect(table).toContain('Tự kiểm tra gatecast');
    expect(table).toMatch(/Chữ km\s+LỖI\s+\d+ ký tự/);
    expect(table).toMatch(/hạng mục bị lỗi\.\n$/);
  });
});

describe('selftest on a box whose enrolment is broken', () => {
  it('names a damaged device key, a missing trust root and an unreachable server', async () => {
    const broken = join(dir.path, 'broken');
    mkdirSync(join(broken, 'keys'), { recursive: true });
    writeFileSync(deviceKeyPath(broken), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const r = await runSelftest(unreachableBox('broken', 'gc-0000000000000001'));
    expect(r.ok).toBe(false);
    expect(byId(r, 'key')).toMatchObject({ status: 'fail' });
    expect(byId(r, 'key')?.detail).toMatch(
      /is damaged \(device key .* is not a valid Ed25519 private key\): enrol again \(gatecast provision --reenrol\)$/,
    );
    expect(byId(r, 'trust')).toEqual({
      id: 'trust',
      name: 'Trust root',
      status: 'fail',
      detail: `${trustRootPath(broken)} is missing: enrol again (gatecast provision --reenrol)`,
    });
    expect(byId(r, 'server')).toMatchObject({
      status: 'fail',
      detail: 'http://127.0.0.1:1/api/health: ECONNREFUSED',
    });
  });

  it('says an enrolled screen lost its key, and what to do', async () => {
    const lost = join(dir.path, 'lost');
    mkdirSync(lost, { recursive: true });
    const r = await runSelftest(unreachableBox('lost', 'gc-0000000000000002'));
    expect(byId(r, 'key')).toMatchObject({ status: 'fail' });
    expect(byId(r, 'key')?.detail).toBe(
      `${deviceKeyPath(lost)} is missing, but this screen is enrolled as gc-0000000000000002: the server ` +
        'accepts only its old key, so the screen plays without a link. Restore the key from a backup, or ' +
        'enrol again (gatecast provision --reenrol) and revoke the old enrolment',
    );
  });
});

describe('gatecast selftest command', () => {
  it('prints JSON for the server and sets the exit code from the result', async () => {
    const { Command } = await import('commander');
    const { registerProvisionCommands } = await import('../../../cli/provision-commands.js');
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    const before = process.exitCode;
    try {
      const program = new Command('gatecast').exitOverride();
      registerProvisionCommands(program);
      await program.parseAsync(
        ['selftest', '--config', join(dir.path, 'missing.json'), '--json', '--lang', 'en'],
        {
          from: 'user',
        },
      );
      const r = JSON.parse(out.join('')) as SelftestResult;
      expect(r.ok).toBe(false);
      expect(r.checks[0]).toEqual({
        id: 'config',
        name: 'Configuration',
        status: 'fail',
        detail: `No configuration at ${join(dir.path, 'missing.json')}: run gatecast provision`,
      });
      expect(process.exitCode).toBe(1);
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
  });
});
