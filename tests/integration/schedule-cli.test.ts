import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerScheduleCommands } from '../../cli/schedule-commands.js';
import { ed25519Signer } from '../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../device/store/sqlite.js';
import { manifest, textItem } from '../helpers/schedule-fixtures.js';
import { tempDir } from '../helpers/temp.js';

async function run(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    const program = new Command('gatecast').exitOverride();
    registerScheduleCommands(program);
    await program.parseAsync(['node', 'gatecast', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('schedule and proof-of-play commands', () => {
  let dir: ReturnType<typeof tempDir>;
  afterEach(() => {
    dir.cleanup();
    process.exitCode = undefined;
  });

  it('previews the plan and lists content gaps for a gate given on the command line', async () => {
    dir = tempDir();
    const bundle = join(dir.path, 'bundle.json');
    const m = manifest({
      items: [textItem('a', ['vi', 'en'], 5000)],
      playlists: [{ id: 'default', name: 'd', entries: [{ itemId: 'a' }] }],
    });
    writeFileSync(bundle, JSON.stringify(m));
    const preview = await run([
      'schedule-preview',
      bundle,
      '--languages',
      'vi,km,en',
      '--missing',
      'substitute:en',
      '--from',
      '2026-01-02T00:00:00+07:00',
      '--hours',
      '0.005',
      '--json',
    ]);
    const items = preview
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(items.map((i) => `${i.language}/${i.forLanguage}`)).toEqual(['vi/vi', 'en/km', 'en/en', 'vi/vi']);
    const gaps = await run(['content-gaps', bundle, '--languages', 'vi,km,en']);
    expect(gaps).toBe('item a: no km → skipped\n1 content gap(s)\n');
  });

  it('verifies a device database chain and fails on an edit', async () => {
    dir = tempDir();
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const dbPath = join(dir.path, 'device.db');
    const pem = join(dir.path, 'device.pub.pem');
    writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
    const db = openDeviceDb(dbPath);
    const log = new SqlitePopLog(db, ed25519Signer(privateKey));
    log.start();
    for (let i = 0; i < 3; i++)
      log.append({
        deviceId: 'd',
        siteGroup: 'kien-giang/ha-tien',
        bundleVersion: 1,
        itemId: 'a',
        playlistId: 'default',
        scheduleEntryId: null,
        source: 'default',
        language: 'vi',
        forLanguage: 'vi',
        variantSha256: null,
        scheduledStartAt: 1000 * i,
        actualStartAt: 1000 * i,
        durationMs: 1000,
        screenOn: true,
        clockStatus: 'unknown',
      });
    expect(await run(['pop-verify', dbPath, '--public-key', pem])).toBe(
      'ok: 3 records (seq 1…3), 0 problem(s)\n',
    );
    db.prepare(
      'UPDATE pop_records SET body = replace(body, \'"durationMs":1000\', \'"durationMs":9000\') WHERE seq = 2',
    ).run();
    db.close();
    const out = await run(['pop-verify', dbPath, '--public-key', pem]);
    expect(out).toContain('edited at seq 2');
    expect(out).toContain('FAILED: 3 records');
    expect(process.exitCode).toBe(1);
  });
});
