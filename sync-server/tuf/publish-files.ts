import { createHash } from 'node:crypto';
import type { SigningKey } from '../../platform/tuf-keys.js';
import type { TufRepository } from './repository.js';
import type { TargetSource } from './target-files.js';

export interface PublishFilesOptions {
  siteGroup: string;
  /** Target path → bytes. Paths lie under `<siteGroup>/`. */
  files: Record<string, Uint8Array>;
  /** Approver keys held locally; at least the site group's threshold of them. */
  approvers: SigningKey[];
  /** Keep the targets of the current version that `files` does not replace (default false: `files` is the whole set). */
  keepExisting?: boolean;
}

/**
 * Builds, signs (with the given approver keys) and publishes the next version of a site group in
 * one step. For tests, the demo and offline use where the approvers' keys are on the same machine;
 * the draft workflow does the same with signatures gathered from separate machines.
 */
export async function publishFiles(
  repo: TufRepository,
  opts: PublishFilesOptions,
): Promise<{ version: number; targets: number; newFiles: number }> {
  const targets = new Map<string, { path: string; length: number; sha256: string }>();
  if (opts.keepExisting) {
    for (const t of Object.values(repo.roleMetadata(opts.siteGroup)?.signed.targets ?? {}))
      targets.set(t.path, { path: t.path, length: t.length, sha256: t.hashes['sha256'] ?? '' });
  }
  const sources: TargetSource[] = [];
  for (const [path, data] of Object.entries(opts.files)) {
    targets.set(path, { path, length: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    sources.push({ path, data });
  }
  const md = repo.buildRoleMetadata(opts.siteGroup, [...targets.values()]);
  for (const k of opts.approvers) md.sign(k.signer, true);
  return repo.publishRole(opts.siteGroup, md, sources);
}
