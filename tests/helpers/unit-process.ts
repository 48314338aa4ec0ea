/**
 * A screen's daemon run as its systemd unit runs it (provisioning/units/daemon-unit.ts), with real
 * processes: each start runs ExecStartPre (`committed/dist/cli/gatecast.js release start-check`, its
 * failure ignored) and then ExecStart (`current/dist/cli/gatecast.js daemon`), both under one
 * INVOCATION_ID; whatever way the daemon leaves, it is started again after `restartDelayMs`
 * (Restart=always, RestartSec: 100 ms in the A/B unit, whose check then paces the start itself).
 * `stop()` is `systemctl stop`: SIGTERM, no restart.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface UnitStart {
  /** systemd's INVOCATION_ID of this start. */
  invocationId: string;
  /** What ExecStartPre's check said ("count-start", "rollback", …), or null when it did not run. */
  check: string | null;
  /** How long ExecStartPre's check paced this start (device/release/start-pacing.ts). */
  waitMs: number;
  /** The release `current` named when ExecStart ran (its directory's name). */
  version: string | null;
  /** When ExecStart spawned the daemon (0 until then). */
  spawnedAtMs: number;
  exitedAtMs: number | null;
  exitCode: number | null;
}

export class SimulatedUnit {
  readonly starts: UnitStart[] = [];
  #child: ChildProcess | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #output = '';
  #wake: (() => void) | undefined;

  constructor(
    private readonly o: {
      name: string;
      /** The release root (/opt/gatecast): holds the `current` and `committed` links. */
      root: string;
      configPath: string;
      restartDelayMs: number;
      env?: NodeJS.ProcessEnv;
    },
  ) {}

  /** The last 64 KiB of what the unit's processes wrote (journald), for failure messages. */
  get output(): string {
    return this.#output;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#child?.kill('SIGTERM');
    await this.#loop;
  }

  #log(text: string): void {
    this.#output = (this.#output + text).slice(-65_536);
  }

  async #run(): Promise<void> {
    const env = { ...this.o.env, NODE_ENV: 'production' };
    for (let n = 1; !this.#stopped; n++) {
      const invocationId = `${this.o.name}-${n}`;
      const start: UnitStart = {
        invocationId,
        check: null,
        waitMs: 0,
        version: null,
        spawnedAtMs: 0,
        exitedAtMs: null,
        exitCode: null,
      };
      this.starts.push(start);
      const pre = join(this.o.root, 'committed', 'dist', 'cli', 'gatecast.js');
      if (existsSync(pre)) {
        const said = await new Promise<string>((resolve) =>
          execFile(
            process.execPath,
            [pre, 'release', 'start-check', '--config', this.o.configPath],
            { encoding: 'utf8', env: { ...env, INVOCATION_ID: invocationId }, timeout: 60_000 },
            (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
          ),
        );
        this.#log(said);
        start.check = /^release check: ([a-z-]+);/m.exec(said)?.[1] ?? null;
        start.waitMs = Number(/^release check: .*; waiting (\d+) ms/m.exec(said)?.[1] ?? 0);
      }
      if (this.#stopped) break;
      start.spawnedAtMs = Date.now();
      start.version = basename(readlinkSync(join(this.o.root, 'current')));
      const child = spawn(
        process.execPath,
        [join(this.o.root, 'current', 'dist', 'cli', 'gatecast.js'), 'daemon', '--config', this.o.configPath],
        { env: { ...env, INVOCATION_ID: invocationId }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      this.#child = child;
      child.stdout!.setEncoding('utf8').on('data', (c: string) => this.#log(c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => this.#log(c));
      start.exitCode = await new Promise<number | null>((resolve) => {
        child.on('error', (err) => {
          this.#log(`spawn failed: ${err.message}\n`);
          resolve(null);
        });
        child.on('close', (code) => resolve(code));
      });
      start.exitedAtMs = Date.now();
      this.#child = undefined;
      if (this.#stopped) break;
      // RestartSec: real time between two starts, as systemd waits it (stop() cuts it short).
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, this.o.restartDelayMs);
      });
      this.#wake = undefined;
    }
  }
}
