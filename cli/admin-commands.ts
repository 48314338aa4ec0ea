/**
 * `gatecast admin create --data-dir D --user U`: creates the first admin account in the sync
 * server's accounts database (D/accounts.db), prompting for the password twice without echo, or
 * reading it from standard input with --password-stdin (for scripts: `printf %s "$PW" | gatecast …`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { ACCOUNTS_DB } from '../sync-server/main.js';
import { systemClock } from '../protocol/clock.js';
import { createLogger } from '../platform/log.js';
import { AccountInputError } from '../sync-server/accounts/errors.js';
import { LoginRateLimiter } from '../sync-server/accounts/rate-limit.js';
import { AccountService } from '../sync-server/accounts/service.js';
import { openSqliteAccountStore } from '../sync-server/accounts/sqlite-accounts.js';

/** The accounts database beside the registry (the server opens the same file). */
export const ACCOUNTS_DB_FILE = ACCOUNTS_DB;

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const processIo: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks each question on the terminal in turn and reads one line for each, without echoing it. */
async function askHidden(questions: string[], io: CliIo): Promise<string[]> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  const lines = rl[Symbol.asyncIterator](); // buffers lines that arrive before they are asked for
  const answers: string[] = [];
  try {
    for (const q of questions) {
      io.stderr.write(q);
      const next = await lines.next();
      io.stderr.write('\n');
      if (next.done) throw new AccountInputError('no password given');
      answers.push(next.value);
    }
  } finally {
    rl.close();
  }
  return answers;
}

export async function readNewPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  if (fromStdin) return (await readAll(io.stdin)).replace(/\r?\n$/, '');
  if (!io.stdin.isTTY)
    throw new AccountInputError(
      'no terminal to ask for the password on; pass --password-stdin and pipe it in',
    );
  const [first, second] = await askHidden(['Password (at least 12 characters): ', 'Repeat password: '], io);
  if (first !== second) throw new AccountInputError('the two passwords differ');
  return first!;
}

export function registerAdminCommands(program: Command, io: CliIo = processIo): void {
  const admin = program.command('admin').description('Sync server accounts');
  admin
    .command('create')
    .description('Create the first admin account (refused if an admin exists)')
    .requiredOption('--data-dir <dir>', "the sync server's data directory")
    .requiredOption('--user <username>', 'login name of the new admin')
    .option('--display-name <name>', 'name shown in the dashboard (default: the username)')
    .option('--password-stdin', 'read the password from standard input instead of prompting')
    .action(
      async (opts: { dataDir: string; user: string; displayName?: string; passwordStdin?: boolean }) => {
        const password = await readNewPassword(io, !!opts.passwordStdin);
        mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
        const store = openSqliteAccountStore(join(opts.dataDir, ACCOUNTS_DB_FILE));
        try {
          const service = new AccountService(
            store,
            systemClock,
            new LoginRateLimiter(),
            createLogger('cli:admin'),
          );
          const user = await service.createFirstAdmin({
            username: opts.user,
            displayName: opts.displayName ?? opts.user,
            password,
          });
          io.stdout.write(`admin "${user.username}" created in ${join(opts.dataDir, ACCOUNTS_DB_FILE)}\n`);
        } finally {
          store.close();
        }
      },
    );
}
