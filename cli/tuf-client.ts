/**
 * `gatecast tuf-client`: the TUF conformance client CLI (theupdateframework/tuf-conformance,
 * CLIENT-CLI.md), on the same wrapper, downloader and atomic metadata store the device uses.
 *
 *   gatecast tuf-client --metadata-dir D init ROOT_FILE
 *   gatecast tuf-client --metadata-dir D --metadata-url U refresh
 *   gatecast tuf-client --metadata-dir D --metadata-url U --target-name P [--target-name P2 …]
 *                       --target-base-url T --target-dir O download
 *
 * Exit 0 on full success, 1 otherwise. Metadata lives in D under unversioned names. A downloaded
 * artifact is stored in O under its URL-encoded target path (as python-tuf does), so a changed
 * artifact lands under the same filename; one already there with matching length and SHA-256 is
 * not fetched again.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { downloadResumable } from '../device/update/downloader.js';
import { UpdateError } from '../device/update/errors.js';
import { hashFile } from '../platform/hash.js';
import { TufClient } from '../device/update/tuf.js';
import { fsyncDir } from '../platform/atomic-file.js';
import { isGatecastError } from '../protocol/errors.js';
import { createLogger, type Logger } from '../platform/log.js';

export interface TufClientCliOptions {
  metadataDir: string;
  metadataUrl?: string;
  targetName?: string[];
  targetBaseUrl?: string;
  targetDir?: string;
}

/** `init`: installs the trusted root; no network. */
export function tufClientInit(opts: TufClientCliOptions, rootFile: string, log: Logger): void {
  const client = new TufClient({ dir: opts.metadataDir, metadataUrl: '', targetBaseUrl: '' }, log);
  client.metadata.init(readFileSync(rootFile));
}

/** `refresh`: the full TUF client workflow for top-level metadata. */
export async function tufClientRefresh(opts: TufClientCliOptions, log: Logger): Promise<void> {
  await clientFor(opts, log).refresh();
}

/**
 * `download`: refresh, then each target in order; stops at the first failure. Returns the files
 * written (skipped ones excluded).
 */
export async function tufClientDownload(opts: TufClientCliOptions, log: Logger): Promise<string[]> {
  const names = opts.targetName ?? [];
  if (names.length === 0)
    throw new UpdateError('TARGET_NOT_FOUND', 'download needs at least one --target-name');
  if (!opts.targetDir) throw new UpdateError('TARGET_NOT_FOUND', 'download needs --target-dir');
  const targetDir = opts.targetDir;
  const session = await clientFor(opts, log).refresh();
  const written: string[] = [];
  const partialDir = join(targetDir, '.partial');
  for (const name of names) {
    const t = await session.target(name);
    if (!t) throw new UpdateError('TARGET_NOT_FOUND', `no trusted role lists target ${name}`);
    const file = join(targetDir, encodeURIComponent(name));
    const present = await hashFile(file).catch(() => undefined);
    if (present && present.sha256 === t.sha256 && present.length === t.length) continue;
    await mkdir(targetDir, { recursive: true });
    const partial = join(partialDir, t.sha256);
    await downloadResumable(t.url, t, partial);
    await rename(partial, file);
    await fsyncDir(targetDir);
    written.push(file);
  }
  await rmdir(partialDir).catch(() => undefined); // only removed when empty; a kept partial resumes next time
  return written;
}

function clientFor(opts: TufClientCliOptions, log: Logger): TufClient {
  if (!opts.metadataUrl) throw new UpdateError('DOWNLOAD_FAILED', 'missing --metadata-url');
  return new TufClient(
    { dir: opts.metadataDir, metadataUrl: opts.metadataUrl, targetBaseUrl: opts.targetBaseUrl ?? '' },
    log,
  );
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTufClientCommands(program: Command): void {
  const cmd = program
    .command('tuf-client')
    .description('TUF conformance client (init, refresh, download) on the device update client')
    .requiredOption('--metadata-dir <dir>', 'directory of trusted metadata')
    .option('--metadata-url <url>', 'repository metadata base URL')
    .option('--target-name <path>', 'target path to download (repeatable, in order)', collect)
    .option('--target-base-url <url>', 'repository targets base URL')
    .option('--target-dir <dir>', 'where downloaded artifacts are stored');
  const run = (fn: (opts: TufClientCliOptions, log: Logger) => Promise<void> | void) => async () => {
    const log = createLogger('cli:tuf-client');
    try {
      await fn(cmd.opts<TufClientCliOptions>(), log);
    } catch (err) {
      const msg = isGatecastError(err) ? `${err.message}` : err instanceof Error ? err.message : String(err);
      process.stderr.write(`gatecast tuf-client: ${msg}\n`);
      process.exitCode = 1;
    }
  };
  cmd
    .command('init <rootFile>')
    .description('install the trusted root.json (no network)')
    .action((rootFile: string) => run((o, log) => tufClientInit(o, rootFile, log))());
  cmd
    .command('refresh')
    .description('refresh top-level metadata; exit 0 only if it fully succeeded')
    .action(run(tufClientRefresh));
  cmd
    .command('download')
    .description('refresh, then download each --target-name in order; exit 1 on the first failure')
    .action(
      run(async (o, log) => {
        await tufClientDownload(o, log);
      }),
    );
}
