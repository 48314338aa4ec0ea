/**
 * `gatecast server backup --config F --out DIR` and `gatecast server restore --config F --from DIR`
 * (see sync-server/backup/sqlite-backup.ts). Backup is safe while the server runs; restore goes into
 * a fresh data directory, with the server stopped, and refuses a damaged backup without changing anything.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { systemClock } from '../protocol/clock.js';
import { ConfigError } from '../protocol/errors.js';
import { createBackup, restoreBackup } from '../sync-server/backup/sqlite-backup.js';
import { parseServerConfig } from '../sync-server/config/config.js';

/**
 * `--config` belongs to the `server` command (its own option, required there), which takes it from
 * anywhere on the line, so `gatecast server backup --config F` reaches the parent; read it from there.
 * For restore it names the target config, written from the backup when absent.
 */
function configOf(server: Command): string {
  return server.opts<{ config: string }>().config;
}

export function registerBackupCommands(program: Command): void {
  const server = program.commands.find((c) => c.name() === 'server');
  if (!server) throw new Error('register the server command first');
  server
    .command('backup')
    .description(
      'Back up the server databases, TUF repository and config into a new directory (safe while running)',
    )
    .requiredOption('--out <dir>', 'new backup directory (must not exist or be empty)')
    .action(async (so: { out: string }) => {
      const o = { ...so, config: configOf(server) };
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(o.config, 'utf8'));
      } catch (err) {
        throw new ConfigError(`${o.config}: cannot read JSON (${(err as Error).message})`, [], {
          cause: err,
        });
      }
      const r = await createBackup({
        config: parseServerConfig(raw),
        configFile: o.config,
        outDir: o.out,
        clock: systemClock,
      });
      const bytes = r.manifest.files.reduce((n, f) => n + f.size, 0);
      process.stdout.write(
        `backup written to ${r.outDir}: ${r.manifest.files.length} files, ${bytes} bytes\n`,
      );
    });
  server
    .command('restore')
    .description('Restore a verified backup into a fresh data directory (server stopped)')
    .requiredOption('--from <dir>', 'backup directory')
    .action((so: { from: string }) => {
      const o = { ...so, config: configOf(server) };
      const r = restoreBackup({ fromDir: o.from, configFile: o.config });
      process.stdout.write(
        `restored ${r.files} files into ${r.config.dataDir}${r.config.tuf ? ` and ${r.config.tuf.repoDir}` : ''}\n`,
      );
    });
}
