import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNTS_DB_FILE, type CliIo, registerAdminCommands } from '../../cli/admin-commands.js';
import { verifyPassword } from '../../sync-server/accounts/password.js';
import { openSqliteAccountStore } from '../../sync-server/accounts/sqlite-accounts.js';
import { tempDir } from '../helpers/temp.js';

function io(stdinText: string, isTTY = false): CliIo & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const stdin = Object.assign(Readable.from([Buffer.from(stdinText)]), { isTTY });
  return { stdin, stdout, stderr: new PassThrough(), out: () => out };
}

async function run(args: string[], cli: CliIo): Promise<void> {
  const program = new Command('gatecast').exitOverride();
  registerAdminCommands(program, cli);
  await program.parseAsync(['node', 'gatecast', ...args]);
}

describe('gatecast admin create', () => {
  let dir: ReturnType<typeof tempDir>;
  afterEach(() => dir.cleanup());

  it('creates the first admin from a password on stdin, and refuses a second', async () => {
    dir = tempDir();
    const dataDir = join(dir.path, 'data');
    const cli = io('một mật khẩu đủ dài\n');
    await run(
      [
        'admin',
        'create',
        '--data-dir',
        dataDir,
        '--user',
        'Admin',
        '--display-name',
        'Quản trị',
        '--password-stdin',
      ],
      cli,
    );
    expect(cli.out()).toContain('admin "admin" created');
    const store = openSqliteAccountStore(join(dataDir, ACCOUNTS_DB_FILE));
    const user = store.getUserByName('admin')!;
    expect(user).toMatchObject({ role: 'admin', displayName: 'Quản trị', disabled: false });
    expect(await verifyPassword('một mật khẩu đủ dài', user.passwordHash)).toBe(true);
    expect(store.listAudit({ limit: 10 })).toEqual([
      expect.objectContaining({
        action: 'user.create',
        target: 'admin',
        actor: null,
        details: { role: 'admin', via: 'cli' },
      }),
    ]);
    store.close();

    const again = run(
      ['admin', 'create', '--data-dir', dataDir, '--user', 'other', '--password-stdin'],
      io('another long password'),
    );
    await expect(again).rejects.toMatchObject({ code: 'ADMIN_EXISTS' });
    const after = openSqliteAccountStore(join(dataDir, ACCOUNTS_DB_FILE));
    expect(after.listUsers().map((u) => u.username)).toEqual(['admin']);
    after.close();
  });

  it('refuses a short password and a missing terminal, creating nothing', async () => {
    dir = tempDir();
    await expect(
      run(['admin', 'create', '--data-dir', dir.path, '--user', 'root', '--password-stdin'], io('short')),
    ).rejects.toMatchObject({ code: 'ACCOUNT_INVALID' });
    await expect(
      run(['admin', 'create', '--data-dir', dir.path, '--user', 'root'], io('')),
    ).rejects.toMatchObject({
      code: 'ACCOUNT_INVALID',
    });
    const store = openSqliteAccountStore(join(dir.path, ACCOUNTS_DB_FILE));
    expect(store.listUsers()).toEqual([]);
    store.close();
  });

  it('prompts twice on a terminal and refuses when the two differ', async () => {
    dir = tempDir();
    const same = io('a terminal password\na terminal password\n', true);
    await run(['admin', 'create', '--data-dir', dir.path, '--user', 'root'], same);
    expect(same.out()).toContain('admin "root" created');
    const dir2 = tempDir();
    try {
      await expect(
        run(
          ['admin', 'create', '--data-dir', dir2.path, '--user', 'root'],
          io('a terminal password\nsomething else here\n', true),
        ),
      ).rejects.toMatchObject({ code: 'ACCOUNT_INVALID' });
    } finally {
      dir2.cleanup();
    }
  });
});
