/**
 * Start-up removes what an interrupted install or clean-up left behind, and only what is provably
 * orphaned: real files as a killed install leaves them (blobs of a bundle never switched to, its
 * staged record, temp files of atomic writes), then the start-up sweep.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../device/content/blob-store.js';
import { type BundleRecord, BundleStore } from '../../../device/content/bundle-store.js';
import { QUARANTINE_RETENTION_MS, removeOrphansAtStart } from '../../../device/content/orphans.js';
import { parseBundleManifest } from '../../../protocol/content.js';
import { manifest } from '../../helpers/schedule-fixtures.js';
import { tempDir } from '../../helpers/temp.js';

const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

const NOW = Date.parse('2026-03-10T00:00:00Z');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function putBlob(blobs: BlobStore, content: string): string {
  const h = sha(content);
  mkdirSync(join(blobs.blobPath(h), '..'), { recursive: true });
  writeFileSync(blobs.blobPath(h), content);
  return h;
}

function record(version: number, manifestHash: string, files: Record<string, string>): BundleRecord {
  return {
    schema: 1,
    siteGroup: 'kien-giang/ha-tien',
    version,
    installedAt: '2026-03-01T00:00:00.000Z',
    manifestTarget: { path: 'kien-giang/ha-tien/bundle.json', sha256: manifestHash, length: 10 },
    manifest: parseBundleManifest(manifest()),
    targets: Object.fromEntries(Object.entries(files).map(([p, h]) => [p, { sha256: h, length: 10 }])),
  };
}

describe('start-up sweep of orphans', () => {
  it('removes blobs, records and temp files a killed install left, keeps everything still needed, and says how much it freed', async () => {
    const dir = tempDir('gc-orphans-');
    dirs.push(dir);
    const root = join(dir.path, 'content');
    const blobs = new BlobStore(root);
    const bundles = new BundleStore(root);
    // Installed: v1, then v2 (v1 is the previous bundle, kept for rollback).
    const m1 = putBlob(blobs, 'manifest v1');
    const a = putBlob(blobs, 'image a');
    const m2 = putBlob(blobs, 'manifest v2');
    const b = putBlob(blobs, 'image b');
    await bundles.stage(record(1, m1, { 'a.png': a }));
    await bundles.activate(1);
    await bundles.stage(record(2, m2, { 'a.png': a, 'b.png': b }));
    await bundles.activate(2);
    // A v3 install killed after its downloads and its staged record, before its switch...
    const m3 = putBlob(blobs, 'manifest v3');
    const c = putBlob(blobs, 'image c');
    await bundles.stage(record(3, m3, { 'c.png': c }));
    // ...with the temp files of atomic writes it never renamed, and a partial download.
    writeFileSync(join(root, '.current.json.4242.7.tmp'), '{"current":3,"previous":2}');
    writeFileSync(join(root, 'bundles', '.v4.json.4242.8.tmp'), 'x'.repeat(500));
    mkdirSync(blobs.partialDir, { recursive: true });
    writeFileSync(blobs.partialPath(sha('image d')), 'image'); // resumable: kept
    // Quarantined files: one past its retention, one still evidence.
    mkdirSync(join(root, 'quarantine'), { recursive: true });
    const old = `${sha('bad 1')}.${NOW - QUARANTINE_RETENTION_MS - 1}`;
    const recent = `${sha('bad 2')}.${NOW - 3600_000}`;
    writeFileSync(join(root, 'quarantine', old), 'bad bytes 1');
    writeFileSync(join(root, 'quarantine', recent), 'bad bytes 2');
    // A temp file of this very process (a write in progress) is not an orphan.
    writeFileSync(join(root, `.current.json.${process.pid}.9.tmp`), '{}');

    const swept = await removeOrphansAtStart(blobs, bundles, { nowMs: NOW });

    expect(swept.blobs.sort()).toEqual([m3, c].sort());
    expect(swept.records).toEqual(['v3.json']);
    expect(swept.tempFiles.map((p) => p.slice(root.length))).toEqual([
      '/.current.json.4242.7.tmp',
      '/bundles/.v4.json.4242.8.tmp',
    ]);
    expect(swept.quarantined).toEqual([old]);
    expect(swept.freedBytes).toBeGreaterThanOrEqual(
      'manifest v3'.length + 'image c'.length + 500 + 'bad bytes 1'.length + 27,
    );
    // Everything the current and previous bundles need is there, and they still load.
    for (const h of [m1, a, m2, b]) expect(existsSync(blobs.blobPath(h))).toBe(true);
    const loaded = await bundles.load();
    expect([loaded.current?.version, loaded.previous?.version]).toEqual([2, 1]);
    expect(existsSync(blobs.partialPath(sha('image d')))).toBe(true);
    expect(existsSync(join(root, 'quarantine', recent))).toBe(true);
    expect(existsSync(join(root, `.current.json.${process.pid}.9.tmp`))).toBe(true);
    // A second start finds nothing more.
    expect(await removeOrphansAtStart(blobs, bundles, { nowMs: NOW })).toMatchObject({
      blobs: [],
      records: [],
      tempFiles: [],
      quarantined: [],
      freedBytes: 0,
    });
  });
});
