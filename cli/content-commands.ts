import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { Problem } from '../protocol/errors.js';
import { checkManifestText } from '../protocol/publish-api.js';
import { mediaFileProblems } from '../platform/media-files.js';

/** Exit codes of `gatecast check-content`. */
export const CHECK_CONTENT_EXIT = { ok: 0, problems: 1, unusable: 2 } as const;

const HELP_AFTER = `
Checks everything at once and lists every problem with its place in the file:
  - JSON syntax (line and column);
  - the content model: items, variants, playlists, schedule, emergencies;
  - references: playlist entries to items, the schedule to playlists, ids unique, media
    targets inside the site group;
  - time zones against the IANA database (e.g. "Asia/Ho_Chi_Minh", not "Asia/Hanoi");
  - language tags against BCP-47 and the gate languages (vi, km, lo, zh-Hans, en), with a
    hint for near misses ("kh": did you mean "km"?);
  - media files: each target <siteGroup>/<rest> must be the file <rest> next to the manifest,
    and be the type it claims by its bytes (an image item's file is an image, a .png is PNG).
The sync server runs the same checks on the manifest when a draft is created.

Exit codes:
  0  no problem found
  1  problems found (listed on stdout)
  2  usage error, or the file cannot be read
`;

export function registerContentCommands(program: Command): void {
  program
    .command('check-content')
    .description('Check a bundle manifest and its media files: every problem at once')
    .argument('<file>', 'bundle.json to check (its media files next to it)')
    .option('--json', 'print the result as one JSON object: { file, ok, problems: [{ path, message }] }')
    .addHelpText('after', HELP_AFTER)
    .exitOverride((err) => {
      // Help and version exit 0; every usage error exits 2, as documented.
      process.exit(err.exitCode === 0 ? 0 : CHECK_CONTENT_EXIT.unusable);
    })
    .action(async (file: string, o: { json?: boolean }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        process.stderr.write(`gatecast: cannot read ${file}: ${(err as Error).message}\n`);
        process.exitCode = CHECK_CONTENT_EXIT.unusable;
        return;
      }
      const checked = checkManifestText(undefined, text, file);
      const problems: Problem[] = [...checked.problems];
      if (checked.raw !== undefined)
        for (const p of await mediaFileProblems(checked.raw, dirname(file)))
          problems.push({ path: `${file}:${p.path}`, message: p.message });
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ file, ok: problems.length === 0, problems })}\n`);
      } else if (problems.length) {
        process.stdout.write(
          `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
            problems.map((p) => `  ${p.path}: ${p.message}\n`).join(''),
        );
      } else {
        const m = checked.manifest!;
        process.stdout.write(
          `${file}: ok — ${m.items.length} items, ${m.playlists.length} playlists, ${m.schedule.entries.length} schedule entries\n`,
        );
      }
      process.exitCode = problems.length ? CHECK_CONTENT_EXIT.problems : CHECK_CONTENT_EXIT.ok;
    });
}
