/**
 * Runs the built `gatecast` (dist/cli/gatecast.js) as its own process, as a person would: exit
 * codes, stdout and stderr are the real ones. Build first: `npx tsc -p tsconfig.build.json &&
 * node scripts/copy-browser-files.mjs`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const GATECAST_JS = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'gatecast.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runGatecast(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): CliRun {
  if (!existsSync(GATECAST_JS))
    throw new Error(`${GATECAST_JS} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const r = spawnSync(process.execPath, [GATECAST_JS, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * As `runGatecast`, without blocking this process: for a CLI that talks to a server running in the
 * test's own process.
 */
export function runGatecastAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  if (!existsSync(GATECAST_JS))
    throw new Error(`${GATECAST_JS} is missing: build first (npx tsc -p tsconfig.build.json)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GATECAST_JS, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
