/**
 * `npm run bench -- resume [--mb 200]`: a download of one large target is cut at about 50 %; a
 * restarted device (new UpdateClient on the same store) finishes it. Counts, at a proxy in front of
 * the server, the bytes sent again beyond the part that was missing. The baseline is what a client
 * without resume would fetch again (everything it had). Goal: ≤ 1 MiB.
 */
import { join } from 'node:path';
import { BlobStore } from '../device/content/blob-store.js';
import {
  manifestBytes,
  manifestPath,
  mediaBytes,
  openDeviceClient,
  SITE_GROUP,
  withServerRepo,
} from './fixtures/update-bench.js';
import { numberArg, resultLine } from './lib.js';

export default async function resume(args: string[]): Promise<void> {
  const size = numberArg(args, 'mb', 200) * 1024 * 1024;
  await withServerRepo('resume', async (server, dir) => {
    const path = `${SITE_GROUP}/media/border-film.mp4`;
    const data = mediaBytes(size, 7);
    await server.publish({ [path]: data, [manifestPath]: manifestBytes([path], 'film') });
    const dataDir = join(dir, 'device');
    server.proxy.bytesFromServer = 0;
    server.proxy.cutAt = Math.floor(size / 2);
    const first = await openDeviceClient(dataDir, server);
    if (await first.refreshNow()) throw new Error('the cut did not happen');
    await first.stop();
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(data).digest('hex');
    const kept = await new BlobStore(join(dataDir, 'content')).partialBytes(sha);

    server.proxy.bytesFromServer = 0;
    const second = await openDeviceClient(dataDir, server);
    const res = await second.refreshNow();
    if (!res?.changed)
      throw new Error(`resumed install failed: ${JSON.stringify(second.status().lastError)}`);
    const sentAfter = server.proxy.bytesFromServer;
    const missing = size - kept;
    const refetched = sentAfter - missing;
    process.stdout.write(
      `resume: ${size} bytes; cut after ${kept} bytes kept on disk (${((100 * kept) / size).toFixed(1)} %); ` +
        `second run received ${sentAfter} bytes for ${missing} missing\n`,
    );
    resultLine('resume', refetched, 'bytes', kept, '≤ 1 MiB (1048576 bytes) fetched again');
    await second.stop();
  });
}
