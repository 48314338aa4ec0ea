import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Path of systemd-analyze, or undefined; the content checks run either way. */
function systemdAnalyze(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Runs `systemd-analyze verify` on one unit file; `ran` says whether the tool was there. */
export function verifyUnit(dir: string, name: string): { ran: boolean; output: string; ok: boolean } {
  const tool = systemdAnalyze();
  if (!tool) return { ran: false, output: 'systemd-analyze not installed: content checks only', ok: true };
  const r = spawnSync(tool, ['verify', '--man=no', join(dir, name)], { encoding: 'utf8', cwd: dir });
  const output = `${r.stdout}${r.stderr}`;
  // verify also reports the host's own broken units; keep only lines about ours
  const ours = output.split('\n').filter((l) => l.includes(name) || l.includes(dir));
  return { ran: true, output: ours.join('\n'), ok: r.status === 0 || ours.length === 0 };
}
