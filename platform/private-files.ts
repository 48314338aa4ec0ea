/**
 * The server's secrets (password hashes and sessions in accounts.db, the audit log, proof of play,
 * the TUF online keys, the TLS key) must be readable by the server's own user only. At start the
 * server makes what it creates private and refuses to run when what it finds is not.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { coded, type Problem } from '../protocol/errors.js';

export class InsecureFileModeError extends coded('FILE_MODE_INSECURE') {
  constructor(
    message: string,
    readonly problems: Problem[],
  ) {
    super(message);
  }
}

/** Creates `dir` (and its parents) as 0700 when missing; an existing one is left to assertPrivate. */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Refuses (one error naming every path) when any existing path is readable, writable or searchable
 * by group or others. A 0700 directory keeps everything inside it private, so directories are
 * checked rather than each file below them.
 */
export function assertPrivate(paths: readonly string[]): void {
  const problems: Problem[] = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const st = statSync(path);
    const mode = st.mode & 0o777;
    if (mode & 0o077)
      problems.push({
        path,
        message: `mode ${mode.toString(8).padStart(4, '0')} lets other users read it; run: chmod ${st.isDirectory() ? '700' : '600'} ${path}`,
      });
  }
  if (problems.length)
    throw new InsecureFileModeError(
      `refusing to start: ${problems.map((p) => `${p.path} (${p.message})`).join('; ')}`,
      problems,
    );
}

/** Makes existing files (a database and its -wal/-shm companions) 0600. */
export function makePrivate(files: readonly string[]): void {
  for (const f of files) if (existsSync(f)) chmodSync(f, 0o600);
}
