import { lstat, mkdir, readFile, readlink, symlink, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Run } from '../device/display/display-power.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { coded } from '../protocol/errors.js';

/** A system command provisioning needed failed. */
export class SystemCommandError extends coded('PROVISION_COMMAND_FAILED') {}

export type WriteOutcome = 'written' | 'unchanged';

/**
 * Where provisioning makes its changes. `SystemTarget` is the real box (runs timedatectl, systemctl,
 * useradd); `RootedTarget` writes the same files under a directory and replaces each command by the
 * file it would have changed, so tests and `--root` never touch the host.
 */
export interface ProvisionTarget {
  readonly root: string;
  readonly isRooted: boolean;
  /** Absolute path on the target (root-prefixed). */
  path(p: string): string;
  /** Atomic write; skipped (no SD write) when the content is already there. */
  writeFile(p: string, data: string, mode?: number): Promise<WriteOutcome>;
  readFile(p: string): Promise<string | undefined>;
  exists(p: string): Promise<boolean>;
  currentTimezone(): Promise<string | undefined>;
  setTimezone(tz: string): Promise<void>;
  isUnitEnabled(unit: string, wantedBy: string): Promise<boolean>;
  enableUnit(unit: string, wantedBy: string): Promise<void>;
  daemonReload(): Promise<void>;
  /** UID of a user, or undefined when there is none. */
  userId(name: string): Promise<number | undefined>;
  /** chown (a real system only: under a root directory the users do not exist). */
  chown(p: string, owner: string, group: string, recursive?: boolean): Promise<void>;
  /** Creates the system user (with home, in these groups) when missing. */
  ensureUser(name: string, groups: readonly string[]): Promise<'created' | 'exists' | 'not-applicable'>;
}

abstract class FileTarget {
  abstract readonly root: string;
  path(p: string): string {
    return join(this.root, p);
  }
  async writeFile(p: string, data: string, mode = 0o644): Promise<WriteOutcome> {
    if ((await this.readFile(p)) === data) return 'unchanged';
    await writeFileAtomic(this.path(p), data, mode);
    return 'written';
  }
  async readFile(p: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(p), 'utf8');
    } catch {
      return undefined;
    }
  }
  async exists(p: string): Promise<boolean> {
    return lstat(this.path(p)).then(
      () => true,
      () => false,
    );
  }
}

export class SystemTarget extends FileTarget implements ProvisionTarget {
  readonly root = '/';
  readonly isRooted = false;

  constructor(private readonly run: Run) {
    super();
  }

  private async must(cmd: string, args: string[]): Promise<string> {
    const r = await this.run(cmd, args);
    if (r.code !== 0)
      throw new SystemCommandError(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  async currentTimezone(): Promise<string | undefined> {
    const r = await this.run('timedatectl', ['show', '-p', 'Timezone', '--value']);
    return r.code === 0 ? r.stdout.trim() || undefined : undefined;
  }
  async setTimezone(tz: string): Promise<void> {
    await this.must('timedatectl', ['set-timezone', tz]);
  }
  async isUnitEnabled(unit: string): Promise<boolean> {
    const r = await this.run('systemctl', ['is-enabled', unit]);
    return r.code === 0 && r.stdout.trim() === 'enabled';
  }
  async enableUnit(unit: string): Promise<void> {
    await this.must('systemctl', ['enable', unit]);
  }
  async daemonReload(): Promise<void> {
    await this.must('systemctl', ['daemon-reload']);
  }
  async userId(name: string): Promise<number | undefined> {
    const r = await this.run('id', ['-u', name]);
    return r.code === 0 ? Number(r.stdout.trim()) : undefined;
  }
  async chown(p: string, owner: string, group: string, recursive = false): Promise<void> {
    await this.must('chown', [...(recursive ? ['-R'] : []), `${owner}:${group}`, p]);
  }
  async ensureUser(name: string, groups: readonly string[]): Promise<'created' | 'exists'> {
    if ((await this.userId(name)) !== undefined) {
      // make sure an existing user is in the groups (idempotent)
      await this.must('usermod', ['-a', '-G', groups.join(','), name]);
      return 'exists';
    }
    // a real login shell: lightdm's autologin session runs as this user
    await this.must('useradd', [
      '--system',
      '--create-home',
      '--shell',
      '/bin/bash',
      '--groups',
      groups.join(','),
      name,
    ]);
    return 'created';
  }
}

/** Everything under `root`; commands become the files they would have written. */
export class RootedTarget extends FileTarget implements ProvisionTarget {
  readonly isRooted = true;

  constructor(readonly root: string) {
    super();
  }

  async currentTimezone(): Promise<string | undefined> {
    return (await this.readFile('/etc/timezone'))?.trim() || undefined;
  }
  /** What timedatectl does on Debian: /etc/localtime → zoneinfo, and /etc/timezone. */
  async setTimezone(tz: string): Promise<void> {
    await this.writeFile('/etc/timezone', `${tz}\n`);
    await this.replaceLink('/etc/localtime', `/usr/share/zoneinfo/${tz}`);
  }
  async isUnitEnabled(unit: string, wantedBy: string): Promise<boolean> {
    try {
      return (
        (await readlink(this.path(`/etc/systemd/system/${wantedBy}.wants/${unit}`))) ===
        `/etc/systemd/system/${unit}`
      );
    } catch {
      return false;
    }
  }
  /** What `systemctl enable` does for [Install] WantedBy=: a symlink in the target's .wants. */
  async enableUnit(unit: string, wantedBy: string): Promise<void> {
    await this.replaceLink(`/etc/systemd/system/${wantedBy}.wants/${unit}`, `/etc/systemd/system/${unit}`);
  }
  async daemonReload(): Promise<void> {
    // nothing runs under a root directory; systemd reads the files when the image boots
  }
  async userId(name: string): Promise<number | undefined> {
    const passwd = await this.readFile('/etc/passwd');
    const line = passwd?.split('\n').find((l) => l.startsWith(`${name}:`));
    return line ? Number(line.split(':')[2]) : undefined;
  }
  async chown(): Promise<void> {
    // ownership is set when the image is installed on a box (the users exist only there)
  }
  async ensureUser(): Promise<'not-applicable'> {
    return 'not-applicable';
  }

  private async replaceLink(p: string, to: string): Promise<void> {
    const at = this.path(p);
    try {
      if ((await readlink(at)) === to) return;
      await unlink(at);
    } catch {
      // not there, or not a link we made: (re)create below
      await unlink(at).catch(() => undefined);
    }
    await mkdir(dirname(at), { recursive: true });
    await symlink(to, at);
  }
}
