/**
 * At start-up, what an interrupted install or clean-up left behind is removed, and only what is
 * provably orphaned:
 * - blobs referenced by neither the current nor the previous bundle (e.g. the files of an install
 *   killed before its switch: they are fetched again, verified, if that bundle is still offered);
 * - bundle records that are neither current nor previous (a staged record whose switch never came);
 * - atomic-write temp files (`.<name>.<pid>.<n>.tmp`) of another process, in the content folders:
 *   the process that wrote them is gone, so they were never renamed into place;
 * - quarantined files older than their retention (kept meanwhile as evidence).
 * Partial downloads stay (they may be the next install's, resumable), and so does anything not
 * named as above. Returns what it removed and the bytes freed.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from './blob-store.js';
import type { BundleRecord, BundleStore } from './bundle-store.js';

/** How long a quarantined file is kept as evidence by default. */
export const QUARANTINE_RETENTION_MS = 7 * 24 * 3600_000;

const TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;
const QUARANTINED = /^[0-9a-f]{64}\.(\d+)$/;

export interface OrphanSweep {
  blobs: string[];
  records: string[];
  tempFiles: string[];
  quarantined: string[];
  freedBytes: number;
}

export async function removeOrphansAtStart(
  blobs: BlobStore,
  bundles: BundleStore,
  o: { nowMs: number; pid?: number; quarantineRetentionMs?: number },
): Promise<OrphanSweep> {
  const out: OrphanSweep = { blobs: [], records: [], tempFiles: [], quarantined: [], freedBytes: 0 };
  const remove = async (path: string): Promise<void> => {
    out.freedBytes += await sizeOr0(path);
    await rm(path, { force: true });
  };
  const pid = o.pid ?? process.pid;
  for (const dir of [bundles.root, join(bundles.root, 'bundles')])
    for (const name of await readdirOrEmpty(dir)) {
      const m = TEMP.exec(name);
      if (!m || Number(m[1]) === pid) continue;
      await remove(join(dir, name));
      out.tempFiles.push(join(dir, name));
    }
  const before = new Set(await readdirOrEmpty(join(bundles.root, 'bundles')));
  const sizes = new Map<string, number>();
  for (const name of before) sizes.set(name, await sizeOr0(join(bundles.root, 'bundles', name)));
  await bundles.prune();
  const after = new Set(await readdirOrEmpty(join(bundles.root, 'bundles')));
  for (const name of before)
    if (!after.has(name)) {
      out.records.push(name);
      out.freedBytes += sizes.get(name) ?? 0;
    }
  const { current, previous } = await bundles.load();
  // Without a readable current bundle nothing proves a blob unneeded: blobs stay.
  if (!current) return sweepQuarantine(blobs, o, out, remove);
  const keep = new Set<string>();
  for (const r of [current, previous]) if (r) for (const h of hashesOf(r)) keep.add(h);
  for (const h of await blobs.list()) {
    if (keep.has(h)) continue;
    await remove(blobs.blobPath(h));
    out.blobs.push(h);
  }
  return sweepQuarantine(blobs, o, out, remove);
}

async function sweepQuarantine(
  blobs: BlobStore,
  o: { nowMs: number; quarantineRetentionMs?: number },
  out: OrphanSweep,
  remove: (path: string) => Promise<void>,
): Promise<OrphanSweep> {
  const qdir = join(blobs.root, 'quarantine');
  const retention = o.quarantineRetentionMs ?? QUARANTINE_RETENTION_MS;
  for (const name of await readdirOrEmpty(qdir)) {
    const m = QUARANTINED.exec(name);
    if (!m || Number(m[1]) + retention > o.nowMs) continue;
    await remove(join(qdir, name));
    out.quarantined.push(name);
  }
  return out;
}

function hashesOf(r: BundleRecord): string[] {
  return [r.manifestTarget.sha256, ...Object.values(r.targets).map((t) => t.sha256)];
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // nothing there yet
  }
}

async function sizeOr0(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0; // gone meanwhile
  }
}
