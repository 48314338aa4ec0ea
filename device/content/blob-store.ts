/**
 * Content-addressed store of verified files on the data disk:
 *   <root>/blobs/sha256/ab/abcd…   verified, immutable files, named by their SHA-256
 *   <root>/partial/<sha256>         downloads in progress (resumable, survive restarts)
 *   <root>/quarantine/<sha256>.<t>  files found damaged at boot, kept aside for inspection
 * A blob appears only by rename from a fully verified, fsynced partial file, so a reader never sees
 * a file that is not whole. Whether a blob still holds its bytes is decided by hashing it (once per
 * file version, see player/file-verdicts.ts), never by its size alone.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type FileProblem, FileVerdicts } from '../../player/file-verdicts.js';
import { fsyncDir } from '../../platform/atomic-file.js';

const HEX64 = /^[0-9a-f]{64}$/;

export class BlobStore {
  constructor(
    readonly root: string,
    readonly verdicts: FileVerdicts = new FileVerdicts(),
  ) {}

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

  /**
   * True if the blob of this hash is present and its bytes hash to it (hashed on the first question
   * after start and after any change to the file; the verdict is reused otherwise).
   */
  async has(sha256: string, length: number): Promise<boolean> {
    return (await this.verify(sha256, length)) === true;
  }

  /** `true`, or what is wrong with the blob (missing, or not its bytes). */
  verify(sha256: string, length: number): Promise<true | FileProblem> {
    return this.verdicts.check(this.blobPath(sha256), { sha256, length });
  }

  /** Moves a verified, fsynced partial file into the store. */
  async adopt(sha256: string): Promise<string> {
    const to = this.blobPath(sha256);
    await mkdir(dirname(to), { recursive: true });
    await rename(this.partialPath(sha256), to);
    await fsyncDir(dirname(to));
    this.verdicts.forget(to);
    return to;
  }

  /**
   * Moves a blob shorter than its verified length back to the partial downloads, so the next fetch
   * resumes after its bytes: the whole file's hash is checked when it is complete, and a prefix that
   * was not the start of the real file makes that check fail and the file be fetched again in full.
   * Returns false (and leaves the blob) when a partial download of the hash already exists.
   */
  async resumeFromBlob(sha256: string): Promise<boolean> {
    if ((await this.partialBytes(sha256)) > 0) return false;
    await mkdir(this.partialDir, { recursive: true });
    await rename(this.blobPath(sha256), this.partialPath(sha256));
    await fsyncDir(this.partialDir);
    this.verdicts.forget(this.blobPath(sha256));
    return true;
  }

  /** Moves a damaged blob aside; it no longer counts as present. */
  async quarantine(sha256: string, now: number): Promise<string> {
    const to = join(this.root, 'quarantine', `${sha256}.${now}`);
    await mkdir(dirname(to), { recursive: true });
    await rename(this.blobPath(sha256), to);
    await fsyncDir(dirname(this.blobPath(sha256)));
    this.verdicts.forget(this.blobPath(sha256));
    return to;
  }

  /**
   * Takes a blob that failed verification out of use: a shorter one goes back to the partial
   * downloads to be resumed (see resumeFromBlob), anything else to quarantine. Returns where it went.
   */
  async setAside(
    sha256: string,
    length: number,
    problem: FileProblem,
    now: number,
  ): Promise<'missing' | 'resume' | 'quarantined'> {
    if (problem.kind === 'missing') return 'missing';
    try {
      if (problem.actualLength < length && (await this.resumeFromBlob(sha256))) return 'resume';
      await this.quarantine(sha256, now);
      return 'quarantined';
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return 'missing'; // already moved by another reader
      throw err;
    }
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

  /** Deletes partial downloads and quarantined files (all can be fetched again); returns the bytes freed. */
  async dropRefetchable(): Promise<number> {
    let freed = 0;
    for (const dir of [this.partialDir, join(this.root, 'quarantine')])
      for (const name of await readdirOrEmpty(dir)) {
        freed += await sizeOr0(join(dir, name));
        await rm(join(dir, name), { force: true, recursive: true });
      }
    return freed;
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
