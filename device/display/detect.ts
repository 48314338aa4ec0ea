import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export type DisplayAdapterKind = 'cec' | 'wayland' | 'x11' | 'vcgencmd' | 'relay';
export type DisplayAdapterSetting = DisplayAdapterKind | 'auto' | 'none';

/** What start-up found on this machine; gathered by `gatherDisplayFacts`, decided on by `pickDisplayAdapter`. */
export interface DisplayFacts {
  hasCecCtl: boolean;
  hasCecDevice: boolean;
  hasWlopm: boolean;
  hasXset: boolean;
  hasVcgencmd: boolean;
  /** A DRM/KMS driver is in use (then vcgencmd display_power does not work). */
  isKms: boolean;
  waylandDisplay: string | undefined;
  x11Display: string | undefined;
  hasRelay: boolean;
}

export type DisplayChoice = { kind: DisplayAdapterKind; why: string } | { kind: 'none'; why: string };

/**
 * Picks the adapter. Auto order: a configured relay (someone wired it on purpose), then the session's
 * own DPMS (Wayland, X11: works with any monitor), then CEC (TVs; /dev/cec0 exists on every Pi even
 * when the screen ignores CEC, so it comes after DPMS), then vcgencmd on a non-KMS system.
 * An explicit setting is honoured even when its tool looks missing: the technician knows better,
 * and the self-test will say if it fails.
 */
export function pickDisplayAdapter(setting: DisplayAdapterSetting, f: DisplayFacts): DisplayChoice {
  if (setting === 'none') return { kind: 'none', why: 'display.powerAdapter is "none"' };
  if (setting !== 'auto') return { kind: setting, why: `display.powerAdapter is "${setting}"` };
  if (f.hasRelay) return { kind: 'relay', why: 'a relay pin is configured' };
  if (f.waylandDisplay && f.hasWlopm)
    return { kind: 'wayland', why: `WAYLAND_DISPLAY=${f.waylandDisplay} and wlopm` };
  if (f.x11Display && f.hasXset) return { kind: 'x11', why: `DISPLAY=${f.x11Display} and xset` };
  if (f.hasCecDevice && f.hasCecCtl) return { kind: 'cec', why: '/dev/cec0 and cec-ctl' };
  if (f.hasVcgencmd && !f.isKms) return { kind: 'vcgencmd', why: 'vcgencmd on a non-KMS system' };
  const missing = [
    f.waylandDisplay && !f.hasWlopm ? 'wlopm (apt install wlopm)' : '',
    f.x11Display && !f.hasXset ? 'xset (apt install x11-xserver-utils)' : '',
    f.hasCecDevice && !f.hasCecCtl ? 'cec-ctl (apt install v4l-utils)' : '',
  ].filter(Boolean);
  return {
    kind: 'none',
    why: missing.length
      ? `no usable tool; missing ${missing.join(', ')}`
      : 'no display session, CEC device or relay',
  };
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

async function onPath(cmd: string, pathVar: string): Promise<boolean> {
  for (const dir of pathVar.split(delimiter).filter(Boolean)) if (await exists(join(dir, cmd))) return true;
  return false;
}

/** Reads the facts from `env` (main.ts passes process.env) and the filesystem under `root`. */
export async function gatherDisplayFacts(
  env: Record<string, string | undefined>,
  hasRelay: boolean,
  root = '/',
): Promise<DisplayFacts> {
  const path = env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin';
  const [hasCecCtl, hasCecDevice, hasWlopm, hasXset, hasVcgencmd, isKms] = await Promise.all([
    onPath('cec-ctl', path),
    exists(join(root, 'dev/cec0')),
    onPath('wlopm', path),
    onPath('xset', path),
    onPath('vcgencmd', path),
    // vc4-kms-v3d exposes DRM connectors; the legacy firmware driver does not [U: Pi-specific check]
    exists(join(root, 'dev/dri/card0')).then(async (a) => a || exists(join(root, 'dev/dri/card1'))),
  ]);
  return {
    hasCecCtl,
    hasCecDevice,
    hasWlopm,
    hasXset,
    hasVcgencmd,
    isKms,
    waylandDisplay: env['WAYLAND_DISPLAY'] || undefined,
    x11Display: env['DISPLAY'] || undefined,
    hasRelay,
  };
}
