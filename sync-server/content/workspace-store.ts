/**
 * Workspaces: the bundle manifest an author is building for one site group, saved between sessions.
 *
 * ```
 * <dataDir>/content/workspaces/<siteGroup>/workspace.json   WorkspaceRecord (atomic writes)
 * ```
 * Every save names the revision it started from; a save from a stale revision is refused
 * (optimistic concurrency: two authors never overwrite each other unknowingly).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { SiteGroupId } from '../../protocol/content.js';
import { WorkspaceStaleError } from './errors.js';

export const WorkspaceRecord = z.object({
  schema: z.literal(1),
  siteGroup: z.string(),
  revision: z.number().int().min(1),
  updatedBy: z.string(),
  updatedAt: z.string(),
  /** The manifest as last saved (checked against the content model before it was). */
  manifest: z.record(z.string(), z.unknown()),
  /**
   * The version on air the workspace was made from (0: nothing was published); null for a workspace
   * saved before the base was recorded. Submission refuses a workspace whose base is no longer on
   * air (ContentService.submit); a rebase moves it.
   */
  basedOnVersion: z.number().int().min(0).nullable().default(null),
});
export type WorkspaceRecord = z.infer<typeof WorkspaceRecord>;

export class WorkspaceStore {
  readonly #dir: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.#dir = resolve(dataDir, 'content', 'workspaces');
  }

  #file(siteGroup: string): string {
    // Site groups are slugs joined by "/": safe as a relative directory, checked here anyway.
    return join(this.#dir, SiteGroupId.parse(siteGroup), 'workspace.json');
  }

  async load(siteGroup: string): Promise<WorkspaceRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.#file(siteGroup), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return WorkspaceRecord.parse(JSON.parse(text));
  }

  /**
   * Saves `manifest` as the next revision if `expectedRevision` is the current one (0: none saved
   * yet); otherwise WorkspaceStaleError and nothing changes. Saves are serialised. The base version
   * stays the saved one's unless `basedOnVersion` is given (the first save, a rebase).
   */
  save(
    siteGroup: string,
    expectedRevision: number,
    manifest: Record<string, unknown>,
    by: string,
    at: number,
    basedOnVersion?: number | null,
  ): Promise<WorkspaceRecord> {
    const run = this.#queue.then(async () => {
      const saved = await this.load(siteGroup);
      const current = saved?.revision ?? 0;
      if (current !== expectedRevision)
        throw new WorkspaceStaleError(
          `the workspace of "${siteGroup}" is at revision ${current}, the save started from ${expectedRevision}; reload it first`,
          current,
        );
      const rec: WorkspaceRecord = {
        schema: 1,
        siteGroup,
        revision: current + 1,
        updatedBy: by,
        updatedAt: new Date(at).toISOString(),
        manifest,
        basedOnVersion: basedOnVersion === undefined ? (saved?.basedOnVersion ?? null) : basedOnVersion,
      };
      await writeFileAtomic(this.#file(siteGroup), `${JSON.stringify(rec, null, 1)}\n`);
      return rec;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
