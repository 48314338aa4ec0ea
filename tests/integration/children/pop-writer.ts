/**
 * Child process for the power-cut test: appends proof-of-play records as fast as it can and prints
 * each committed seq, until it is killed. Usage: node pop-writer.js DB KEY.pem
 */
import { readFileSync } from 'node:fs';
import { ed25519Signer } from '../../../device/proof-of-play/signer.js';
import { SqlitePopLog } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../../../device/store/sqlite.js';

const [dbPath, keyPath] = process.argv.slice(2) as [string, string];
const db = openDeviceDb(dbPath, { synchronous: 'FULL' });
const log = new SqlitePopLog(db, ed25519Signer(readFileSync(keyPath, 'utf8')));
log.start();
for (let i = 0; ; i++) {
  const r = log.append({
    deviceId: 'ha-tien-1',
    siteGroup: 'kien-giang/ha-tien',
    bundleVersion: 3,
    itemId: `item-${i % 7}`,
    playlistId: 'default',
    scheduleEntryId: null,
    source: 'default',
    language: 'vi',
    forLanguage: 'vi',
    variantSha256: 'ab'.repeat(32),
    scheduledStartAt: 1_767_225_600_000 + i * 1000,
    actualStartAt: 1_767_225_600_000 + i * 1000 + 3,
    durationMs: 1000,
    screenOn: true,
    clockStatus: 'ntp',
  });
  process.stdout.write(`${r.seq}\n`);
}
