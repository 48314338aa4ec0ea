import type { DisplayPower, PowerState, Run, RunResult } from './display-power.js';
import { DisplayPowerError } from './display-power.js';

async function must(run: Run, what: string, cmd: string, args: readonly string[]): Promise<RunResult> {
  const r = await run(cmd, args);
  if (r.code !== 0)
    throw new DisplayPowerError(`${what}: ${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

/**
 * HDMI-CEC through cec-ctl (v4l-utils, in the Pi OS image). The adapter must claim a logical address
 * before it may send, so the first call registers as a playback device (cec-ctl(1);
 * docs/field-notes.md §2 [V]).
 * Which /dev/cecN is the HDMI port the screen is on (Pi 4 has two) is [U]: `display.cecDevice`.
 * Whether a given TV honours standby/image-view-on is up to the TV.
 */
export class CecDisplayPower implements DisplayPower {
  readonly name = 'cec';
  private claimed = false;

  constructor(
    private readonly run: Run,
    private readonly device = 0,
  ) {}

  async set(state: PowerState): Promise<void> {
    await this.claim();
    await must(this.run, 'CEC', 'cec-ctl', [
      `-d${this.device}`,
      '--to',
      '0',
      state === 'off' ? '--standby' : '--image-view-on',
    ]);
  }

  async state(): Promise<PowerState | 'unknown'> {
    await this.claim();
    const r = await this.run('cec-ctl', [`-d${this.device}`, '--to', '0', '--give-device-power-status']);
    if (r.code !== 0) return 'unknown';
    // cec-ctl prints "pwr-state: on (0x00)" / "standby (0x01)" [U: output format not checked on a TV]
    const m = /pwr-state:\s*(on|standby|to-on|to-standby)/i.exec(r.stdout);
    if (!m) return 'unknown';
    return m[1]!.toLowerCase().endsWith('on') ? 'on' : 'off';
  }

  private async claim(): Promise<void> {
    if (this.claimed) return;
    await must(this.run, 'CEC', 'cec-ctl', [`-d${this.device}`, '--playback']);
    this.claimed = true;
  }
}

/**
 * Wayland (labwc, wayfire) through wlopm: DPMS through wlr-output-power-management.
 * Not wlr-randr, although issue 6 names it: `wlr-randr --output … --off` is a modeset that removes the
 * output, which un-fullscreens the kiosk window and under wayfire logged the session out
 * (docs/field-notes.md §2: MMM-Pir#112, RDC#54, bf#67, bf#219). wlopm only blanks the output.
 * Known risks [R]: `wlopm --on` leaving the screen black (bf#329), labwc 0.20 losing the output.
 */
export class WlopmDisplayPower implements DisplayPower {
  readonly name = 'wayland';

  constructor(private readonly run: Run) {}

  async set(state: PowerState): Promise<void> {
    // '*' reaches wlopm literally: Run uses an argv, not a shell
    await must(this.run, 'Wayland', 'wlopm', [state === 'off' ? '--off' : '--on', '*']);
  }

  async state(): Promise<PowerState | 'unknown'> {
    const r = await this.run('wlopm', []);
    if (r.code !== 0) return 'unknown';
    // one line per output: "HDMI-A-1 on" [U: format read from wlopm's source, not run on a Pi]
    const states = r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[1])
      .filter((s): s is string => s === 'on' || s === 'off');
    if (states.length === 0) return 'unknown';
    return states.includes('on') ? 'on' : 'off';
  }
}

/** X11 sessions only: DPMS through xset (docs/field-notes.md §2 [R]). */
export class XsetDisplayPower implements DisplayPower {
  readonly name = 'x11';

  constructor(
    private readonly run: Run,
    private readonly display = ':0',
  ) {}

  async set(state: PowerState): Promise<void> {
    await must(this.run, 'X11', 'xset', ['-display', this.display, 'dpms', 'force', state]);
  }

  async state(): Promise<PowerState | 'unknown'> {
    const r = await this.run('xset', ['-display', this.display, 'q']);
    if (r.code !== 0) return 'unknown';
    const m = /Monitor is (On|Off|Standby|Suspend)/i.exec(r.stdout);
    if (!m) return 'unknown';
    return m[1]!.toLowerCase() === 'on' ? 'on' : 'off';
  }
}

/**
 * Legacy firmware display (non-KMS only). On KMS (every Bookworm/Trixie image) the command is
 * "not registered" (docs/field-notes.md §2: bf#63, bf#193 [V]); that case throws a named error.
 */
export class VcgencmdDisplayPower implements DisplayPower {
  readonly name = 'vcgencmd';

  constructor(private readonly run: Run) {}

  async set(state: PowerState): Promise<void> {
    const r = await this.run('vcgencmd', ['display_power', state === 'on' ? '1' : '0']);
    this.check(r);
  }

  async state(): Promise<PowerState | 'unknown'> {
    const r = await this.run('vcgencmd', ['display_power']);
    this.check(r);
    const m = /display_power=(-?\d)/.exec(r.stdout);
    if (!m) return 'unknown';
    return m[1] === '1' ? 'on' : m[1] === '0' ? 'off' : 'unknown';
  }

  private check(r: RunResult): void {
    if (/not registered/i.test(r.stdout + r.stderr))
      throw new DisplayPowerError(
        'vcgencmd display_power is not available under KMS (Bookworm and later); use cec, wayland or x11',
      );
    if (r.code !== 0)
      throw new DisplayPowerError(`vcgencmd display_power exited ${r.code}: ${r.stderr.trim()}`);
  }
}
