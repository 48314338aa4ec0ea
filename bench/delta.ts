/**
 * `npm run bench -- delta [--files 50] [--size 1048576] [--rounds 3]`: bytes the server sends
 * (headers, every metadata file and targets, counted at a proxy) for an update that changes one of
 * N media files, against that file's size. Goal: ≤ 1.02×.
 */
import { join } from 'node:path';
import { mediaBytes, openDeviceClient, publishClips, withServerRepo } from './fixtures/update-bench.js';
import { median, numberArg, resultLine } from './lib.js';

export default async function delta(args: string[]): Promise<void> {
  const count = numberArg(args, 'files', 50);
  const size = numberArg(args, 'size', 1024 * 1024);
  const rounds = numberArg(args, 'rounds', 3);
  await withServerRepo('delta', async (server, dir) => {
    const { paths } = await publishClips(server, count, size, 'jpg');
    const client = await openDeviceClient(join(dir, 'device'), server);
    const first = await client.refreshNow();
    if (!first?.changed)
      throw new Error(`first install failed: ${JSON.stringify(client.status().lastError)}`);
    const ratios: number[] = [];
    const sent: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const changed = paths[(r * 17) % count]!;
      await server.publish({ [changed]: mediaBytes(size, 1000 + r) });
      server.proxy.bytesFromServer = 0;
      const res = await client.refreshNow();
      if (!res?.changed || res.fetched.length !== 1)
        throw new Error(
          `update ${r} did not fetch exactly one file: ${JSON.stringify(res ?? client.status())}`,
        );
      sent.push(server.proxy.bytesFromServer);
      ratios.push(server.proxy.bytesFromServer / size);
    }
    process.stdout.write(
      `delta: ${count} files of ${size} bytes; bytes sent per one-file update: ${sent.join(', ')}\n`,
    );
    resultLine('delta', median(sent), 'bytes', size, '≤ 1.02× the changed file');
    await client.stop();
  });
}
