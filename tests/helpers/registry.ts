import { join } from 'node:path';
import { Registry } from '../../sync-server/registry/registry.js';
import type { Cleanup } from './cleanups.js';
import { tempDir } from './temp.js';

/** A registry on a fresh file in a temp folder, with the real migrations; `cleanups` closes and removes it. */
export function openTempRegistry(cleanups: Cleanup[], prefix: string): { dir: string; registry: Registry } {
  const dir = tempDir(prefix);
  cleanups.push(dir.cleanup);
  const registry = new Registry(join(dir.path, 'registry.db'));
  registry.open();
  cleanups.push(() => registry.close());
  return { dir: dir.path, registry };
}
