/**
 * Child process for the power-cut test: appends proof-of-play records as fast as it can and prints
 * each committed seq, until it is killed. Usage: node pop-writer.js DB KEY.pem
 */
import { readFileSync } from 'node:fs';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';
import { popEntry } from '../../helpers/pop-entry.js';

const [dbPath, keyPath] = process.argv.slice(2) as [string, string];
const db = openDeviceDb(dbPath, { synchronous: 'FULL' });
const log = new SqlitePopLog(db, ed25519Signer(readFileSync(keyPath, 'utf8')));
log.start();
for (let i = 0; ; i++) {
  const at = 1_767_225_600_000 + i * 1000;
  const r = log.append(
    popEntry('ha-tien-1', at, {
      bundleVersion: 3,
      itemId: `item-${i % 7}`,
      playlistId: 'default',
      source: 'default',
      variantSha256: 'ab'.repeat(32),
      actualStartAt: at + 3,
      durationMs: 1000,
    }),
  );
  process.stdout.write(`${r.seq}\n`);
}
