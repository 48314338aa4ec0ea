/**
 * `npm run bench -- delta [--files 50] [--size 1048576] [--rounds 3]`: bytes the server sends
 * (headers, every metadata file and targets, counted at a proxy) for an update that changes one of
 * N media files, against that file's size. Goal: ≤ 1.02×.
 */
import { join } from 'node:path';
import {
  benchDir,
  deviceClient,
  manifestBytes,
  manifestPath,
  mediaBytes,
  SITE_GROUP,
  startServerRepo,
} from './fixtures/update-bench.js';
import { median, resultLine } from './lib.js';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export default async function delta(args: string[]): Promise<void> {
  const count = arg(args, 'files', 50);
  const size = arg(args, 'size', 1024 * 1024);
  const rounds = arg(args, 'rounds', 3);
  const dir = benchDir('delta');
  const server = await startServerRepo(join(dir.path, 'repo'));
  try {
    const paths = Array.from({ length: count }, (_, i) => `${SITE_GROUP}/media/clip-${i}.jpg`);
    const files: Record<string, Uint8Array> = { [manifestPath]: manifestBytes(paths, 'v1') };
    paths.forEach((p, i) => {
      files[p] = mediaBytes(size, i + 1);
    });
    await server.publish(files);
    const client = deviceClient(join(dir.path, 'device'), server);
    await client.loadInstalled();
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
  } finally {
    await server.close();
    dir.cleanup();
  }
}
