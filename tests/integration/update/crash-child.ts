/**
 * Child process of crash.test.ts: one update of a device store, printing each install step as it
 * is reached so the parent can SIGKILL it at chosen moments.
 * argv: dataDir metadataUrl targetsUrl rootFile
 */
import { writeSync } from 'node:fs';
import { UpdateClient } from '../../../device/update/update-client.js';
import { systemClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';

const [dataDir, metadataUrl, targetBaseUrl, enrolmentRootFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const client = new UpdateClient({
  dataDir,
  siteGroup: 'kien-giang/ha-tien',
  metadataUrl,
  targetBaseUrl,
  enrolmentRootFile,
  refreshIntervalMs: 60_000,
  storeQuotaBytes: 512 * 1024 * 1024,
  clock: systemClock,
  log: memoryLogger(),
  onStep: (step) => {
    writeSync(1, `step:${step}\n`);
  },
});
await client.loadInstalled();
writeSync(1, 'step:loaded\n');
const result = await client.refreshNow();
writeSync(1, `done:${JSON.stringify({ result, status: client.status() })}\n`);
process.exit(0);
