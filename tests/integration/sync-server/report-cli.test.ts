/**
 * `gatecast report` as ops script it: the built CLI (dist/) against a server's registry file; a
 * bad period is refused in the asked language and writes nothing; the CSV carries the names valid
 * for the period.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../../sync-server/registry/registry.js';
import { parseCsv } from '../../helpers/csv.js';
import { tempDir } from '../../helpers/temp.js';

const CLI = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'gatecast.js');
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('gatecast report', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.cleanup());

  async function server() {
    dir = tempDir('gc-report-cli-');
    const dataDir = join(dir.path, 'data');
    const config = join(dir.path, 'server.json');
    writeFileSync(
      config,
      JSON.stringify({ dataDir, trustedRootFile: join(dir.path, 'root.json'), opsToken: 'o'.repeat(32) }),
    );
    mkdirSync(dataDir, { recursive: true });
    const registry = new Registry(join(dataDir, 'registry.db'));
    registry.open();
    registry.gates.upsert({
      siteGroup: 'kien-giang/ha-tien',
      name: 'Hà Tiên',
      timezone: 'Asia/Ho_Chi_Minh',
      languages: ['vi'],
      missingVariant: { mode: 'skip' },
    });
    registry.reportNames.setGateNames({
      siteGroup: 'kien-giang/ha-tien',
      validFrom: Date.parse('2025-07-01T00:00:00+07:00'),
      gateName: 'Cửa khẩu Quốc tế Hà Tiên',
      provinceId: 'an-giang',
      provinceName: 'An Giang',
    });
    registry.devices.add({
      id: 'ht-1',
      siteGroup: 'kien-giang/ha-tien',
      screenName: 'Sảnh xuất cảnh',
      publicKey: 'A'.repeat(43),
      nowMs: Date.parse('2025-12-06T00:00:00+07:00'),
    });
    await registry.close();
    return config;
  }

  it('refuses a mistyped period in the asked language and writes nothing', async () => {
    const config = await server();
    const out = join(dir!.path, 'r.pdf');
    const vi = run(['report', '--config', config, '--period', '2025-Q5', '--lang', 'vi', '--out', out]);
    expect(vi.status).toBe(1);
    expect(vi.stderr).toContain('Kỳ báo cáo "2025-Q5" không hợp lệ: nhập 2026-Q4, 2026 hoặc');
    const en = run(['report', '--config', config, '--period', 'Q4', '--lang', 'en', '--out', out]);
    expect(en.status).toBe(1);
    expect(en.stderr).toContain('The period "Q4" is not valid');
    expect(existsSync(out)).toBe(false);
  });

  it('writes the people’s CSV of a gate with the names valid for the period', async () => {
    const config = await server();
    const out = join(dir!.path, 'q4.csv');
    const r = run([
      'report',
      '--config',
      config,
      '--period',
      '2025-Q4',
      '--gate',
      'kien-giang/ha-tien',
      '--format',
      'devices-csv',
      '--lang',
      'vi',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[1]!.slice(0, 4)).toEqual([
      'An Giang',
      'Cửa khẩu Quốc tế Hà Tiên',
      'Sảnh xuất cảnh',
      // Enrolled on 6 December 2025: judged from then, not from the period's start.
      '00:00 06/12/2025',
    ]);
    expect(rows[1]!.at(-1)).toBe('Không có bản ghi trong kỳ');
  });
});
