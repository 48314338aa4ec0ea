/**
 * The kiosk session: lightdm logs the kiosk user into labwc (Wayland) or LXDE (X11) with no password,
 * so the daemon has a display for Chromium. Pure templates; provisioning writes them.
 */

export interface KioskParams {
  user: string;
  session: 'wayland' | 'x11';
  /**
   * A command the session itself keeps running. Absent when the daemon launches Chromium itself
   * (always, today: the player drives it over a pipe; never give Chromium a DevTools port here).
   */
  kioskCommand?: readonly string[];
}

const shq = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * lightdm drop-in. Session names: LXDE-pi-labwc is what raspi-config selects for labwc [V];
 * LXDE-pi-x for X11 and lightdm reading /etc/lightdm/lightdm.conf.d on Pi OS are [U]
 * (docs/field-notes.md §1).
 */
export function renderLightdmAutologin(p: KioskParams): string {
  const session = p.session === 'wayland' ? 'LXDE-pi-labwc' : 'LXDE-pi-x';
  return [
    '# Written by `gatecast provision`: log the kiosk user in at boot.',
    '[Seat:*]',
    `autologin-user=${p.user}`,
    'autologin-user-timeout=0',
    `autologin-session=${session}`,
    `user-session=${session}`,
    '',
  ].join('\n');
}

/**
 * ~/.config/labwc/autostart of the kiosk user. Pi OS reportedly runs `labwc -m`, so this adds to the
 * system autostart rather than replacing it [U] (labwc-config(5) [V]; docs/field-notes.md §1). No
 * swayidle: when the screen sleeps is the display schedule's decision (wlopm), never idle time.
 */
export function renderLabwcAutostart(p: KioskParams): string {
  const lines = ['# Written by `gatecast provision`; rewritten on each run.', "wlopm --on '*' &"];
  // lwrespawn restarts the command if it exits, as the system autostart does for its own programs [R]
  if (p.kioskCommand?.length) lines.push(`lwrespawn ${p.kioskCommand.map(shq).join(' ')} &`);
  return `${lines.join('\n')}\n`;
}

/**
 * ~/.config/lxsession/LXDE-pi/autostart for an X11 session [U: path as used by Pi OS's LXDE-pi].
 * The screen saver is off and DPMS stays enabled with no timeouts, so only the schedule's
 * `xset dpms force off` blanks the screen.
 */
export function renderX11Autostart(p: KioskParams): string {
  const lines = [
    '# Written by `gatecast provision`; rewritten on each run.',
    '@xset s off',
    '@xset s noblank',
    '@xset dpms 0 0 0',
  ];
  if (p.kioskCommand?.length) lines.push(`@${p.kioskCommand.map(shq).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
