import { PNG_1x1 } from '../../helpers/approval.js';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { registerBackupCommands } from '../../../cli/backup-commands.js';
import { registerServerCommands } from '../../../cli/server-commands.js';
import { memoryLogger } from '../../../platform/log.js';
import { isBackupError, restoreBackup, verifyBackup } from '../../../sync-server/backup/sqlite-backup.js';
import { parseServerConfig } from '../../../sync-server/config/config.js';
import { SyncServer } from '../../../sync-server/main.js';
import { apiLogin, createUsers, PASSWORD } from '../../helpers/dashboard.js';
import { enrolTestDevice, GATE, OPS_TOKEN } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { opsRequest } from '../../../cli/ops-request.js';

const cleanups = cleanupsAfterEach();

async function start(configFile: string) {
  const server = new SyncServer(parseServerConfig(JSON.parse(readFileSync(configFile, 'utf8'))), {
    log: memoryLogger('server'),
  });
  await server.start();
  cleanups.push(() => server.stop());
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await opsRequest(server.url, OPS_TOKEN, method, path, body);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read API replies field by field
    return { status: res.status, body: (await res.json()) as any };
  };
  return { server, api };
}

function cli(...args: string[]) {
  const program = new Command().exitOverride();
  registerServerCommands(program);
  registerBackupCommands(program);
  return program.parseAsync(['node', 'gatecast', ...args]);
}

describe('server backup and restore', () => {
  it('backs up a running server, refuses a damaged backup, and restores into a fresh data dir', async () => {
    const dir = tempDir('gc-backup-');
    cleanups.push(dir.cleanup);
    const tuf = await startTufRepo({
      serve: false,
      files: { 'kien-giang/ha-tien/bundle.json': Buffer.from('{"placeholder":"bytes of a target"}') },
    });
    cleanups.push(() => tuf.close());
    const configFile = join(dir.path, 'server.json');
    const dataDir = join(dir.path, 'data');
    writeFileSync(
      configFile,
      JSON.stringify({ dataDir, port: 0, opsToken: OPS_TOKEN, tuf: { repoDir: tuf.dir }, gates: [GATE] }),
    );
    await createUsers(dataDir, [
      { username: 'admin', role: 'admin' },
      { username: 'author', role: 'author' },
    ]);
    const a = await start(configFile);
    // An author's uploaded picture, in the content media store.
    const picture = PNG_1x1;
    const author = await apiLogin(a.server.url, 'author');
    const upload = await fetch(
      `${a.server.url}/api/content/media?siteGroup=${encodeURIComponent(GATE.siteGroup)}&name=welcome.png`,
      {
        method: 'POST',
        headers: {
          cookie: author.cookie,
          'x-csrf-token': author.csrfToken,
          'content-type': 'application/octet-stream',
        },
        body: picture,
      },
    );
    expect(upload.status).toBe(201);
    const media = (await upload.json()) as { path: string };
    const enrolled = await enrolTestDevice(a.api, a.server.url, join(dir.path, 'device'), 'sảnh A');
    const cmd = await a.api('POST', `/api/devices/${enrolled.deviceId}/commands`, { name: 'identify' });
    expect(cmd.status).toBe(201);
    const before = {
      devices: (await a.api('GET', '/api/devices')).body.map((d: { id: string; screenName: string }) => [
        d.id,
        d.screenName,
      ]),
      tokens: (await a.api('GET', '/api/enrolment-tokens')).body.length,
      commands: (await a.api('GET', `/api/devices/${enrolled.deviceId}/commands`)).body.map(
        (c: { id: string }) => c.id,
      ),
      timestamp: readFileSync(join(tuf.dir, 'metadata', 'timestamp.json')),
    };

    // Backup while the server runs, through the CLI.
    const out = join(dir.path, 'backup');
    await cli('server', 'backup', '--config', configFile, '--out', out);
    const manifest = verifyBackup(out);
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'db/registry.db',
        'db/accounts.db',
        'config/server.json',
        'tuf/metadata/timestamp.json',
        'tuf/metadata/root.json',
        'tuf/keys/snapshot.key',
      ]),
    );
    expect(paths.some((p) => p.startsWith('tuf/targets/kien-giang/ha-tien/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('content/media/'))).toBe(true);
    // A second backup into the same place is refused.
    await expect(cli('server', 'backup', '--config', configFile, '--out', out)).rejects.toMatchObject({
      code: 'BACKUP_TARGET_EXISTS',
    });

    // Mutate after the backup: the restore must not have it.
    expect(
      (await a.api('POST', '/api/enrolment-tokens', { siteGroup: GATE.siteGroup, screenName: 'later' }))
        .status,
    ).toBe(201);

    // A damaged copy is refused before anything is written.
    const damaged = join(dir.path, 'damaged');
    cpSync(out, damaged, { recursive: true });
    const db = readFileSync(join(damaged, 'db', 'registry.db'));
    db[db.length - 100] = db[db.length - 100]! ^ 0xff;
    writeFileSync(join(damaged, 'db', 'registry.db'), db);
    const target = join(dir.path, 'restored');
    const targetConfig = join(dir.path, 'restored.json');
    writeFileSync(
      targetConfig,
      JSON.stringify({
        dataDir: join(target, 'data'),
        port: 0,
        opsToken: OPS_TOKEN,
        tuf: { repoDir: join(target, 'repo') },
        gates: [GATE],
      }),
    );
    let refused: unknown;
    try {
      restoreBackup({ fromDir: damaged, configFile: targetConfig });
    } catch (err) {
      refused = err;
    }
    expect(isBackupError(refused) && refused.code).toBe('BACKUP_DAMAGED');
    expect((refused as Error).message).toContain('db/registry.db: sha256 differs from the manifest');
    expect(existsSync(target)).toBe(false);
    // A missing file is named too.
    const missing = join(dir.path, 'missing');
    cpSync(out, missing, { recursive: true });
    writeFileSync(
      join(missing, 'MANIFEST.json'),
      readFileSync(join(out, 'MANIFEST.json'), 'utf8').replace('"format"', '"formax"'),
    );
    expect(() => verifyBackup(missing)).toThrow(/MANIFEST.json missing or invalid/);

    // Restore into the fresh place, start a server on it: the data matches the moment of the backup.
    await cli('server', 'restore', '--config', targetConfig, '--from', out);
    await expect(cli('server', 'restore', '--config', targetConfig, '--from', out)).rejects.toMatchObject({
      code: 'RESTORE_TARGET_NOT_EMPTY',
    });
    const b = await start(targetConfig);
    expect(
      (await b.api('GET', '/api/devices')).body.map((d: { id: string; screenName: string }) => [
        d.id,
        d.screenName,
      ]),
    ).toEqual(before.devices);
    expect((await b.api('GET', '/api/enrolment-tokens')).body.length).toBe(before.tokens);
    expect((await a.api('GET', '/api/enrolment-tokens')).body.length).toBe(before.tokens + 1);
    expect(
      (await b.api('GET', `/api/devices/${enrolled.deviceId}/commands`)).body.map(
        (c: { id: string }) => c.id,
      ),
    ).toEqual(before.commands);
    const ts = await fetch(`${b.server.url}/tuf/metadata/timestamp.json`);
    expect(Buffer.from(await ts.arrayBuffer()).equals(before.timestamp)).toBe(true);
    expect(b.server.tuf?.repo.roleMetadata(GATE.siteGroup)?.signed.version).toBe(
      tuf.repo.roleMetadata(GATE.siteGroup)?.signed.version,
    );
    const login = await fetch(`${b.server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    // The author's upload came back with the data.
    const again = await apiLogin(b.server.url, 'author');
    const restored = await fetch(`${b.server.url}/api/content/media?path=${encodeURIComponent(media.path)}`, {
      headers: { cookie: again.cookie },
    });
    expect(restored.status).toBe(200);
    expect(Buffer.from(await restored.arrayBuffer()).equals(picture)).toBe(true);
  }, 20_000);
});
