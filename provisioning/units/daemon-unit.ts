/**
 * The daemon's systemd unit, rendered from parameters (pure). Provisioning writes it to
 * /etc/systemd/system/gatecast.service.
 */
export interface DaemonUnitParams {
  /** Absolute path of node (process.execPath when provisioning). */
  nodePath: string;
  /** Absolute path of the gatecast CLI entry (dist/cli/gatecast.js). */
  cliPath: string;
  /** Arguments after the CLI path; the daemon's own command. */
  daemonArgs: readonly string[];
  user: string;
  group: string;
  /** Daemon data directory; under /var/lib it becomes a StateDirectory. */
  dataDir: string;
  /** Directory of device.json: read-only to the daemon. */
  configDir: string;
  /** systemd restarts the daemon when no WATCHDOG=1 came for this long. */
  watchdogSec: number;
  /** UID of the kiosk session user, for XDG_RUNTIME_DIR=/run/user/UID. */
  sessionUid: number | undefined;
  session: 'wayland' | 'x11' | 'none';
  /** GPIO through sysfs needs /sys writable (ProtectKernelTunables off). */
  usesGpio: boolean;
  /**
   * The A/B release root (device config `release.root`) when gatecast runs from one: the unit then
   * runs `<root>/current/…` (what a switch renames), and ExecStartPre runs the release start-up
   * check from `<root>/committed/…` (a release known to start), so a release that cannot even load
   * still has its starts counted and is rolled back.
   */
  releaseRoot?: string;
}

/** The release root of a CLI path inside an A/B layout (`<root>/releases/<version>/dist/cli/gatecast.js`). */
export function releaseRootOf(cliPath: string): string | undefined {
  return /^(\/.+)\/releases\/[^/]+\/dist\/cli\/gatecast\.js$/.exec(cliPath)?.[1];
}

const q = (s: string) => (/[\s"'\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s);

export function renderDaemonUnit(p: DaemonUnitParams): string {
  const stateDir = p.dataDir.startsWith('/var/lib/') ? p.dataDir.slice('/var/lib/'.length) : undefined;
  // HOME in the data dir: Chromium writes ~/.pki, ~/.cache there, while the real home stays read-only
  const env: string[] = ['NODE_ENV=production', `HOME=${p.dataDir}`];
  if (p.sessionUid !== undefined) env.push(`XDG_RUNTIME_DIR=/run/user/${p.sessionUid}`);
  // Socket names seen on Pi OS: wayland-0 and wayland-1 [R]; the player looks in XDG_RUNTIME_DIR if this one is absent.
  if (p.session === 'wayland') env.push('WAYLAND_DISPLAY=wayland-0');
  if (p.session === 'x11') env.push('DISPLAY=:0', `XAUTHORITY=/home/${p.user}/.Xauthority`);
  const cli = p.releaseRoot ? `${p.releaseRoot}/current/dist/cli/gatecast.js` : p.cliPath;
  const configArgs = p.daemonArgs.flatMap((a, i, all) =>
    a === '--config' && all[i + 1] ? [a, all[i + 1]!] : a.startsWith('--config=') ? [a] : [],
  );
  const envLine = `Environment=${env.map((e) => (/[\s"]/.test(e) ? `"${e.replace(/(["\\])/g, '\\$1')}"` : e)).join(' ')}`;
  const lines = [
    '# Written by `gatecast provision`; running it again rewrites this file.',
    '[Unit]',
    'Description=gatecast information screen daemon',
    'Documentation=https://github.com/gatecast/gatecast',
    // time-set.target: timesyncd has moved the clock past its saved value (no RTC on a Pi 4); it is a
    // passive target, so ordered after, never pulled in (systemd.special(7))
    'Wants=network-online.target',
    'After=network-online.target time-set.target',
    // never give up restarting: the screen must come back without a technician
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=notify',
    // the WATCHDOG=1 sender is a systemd-notify child, not the main PID (device/watchdog/notifier.ts)
    'NotifyAccess=all',
    // "-": a failing check never keeps the daemon from starting (the daemon runs the same check itself).
    // UNVERIFIED ON A PI: that ExecStartPre and ExecStart of one start share INVOCATION_ID (systemd.exec(5) says so).
    ...(p.releaseRoot
      ? [
          `ExecStartPre=-${[p.nodePath, `${p.releaseRoot}/committed/dist/cli/gatecast.js`, 'release', 'start-check', ...configArgs].map(q).join(' ')}`,
        ]
      : []),
    `ExecStart=${[p.nodePath, cli, ...p.daemonArgs].map(q).join(' ')}`,
    'Restart=always',
    // A/B: the start-up check paces restarts itself (device/release/start-pacing.ts): at once after a
    // release switch or a stop, backed off 2 s … 30 s in a crash loop. systemd waits RestartSec after
    // any exit alike; RestartSteps= needs systemd 254 (not Bookworm) and only a reset-failed or a
    // manual start resets its count (docs/releases.md "Restart pacing").
    p.releaseRoot ? 'RestartSec=100ms' : 'RestartSec=5s',
    `WatchdogSec=${p.watchdogSec}s`,
    'TimeoutStartSec=120s',
    'TimeoutStopSec=20s',
    `User=${p.user}`,
    `Group=${p.group}`,
    // video: /dev/dri, /dev/cec*, vcgencmd; gpio: /sys/class/gpio on Pi OS; render: GPU; input: button via evdev
    'SupplementaryGroups=video render gpio input',
    ...(stateDir ? [`StateDirectory=${stateDir}`, 'StateDirectoryMode=0750'] : []),
    envLine,
    // JSON lines on stdout go to journald; the level comes from device.json (logLevel)
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=gatecast',
    'LogRateLimitIntervalSec=30s',
    'LogRateLimitBurst=2000',
    '# Hardening that leaves Chromium (V8 JIT, its own sandbox namespaces), GPIO and the GPU working.',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    ...(stateDir ? [] : [`ReadWritePaths=${q(p.dataDir)}`]),
    // the install unpacks and switches releases under the release root
    ...(p.releaseRoot ? [`ReadWritePaths=${q(p.releaseRoot)}`] : []),
    `ReadOnlyPaths=${q(p.configDir)}`,
    ...(p.sessionUid !== undefined ? [`ReadWritePaths=-/run/user/${p.sessionUid}`] : []),
    ...(p.usesGpio
      ? ['# sysfs GPIO export writes under /sys: ProtectKernelTunables stays off']
      : ['ProtectKernelTunables=yes']),
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectHostname=yes',
    // no ProtectClock: it adds a DeviceAllow= rule, which closes every other device (GPU, CEC, GPIO)
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'SystemCallArchitectures=native',
    'UMask=0027',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

/**
 * journald limits for an SD card: bounded size, and batched syncs (journald syncs at once only for
 * crit and worse). Whether 5 min is the right batch for a box with power cuts is a judgement [U].
 */
export function renderJournaldDropIn(): string {
  return [
    '# Written by `gatecast provision`.',
    '[Journal]',
    'SystemMaxUse=64M',
    'RuntimeMaxUse=32M',
    'MaxRetentionSec=1month',
    'SyncIntervalSec=5m',
    '',
  ].join('\n');
}

/**
 * systemd pets the hardware watchdog (bcm2835_wdt), so a hung kernel or PID 1 reboots the box.
 * bcm2835_wdt reportedly accepts at most ~15 s [R] (srvos#523; docs/field-notes.md §5), hence 14 s.
 * Pi 5 driver and whether `dtparam=watchdog=on` is needed: [U].
 */
export function renderHardwareWatchdogDropIn(runtimeSec = 14): string {
  return [
    '# Written by `gatecast provision`.',
    '[Manager]',
    `RuntimeWatchdogSec=${runtimeSec}s`,
    'RebootWatchdogSec=2min',
    '',
  ].join('\n');
}
