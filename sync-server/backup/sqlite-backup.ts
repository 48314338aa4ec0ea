/**
 * Backup and restore of the sync server's data, safe while the server runs:
 *
 * - every server database (registry.db, accounts.db when present) through SQLite's online backup
 *   API (a consistent copy even while the server writes; WAL included);
 * - the TUF repository directory (metadata, targets, online keys, drafts). Files are read whole and
 *   written with write-temp-rename. timestamp.json (the commit point of every publication) and
 *   root.json are read first: whatever they reference existed then, and versioned metadata and
 *   content-addressed targets never change, so the copy is a consistent repository;
 * - the authors' content workspaces and uploaded media (`<dataDir>/content`): media first (stored by
 *   content hash, never changed), then their index, then the workspaces that reference them;
 * - the server config file.
 *
 * The backup is assembled in a staging directory beside `outDir` and renamed into place at the end,
 * with MANIFEST.json listing the sha256, size and mode of every file. Restore verifies the whole
 * manifest first and refuses a damaged or incomplete backup, or a target that already holds data,
 * before it writes anything.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  chmodSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import { fsyncDirSync, writeFileAtomicSync } from '../../platform/atomic-file.js';
import { GatecastError } from '../../protocol/errors.js';
import { type ServerConfig, parseServerConfig } from '../config/config.js';

export const BACKUP_FORMAT = 'gatecast-server-backup/1';
export const MANIFEST_FILE = 'MANIFEST.json';
/** Databases in the data directory that a backup holds when present. */
export const SERVER_DATABASES = ['registry.db', 'accounts.db'] as const;
/** The authors' workspaces and media store in the data directory (sync-server/content). */
export const CONTENT_DIR = 'content';

export class BackupError extends GatecastError {
  constructor(
    readonly code:
      | 'BACKUP_TARGET_EXISTS'
      | 'BACKUP_FAILED'
      | 'BACKUP_DAMAGED'
      | 'RESTORE_TARGET_NOT_EMPTY'
      | 'RESTORE_FAILED',
    message: string,
    readonly problems: string[] = [],
    options?: ErrorOptions,
  ) {
    super(problems.length ? `${message}:\n  ${problems.join('\n  ')}` : message, options);
  }
}
export const isBackupError = (e: unknown): e is BackupError => e instanceof BackupError;

const ManifestFile = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  mode: z.number().int().min(0).max(0o777),
});
export const BackupManifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  serverDataDir: z.string(),
  tufRepoDir: z.string().nullable(),
  files: z.array(ManifestFile),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A path inside the backup, safe to join (no absolute paths, no "..", forward slashes). */
function safeRelative(p: string): boolean {
  return !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '' || s === '.');
}

export interface BackupResult {
  outDir: string;
  manifest: BackupManifest;
}

export async function createBackup(opts: {
  config: ServerConfig;
  configFile: string;
  outDir: string;
  clock: Clock;
}): Promise<BackupResult> {
  const out = resolve(opts.outDir);
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new BackupError('BACKUP_TARGET_EXISTS', `${out} exists and is not empty`);
  const stage = join(dirname(out), `.${basename(out)}.partial-${randomBytes(4).toString('hex')}`);
  mkdirSync(stage, { recursive: true, mode: 0o700 });
  const files: z.infer<typeof ManifestFile>[] = [];
  const add = (rel: string, bytes: Uint8Array, mode: number) => {
    const dest = join(stage, ...rel.split('/'));
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
    writeFileAtomicSync(dest, bytes, mode & 0o777);
    files.push({ path: rel, sha256: sha256(bytes), size: bytes.length, mode: mode & 0o777 });
  };
  try {
    mkdirSync(join(stage, 'db'), { mode: 0o700 });
    for (const name of SERVER_DATABASES) {
      const src = join(opts.config.dataDir, name);
      if (!existsSync(src)) continue;
      const tmp = join(stage, 'db', `.${name}.tmp`);
      const db = new Database(src, { fileMustExist: true });
      try {
        await db.backup(tmp);
      } finally {
        db.close();
      }
      // Re-add through `add` so the file gets its hash and a write-temp-rename like every other.
      const bytes = readFileSync(tmp);
      rmSync(tmp);
      add(`db/${name}`, bytes, 0o600);
    }
    if (opts.config.tuf) {
      const repo = resolve(opts.config.tuf.repoDir);
      const all = walk(repo).map((p) => relative(repo, p).split(sep).join('/'));
      const first = ['metadata/timestamp.json', 'metadata/root.json'].filter((p) => all.includes(p));
      for (const rel of [...first, ...all.filter((p) => !first.includes(p))]) {
        const abs = join(repo, ...rel.split('/'));
        let bytes: Buffer;
        try {
          bytes = readFileSync(abs);
        } catch (err) {
          // A staging file of a publication in progress, renamed or removed meanwhile: not part of any commit.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        add(`tuf/${rel}`, bytes, statSync(abs).mode);
      }
    }
    const content = join(opts.config.dataDir, CONTENT_DIR);
    if (existsSync(content)) {
      const all = walk(content).map((p) => relative(content, p).split(sep).join('/'));
      const rank = (rel: string) => (rel.startsWith('media/') ? 0 : rel.startsWith('media-index/') ? 1 : 2);
      for (const rel of all.sort((a, b) => rank(a) - rank(b))) {
        const abs = join(content, ...rel.split('/'));
        let bytes: Buffer;
        try {
          bytes = readFileSync(abs);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // a temp file renamed meanwhile
          throw err;
        }
        add(`${CONTENT_DIR}/${rel}`, bytes, statSync(abs).mode);
      }
    }
    add('config/server.json', readFileSync(opts.configFile), statSync(opts.configFile).mode);
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date(opts.clock.now()).toISOString(),
      serverDataDir: resolve(opts.config.dataDir),
      tufRepoDir: opts.config.tuf ? resolve(opts.config.tuf.repoDir) : null,
      files,
    };
    writeFileAtomicSync(join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    if (existsSync(out)) rmSync(out, { recursive: true }); // empty, checked above
    renameSync(stage, out);
    fsyncDirSync(dirname(out));
    return { outDir: out, manifest };
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    if (isBackupError(err)) throw err;
    throw new BackupError('BACKUP_FAILED', `backup failed: ${(err as Error).message}`, [], { cause: err });
  }
}

/** Reads and checks a backup: the manifest, then every file's size and hash; extra files are problems too. */
export function verifyBackup(fromDir: string): BackupManifest {
  const dir = resolve(fromDir);
  let manifest: BackupManifest;
  try {
    manifest = BackupManifest.parse(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')));
  } catch (err) {
    throw new BackupError(
      'BACKUP_DAMAGED',
      `${dir}: ${MANIFEST_FILE} missing or invalid (${(err as Error).message.split('\n')[0]})`,
      [],
      {
        cause: err,
      },
    );
  }
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const f of manifest.files) {
    if (!safeRelative(f.path)) {
      problems.push(`${f.path}: not a relative path inside the backup`);
      continue;
    }
    listed.add(f.path);
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, ...f.path.split('/')));
    } catch {
      problems.push(`${f.path}: missing`);
      continue;
    }
    if (bytes.length !== f.size) problems.push(`${f.path}: ${bytes.length} bytes, manifest says ${f.size}`);
    else if (sha256(bytes) !== f.sha256) problems.push(`${f.path}: sha256 differs from the manifest`);
  }
  for (const p of walk(dir).map((p) => relative(dir, p).split(sep).join('/')))
    if (p !== MANIFEST_FILE && !listed.has(p)) problems.push(`${p}: not in the manifest`);
  if (!manifest.files.some((f) => f.path === 'db/registry.db'))
    problems.push('db/registry.db: not in the backup');
  if (problems.length)
    throw new BackupError('BACKUP_DAMAGED', `${dir}: backup is damaged; nothing restored`, problems);
  return manifest;
}

const isEmptyOrAbsent = (d: string) => !existsSync(d) || readdirSync(d).length === 0;

/**
 * Restores a verified backup. Paths come from `config` (the target server's config); when
 * `configFile` does not exist, the backed-up config is written there and its paths are used.
 * The data directory must hold no database and the TUF repository directory must be empty or absent.
 */
export function restoreBackup(opts: { fromDir: string; configFile: string }): {
  config: ServerConfig;
  files: number;
} {
  const from = resolve(opts.fromDir);
  const manifest = verifyBackup(from);
  const read = (rel: string) => readFileSync(join(from, ...rel.split('/')));
  const backedUpConfig = read('config/server.json');
  const writeConfig = !existsSync(opts.configFile);
  let config: ServerConfig;
  try {
    config = parseServerConfig(
      JSON.parse((writeConfig ? backedUpConfig : readFileSync(opts.configFile)).toString('utf8')),
    );
  } catch (err) {
    throw new BackupError('RESTORE_FAILED', `cannot use the server config: ${(err as Error).message}`, [], {
      cause: err,
    });
  }
  const problems: string[] = [];
  for (const name of SERVER_DATABASES)
    for (const suffix of ['', '-wal', '-shm'])
      if (existsSync(join(config.dataDir, name + suffix)))
        problems.push(`${join(config.dataDir, name + suffix)} exists`);
  const tufFiles = manifest.files.filter((f) => f.path.startsWith('tuf/'));
  if (tufFiles.length && !config.tuf)
    problems.push('the backup holds a TUF repository but the config sets no tuf.repoDir');
  if (config.tuf && !isEmptyOrAbsent(config.tuf.repoDir)) problems.push(`${config.tuf.repoDir} is not empty`);
  const contentFiles = manifest.files.filter((f) => f.path.startsWith(`${CONTENT_DIR}/`));
  const contentDir = join(config.dataDir, CONTENT_DIR);
  if (contentFiles.length && !isEmptyOrAbsent(contentDir)) problems.push(`${contentDir} is not empty`);
  if (problems.length)
    throw new BackupError(
      'RESTORE_TARGET_NOT_EMPTY',
      'restore goes into a fresh data directory; nothing restored',
      problems,
    );

  // Stage everything beside its destination, then rename into place.
  const token = randomBytes(4).toString('hex');
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const staged: { tmp: string; dest: string }[] = [];
  try {
    for (const f of manifest.files.filter((x) => x.path.startsWith('db/'))) {
      const dest = join(config.dataDir, f.path.slice(3));
      const tmp = `${dest}.restore-${token}`;
      writeFileAtomicSync(tmp, read(f.path), f.mode);
      staged.push({ tmp, dest });
    }
    if (config.tuf && tufFiles.length) {
      const repo = resolve(config.tuf.repoDir);
      const tmpRepo = join(dirname(repo), `.${basename(repo)}.restore-${token}`);
      for (const f of tufFiles) {
        const dest = join(tmpRepo, ...f.path.slice(4).split('/'));
        mkdirSync(dirname(dest), { recursive: true });
        writeFileAtomicSync(dest, read(f.path), f.mode);
      }
      const keys = join(tmpRepo, 'keys');
      if (existsSync(keys)) chmodSync(keys, 0o700);
      staged.push({ tmp: tmpRepo, dest: repo });
    }
    if (contentFiles.length) {
      const tmpContent = `${contentDir}.restore-${token}`;
      for (const f of contentFiles) {
        const dest = join(tmpContent, ...f.path.slice(CONTENT_DIR.length + 1).split('/'));
        mkdirSync(dirname(dest), { recursive: true });
        writeFileAtomicSync(dest, read(f.path), f.mode);
      }
      staged.push({ tmp: tmpContent, dest: contentDir });
    }
    for (const s of staged) {
      if (existsSync(s.dest)) rmSync(s.dest, { recursive: true }); // an empty repo dir, checked above
      renameSync(s.tmp, s.dest);
      fsyncDirSync(dirname(s.dest));
    }
    if (writeConfig) writeFileAtomicSync(opts.configFile, backedUpConfig, 0o600);
  } catch (err) {
    for (const s of staged) rmSync(s.tmp, { recursive: true, force: true });
    throw new BackupError('RESTORE_FAILED', `restore failed: ${(err as Error).message}`, [], { cause: err });
  }
  return { config, files: manifest.files.length };
}
