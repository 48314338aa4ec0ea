/**
 * ffmpeg and ffprobe as child processes: argument arrays (never a shell), a timeout that kills the
 * tool, stderr kept for the error, and ffmpeg's `-progress pipe:1` read as the job's progress.
 */
import { spawn } from 'node:child_process';
import { coded } from '../protocol/errors.js';

/** A media tool failed, timed out or could not be started; the message names the file and the tool's words. */
export class MediaToolError extends coded('MEDIA_NORMALISE_FAILED') {
  /** True when the tool could not be started at all (not installed): no verdict on the file. */
  notStarted = false;
}

export interface RunToolOptions {
  timeoutMs: number;
  /** ffmpeg `-progress pipe:1` only: called with the seconds of output written so far. */
  onProgressS?: (seconds: number) => void;
  /** What the run is about, for the error ("normalising vi.mp4"). */
  what: string;
}

const STDERR_KEEP = 4000;

/** Runs `cmd args…`; resolves with stdout, rejects with MediaToolError (exit code, signal or timeout). */
export function runTool(cmd: string, args: readonly string[], o: RunToolOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let pending = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (!o.onProgressS) {
        out += s;
        return;
      }
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^out_time_us=(\d+)/.exec(l);
        if (m) o.onProgressS(Number(m[1]) / 1e6);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err = (err + s).slice(-STDERR_KEEP);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      const failure = new MediaToolError(`${o.what}: cannot run ${cmd} (${e.message})`, { cause: e });
      failure.notStarted = true;
      reject(failure);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut)
        reject(new MediaToolError(`${o.what}: ${cmd} took longer than ${Math.round(o.timeoutMs / 1000)} s`));
      else if (code !== 0)
        reject(
          new MediaToolError(
            `${o.what}: ${cmd} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${err.trim().split('\n').slice(-3).join(' | ') || 'no message'}`,
          ),
        );
      else resolve(out);
    });
  });
}
