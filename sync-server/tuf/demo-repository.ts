/**
 * A complete repository in one call, for the demo, tests and offline trials: keys generated into
 * `<dir>/offline-keys`, repository in `<dir>/repo`, the sample bundle (samples/ha-tien) drafted,
 * signed by approvers and published through the same draft path the server uses.
 * In production the offline keys live on separate, offline machines — never beside the repository.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Clock, systemClock } from '../../protocol/clock.js';
import { prepareDraftFromFolder } from '../../platform/draft-folder.js';
import { createLogger, type Logger } from '../../platform/log.js';
import type { PublishResult } from '../../protocol/publish-api.js';
import { generateKeyPairFiles, type SigningKey, signTargetsPayload } from '../../platform/tuf-keys.js';
import { DraftService } from './drafts.js';
import { initRepository } from './init-repository.js';
import type { Expiries } from './metadata.js';
import { TufRepository } from './repository.js';

/** samples/ha-tien in the source tree, whether running from sources or from dist/. */
export function sampleBundleDir(name = 'ha-tien'): string {
  for (const up of ['../../samples', '../../../samples']) {
    const dir = fileURLToPath(new URL(`${up}/${name}`, import.meta.url));
    if (existsSync(join(dir, 'bundle.json'))) return dir;
  }
  throw new Error(`sample bundle "${name}" not found under samples/`);
}

export interface PublishFolderOptions {
  siteGroup: string;
  /** Folder: `<folder>/bundle.json` plus the media it references. */
  folder: string;
  manifestPath?: string;
  /** Approver keys held here, at least the site group's threshold. */
  approvers: SigningKey[];
}

/** Draft from a folder → upload → sign with each approver key → publish. */
export async function publishFolder(
  drafts: DraftService,
  opts: PublishFolderOptions,
): Promise<PublishResult & { uploaded: number }> {
  const f = await prepareDraftFromFolder(opts.siteGroup, opts.folder, opts.manifestPath);
  const d = await drafts.create(f.request);
  for (const path of d.missing)
    await drafts.upload(d.id, path, createReadStream(f.localFiles.get(path) as string));
  for (const k of opts.approvers) await drafts.addSignature(d.id, signTargetsPayload(d.signed, k));
  return { ...(await drafts.publish(d.id)), uploaded: d.missing.length };
}

export interface DemoRepositoryOptions {
  dir: string;
  siteGroup?: string;
  /** Number of approver keys (default 2). */
  approvers?: number;
  /** Approver signatures needed (default 2, or the number of approvers if fewer). */
  threshold?: number;
  /** Folder published as version 1 (default samples/ha-tien); null publishes nothing. */
  sampleDir?: string | null;
  clock?: Clock;
  log?: Logger;
  expiries?: Partial<Expiries>;
}

export interface DemoRepository {
  repoDir: string;
  keysDir: string;
  /** `<repo>/metadata/root.json`: the trusted root to enrol devices with. */
  rootPath: string;
  siteGroup: string;
  repo: TufRepository;
  drafts: DraftService;
  keys: { root: SigningKey; targets: SigningKey; approvers: SigningKey[] };
  /** Private key files of the approvers (`<keysDir>/approver-N.key`). */
  approverKeyFiles: string[];
  /** The first publication, when a sample was published. */
  published?: PublishResult & { uploaded: number };
}

export async function createDemoRepository(opts: DemoRepositoryOptions): Promise<DemoRepository> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger('sync-server:tuf');
  const siteGroup = opts.siteGroup ?? 'kien-giang/ha-tien';
  const repoDir = join(opts.dir, 'repo');
  const keysDir = join(opts.dir, 'offline-keys');
  const n = opts.approvers ?? 2;
  const threshold = opts.threshold ?? Math.min(2, n);
  const root = (await generateKeyPairFiles(keysDir, 'root')).key;
  const targets = (await generateKeyPairFiles(keysDir, 'targets')).key;
  const approvers: SigningKey[] = [];
  const approverKeyFiles: string[] = [];
  for (let i = 1; i <= n; i++) {
    const k = await generateKeyPairFiles(keysDir, `approver-${i}`);
    approvers.push(k.key);
    approverKeyFiles.push(k.privatePath);
  }
  const expiries = opts.expiries ? { expiries: opts.expiries } : {};
  await initRepository({ dir: repoDir, clock, rootKeys: [root], targetsKeys: [targets], ...expiries });
  const repo = await new TufRepository({ dir: repoDir, clock, log, ...expiries }).open();
  await repo.addSiteGroup({
    siteGroup,
    approvers: approvers.map((a) => a.publicKey),
    threshold,
    targetsKeys: [targets],
  });
  const drafts = new DraftService({ repo, clock, log });
  const sampleDir = opts.sampleDir === undefined ? sampleBundleDir() : opts.sampleDir;
  const published = sampleDir
    ? await publishFolder(drafts, { siteGroup, folder: sampleDir, approvers: approvers.slice(0, threshold) })
    : undefined;
  return {
    repoDir,
    keysDir,
    rootPath: join(repoDir, 'metadata', 'root.json'),
    siteGroup,
    repo,
    drafts,
    keys: { root, targets, approvers },
    approverKeyFiles,
    ...(published ? { published } : {}),
  };
}
