import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deviceKeyPath, trustRootPath } from '../../../provisioning/paths.js';
import { formatSelftest, type SelftestResult, selftest } from '../../../provisioning/selftest.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { tempDir } from '../../helpers/temp.js';

let server: Server;
let url: string;
let dir: ReturnType<typeof tempDir>;
let configPath: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/api/health' ? 200 : 404, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = tempDir('gatecast-selftest-');
  const dataDir = join(dir.path, 'data');
  mkdirSync(join(dataDir, 'trust'), { recursive: true });
  mkdirSync(join(dataDir, 'identity'), { recursive: true });
  writeFileSync(
    trustRootPath(dataDir),
    JSON.stringify({ signed: { _type: 'root', version: 1 }, signatures: [] }),
  );
  writeFileSync(deviceKeyPath(dataDir), '-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----\n');
  configPath = join(dir.path, 'device.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      deviceId: 'dev-1',
      gate: {
        siteGroup: 'kien-giang/ha-tien',
        name: 'Hà Tiên',
        languages: ['vi', 'km', 'lo', 'zh-Hans', 'en'],
      },
      dataDir,
      server: { url },
    }),
  );
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  dir.cleanup();
});

const byId = (r: SelftestResult, id: string) => r.checks.find((c) => c.id === id);

describe('selftest with the real Chromium and fonts', () => {
  it('passes on this machine: every language renders, server and keys are there', async () => {
    const r = await selftest({
      configPath,
      lang: 'en',
      env: { PATH: process.env['PATH'] },
      chromiumPath: chromiumPath(),
    });
    const failed = r.checks.filter((c) => c.status === 'fail');
    expect(failed).toEqual([]);
    expect(r.ok).toBe(true);
    for (const lang of ['vi', 'km', 'lo', 'zh-Hans', 'en'])
      expect(byId(r, `fonts:${lang}`)).toMatchObject({ status: 'pass', name: `Text in ${lang}` });
    expect(byId(r, 'chromium')?.status).toBe('pass');
    expect(byId(r, 'server')?.detail).toMatch(/\/api\/health answered in \d+ ms/);
    expect(byId(r, 'trust')?.status).toBe('pass');
    expect(byId(r, 'key')?.status).toBe('pass');
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
    const r = await selftest({
      configPath,
      lang: 'vi',
      env: { PATH: process.env['PATH'] },
      chromiumPath: chromiumPath(),
      chromiumEnv: { FONTCONFIG_FILE: conf },
    });
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
