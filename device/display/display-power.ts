import { coded } from '../../protocol/errors.js';

export type PowerState = 'on' | 'off';

/** Switches the screen on and off. `state()` asks the hardware where it can, else the last set state. */
export interface DisplayPower {
  /** Adapter name for health reports and the self-test: 'cec', 'wayland', 'x11', 'vcgencmd', 'relay', 'memory'. */
  readonly name: string;
  set(state: PowerState): Promise<void>;
  state(): Promise<PowerState | 'unknown'>;
}

/** A display power command failed or is not supported here. */
export class DisplayPowerError extends coded('DISPLAY_POWER_FAILED') {}

/** This screen has no display power control at all (none was detected or configured); says why. */
export class DisplayUnsupportedError extends coded('DISPLAY_POWER_UNSUPPORTED') {}
export const isDisplayUnsupportedError = (e: unknown): e is DisplayUnsupportedError =>
  e instanceof DisplayUnsupportedError;

/** Result of running an external command; a non-zero `code` is not thrown, adapters decide. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with an argv (never a shell); injected so tests check the exact arguments. */
export type Run = (cmd: string, args: readonly string[]) => Promise<RunResult>;
