import { execFile } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

let counter = 0;
function tempName(path: string): string {
  counter = (counter + 1) % 1_000_000;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`);
}

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one, even across
 * a power cut: write a temp file in the same directory, fsync it, rename over, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined); // best effort: the write already failed
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined); // best effort: the rename already failed
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Synchronous twin of writeFileAtomic, for start-up and shutdown paths. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // best effort: the write already failed
    }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDirSync(dirname(path));
}

/** fsyncs a directory so that a rename or create inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs every regular file and folder below `dir`, one by one (links are part of their folder). */
export async function fsyncTree(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await fsyncTree(p);
    else if (e.isFile()) await fsyncPath(p);
  }
  await fsyncPath(dir);
}

/** How `flushTree` made a tree durable; `reason` says why it had to walk the tree. */
export type TreeFlush = { method: 'syncfs' } | { method: 'per-file'; reason: string };

/**
 * Makes everything written below `dir` durable before it is renamed into place. One flush of the
 * filesystem holding it: syncfs(2), which Node has no binding for, through coreutils'
 * `sync --file-system DIR` (coreutils is Essential in Debian and Raspberry Pi OS). That command exits
 * non-zero when it cannot open DIR or syncfs fails (and syncfs reports writeback errors since Linux
 * 5.8); a coreutils built without syncfs calls sync(2), which on Linux also waits for the writes.
 * Thousands of files cost one journal commit and one cache flush instead of one fsync each (minutes
 * on an SD card). When the command is missing or fails, or `syncCommand` is null, every file and
 * folder is fsynced one by one instead.
 */
export async function flushTree(dir: string, syncCommand: string | null = 'sync'): Promise<TreeFlush> {
  let reason = 'no sync command configured';
  if (syncCommand !== null) {
    try {
      await run(syncCommand, ['--file-system', dir], { maxBuffer: 64 * 1024 });
      return { method: 'syncfs' };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      reason = `${syncCommand} --file-system: ${e.stderr?.trim() || e.message}`;
    }
  }
  await fsyncTree(dir);
  return { method: 'per-file', reason };
}
