import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../protocol/clock.js';
import { createLogger, type Logger } from '../../platform/log.js';
import type { MediaLimits } from '../../platform/media-limits.js';
import type { KeyOwners } from './draft-signing-rules.js';
import { DraftService } from './drafts.js';
import type { DraftView, PublishResult } from '../../protocol/publish-api.js';
import type { Expiries } from './metadata.js';
import { TufRepository } from './repository.js';
import { tufRoutes } from './routes.js';

export interface MountTufOptions {
  /** A repository created by `gatecast repo init` (holds metadata/, targets/, keys/). */
  repoDir: string;
  clock: Clock;
  log?: Logger;
  expiries?: Partial<Expiries>;
  /** Told after each publication through the drafts API. */
  onPublished?: (result: PublishResult) => void;
  /** Told when a draft starts waiting for signatures (created or resubmitted). */
  onPending?: (draft: DraftView) => void;
  /** The accounts' registered approver keys (the sync server); absent for `gatecast repo serve`. */
  keyOwners?: KeyOwners;
  /** What uploads are normalised to, per site group (DraftServiceOptions.mediaLimits). */
  mediaLimits?: (siteGroup: string) => MediaLimits;
  /** Whether an emergency was ended early (DraftServiceOptions.endedEarly). */
  endedEarly?: (siteGroup: string, emergencyId: string) => boolean;
}

export interface MountedTuf {
  repo: TufRepository;
  drafts: DraftService;
  /** Stops the re-signing loop (call before closing the app). */
  stop(): Promise<void>;
}

/**
 * Wires the TUF repository into the server's app in one call: opens the repository, serves
 * `/tuf/metadata` and `/tuf/targets`, and starts re-signing snapshot/timestamp before they expire.
 * The publishing API is content's (content/publish-routes.ts): the sync server registers it in its
 * session scope, `gatecast repo serve` with its bearer token. Call before `app.listen()`.
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
    ...(opts.onPending ? { onPending: opts.onPending } : {}),
    ...(opts.keyOwners ? { keyOwners: opts.keyOwners } : {}),
    ...(opts.mediaLimits ? { mediaLimits: opts.mediaLimits } : {}),
    ...(opts.endedEarly ? { endedEarly: opts.endedEarly } : {}),
  });
  await app.register(tufRoutes, { repoDir: opts.repoDir });
  repo.start();
  return { repo, drafts, stop: () => repo.stop() };
}
