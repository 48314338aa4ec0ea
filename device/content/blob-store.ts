/**
 * Content-addressed store of verified files on the data disk:
 *   <root>/blobs/sha256/ab/abcd…   verified, immutable files, named by their SHA-256
 *   <root>/partial/<sha256>         downloads in progress (resumable, survive restarts)
 *   <root>/quarantine/<sha256>.<t>  files found damaged at boot, kept aside for inspection
 * A blob appears only by rename from a fully verified, fsynced partial file, so a reader never sees
 * a file that is not whole.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../../platform/atomic-file.js';

const HEX64 = /^[0-9a-f]{64}$/;

export class BlobStore {
  constructor(readonly root: string) {}

  get partialDir(): string {
    return join(this.root, 'partial');
  }

  blobPath(sha256: string): string {
    if (!HEX64.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
    return join(this.root, 'blobs', 'sha256', sha256.slice(0, 2), sha256);
  }

  partialPath(sha256: string): string {
    if (!HEX64.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${sha256}`);
    return join(this.partialDir, sha256);
  }

  /** True if a blob of this hash and length is present (its content was verified on the way in). */
  async has(sha256: string, length: number): Promise<boolean> {
    try {
      const s = await stat(this.blobPath(sha256));
      return s.isFile() && s.size === length;
    } catch {
      return false; // absent
    }
  }

  /** Moves a verified, fsynced partial file into the store. */
  async adopt(sha256: string): Promise<string> {
    const to = this.blobPath(sha256);
    await mkdir(dirname(to), { recursive: true });
    await rename(this.partialPath(sha256), to);
    await fsyncDir(dirname(to));
    return to;
  }

  /** Moves a damaged blob aside; it no longer counts as present. */
  async quarantine(sha256: string, now: number): Promise<string> {
    const to = join(this.root, 'quarantine', `${sha256}.${now}`);
    await mkdir(dirname(to), { recursive: true });
    await rename(this.blobPath(sha256), to);
    await fsyncDir(dirname(this.blobPath(sha256)));
    return to;
  }

  /** Every blob hash present. */
  async list(): Promise<string[]> {
    const base = join(this.root, 'blobs', 'sha256');
    const out: string[] = [];
    for (const prefix of await readdirOrEmpty(base)) {
      for (const name of await readdirOrEmpty(join(base, prefix))) if (HEX64.test(name)) out.push(name);
    }
    return out;
  }

  /** Bytes used by blobs, partial downloads and quarantined files (what the quota counts). */
  async usageBytes(): Promise<number> {
    let total = 0;
    for (const h of await this.list()) total += await sizeOr0(this.blobPath(h));
    for (const dir of [this.partialDir, join(this.root, 'quarantine')])
      for (const name of await readdirOrEmpty(dir)) total += await sizeOr0(join(dir, name));
    return total;
  }

  /** Size of the partial download for a hash (0 if none). */
  partialBytes(sha256: string): Promise<number> {
    return sizeOr0(this.partialPath(sha256));
  }

  /**
   * Deletes blobs and partial downloads whose hash is not in `keep`, and every quarantined file.
   * Returns the hashes removed.
   */
  async collect(keep: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const h of await this.list()) {
      if (keep.has(h)) continue;
      await rm(this.blobPath(h), { force: true });
      removed.push(h);
    }
    for (const name of await readdirOrEmpty(this.partialDir))
      if (!keep.has(name)) await rm(join(this.partialDir, name), { force: true });
    await rm(join(this.root, 'quarantine'), { recursive: true, force: true });
    return removed;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // the directory does not exist yet
  }
}

async function sizeOr0(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0; // gone meanwhile
  }
}
