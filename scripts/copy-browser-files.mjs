/**
 * The build's second step (after tsc): copies the dashboard pages' browser code and stylesheets,
 * `sync-server/<feature>/browser/`, into dist/ at the same relative paths, so the server run from
 * dist/ serves them (sync-server/dashboard/browser-files.ts resolves them next to itself). They are
 * plain browser files: tsc type-checks them (tsconfig.browser.json) but does not emit them.
 *
 * The player's page (`player/page/`: index.html, player.js, player.css) goes to dist/player/page/
 * the same way: a release (`gatecast release build`) holds dist/ and not the source tree, and its
 * daemon serves the page from beside player/page-server.js.
 */
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const served = /^[A-Za-z0-9][\w.-]*\.(?:js|css)$/;

for (const feature of readdirSync(join(root, 'sync-server'), { withFileTypes: true })) {
  if (!feature.isDirectory()) continue;
  const from = join(root, 'sync-server', feature.name, 'browser');
  let files;
  try {
    files = readdirSync(from).filter((f) => served.test(f));
  } catch (err) {
    if (err.code === 'ENOENT') continue; // this feature has no browser code
    throw err;
  }
  const to = join(root, 'dist', 'sync-server', feature.name, 'browser');
  rmSync(to, { recursive: true, force: true });
  for (const f of files) cpSync(join(from, f), join(to, f));
}

const playerPage = join(root, 'player', 'page');
const playerPageTo = join(root, 'dist', 'player', 'page');
rmSync(playerPageTo, { recursive: true, force: true });
for (const f of readdirSync(playerPage).filter((f) => /^[A-Za-z0-9][\w.-]*\.(?:html|js|css)$/.test(f)))
  cpSync(join(playerPage, f), join(playerPageTo, f));
