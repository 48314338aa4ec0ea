/** Creating a repository where the offline root and targets keys are. */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, MetadataKind } from '@tufjs/models';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import type { Clock } from '../../protocol/clock.js';
import {
  generateKeyPairFiles,
  keyPairPaths,
  loadSigningKey,
  type SigningKey,
} from '../../platform/tuf-keys.js';
import { RepoError } from './errors.js';
import { repoLayout } from './layout.js';
import {
  buildSnapshot,
  buildTimestamp,
  DEFAULT_EXPIRIES,
  type Expiries,
  keyJson,
  type OnlineKeys,
  serializeMetadata,
  signWith,
  tufTime,
} from './metadata.js';
import { exists } from './target-files.js';

async function loadOrCreateOnlineKey(keysDir: string, name: 'snapshot' | 'timestamp'): Promise<SigningKey> {
  const { privatePath } = keyPairPaths(keysDir, name);
  if (await exists(privatePath)) return loadSigningKey(privatePath);
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  await chmod(keysDir, 0o700);
  return (await generateKeyPairFiles(keysDir, name)).key;
}

export interface InitRepositoryOptions {
  dir: string;
  clock: Clock;
  rootKeys: SigningKey[];
  /** Default: every root key must sign. */
  rootThreshold?: number;
  targetsKeys: SigningKey[];
  /** Default: every targets key must sign. */
  targetsThreshold?: number;
  expiries?: Partial<Expiries>;
}

/**
 * Creates a new repository in `dir` (which must not hold one): root v1 signed by the root keys,
 * empty targets v1 signed by the targets keys, and the online snapshot/timestamp keys generated
 * into `<dir>/keys` (or reused if already there). Runs where the offline keys are.
 */
export async function initRepository(opts: InitRepositoryOptions): Promise<void> {
  const layout = repoLayout(opts.dir);
  const exp = { ...DEFAULT_EXPIRIES, ...opts.expiries };
  const now = opts.clock.now();
  if (await exists(join(layout.metadataDir, '1.root.json')))
    throw new RepoError(`${opts.dir}: a repository already exists here`);
  const rootThreshold = opts.rootThreshold ?? opts.rootKeys.length;
  const targetsThreshold = opts.targetsThreshold ?? opts.targetsKeys.length;
  if (opts.rootKeys.length === 0 || rootThreshold < 1 || rootThreshold > opts.rootKeys.length)
    throw new RepoError(
      `root threshold ${rootThreshold} must be between 1 and the ${opts.rootKeys.length} root keys`,
    );
  if (opts.targetsKeys.length === 0 || targetsThreshold < 1 || targetsThreshold > opts.targetsKeys.length)
    throw new RepoError(
      `targets threshold ${targetsThreshold} must be between 1 and the ${opts.targetsKeys.length} targets keys`,
    );
  const online: OnlineKeys = {
    snapshot: await loadOrCreateOnlineKey(layout.keysDir, 'snapshot'),
    timestamp: await loadOrCreateOnlineKey(layout.keysDir, 'timestamp'),
  };
  const keys: Record<string, unknown> = {};
  for (const k of [...opts.rootKeys, ...opts.targetsKeys, online.snapshot, online.timestamp])
    keys[k.keyId] = keyJson(k.publicKey);
  const ids = (ks: SigningKey[]) => [...new Set(ks.map((k) => k.keyId))];
  const root = Metadata.fromJSON(MetadataKind.Root, {
    signed: {
      _type: 'root',
      spec_version: '1.0.31',
      version: 1,
      expires: tufTime(now + exp.rootMs),
      consistent_snapshot: true,
      keys,
      roles: {
        root: { keyids: ids(opts.rootKeys), threshold: rootThreshold },
        targets: { keyids: ids(opts.targetsKeys), threshold: targetsThreshold },
        snapshot: { keyids: [online.snapshot.keyId], threshold: 1 },
        timestamp: { keyids: [online.timestamp.keyId], threshold: 1 },
      },
    },
    signatures: [],
  } as never);
  signWith(root, opts.rootKeys);
  root.verifyDelegate('root', root);
  const targets = Metadata.fromJSON(MetadataKind.Targets, {
    signed: {
      _type: 'targets',
      spec_version: '1.0.31',
      version: 1,
      expires: tufTime(now + exp.targetsMs),
      targets: {},
      delegations: { keys: {}, roles: [] },
    },
    signatures: [],
  } as never);
  signWith(targets, opts.targetsKeys);
  root.verifyDelegate('targets', targets);

  const rootBytes = serializeMetadata(root);
  const targetsBytes = serializeMetadata(targets);
  await mkdir(layout.targetsDir, { recursive: true });
  await writeFileAtomic(join(layout.metadataDir, '1.root.json'), rootBytes);
  await writeFileAtomic(join(layout.metadataDir, 'root.json'), rootBytes);
  await writeFileAtomic(join(layout.metadataDir, '1.targets.json'), targetsBytes);
  const snapshot = buildSnapshot(1, now + exp.snapshotMs, {
    'targets.json': { version: 1, bytes: targetsBytes },
  });
  signWith(snapshot, [online.snapshot]);
  const snapshotBytes = serializeMetadata(snapshot);
  await writeFileAtomic(join(layout.metadataDir, '1.snapshot.json'), snapshotBytes);
  const timestamp = buildTimestamp(1, now + exp.timestampMs, 1, snapshotBytes);
  signWith(timestamp, [online.timestamp]);
  await writeFileAtomic(join(layout.metadataDir, 'timestamp.json'), serializeMetadata(timestamp));
}
