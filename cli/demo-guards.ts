/**
 * What `gatecast demo` checks before it touches anything: that its port is free (said in one line,
 * with how to pick another), and that the folder it is about to wipe is one it made itself (a
 * marker file inside); and how to write the `gatecast` commands it prints so that they run here.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coded } from '../protocol/errors.js';

/** The file that marks a folder as made by the demo (and so the demo's to wipe). */
export const DEMO_MARKER = '.gatecast-demo';

export class DemoPortBusyError extends coded('DEMO_PORT_BUSY') {}
export class DemoDirError extends coded('DEMO_DIR_NOT_OURS') {}

export class DemoOptionError extends coded('DEMO_OPTION_INVALID') {}

export function portBusyMessage(
  host: string,
  port: number,
  why = 'another program is listening there',
): string {
  const other = port < 65535 ? port + 1 : 8080;
  return `port ${port} on ${host} is busy (${why}): pick another with --port ${other}, or --port 0 for any free port`;
}

/** Throws DemoPortBusyError when `port` on `host` cannot be listened on; port 0 is always free. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new DemoOptionError(
      `--port must be a whole number from 0 to 65535 (0: any free port), not "${port}"`,
    );
  if (port === 0) return;
  await new Promise<void>((resolveFree, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'another program is listening there'
          : err.code === 'EACCES'
            ? 'this user may not listen on it'
            : (err.code ?? err.message);
      reject(new DemoPortBusyError(portBusyMessage(host, port, why), { cause: err }));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolveFree()));
  });
}

/**
 * Makes `dir` an empty folder owned by the demo: creates it (with the marker), or empties it when
 * it is empty already or carries the marker. Any other existing path is left untouched and refused.
 */
export function prepareDemoDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new DemoDirError(`${dir} exists and is not a folder; nothing was deleted. Pick another --dir.`);
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(DEMO_MARKER))
      throw new DemoDirError(
        `${dir} exists and was not made by gatecast demo (no ${DEMO_MARKER} file in it); nothing was deleted. ` +
          'Pick another --dir, or remove that folder yourself.',
      );
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, DEMO_MARKER), 'Made by gatecast demo, which empties this folder at each start.\n');
}

/** This checkout's root: the nearest folder above this module holding bin/gatecast.js. */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'gatecast.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bin/gatecast.js not found above the demo module');
    dir = up;
  }
  return dir;
}

const realpath = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/** `p` relative to `cwd` when it lies below it, else absolute. */
export function shownPath(p: string, cwd = process.cwd()): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/**
 * How to run this checkout's `gatecast` from `cwd`: `gatecast` when the first `gatecast` on PATH
 * is this checkout's (after `npm link`), else `node <path>/bin/gatecast.js`.
 */
export function gatecastCommand(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const bin = join(checkoutRoot(), 'bin', 'gatecast.js');
  for (const d of (env['PATH'] ?? '').split(delimiter)) {
    if (!d) continue;
    const found = realpath(join(d, 'gatecast'));
    if (found === undefined) continue;
    if (found === realpath(bin)) return 'gatecast';
    break; // another gatecast comes first on PATH: not this checkout's
  }
  return `node ${shownPath(bin, cwd)}`;
}
