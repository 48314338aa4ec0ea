import { spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { popEntryFor, variantSha256 } from '../../device/proof-of-play/entry.js';
import { ed25519Signer } from '../../device/proof-of-play/signer.js';
import { isPopError, SqlitePopLog } from '../../device/proof-of-play/sqlite-pop-log.js';
import { type Db, isStoreError, openDeviceDb } from '../../device/store/sqlite.js';
import {
  type PopEntry,
  type PopRecord,
  parsePopRecord,
  popHash,
  popSigningBytes,
  textContentSha256,
  verifyChain,
} from '../../protocol/proof-of-play.js';
import { createScheduleEngine } from '../../protocol/schedule-engine.js';
import { HA_TIEN, manifest, t } from '../helpers/schedule-fixtures.js';
import { tempDir } from '../helpers/temp.js';
import { transpileForChild } from '../helpers/transpile.js';

const keys = () => generateKeyPairSync('ed25519');

function entry(i: number, over: Partial<PopEntry> = {}): PopEntry {
  return {
    deviceId: 'ha-tien-1',
    siteGroup: 'kien-giang/ha-tien',
    bundleVersion: 7,
    itemId: `item-${i}`,
    playlistId: 'default',
    scheduleEntryId: null,
    source: 'default',
    language: 'vi',
    forLanguage: 'vi',
    variantSha256: textContentSha256({ body: `text ${i}` }),
    scheduledStartAt: 1_767_225_600_000 + i * 10_000,
    actualStartAt: 1_767_225_600_000 + i * 10_000 + 12,
    durationMs: 10_000,
    screenOn: i % 5 !== 0,
    clockStatus: 'ntp',
    ...over,
  };
}

describe('proof of play (SQLite)', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Db | undefined;
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  beforeAll(() => {
    ({ privateKey, publicKey } = keys());
  });
  afterEach(() => {
    db?.close();
    db = undefined;
    dir.cleanup();
  });

  function open(path = join(dir.path, 'device.db')): SqlitePopLog {
    db = openDeviceDb(path, { synchronous: 'FULL' });
    const log = new SqlitePopLog(db, ed25519Signer(privateKey));
    log.start();
    return log;
  }

  function fill(log: SqlitePopLog, n: number): PopRecord[] {
    return Array.from({ length: n }, (_, i) => log.append(entry(i)));
  }

  it('appends a signed hash chain that verifies, here and after reopening', () => {
    dir = tempDir();
    const log = open();
    const made = fill(log, 20);
    expect(made.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(made[0]!.prevHash).toBe('0'.repeat(64));
    expect(made[1]!.prevHash).toBe(made[0]!.hash);
    const read = log.readAfter(0, 100);
    expect(read).toEqual(made);
    expect(verifyChain(read, publicKey)).toEqual({
      ok: true,
      checked: 20,
      declaredGaps: [],
      firstSeq: 1,
      lastSeq: 20,
      problems: [],
    });
    // The public key can travel as PEM (how the server would hold it).
    expect(verifyChain(read, publicKey.export({ type: 'spki', format: 'pem' }) as string).ok).toBe(true);
    db!.close();
    const again = open();
    const r21 = again.append(entry(21));
    expect(r21).toMatchObject({ seq: 21, prevHash: made[19]!.hash });
    expect(again.verifyStored()).toMatchObject({ ok: true, checked: 21 });
    // A record survives a JSON round trip through the sync link and still parses and verifies.
    const wire = JSON.parse(JSON.stringify(again.readAfter(20, 1)[0]));
    expect(
      verifyChain([parsePopRecord(wire)], publicKey, { after: { seq: 20, hash: made[19]!.hash } }).ok,
    ).toBe(true);
  });

  it('detects a deleted row as a gap and says where', () => {
    dir = tempDir();
    const log = open();
    fill(log, 10);
    db!.prepare('DELETE FROM pop_records WHERE seq IN (4, 5)').run();
    const report = log.verifyStored();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'gap', seq: 4, toSeq: 5 })]);
    // Deleting the newest record is only visible against the head reported elsewhere.
    db!.prepare('DELETE FROM pop_records WHERE seq = 10').run();
    const tail = verifyChain(log.readAfter(0, 100), publicKey, { expectedLastSeq: 10 });
    expect(tail.problems.map((p) => [p.kind, p.seq, p.toSeq])).toEqual([
      ['gap', 4, 5],
      ['gap', 10, 10],
    ]);
  });

  it('detects an edited row, whether or not the editor recomputed its hash', () => {
    dir = tempDir();
    const log = open();
    fill(log, 8);
    // Plain edit: the screen "was on".
    db!
      .prepare(
        'UPDATE pop_records SET body = replace(body, \'"screenOn":false\', \'"screenOn":true\') WHERE seq = 6',
      )
      .run();
    expect(log.verifyStored().problems).toEqual([expect.objectContaining({ kind: 'edited', seq: 6 })]);
    // Edit and recompute the hash: the signature and the next link give it away.
    const r3 = log.readAfter(2, 1)[0]!;
    const forged = { ...r3, itemId: 'forged' };
    const hash = popHash(forged);
    db!
      .prepare('UPDATE pop_records SET body = ?, hash = ? WHERE seq = 3')
      .run(JSON.stringify({ ...forged, hash: undefined, signature: undefined }), hash);
    const problems = log.verifyStored().problems.map((p) => [p.kind, p.seq]);
    expect(problems).toEqual([
      ['bad-signature', 3],
      ['broken-link', 4],
      ['edited', 6],
    ]);
  });

  it('detects records re-signed with another key', () => {
    dir = tempDir();
    const log = open();
    const made = fill(log, 5);
    const other = ed25519Signer(keys().privateKey);
    const resigned = made.map((r) =>
      r.seq >= 4 ? { ...r, signature: other.sign(popSigningBytes(r.hash)).toString('base64') } : r,
    );
    expect(verifyChain(resigned, publicKey).problems.map((p) => [p.kind, p.seq])).toEqual([
      ['bad-signature', 4],
      ['bad-signature', 5],
    ]);
    // A whole chain rebuilt with another key verifies only against that key.
    expect(verifyChain(made, other.publicKey).problems).toHaveLength(5);
  });

  it('reports malformed and out-of-order records instead of throwing', () => {
    dir = tempDir();
    const log = open();
    const made = fill(log, 4);
    const report = verifyChain([made[0], { seq: 2, nonsense: true }, made[2], made[1], made[3]], publicKey);
    expect(report.problems.map((p) => [p.kind, p.seq, p.index])).toEqual([
      ['malformed', 2, 1],
      ['out-of-order', 2, 3],
    ]);
  });

  it('acknowledges forward only, reads after a seq, and prunes acknowledged records past retention', () => {
    dir = tempDir();
    db = openDeviceDb(join(dir.path, 'device.db'));
    const log = new SqlitePopLog(db, ed25519Signer(privateKey), { retentionMs: 60_000 });
    log.start();
    fill(log, 10);
    expect(log.readAfter(7, 2).map((r) => r.seq)).toEqual([8, 9]);
    expect(log.acknowledge(6)).toBe(6);
    expect(log.acknowledge(3)).toBe(6); // never backwards
    expect(log.acknowledge(99)).toBe(10); // never past the head
    log.acknowledge(6);
    expect(log.pendingCount()).toBe(0);
    // Records 1–10 started 10 s apart from 1_767_225_600_012.
    const now = 1_767_225_600_012 + 4 * 10_000 + 60_000 + 1; // records 1–5 are older than a minute
    expect(log.prune(now)).toBe(5);
    expect(log.readAfter(0, 100).map((r) => r.seq)).toEqual([6, 7, 8, 9, 10]);
    // Everything acknowledged and old: the newest record stays so the chain goes on from it.
    expect(log.prune(now + 10 * 3_600_000)).toBe(4);
    expect(log.readAfter(0, 100).map((r) => r.seq)).toEqual([10]);
    const next = log.append(entry(11));
    expect(next.seq).toBe(11);
    expect(log.verifyStored()).toMatchObject({ ok: true, firstSeq: 10, lastSeq: 11 });
  });

  it('refuses bad input with named errors and writes nothing', () => {
    dir = tempDir();
    const log = open();
    let err: unknown;
    try {
      log.append(entry(1, { durationMs: -5, language: '' }));
    } catch (e) {
      err = e;
    }
    expect(isPopError(err)).toBe(true);
    expect((err as Error).message).toContain('durationMs');
    expect(log.head().seq).toBe(0);
    expect(() => log.readAfter(-1, 10)).toThrow(expect.objectContaining({ code: 'POP_INVALID' }));
    expect(() => log.acknowledge(1.5)).toThrow(expect.objectContaining({ code: 'POP_INVALID' }));
    // A connection that could lose committed records is refused.
    const loose = openDeviceDb(join(dir.path, 'other.db'), { synchronous: 'NORMAL' });
    let storeErr: unknown;
    try {
      new SqlitePopLog(loose, ed25519Signer(privateKey)).start();
    } catch (e) {
      storeErr = e;
    }
    loose.close();
    expect(isStoreError(storeErr)).toBe(true);
    expect(() => ed25519Signer(keys().publicKey as unknown as KeyObject)).toThrow(
      expect.objectContaining({ code: 'POP_KEY_INVALID' }),
    );
  });

  it('builds entries from planned items with the variant hash from verified targets or the text', () => {
    const m = manifest({
      items: [
        {
          id: 'photo',
          title: 'p',
          kind: 'image',
          durationMs: 5000,
          variants: { vi: { src: 'kien-giang/ha-tien/media/p-vi.png' } },
        },
        {
          id: 'note',
          title: 'n',
          kind: 'text',
          durationMs: 5000,
          variants: { vi: { title: 'T', body: 'Xin chào' } },
        },
      ],
      playlists: [{ id: 'default', name: 'd', entries: [{ itemId: 'photo' }, { itemId: 'note' }] }],
    });
    const bundle = {
      siteGroup: 'kien-giang/ha-tien',
      version: 12,
      manifest: m,
      targets: new Map([['kien-giang/ha-tien/media/p-vi.png', { sha256: 'cd'.repeat(32), length: 10 }]]),
    };
    const engine = createScheduleEngine(m, { ...HA_TIEN, languages: ['vi'] });
    const [photo, note] = engine.timeline(t('2026-01-02T08:00:00+07:00'), t('2026-01-02T08:00:06+07:00'));
    expect(variantSha256(bundle, photo!)).toBe('cd'.repeat(32));
    expect(variantSha256(bundle, note!)).toBe(textContentSha256({ title: 'T', body: 'Xin chào' }));
    const e = popEntryFor(note!, bundle, {
      deviceId: 'ha-tien-1',
      actualStartAt: note!.startAt + 16.4,
      durationMs: 4999.6,
      screenOn: true,
      clockStatus: 'server',
    });
    expect(e).toMatchObject({
      bundleVersion: 12,
      itemId: 'note',
      scheduledStartAt: note!.startAt,
      actualStartAt: note!.startAt + 16,
      durationMs: 5000,
      scheduleEntryId: null,
      source: 'default',
    });
    // Unknown target: recorded without a hash rather than not at all.
    expect(variantSha256({ ...bundle, targets: new Map() }, photo!)).toBeNull();
  });

  it('a writer killed with SIGKILL while appending leaves a valid chain that continues on reopen', async () => {
    dir = tempDir();
    const child = transpileForChild(['tests/integration/children/pop-writer.ts']);
    try {
      const dbPath = join(dir.path, 'device.db');
      const keyPath = join(dir.path, 'device-key.pem');
      writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      let lastPrinted = 0;
      for (let round = 0; round < 3; round++) {
        lastPrinted = await runUntilKilled(
          child.jsPath('tests/integration/children/pop-writer.ts'),
          [dbPath, keyPath],
          40 + round * 25,
        );
        expect(lastPrinted).toBeGreaterThan(0);
      }
      const log = open(dbPath);
      const report = log.verifyStored();
      expect(report).toMatchObject({ ok: true, firstSeq: 1 });
      // Every record the writer reported committed is there (it may have committed one more).
      expect(report.lastSeq!).toBeGreaterThanOrEqual(lastPrinted);
      expect(db!.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(log.append(entry(0)).seq).toBe(report.lastSeq! + 1);
    } finally {
      child.cleanup();
    }
  });
});

/** Runs the writer until it has printed `minSeqs` lines, then SIGKILLs it; returns the last seq printed. */
function runUntilKilled(script: string, args: string[], minLines: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lines = 0;
    let killed = false;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      lines = out.split('\n').length - 1;
      if (!killed && lines >= minLines) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL')
        return reject(new Error(`writer exited (${code}) before it was killed: ${err}`));
      const seqs = out.split('\n').filter(Boolean).map(Number);
      resolve(seqs.at(-1) ?? 0);
    });
  });
}
