/**
 * Power-cut safety: a real child process installing a bundle is SIGKILLed at seeded random points
 * of download, staging and activation. After each kill the active bundle is a complete verified one
 * (old or new, never mixed), and a restarted update completes (resuming partial downloads).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateClient } from '../../../device/update/update-client.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { publishBundle } from '../../helpers/bundle-fixture.js';
import { tempDir } from '../../helpers/temp.js';
import { type ServedRepo, serveRepo, TestTufRepo } from '../../helpers/tuf-test-repo.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const SG = 'kien-giang/ha-tien';
const root = join(import.meta.dirname, '..', '..', '..');
const outDir = join(root, 'node_modules', '.cache', 'gatecast-crash-test');
const SEED = 20261122;
const ITERATIONS = 6;

const bytes = (tag: string, size: number) => {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((i * 2654435761 + tag.charCodeAt(0) * 97) >>> 0, i);
  return b;
};

describe('update client survives SIGKILL at any point', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: TestTufRepo;
  let served: ServedRepo;
  const v1: Record<string, Buffer> = {};
  const v2: Record<string, Buffer> = {};
  let template: string;

  beforeAll(async () => {
    // Compile the child (and what it imports) once; node runs plain JS.
    mkdirSync(outDir, { recursive: true });
    const tsconfig = join(outDir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { noEmit: false, outDir, rootDir: root, sourceMap: false, incremental: true },
        include: [],
        files: [join(root, 'tests/integration/update/crash-child.ts')],
      }),
    );
    writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', tsconfig], { stdio: 'inherit' });

    tmp = tempDir();
    repo = new TestTufRepo(SG);
    writeFileSync(join(tmp.path, 'root.json'), repo.rootBytes);
    for (let i = 0; i < 6; i++) v1[`${SG}/media/f${i}.bin`] = bytes(`a${i}`, 200_000 + i * 1000);
    Object.assign(v2, v1);
    for (let i = 2; i < 6; i++) v2[`${SG}/media/f${i}.bin`] = bytes(`b${i}`, 300_000 + i * 1000);
    v2[`${SG}/media/g.bin`] = bytes('g', 400_000);
    publishBundle(repo, v1, { label: 'v1' });
    served = await serveRepo(repo, { chunkDelayMs: 3 });
    // A device with v1 installed, copied afresh for every iteration.
    template = join(tmp.path, 'template');
    const c = new UpdateClient({
      dataDir: template,
      siteGroup: SG,
      metadataUrl: served.metadataUrl,
      targetBaseUrl: served.targetsUrl,
      enrolmentRootFile: join(tmp.path, 'root.json'),
      refreshIntervalMs: 60_000,
      storeQuotaBytes: 512 * 1024 * 1024,
      clock: fakeClock(),
      log: memoryLogger(),
    });
    await c.loadInstalled();
    expect((await c.refreshNow())?.installedVersion).toBe(1);
    publishBundle(repo, v2, { label: 'v2' });
  });
  afterAll(async () => {
    await served?.close();
    tmp?.cleanup();
  });

  function runChild(
    dataDir: string,
    killAt?: { step: string; delayMs: number },
  ): Promise<{ killed: boolean; out: string }> {
    return new Promise((resolve, reject) => {
      const child: ChildProcess = spawn(
        process.execPath,
        [
          join(outDir, 'tests/integration/update/crash-child.js'),
          dataDir,
          served.metadataUrl,
          served.targetsUrl,
          join(tmp.path, 'root.json'),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      let killed = false;
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (killAt && !killed && out.includes(`step:${killAt.step}\n`)) {
          killed = true;
          setTimeout(() => child.kill('SIGKILL'), killAt.delayMs);
        }
      });
      child.on('error', reject);
      child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', out }));
    });
  }

  /** Loads the store offline, as a restarted daemon would, and checks it holds v1 or v2 whole. */
  async function expectWholeBundle(dataDir: string): Promise<number> {
    const c = new UpdateClient({
      dataDir,
      siteGroup: SG,
      metadataUrl: 'http://127.0.0.1:1/unused',
      targetBaseUrl: 'http://127.0.0.1:1/unused',
      enrolmentRootFile: join(tmp.path, 'root.json'),
      refreshIntervalMs: 60_000,
      storeQuotaBytes: 512 * 1024 * 1024,
      clock: fakeClock(),
      log: memoryLogger(),
    });
    await c.loadInstalled();
    const b = c.content.current();
    expect(b).toBeDefined();
    const expected = b!.version === 1 ? v1 : v2;
    expect([1, 2]).toContain(b!.version);
    expect([...b!.targets.keys()].sort()).toEqual(Object.keys(expected).sort());
    // Buffer.equals: vitest's deep equality is far too slow on hundreds of kilobytes.
    for (const [p, want] of Object.entries(expected))
      expect(readFileSync(b!.filePath(p)!).equals(want), p).toBe(true);
    expect(c.status().unavailableFiles).toBe(0);
    return b!.version;
  }

  it(`keeps a whole bundle active across ${ITERATIONS} seeded kills, and the next update completes`, async () => {
    const rand = seededRandom(SEED);
    const steps = [
      'loaded',
      'refreshed',
      'downloading',
      'downloading',
      'downloading',
      'downloaded',
      'staged',
      'activated',
    ];
    const seen: { step: string; delayMs: number; killed: boolean; version: number }[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const dataDir = join(tmp.path, `device-${i}`);
      cpSync(template, dataDir, { recursive: true });
      const step = steps[Math.floor(rand() * steps.length)]!;
      const delayMs = Math.floor(rand() * (step === 'downloading' ? 60 : 4));
      const first = await runChild(dataDir, { step, delayMs });
      const version = await expectWholeBundle(dataDir);
      seen.push({ step, delayMs, killed: first.killed, version });
      const second = await runChild(dataDir);
      expect(second.killed).toBe(false);
      expect(second.out).toContain('"installedVersion":2');
      expect(await expectWholeBundle(dataDir)).toBe(2);
    }
    // The seed must actually have cut some installs short, or the test proves nothing.
    expect(seen.filter((s) => s.killed && s.version === 1).length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.killed).length).toBeGreaterThanOrEqual(ITERATIONS - 2);
  });
});
