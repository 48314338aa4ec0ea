/**
 * Target files in the repository: checking supplied bytes against the signed length and hash, and
 * putting them at their hash-prefixed names durably (new names only, so a published file never
 * changes under a device that is downloading it).
 */
import { randomBytes } from 'node:crypto';
import { access, copyFile, link, mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TargetFile } from '@tufjs/models';
import { hashFile } from '../../platform/hash.js';
import { fsyncDir, writeFileAtomic } from '../../platform/atomic-file.js';
import { RepoError } from './errors.js';
import { sha256Hex } from './metadata.js';

/** Where the bytes of a target come from when it is published. */
export type TargetSource =
  | { path: string; data: Uint8Array }
  /** A file on the same file system as the repository; moved into place when `move` is set. */
  | { path: string; file: string; move?: boolean };

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function verifySource(source: TargetSource, target: TargetFile): Promise<void> {
  const got =
    'data' in source
      ? { sha256: sha256Hex(source.data), length: source.data.length }
      : await hashFile(source.file);
  if (got.length !== target.length)
    throw new RepoError(
      `target "${target.path}": file is ${got.length} bytes, metadata says ${target.length}`,
    );
  if (got.sha256 !== target.hashes['sha256'])
    throw new RepoError(
      `target "${target.path}": sha256 ${got.sha256} does not match the signed ${target.hashes['sha256']}`,
    );
}

/** Puts a target's bytes at its hashed name; false when it was already there (same hash, same bytes). */
export async function installTarget(source: TargetSource, dest: string): Promise<boolean> {
  if (await exists(dest)) return false;
  await mkdirDurable(dirname(dest));
  if ('data' in source) {
    await writeFileAtomic(dest, source.data);
    return true;
  }
  if (source.move) {
    await rename(source.file, dest);
  } else {
    // A hard link costs no bytes; fall back to a synced copy across file systems.
    const tmp = `${dirname(dest)}/.install.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await link(source.file, tmp);
    } catch {
      await copyFile(source.file, tmp);
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
    }
    await rename(tmp, dest);
  }
  await fsyncDir(dirname(dest));
  return true;
}

/** mkdir -p whose new directory entries survive a power cut (each new level's parent is fsynced). */
async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (!first) return;
  let d = dir;
  const created: string[] = [];
  while (d.length >= first.length) {
    created.push(d);
    d = dirname(d);
  }
  for (const c of created.reverse()) await fsyncDir(dirname(c));
}
