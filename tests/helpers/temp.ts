import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from './cleanups.js';

/** A fresh directory under the OS temp dir; `cleanup()` removes it. Call cleanup in afterEach. */
export function tempDir(prefix = 'gatecast-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A fresh directory (as `tempDir`) that `cleanups` removes; returns its path. */
export function tempFolder(cleanups: Cleanup[], prefix?: string): string {
  const dir = tempDir(prefix);
  cleanups.push(dir.cleanup);
  return dir.path;
}
