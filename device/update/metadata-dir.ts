/**
 * The client's trusted TUF metadata on disk, under unversioned names (root.json, timestamp.json,
 * snapshot.json, targets.json, <role>.json).
 *
 * tuf-js writes metadata with a plain writeFileSync, which a power cut can leave torn or empty. We
 * replace that with write-temp → fsync → rename → fsync dir, and after every fully successful
 * refresh we copy the set to a "last good" directory. Before each refresh `recover()` checks every
 * file: one that does not parse as TUF metadata of its kind is restored from the last good copy, or
 * (root only) from the enrolment root, or else dropped so that tuf-js fetches it again.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind } from '@tufjs/models';
import { writeFileAtomicSync } from '../../platform/atomic-file.js';
import type { Logger } from '../../platform/log.js';
import { UpdateError } from './errors.js';

export interface MetadataDirOptions {
  dir: string;
  /** Where copies of the last fully refreshed set live; none for the conformance CLI. */
  goodDir?: string;
  /** The root given at enrolment, used when neither root.json nor a good copy can be read. */
  enrolmentRootFile?: string;
}

export class MetadataDir {
  constructor(
    private readonly opts: MetadataDirOptions,
    private readonly log: Logger,
  ) {}

  get dir(): string {
    return this.opts.dir;
  }

  /** Atomically writes one metadata file (name without ".json", as tuf-js passes it). */
  persist(name: string, bytes: Uint8Array): void {
    mkdirSync(this.opts.dir, { recursive: true });
    writeFileAtomicSync(join(this.opts.dir, `${encodeURIComponent(name)}.json`), bytes);
  }

  /** Installs a trusted root (enrolment or `tuf-client init`). */
  init(rootBytes: Uint8Array): void {
    this.persist('root', rootBytes);
  }

  /**
   * Makes every local file loadable before tuf-js reads them. Throws METADATA_STORE only when no
   * usable root exists anywhere.
   */
  recover(): void {
    mkdirSync(this.opts.dir, { recursive: true });
    const names = new Set(readdirSync(this.opts.dir).filter((f) => f.endsWith('.json')));
    names.add('root.json');
    for (const file of names) {
      const path = join(this.opts.dir, file);
      if (isLoadable(file, path)) continue;
      const good = this.opts.goodDir ? join(this.opts.goodDir, file) : undefined;
      if (good && isLoadable(file, good)) {
        this.log.warn('restored damaged metadata from the last good copy', { file });
        this.persist(file.slice(0, -5), readFileSync(good));
        continue;
      }
      if (file === 'root.json') {
        const enrol = this.opts.enrolmentRootFile;
        if (enrol && isLoadable(file, enrol)) {
          this.log.warn('restored root.json from the enrolment root', { file: enrol });
          this.persist('root', readFileSync(enrol));
          continue;
        }
        throw new UpdateError(
          'METADATA_STORE',
          `no usable trusted root in ${this.opts.dir} (missing or damaged, and no good copy)`,
        );
      }
      this.log.warn('dropped damaged metadata; it will be fetched again', { file });
      rmSync(path, { force: true });
    }
  }

  /** Records the current set as the last good one (after a full, successful refresh). */
  commitGood(): void {
    const goodDir = this.opts.goodDir;
    if (!goodDir) return;
    mkdirSync(goodDir, { recursive: true });
    for (const file of readdirSync(this.opts.dir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      const bytes = readFileSync(join(this.opts.dir, file));
      const target = join(goodDir, file);
      if (existsSync(target) && readFileSync(target).equals(bytes)) continue;
      writeFileAtomicSync(target, bytes);
    }
  }

  /** Copies the metadata set into another directory (used by tests and the demo). */
  copyTo(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(this.opts.dir))
      if (file.endsWith('.json')) copyFileSync(join(this.opts.dir, file), join(dir, file));
  }
}

function kindOf(file: string): MetadataKind {
  if (file === 'root.json') return MetadataKind.Root;
  if (file === 'timestamp.json') return MetadataKind.Timestamp;
  if (file === 'snapshot.json') return MetadataKind.Snapshot;
  return MetadataKind.Targets;
}

function isLoadable(file: string, path: string): boolean {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8'));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- fromJSON is overloaded per kind
    const md = Metadata.fromJSON(kindOf(file) as any, data) as Metadata<any>;
    if (md.signed.type !== kindOf(file)) return false;
    if (file === 'root.json') md.verifyDelegate(MetadataKind.Root, md);
    return true;
  } catch {
    return false; // unreadable, torn, empty or not TUF: the caller repairs it
  }
}
