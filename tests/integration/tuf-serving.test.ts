import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedTargetPath } from '../../sync-server/tuf/layout.js';
import { startTufRepo, type TufRepoFixture } from '../helpers/tuf-repo.js';

const SG = 'kien-giang/ha-tien';
const DATA = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));

/** A raw GET, so that paths reach the server exactly as written (fetch would normalise "..") */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving the repository over HTTP', () => {
  let r: TufRepoFixture;
  let targetUrlPath: string;

  beforeAll(async () => {
    r = await startTufRepo({ files: { [`${SG}/media/clip.mp4`]: DATA } });
    const t = r.repo.roleMetadata(SG)!.signed.targets[`${SG}/media/clip.mp4`]!;
    targetUrlPath = `/tuf/targets/${hashedTargetPath(t.path, t.hashes['sha256']!)}`;
  });
  afterAll(() => r.close());

  it('serves a whole target with its Content-Length and Accept-Ranges', async () => {
    const res = await rawGet(r.baseUrl, targetUrlPath);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(DATA.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.body.equals(DATA)).toBe(true);
  });

  it('answers a Range request with 206 and exactly the requested bytes', async () => {
    const res = await rawGet(r.baseUrl, targetUrlPath, { range: 'bytes=5000-5099' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 5000-5099/${DATA.length}`);
    expect(res.headers['content-length']).toBe('100');
    expect(res.body.equals(DATA.subarray(5000, 5100))).toBe(true);
    const tail = await rawGet(r.baseUrl, targetUrlPath, { range: 'bytes=9990-' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(DATA.subarray(9990))).toBe(true);
    const beyond = await rawGet(r.baseUrl, targetUrlPath, { range: `bytes=${DATA.length}-` });
    expect(beyond.status).toBe(416);
  });

  it('serves versioned metadata as immutable and timestamp.json uncached', async () => {
    const ts = await rawGet(r.baseUrl, '/tuf/metadata/timestamp.json');
    expect(ts.status).toBe(200);
    expect(ts.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(ts.body.toString()).signed._type).toBe('timestamp');
    const root = await rawGet(r.baseUrl, '/tuf/metadata/1.root.json');
    expect(root.headers['cache-control']).toContain('immutable');
    const role = await rawGet(r.baseUrl, '/tuf/metadata/1.kien-giang.ha-tien.json');
    expect(role.status).toBe(200);
  });

  it('lists no directories and serves nothing outside metadata/ and targets/', async () => {
    const paths = [
      '/tuf/targets/',
      '/tuf/metadata/',
      `/tuf/targets/${SG}/media/`,
      '/tuf/metadata/../keys/snapshot.key',
      '/tuf/metadata/%2e%2e/keys/snapshot.key',
      '/tuf/metadata/..%2fkeys%2fsnapshot.key',
      '/tuf/targets/..%2f..%2fkeys/timestamp.key',
      '/tuf/targets/%2e%2e/%2e%2e/etc/passwd',
      '/tuf/metadata/..\\keys\\snapshot.key',
      '/tuf/keys/snapshot.key',
      '/tuf/drafts/',
      '/tuf/metadata/timestamp.json%00.txt',
    ];
    for (const p of paths) {
      const res = await rawGet(r.baseUrl, p);
      expect([400, 403, 404], p).toContain(res.status);
      expect(res.body.toString(), p).not.toContain('PRIVATE KEY');
    }
  });

  it('does not serve the temp files of atomic writes', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${r.dir}/metadata/.timestamp.json.1.1.tmp`, 'half-written');
    const res = await rawGet(r.baseUrl, '/tuf/metadata/.timestamp.json.1.1.tmp');
    expect([403, 404]).toContain(res.status);
  });
});
