/**
 * `npm run bench -- NAME [options]` runs bench/NAME.ts alone. Each benchmark measures its baseline in
 * the same run and ends with one line:
 *   NAME: <value> <unit> (baseline <value>, ratio <r>, goal <goal>)
 * Files ending in -lib or .worker (and lib itself) are parts of benchmarks, not benchmarks.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter(
    (f) =>
      f.endsWith('.js') &&
      !['run.js', 'lib.js'].includes(f) &&
      !f.endsWith('-lib.js') &&
      !f.endsWith('.worker.js'),
  )
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(
    `usage: npm run bench -- NAME [options]\n${name ? `unknown benchmark "${name}". ` : ''}available: ${available.join(', ') || '(none)'}\n`,
  );
  process.exit(2);
}
const mod = (await import(`./${name}.js`)) as { default: (args: string[]) => Promise<void> };
await mod.default(args);
