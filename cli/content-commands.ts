import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseBundleManifest } from '../protocol/content.js';
import { ContentError } from '../protocol/errors.js';

export function registerContentCommands(program: Command): void {
  program
    .command('check-content')
    .description('Check a bundle manifest (items, playlists, schedule) against the content model')
    .argument('<file>', 'bundle.json to check')
    .action(async (file: string) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new ContentError(`${file}: cannot read JSON (${(err as Error).message})`, [], { cause: err });
      }
      const m = parseBundleManifest(raw);
      process.stdout.write(
        `${file}: ok — ${m.items.length} items, ${m.playlists.length} playlists, ${m.schedule.entries.length} schedule entries\n`,
      );
    });
}
