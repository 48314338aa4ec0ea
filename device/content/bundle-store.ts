/**
 * Installed bundles and the pointer that says which one is active:
 *   <root>/bundles/v<version>.json   a bundle record: manifest + target→hash map + version
 *   <root>/current.json              { current, previous }: the one switch, written atomically
 * Installing is: stage the record (temp, fsync, rename) → write the pointer (temp, fsync, one
 * rename). A crash before the pointer's rename leaves the old bundle active; after it, the new one.
 * The previous bundle's record (and its blobs, see the installer's GC) is kept for rollback.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { BundleManifest } from '../../protocol/content.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const TargetRef = z.object({ sha256: Sha256, length: z.number().int().min(0) });

export const BundleRecord = z.object({
  schema: z.literal(1),
  siteGroup: z.string(),
  version: z.number().int().min(1),
  installedAt: z.string(),
  manifestTarget: TargetRef.extend({ path: z.string() }),
  manifest: BundleManifest,
  targets: z.record(z.string(), TargetRef),
});
export type BundleRecord = z.infer<typeof BundleRecord>;

const Pointer = z.object({ current: z.number().int().min(1), previous: z.number().int().min(1).optional() });
type Pointer = z.infer<typeof Pointer>;

export interface ActiveBundles {
  current?: BundleRecord;
  previous?: BundleRecord;
}

export class BundleStore {
  constructor(readonly root: string) {}

  private recordPath(version: number): string {
    return join(this.root, 'bundles', `v${version}.json`);
  }

  private get pointerPath(): string {
    return join(this.root, 'current.json');
  }

  /**
   * The active and previous bundles. A damaged current record (it never should be: records are
   * written atomically before the pointer) falls back to the previous one.
   */
  async load(): Promise<ActiveBundles> {
    const pointer = await this.readPointer();
    if (!pointer) return {};
    const current = await this.readRecord(pointer.current);
    const previous = pointer.previous ? await this.readRecord(pointer.previous) : undefined;
    if (!current) return previous ? { current: previous } : {};
    return { current, ...(previous ? { previous } : {}) };
  }

  /** Writes a record durably; it is not active until `activate`. */
  async stage(record: BundleRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(record.version), JSON.stringify(record));
  }

  /** The one switch: makes `version` current and keeps the old current as previous. */
  async activate(version: number): Promise<void> {
    const old = await this.readPointer();
    const next: Pointer = { current: version };
    if (old && old.current !== version) next.previous = old.current;
    else if (old?.previous !== undefined && old.previous !== version) next.previous = old.previous;
    await writeFileAtomic(this.pointerPath, JSON.stringify(next));
  }

  /** Makes the previous bundle current again. Returns false if there is none. */
  async rollback(): Promise<boolean> {
    const old = await this.readPointer();
    if (!old?.previous || !(await this.readRecord(old.previous))) return false;
    await writeFileAtomic(this.pointerPath, JSON.stringify({ current: old.previous }));
    return true;
  }

  /** Deletes records that are neither current nor previous. */
  async prune(): Promise<void> {
    const pointer = await this.readPointer();
    const keep = new Set(
      [pointer?.current, pointer?.previous].filter((v) => v !== undefined).map((v) => `v${v}.json`),
    );
    let names: string[];
    try {
      names = await readdir(join(this.root, 'bundles'));
    } catch {
      return; // nothing installed yet
    }
    for (const name of names)
      if (!keep.has(name)) await rm(join(this.root, 'bundles', name), { force: true });
  }

  private async readPointer(): Promise<Pointer | undefined> {
    try {
      return Pointer.parse(JSON.parse(await readFile(this.pointerPath, 'utf8')));
    } catch {
      return undefined; // no bundle installed yet (the pointer is only ever written whole)
    }
  }

  private async readRecord(version: number): Promise<BundleRecord | undefined> {
    try {
      return BundleRecord.parse(JSON.parse(await readFile(this.recordPath(version), 'utf8')));
    } catch {
      return undefined; // missing or damaged; the caller falls back
    }
  }
}
