/**
 * A real, tiny filesystem for disk-full tests: a tmpfs of `sizeBytes` mounted on a fresh directory.
 * Needs root (mount); `smallDisk` returns a reason instead when it cannot mount, and the test then
 * skips with that reason printed (or uses the in-memory free-space twin).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

export interface SmallDisk {
  path: string;
  freeBytes(): number;
  unmount(): void;
}

export function smallDisk(parent: string, sizeBytes: number): SmallDisk | { unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'not root: cannot mount a small tmpfs' };
  const path = join(parent, 'small-disk');
  mkdirSync(path, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    return { unavailable: `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}` };
  }
  return {
    path,
    freeBytes: () => {
      const s = statfsSync(path);
      return s.bavail * s.bsize;
    },
    unmount: () => execFileSync('umount', ['-l', path], { stdio: 'pipe' }),
  };
}
