import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DaemonUnitParams,
  releaseRootOf,
  renderDaemonUnit,
  renderHardwareWatchdogDropIn,
  renderJournaldDropIn,
} from '../../../provisioning/units/daemon-unit.js';
import {
  renderLabwcAutostart,
  renderLightdmAutologin,
  renderX11Autostart,
} from '../../../provisioning/units/kiosk-session.js';
import { verifyUnit } from '../../helpers/systemd.js';
import { tempDir } from '../../helpers/temp.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const params: DaemonUnitParams = {
  nodePath: process.execPath,
  cliPath: join(repo, 'bin', 'gatecast.js'),
  daemonArgs: ['daemon', '--config', '/etc/gatecast/device.json'],
  user: 'gatecast',
  group: 'gatecast',
  dataDir: '/var/lib/gatecast',
  configDir: '/etc/gatecast',
  watchdogSec: 30,
  sessionUid: 1001,
  session: 'wayland',
  usesGpio: true,
};

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe('systemd units', () => {
  it('renders the daemon unit with notify, watchdog, restart and hardening', () => {
    const u = renderDaemonUnit(params);
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'Restart=always',
      'WatchdogSec=30s',
      'User=gatecast',
      'StateDirectory=gatecast',
      'StandardOutput=journal',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'ReadWritePaths=-/run/user/1001',
      'Environment=NODE_ENV=production HOME=/var/lib/gatecast XDG_RUNTIME_DIR=/run/user/1001 WAYLAND_DISPLAY=wayland-0',
      'WantedBy=multi-user.target',
      `ExecStart=${process.execPath} ${params.cliPath} daemon --config /etc/gatecast/device.json`,
    ])
      expect(u.split('\n')).toContain(line);
    expect(u).not.toContain('ProtectKernelTunables=yes');
    expect(renderDaemonUnit({ ...params, usesGpio: false })).toContain('ProtectKernelTunables=yes');
    // Chromium needs its JIT and its namespace sandbox
    expect(u).not.toMatch(/MemoryDenyWriteExecute|RestrictNamespaces/);
    // any DeviceAllow (ProtectClock implies one) would shut out /dev/dri, /dev/cec0 and GPIO
    expect(u).not.toMatch(/^(ProtectClock|DeviceAllow|PrivateDevices)=/m);
  });

  it('a data dir outside /var/lib becomes a ReadWritePaths entry, quoted when needed', () => {
    const u = renderDaemonUnit({
      ...params,
      dataDir: '/srv/gate cast',
      session: 'x11',
      sessionUid: undefined,
    });
    expect(u).toContain('ReadWritePaths="/srv/gate cast"');
    expect(u).not.toContain('StateDirectory=');
    expect(u).toContain(
      'Environment=NODE_ENV=production "HOME=/srv/gate cast" DISPLAY=:0 XAUTHORITY=/home/gatecast/.Xauthority',
    );
  });

  it('in an A/B release layout runs the current release and checks the start from the committed one', () => {
    const cliPath = '/opt/gatecast/releases/1.4.0/dist/cli/gatecast.js';
    expect(releaseRootOf(cliPath)).toBe('/opt/gatecast');
    expect(releaseRootOf(params.cliPath)).toBeUndefined();
    const u = renderDaemonUnit({ ...params, cliPath, releaseRoot: '/opt/gatecast' });
    expect(u).toContain(
      `ExecStartPre=-${process.execPath} /opt/gatecast/committed/dist/cli/gatecast.js release start-check --config /etc/gatecast/device.json`,
    );
    expect(u).toContain(
      `ExecStart=${process.execPath} /opt/gatecast/current/dist/cli/gatecast.js daemon --config /etc/gatecast/device.json`,
    );
    expect(u).toContain('ReadWritePaths=/opt/gatecast');
    expect(u).toContain('Restart=always');
    // the start-up check paces restarts (at once after a switch, backed off in a crash loop)
    expect(u.split('\n')).toContain('RestartSec=100ms');
    expect(renderDaemonUnit(params)).not.toContain('ExecStartPre');
    expect(renderDaemonUnit(params).split('\n')).toContain('RestartSec=5s');
  });

  it('passes systemd-analyze verify where the tool exists', () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.path, 'gatecast.service'), renderDaemonUnit(params));
    const v = verifyUnit(dir.path, 'gatecast.service');
    expect(v.output).toBe(v.ran ? '' : 'systemd-analyze not installed: content checks only');
    expect(v.ok).toBe(true);
    // the A/B unit too (its ExecStartPre, RestartSec=100ms)
    writeFileSync(
      join(dir.path, 'gatecast-ab.service'),
      renderDaemonUnit({ ...params, releaseRoot: '/opt/gatecast' }),
    );
    const ab = verifyUnit(dir.path, 'gatecast-ab.service');
    expect(ab.output).toBe(v.ran ? '' : 'systemd-analyze not installed: content checks only');
    expect(ab.ok).toBe(true);
    if (v.ran) {
      // and a broken unit is caught, so the check above is not vacuous
      writeFileSync(
        join(dir.path, 'broken.service'),
        renderDaemonUnit(params).replace('Type=notify', 'Type=notifyy'),
      );
      expect(verifyUnit(dir.path, 'broken.service').output).toMatch(/Type|notifyy|Failed to parse/i);
    }
  });

  it('renders journald and hardware watchdog drop-ins', () => {
    expect(renderJournaldDropIn()).toMatch(/\[Journal\]\nSystemMaxUse=64M/);
    expect(renderHardwareWatchdogDropIn()).toContain('[Manager]\nRuntimeWatchdogSec=14s');
  });

  it('renders the kiosk session for labwc and X11', () => {
    const w = { user: 'gatecast', session: 'wayland' as const };
    expect(renderLightdmAutologin(w)).toContain(
      'autologin-user=gatecast\nautologin-user-timeout=0\nautologin-session=LXDE-pi-labwc',
    );
    expect(renderLightdmAutologin({ ...w, session: 'x11' })).toContain('autologin-session=LXDE-pi-x');
    expect(renderLabwcAutostart(w)).toBe(
      "# Written by `gatecast provision`; rewritten on each run.\nwlopm --on '*' &\n",
    );
    expect(
      renderLabwcAutostart({ ...w, kioskCommand: ['chromium', '--kiosk', 'http://127.0.0.1:8080/?a=b c'] }),
    ).toContain("lwrespawn chromium --kiosk 'http://127.0.0.1:8080/?a=b c' &");
    const x = renderX11Autostart({ ...w, session: 'x11' });
    expect(x).toContain('@xset s off\n@xset s noblank\n@xset dpms 0 0 0');
    expect(x).not.toMatch(/swayidle|-dpms/);
  });
});
