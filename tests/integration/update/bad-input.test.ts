/**
 * Every bad input is refused with a named error, the installed bundle stays active and nothing of
 * the refused update is installed.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateClient } from '../../../device/update/update-client.js';
import { type FakeClock, fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { manifestFor, publishBundle } from '../../helpers/bundle-fixture.js';
import { generateTestKey, servedRepoEach } from '../../helpers/tuf-test-repo.js';

const SG = 'kien-giang/ha-tien';
const v1Media = {
  [`${SG}/media/a.jpg`]: Buffer.from('a'.repeat(5000)),
  [`${SG}/media/b.jpg`]: Buffer.from('b'.repeat(3000)),
};
const NEW = `${SG}/media/new.jpg`;
const newBytes = Buffer.from('n'.repeat(4000));
const v2Media = { ...v1Media, [NEW]: newBytes };

describe('update client: bad input is refused and changes nothing', () => {
  const t = servedRepoEach(SG);
  let client: UpdateClient;
  let dataDir: string;
  let clock: FakeClock;

  const makeClient = () =>
    new UpdateClient({
      dataDir,
      ...t.source,
      refreshIntervalMs: 60_000,
      storeQuotaBytes: 64 * 1024 * 1024,
      clock,
      log: memoryLogger(),
    });

  const snapshotOfStore = () => ({
    pointer: readFileSync(join(dataDir, 'content', 'current.json'), 'utf8'),
    records: readdirSync(join(dataDir, 'content', 'bundles')).sort(),
  });

  /** Refreshes, expects the named refusal, and checks that v1 is still whole and active. */
  async function expectRefused(code: string, message?: RegExp) {
    const before = snapshotOfStore();
    expect(await client.refreshNow()).toBeUndefined();
    const err = client.status().lastError;
    expect(err?.code).toBe(code);
    if (message) expect(err?.message).toMatch(message);
    const b = client.content.current()!;
    expect(b.version).toBe(1);
    for (const [p, bytes] of Object.entries(v1Media)) expect(readFileSync(b.filePath(p)!)).toEqual(bytes);
    expect(b.filePath(NEW)).toBeUndefined();
    expect(snapshotOfStore()).toEqual(before);
    // A fresh daemon sees the same thing.
    const again = makeClient();
    await again.loadInstalled();
    expect(again.content.current()?.version).toBe(1);
  }

  beforeEach(async () => {
    clock = fakeClock(Date.now());
    dataDir = join(t.dir, 'data');
    client = makeClient();
    publishBundle(t.repo, v1Media);
    await client.loadInstalled();
    expect((await client.refreshNow())?.installedVersion).toBe(1);
  });
  afterEach(async () => {
    await client.stop();
  });

  it('refuses tampered target bytes (TARGET_HASH_MISMATCH) and keeps no copy of them', async () => {
    publishBundle(t.repo, v2Media);
    const tampered = Buffer.from(newBytes);
    tampered[10] = 0x41;
    t.served.override.set(t.repo.servedTargetPath(NEW), tampered);
    await expectRefused('TARGET_HASH_MISMATCH', /new\.jpg/);
    expect(readdirSync(join(dataDir, 'content', 'partial'))).toEqual([]);
  });

  it('refuses a target longer than its verified length (TARGET_LENGTH_MISMATCH)', async () => {
    publishBundle(t.repo, v2Media);
    t.served.override.set(t.repo.servedTargetPath(NEW), Buffer.concat([newBytes, Buffer.from('extra')]));
    await expectRefused('TARGET_LENGTH_MISMATCH', /new\.jpg/);
  });

  it('refuses a target shorter than its verified length (TARGET_LENGTH_MISMATCH)', async () => {
    publishBundle(t.repo, v2Media);
    t.served.override.set(t.repo.servedTargetPath(NEW), newBytes.subarray(0, 100));
    await expectRefused('TARGET_LENGTH_MISMATCH', /new\.jpg/);
  });

  it('refuses a role signed by unknown keys (METADATA_SIGNATURE)', async () => {
    publishBundle(t.repo, v2Media, { siteGroupSigners: [generateTestKey(), generateTestKey()] });
    await expectRefused('METADATA_SIGNATURE', /kien-giang\/ha-tien was signed by 0\/2 keys/);
  });

  it('refuses a timestamp signed by an unknown key (METADATA_SIGNATURE)', async () => {
    publishBundle(t.repo, v2Media, { timestampSigners: [generateTestKey()] });
    await expectRefused('METADATA_SIGNATURE', /timestamp/);
  });

  it('refuses a role with fewer approver signatures than the threshold (METADATA_SIGNATURE)', async () => {
    publishBundle(t.repo, v2Media, { siteGroupSigners: [t.repo.approvers[0]!] });
    await expectRefused('METADATA_SIGNATURE', /signed by 1\/2 keys/);
  });

  it('refuses an older timestamp than the trusted one (METADATA_ROLLBACK)', async () => {
    const v1Timestamp = t.repo.files.get('metadata/timestamp.json')!;
    publishBundle(t.repo, v1Media, { label: 'same files, new version' });
    // v2 installs; then the server (or an attacker) replays v1's timestamp.
    expect((await client.refreshNow())?.installedVersion).toBe(2);
    t.served.override.set('metadata/timestamp.json', v1Timestamp);
    expect(await client.refreshNow()).toBeUndefined();
    expect(client.status().lastError?.code).toBe('METADATA_ROLLBACK');
    expect(client.content.current()?.version).toBe(2);
  });

  it('refuses a bundle older than the installed one even with fresh metadata (BUNDLE_ROLLBACK)', async () => {
    const v1Timestamp = t.repo.files.get('metadata/timestamp.json')!;
    publishBundle(t.repo, v1Media, { label: 'v2' });
    expect((await client.refreshNow())?.installedVersion).toBe(2);
    // Trusted metadata lost (e.g. a re-enrolment): TUF alone would accept v1 again.
    rmSync(join(dataDir, 'tuf'), { recursive: true });
    t.served.override.set('metadata/timestamp.json', v1Timestamp);
    expect(await client.refreshNow()).toBeUndefined();
    expect(client.status().lastError?.code).toBe('BUNDLE_ROLLBACK');
    expect(client.content.current()?.version).toBe(2);
  });

  it('refuses expired metadata (METADATA_EXPIRED)', async () => {
    // Expiry is judged by the device's clock, not the host's.
    publishBundle(t.repo, v2Media, { expires: new Date(clock.now() - 3600_000) });
    await expectRefused('METADATA_EXPIRED', /expired/);
  });

  it('refuses metadata that expired by the device clock while the device was offline (METADATA_EXPIRED)', async () => {
    publishBundle(t.repo, v2Media, { expires: new Date(clock.now() + 86400_000) });
    clock.advance(2 * 86400_000);
    await expectRefused('METADATA_EXPIRED', /expired/);
  });

  it('refuses mixed-and-matched snapshot and targets (METADATA_MISMATCH)', async () => {
    const v1Targets = t.repo.files.get('metadata/1.targets.json')!;
    publishBundle(t.repo, v2Media);
    t.served.override.set('metadata/2.targets.json', v1Targets);
    await expectRefused('METADATA_MISMATCH', /does not match snapshot version/);
  });

  for (const [name, bad] of [
    ['..', `${SG}/media/../../../etc/passwd`],
    ['absolute', '/etc/passwd'],
    ['backslash', `${SG}/media\\..\\x.jpg`],
    ['NUL', `${SG}/media/x\u0000.jpg`],
  ] as const) {
    it(`refuses a bundle naming a target path with ${name} (TARGET_PATH_UNSAFE) before touching the disk`, async () => {
      const manifest = manifestFor(SG, [...Object.keys(v1Media), bad]);
      publishBundle(t.repo, v1Media, { manifest });
      const outside = readdirSync(t.dir).sort();
      await expectRefused('TARGET_PATH_UNSAFE');
      expect(readdirSync(t.dir).sort()).toEqual(outside);
      expect(t.served.requests.some((r) => r.path.includes('passwd') || r.path.includes('x'))).toBe(false);
    });
  }

  it('refuses oversize metadata (METADATA_TOO_LARGE)', async () => {
    publishBundle(t.repo, v2Media);
    const ts = JSON.parse(t.repo.files.get('metadata/timestamp.json')!.toString());
    ts.padding = 'x'.repeat(20_000);
    t.served.override.set('metadata/timestamp.json', Buffer.from(JSON.stringify(ts)));
    await expectRefused('METADATA_TOO_LARGE', /timestamp\.json/);
  });

  it('refuses malformed JSON metadata (METADATA_MALFORMED)', async () => {
    publishBundle(t.repo, v2Media);
    t.served.override.set('metadata/2.snapshot.json', Buffer.from('{"signed": {'));
    await expectRefused('METADATA_MALFORMED');
  });

  it('refuses a bundle manifest that breaks the content model (BUNDLE_INVALID)', async () => {
    publishBundle(t.repo, v2Media, { manifest: { ...manifestFor(SG, Object.keys(v2Media)), playlists: [] } });
    await expectRefused('BUNDLE_INVALID', /playlists/);
  });

  it('recovers a torn root.json and timestamp.json from the last good copy', async () => {
    await client.stop();
    writeFileSync(join(dataDir, 'tuf', 'metadata', 'root.json'), '');
    writeFileSync(join(dataDir, 'tuf', 'metadata', 'timestamp.json'), '{"signed":');
    const log = memoryLogger();
    client = new UpdateClient({
      dataDir,
      ...t.source,
      enrolmentRootFile: join(t.dir, 'missing-root.json'),
      refreshIntervalMs: 60_000,
      storeQuotaBytes: 64 * 1024 * 1024,
      clock: fakeClock(),
      log,
    });
    await client.loadInstalled();
    publishBundle(t.repo, v2Media);
    expect((await client.refreshNow())?.installedVersion).toBe(2);
    expect(log.records.filter((r) => r.msg.includes('last good copy')).map((r) => r.fields['file'])).toEqual(
      expect.arrayContaining(['root.json', 'timestamp.json']),
    );
    expect(existsSync(join(dataDir, 'tuf', 'metadata', 'root.json'))).toBe(true);
  });
});
