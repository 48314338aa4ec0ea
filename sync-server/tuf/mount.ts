import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../protocol/clock.js';
import { createLogger, type Logger } from '../../protocol/log.js';
import { DraftService, type KeyOwners } from './drafts.js';
import type { PublishResult } from '../../protocol/publish-api.js';
import { publishRoutes } from './publish-routes.js';
import { type Expiries, TufRepository } from './repository.js';
import { tufRoutes } from './routes.js';

export interface MountTufOptions {
  /** A repository created by `gatecast repo init` (holds metadata/, targets/, keys/). */
  repoDir: string;
  clock: Clock;
  log?: Logger;
  /**
   * Mounts the publishing API (`/api/publish`) guarded by this bearer token — the standalone
   * `gatecast repo serve`, which has no accounts. The sync server leaves it out and registers
   * `publishRoutes` with `auth: { session }` inside its session-guarded scope instead.
   */
  bearerToken?: string;
  expiries?: Partial<Expiries>;
  /** Told after each publication through the drafts API. */
  onPublished?: (result: PublishResult) => void;
  /** The accounts' registered approver keys (the sync server); absent for `gatecast repo serve`. */
  keyOwners?: KeyOwners;
}

export interface MountedTuf {
  repo: TufRepository;
  drafts: DraftService;
  /** Stops the re-signing loop (call before closing the app). */
  stop(): Promise<void>;
}

/**
 * Wires the TUF repository into the server's app in one call: opens the repository, serves
 * `/tuf/metadata` and `/tuf/targets`, optionally the bearer-token publishing API, and starts re-signing
 * snapshot/timestamp before they expire. Call before `app.listen()`.
 */
export async function mountTufRepository(app: FastifyInstance, opts: MountTufOptions): Promise<MountedTuf> {
  const log = opts.log ?? createLogger('sync-server:tuf');
  const repo = await new TufRepository({
    dir: opts.repoDir,
    clock: opts.clock,
    log,
    ...(opts.expiries ? { expiries: opts.expiries } : {}),
  }).open();
  const drafts = new DraftService({
    repo,
    clock: opts.clock,
    log: log.child('drafts'),
    ...(opts.onPublished ? { onPublished: opts.onPublished } : {}),
    ...(opts.keyOwners ? { keyOwners: opts.keyOwners } : {}),
  });
  await app.register(tufRoutes, { repoDir: opts.repoDir });
  if (opts.bearerToken)
    await app.register(publishRoutes, { repo, drafts, auth: { bearer: opts.bearerToken } });
  repo.start();
  return { repo, drafts, stop: () => repo.stop() };
}
