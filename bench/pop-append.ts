/**
 * `npm run bench -- pop-append [N]`: cost of one proof-of-play append (hash chain, Ed25519 signature,
 * one IMMEDIATE transaction, synchronous=FULL) against the baseline of a bare single-row INSERT
 * transaction of the same size on the same kind of connection. The difference is what the chain and
 * the signature add; both pay the same fsyncs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519Signer } from '../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../device/store/sqlite.js';
import type { PopEntry } from '../protocol/proof-of-play.js';
import { popEntry } from '../tests/helpers/pop-entry.js';
import { median, percentile, resultLine } from './lib.js';

function entry(i: number): PopEntry {
  const at = 1_767_225_600_000 + i * 10_000;
  const language = ['vi', 'km', 'en', 'zh-Hans'][i % 4]!;
  return popEntry('ha-tien-1', at, {
    bundleVersion: 42,
    itemId: `item-${i % 50}`,
    playlistId: 'default',
    scheduleEntryId: 'daytime',
    language,
    variantSha256: 'ab'.repeat(32),
    actualStartAt: at + 7,
  });
}

export default async function (args: string[]): Promise<void> {
  const n = Number(args[0] ?? 1000);
  const dir = mkdtempSync(join(tmpdir(), 'gatecast-bench-pop-'));
  try {
    const { privateKey } = generateKeyPairSync('ed25519');
    const popDb = openDeviceDb(join(dir, 'pop.db'), { synchronous: 'FULL' });
    const log = new SqlitePopLog(popDb, ed25519Signer(privateKey));
    log.start();
    const baseDb = openDeviceDb(join(dir, 'base.db'), { synchronous: 'FULL' });
    baseDb.exec(
      'CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT NOT NULL)',
    );
    const insert = baseDb.prepare('INSERT INTO t (body, hash, signature) VALUES (?, ?, ?)');
    const body = JSON.stringify({ ...entry(0), v: 1, seq: 1, prevHash: '0'.repeat(64) });
    const popMs: number[] = [];
    const baseMs: number[] = [];
    // Interleave so both see the same disk and load.
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      log.append(entry(i));
      popMs.push(performance.now() - t0);
      t0 = performance.now();
      baseDb.transaction(() => insert.run(body, 'cd'.repeat(32), 'x'.repeat(88)))();
      baseMs.push(performance.now() - t0);
    }
    const report = log.verifyStored();
    popDb.close();
    baseDb.close();
    process.stdout.write(
      `pop-append: ${n} appends; p95 ${percentile(popMs, 95).toFixed(3)} ms (baseline p95 ${percentile(baseMs, 95).toFixed(3)} ms); chain ${report.ok ? 'verifies' : 'BROKEN'}\n`,
    );
    resultLine('pop-append', median(popMs), 'ms/append', median(baseMs), 'a record per item shown: ≪ 10 ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
