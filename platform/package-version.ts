/**
 * gatecast's version, from the nearest package.json above a module: source (platform/) and built
 * (dist/platform/) layouts sit at different depths, so the file is looked for rather than assumed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `version` of the nearest package.json at or above `from`'s folder (default: this module's), or
 * undefined when there is none or it cannot be read, parsed or has no string version. Callers decide
 * what to say then; the version is informational and never worth a crash.
 */
export function packageVersion(from: string | URL = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    let text: string;
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined; // there but unreadable
      text = '';
    }
    if (text !== '') {
      try {
        const version = (JSON.parse(text) as { version?: unknown }).version;
        return typeof version === 'string' ? version : undefined;
      } catch {
        return undefined; // the nearest package.json is the package's; a broken one is not skipped
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
