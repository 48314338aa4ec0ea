import { execFile } from 'node:child_process';
import type { Run } from './display-power.js';

/**
 * The real `Run`: execFile (no shell, so `*` reaches wlopm literally), with a timeout so a stuck
 * CEC bus cannot hang the caller. A missing binary comes back as code 127.
 */
export function execRun(timeoutMs = 10_000, env?: NodeJS.ProcessEnv): Run {
  return (cmd, args) =>
    new Promise((resolve) => {
      execFile(cmd, [...args], { timeout: timeoutMs, env, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        const code = typeof e.code === 'number' ? e.code : e.code === 'ENOENT' ? 127 : 1;
        resolve({ code, stdout: stdout ?? '', stderr: stderr || e.message });
      });
    });
}
