/**
 * Free space on the data disk, behind a small port: `StatfsFreeSpace` asks the kernel (statfs: the
 * blocks an unprivileged process may still use), `MemoryFreeSpace` is its twin for tests.
 *
 * The reserve is the part of the disk downloads never use, so that proof of play, health samples,
 * events, the SQLite WAL and logs can still be written when content fills the rest. Its size is
 * `update.diskReserveFraction` of the disk, capped at `update.diskReserveMaxBytes` (10 % or 500 MiB,
 * whichever is smaller, by default: a 32 GB SD card keeps 500 MiB, a 2 GB test disk 200 MiB).
 *
 * Not observed on a real Pi: how an SD card (and ext4's own root-reserved blocks, which statfs
 * `bavail` already leaves out) behaves as it fills; the reserve is sized to leave ext4 room either way.
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DiskSpace {
  totalBytes: number;
  /** Bytes this process may still write. */
  freeBytes: number;
}

export interface FreeSpace {
  /** The filesystem holding `path`. */
  read(path: string): Promise<DiskSpace>;
}

export class StatfsFreeSpace implements FreeSpace {
  /** A path not created yet (a first start) is on the filesystem of its nearest existing folder. */
  async read(path: string): Promise<DiskSpace> {
    for (let p = path; ; p = dirname(p)) {
      try {
        const s = await statfs(p);
        return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw err;
      }
    }
  }
}

/** Test twin: `space` is what every read answers; `onRead` may change it (a disk filling up). */
export class MemoryFreeSpace implements FreeSpace {
  reads = 0;
  constructor(
    public space: DiskSpace,
    private readonly onRead?: (reads: number, self: MemoryFreeSpace) => void,
  ) {}
  async read(): Promise<DiskSpace> {
    this.reads++;
    this.onRead?.(this.reads, this);
    return { ...this.space };
  }
}

export interface DiskReserve {
  /** Share of the disk kept free of downloads (0–0.5). */
  fraction: number;
  /** Upper bound of the reserve. */
  maxBytes: number;
}

/** The bytes downloads must leave free on a disk of `totalBytes`. Pure. */
export function reserveBytes(totalBytes: number, r: DiskReserve): number {
  return Math.min(Math.floor(totalBytes * r.fraction), r.maxBytes);
}

/** True for the errors a full filesystem (or quota) gives. */
export function isDiskFullError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/**
 * At start-up, before anything opens the database: when the data disk is below its reserve, delete
 * what can be fetched again (partial downloads, quarantined files) so that SQLite can size its WAL
 * index and proof of play can be written. A full disk otherwise stops SQLite from opening at all
 * (SQLITE_IOERR_SHMSIZE), and the screen stays dark. Returns what it found and freed; never throws.
 */
export async function reclaimAtStart(
  store: { root: string; dropRefetchable(): Promise<number> },
  freeSpace: FreeSpace,
  reserve: DiskReserve,
): Promise<{ freeBytes: number; reserveBytes: number; freedBytes: number } | { error: unknown }> {
  try {
    const space = await freeSpace.read(store.root);
    const reserved = reserveBytes(space.totalBytes, reserve);
    if (space.freeBytes >= reserved)
      return { freeBytes: space.freeBytes, reserveBytes: reserved, freedBytes: 0 };
    const freedBytes = await store.dropRefetchable();
    return { freeBytes: (await freeSpace.read(store.root)).freeBytes, reserveBytes: reserved, freedBytes };
  } catch (error) {
    return { error };
  }
}
