/**
 * A real TUF repository in a temp dir, served over real HTTP on 127.0.0.1:0, for tests on both
 * sides (server publishing, device update client).
 *
 * ```ts
 * const r = await startTufRepo({ files: { 'kien-giang/ha-tien/bundle.json': bytes } });
 * // r.metadataUrl, r.targetsUrl, r.rootPath (trusted root v1 to init a client with)
 * await r.publish({ 'kien-giang/ha-tien/media/a.png': png }); // next version, other targets kept
 * await r.close();
 * ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Clock, systemClock } from '../../protocol/clock.js';
import { memoryLogger } from '../../platform/log.js';
import { generateSigningKey, type SigningKey } from '../../platform/tuf-keys.js';
import { createHttpApp } from '../../sync-server/web/http-app.js';
import { DraftService } from '../../sync-server/tuf/drafts.js';
import { publishFiles } from '../../sync-server/tuf/publish-files.js';
import { publishRoutes } from '../../sync-server/content/publish-routes.js';
import { initRepository } from '../../sync-server/tuf/init-repository.js';
import type { Expiries } from '../../sync-server/tuf/metadata.js';
import { TufRepository } from '../../sync-server/tuf/repository.js';
import { tufRoutes, tufUrls } from '../../sync-server/tuf/routes.js';
import { tempDir } from './temp.js';

export interface TufRepoFixture {
  dir: string;
  repo: TufRepository;
  app: FastifyInstance;
  /** e.g. `http://127.0.0.1:40123` */
  baseUrl: string;
  /** `${baseUrl}/tuf/metadata/` */
  metadataUrl: string;
  /** `${baseUrl}/tuf/targets/` */
  targetsUrl: string;
  /** `<dir>/metadata/1.root.json`: the trusted root a client starts from. */
  rootPath: string;
  rootBytes: Buffer;
  siteGroup: string;
  keys: { root: SigningKey; targets: SigningKey; approvers: SigningKey[] };
  /** The draft service behind the publishing API (always present; mounted only with publishApiToken). */
  drafts: DraftService;
  /** Publishes the next version: `files` replace or add targets; other current targets are kept unless `replaceAll`. */
  publish(
    files: Record<string, Uint8Array>,
    opts?: { replaceAll?: boolean; approvers?: SigningKey[] },
  ): Promise<{ version: number; targets: number; newFiles: number }>;
  close(): Promise<void>;
}

export interface StartTufRepoOptions {
  siteGroup?: string;
  /** Published as version 1 when given (and non-empty). */
  files?: Record<string, Uint8Array>;
  approvers?: number;
  /** Use these approver keys (e.g. ones whose PEM a test also needs) instead of fresh ones. */
  approverKeys?: SigningKey[];
  threshold?: number;
  clock?: Clock;
  expiries?: Partial<Expiries>;
  /** Serve over HTTP (default true). */
  serve?: boolean;
  /** Also mount the publishing API (drafts) with this bearer token. */
  publishApiToken?: string;
}

export async function startTufRepo(opts: StartTufRepoOptions = {}): Promise<TufRepoFixture> {
  const tmp = tempDir('gatecast-tuf-');
  const clock = opts.clock ?? systemClock;
  const siteGroup = opts.siteGroup ?? 'kien-giang/ha-tien';
  const root = generateSigningKey('root').key;
  const targets = generateSigningKey('targets').key;
  const approvers =
    opts.approverKeys ??
    Array.from({ length: opts.approvers ?? 3 }, (_, i) => generateSigningKey(`approver-${i + 1}`).key);
  await initRepository({
    dir: tmp.path,
    clock,
    rootKeys: [root],
    targetsKeys: [targets],
    ...(opts.expiries ? { expiries: opts.expiries } : {}),
  });
  const repo = await new TufRepository({
    dir: tmp.path,
    clock,
    log: memoryLogger('tuf'),
    ...(opts.expiries ? { expiries: opts.expiries } : {}),
  }).open();
  await repo.addSiteGroup({
    siteGroup,
    approvers: approvers.map((a) => a.publicKey),
    threshold: opts.threshold ?? 2,
    targetsKeys: [targets],
  });
  const threshold = opts.threshold ?? 2;
  const publish: TufRepoFixture['publish'] = (files, p = {}) =>
    publishFiles(repo, {
      siteGroup,
      files,
      approvers: p.approvers ?? approvers.slice(0, threshold),
      keepExisting: !p.replaceAll,
    });
  if (opts.files && Object.keys(opts.files).length) await publish(opts.files, { replaceAll: true });
  const app = createHttpApp();
  await app.register(tufRoutes, { repoDir: tmp.path });
  const drafts = new DraftService({ repo, clock, log: memoryLogger('drafts') });
  if (opts.publishApiToken)
    await app.register(publishRoutes, { repo, drafts, auth: { bearer: opts.publishApiToken } });
  let baseUrl = '';
  if (opts.serve !== false) baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const rootPath = join(tmp.path, 'metadata', '1.root.json');
  return {
    dir: tmp.path,
    repo,
    app,
    baseUrl,
    ...tufUrls(baseUrl),
    rootPath,
    rootBytes: readFileSync(rootPath),
    siteGroup,
    keys: { root, targets, approvers },
    drafts,
    publish,
    close: async () => {
      await repo.stop();
      await app.close();
      tmp.cleanup();
    },
  };
}
