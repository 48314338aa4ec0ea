import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Run } from '../device/display/display-power.js';
import { deviceConfigFromEnrolment, trustedRootText } from '../device/sync/enrol.js';
import { checkServerUrl as checkSyncUrl, isSyncError } from '../device/sync/transport.js';
import type { Clock } from '../protocol/clock.js';
import { parseDeviceConfig } from '../protocol/config.js';
import { coded, ConfigError } from '../protocol/errors.js';
import { type MessageKey, t, type UiLang } from '../protocol/i18n/index.js';
import type { EnrolResponse } from '../protocol/messages.js';
import { EnrolError, type Enroller } from './enroller.js';
import { DAEMON_UNIT, deviceKeyPath, serverCaPath, trustRootPath, UNIT_DIR } from './paths.js';
import { fontFamiliesFor, fontPackageFor, judgeClock } from './probes.js';
import type { ProvisionTarget, WriteOutcome } from './target.js';
import {
  releaseRootOf,
  renderDaemonUnit,
  renderHardwareWatchdogDropIn,
  renderJournaldDropIn,
} from './units/daemon-unit.js';
import { renderLabwcAutostart, renderLightdmAutologin, renderX11Autostart } from './units/kiosk-session.js';

/** Provisioning stopped before changing anything; the message is already in the technician's language. */
export class ProvisionError extends coded('PROVISION_FAILED') {
  constructor(
    message: string,
    readonly reason: 'input-missing' | 'prerequisites' | 'needs-root' | 'enrolment' | 'bad-gate' | 'aborted',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type Session = 'wayland' | 'x11' | 'none';

export interface ProvisionOptions {
  serverUrl: string;
  token: string;
  configPath: string;
  dataDir: string;
  /** PEM file of the server certificate or CA (a path on this machine, not under --root): pinned for
   * enrolment, copied to `serverCaPath(dataDir)` and named in the config's server.caFile. */
  caFile?: string;
  /** Plain http to a host that is not loopback (a test network only). */
  allowInsecure?: boolean;
  session: Session | 'auto';
  user: string;
  watchdogSec: number;
  dryRun: boolean;
  reenrol: boolean;
  lang: UiLang;
  /** For the unit's ExecStart. */
  nodePath: string;
  cliPath: string;
  daemonArgs: readonly string[];
  kioskCommand?: readonly string[];
}

/** Facts about the box, gathered by the CLI (real) or given by tests. */
export interface ProvisionFacts {
  nodeVersion: string;
  chromiumPath: string | undefined;
  freeBytes: number;
  hasLabwc: boolean;
  hasXorg: boolean;
  hasHardwareWatchdog: boolean;
  isRoot: boolean;
  /** Can the current user write this target path (or its nearest existing parent)? */
  canWrite(path: string): Promise<boolean>;
}

/** Shows progress of long steps; the CLI draws a bar on a terminal and plain lines otherwise. */
export interface Progress {
  begin(total: number): void;
  step(label: string): void;
  end(): void;
}

export interface ProvisionDeps {
  enroller: Enroller;
  target: ProvisionTarget;
  facts: ProvisionFacts;
  clock: Clock;
  run: Run;
  progress: Progress;
}

export type StepOutcome = 'done' | 'unchanged' | 'skipped' | 'would';

export interface ProvisionReport {
  deviceId: string | undefined;
  gateName: string | undefined;
  siteGroup: string | undefined;
  serverUrl: string;
  enrolment: 'new' | 'existing' | 'would';
  session: Session;
  steps: { label: string; outcome: StepOutcome; needsRoot: boolean }[];
  warnings: string[];
  next: string[];
  /** Files written or checked, relative to the target root. */
  files: string[];
}

export const MIN_FREE_BYTES = 1024 ** 3;
const GROUPS = ['video', 'render', 'gpio', 'input'];

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;

interface PlannedStep {
  /** A function: some labels name what only enrolment tells (the gate's time zone, languages). */
  label: () => string;
  /** Paths (absolute on the device) it writes, for the root check; commands say so with needsRootCommand. */
  writes: string[];
  runsRootCommand: boolean;
  act: () => Promise<StepOutcome>;
}

/**
 * Enrols the box and installs gatecast on it. Order matters for "nothing half-done": prerequisites,
 * the root check and the input checks come first, before the one-time token is spent; the config file
 * is written last of the files, because its presence is what makes the daemon start.
 */
export async function provision(o: ProvisionOptions, d: ProvisionDeps): Promise<ProvisionReport> {
  const L = (key: MessageKey, params?: Record<string, string | number>) => t(o.lang, key, params);
  const base = checkServerUrl(o.serverUrl, o.allowInsecure ?? false, L);
  const ca = o.caFile ? await readCa(o.caFile, L) : undefined;

  // 1. prerequisites that do not need the gate
  d.progress.begin(1);
  d.progress.step(L('prov.step.prereq'));
  const problems: string[] = [];
  const nodeMajor = Number(/^v?(\d+)/.exec(d.facts.nodeVersion)?.[1] ?? 0);
  if (nodeMajor < 20) problems.push(L('prov.prereq.node', { found: d.facts.nodeVersion }));
  if (!d.facts.chromiumPath) problems.push(L('prov.prereq.chromium'));
  if (d.facts.freeBytes < MIN_FREE_BYTES)
    problems.push(
      L('prov.prereq.disk', { free: gib(d.facts.freeBytes), path: o.dataDir, need: gib(MIN_FREE_BYTES) }),
    );
  const clock = judgeClock(d.clock.now(), undefined);
  if (!clock.ok) problems.push(L('prov.prereq.clock', { now: new Date(d.clock.now()).toISOString() }));
  d.progress.end();
  if (problems.length)
    throw new ProvisionError(
      L('prov.err.prereq', { list: problems.map((p) => `  - ${p}`).join('\n') }),
      'prerequisites',
    );

  const session: Session =
    o.session !== 'auto' ? o.session : d.facts.hasLabwc ? 'wayland' : d.facts.hasXorg ? 'x11' : 'none';

  // 2. is this box already enrolled with this server?
  const existing = await readExistingConfig(d.target, o.configPath);
  const keep =
    !o.reenrol &&
    existing?.deviceId !== undefined &&
    existing.server !== undefined &&
    new URL(existing.server.url).origin === base.origin &&
    existing.dataDir === o.dataDir &&
    (await d.target.exists(trustRootPath(o.dataDir))) &&
    (await d.target.exists(deviceKeyPath(o.dataDir)));

  const warnings: string[] = [];
  const report: ProvisionReport = {
    deviceId: keep ? existing.deviceId : undefined,
    gateName: keep ? existing.gate.name : undefined,
    siteGroup: keep ? existing.gate.siteGroup : undefined,
    serverUrl: o.serverUrl,
    enrolment: keep ? 'existing' : o.dryRun ? 'would' : 'new',
    session,
    steps: [],
    warnings,
    next: [],
    files: [],
  };
  if (keep) warnings.push(L('prov.alreadyEnrolled', { deviceId: existing.deviceId! }));

  // 3. the plan; enrolment fills `enrol` when it runs
  let enrol: EnrolResponse | undefined;
  const gate = () => enrol?.gate ?? existing!.gate;
  const outcome = (w: WriteOutcome[]): StepOutcome =>
    w.every((x) => x === 'unchanged') ? 'unchanged' : 'done';
  const home = `/home/${o.user}`;
  const steps: PlannedStep[] = [];

  if (!keep)
    steps.push({
      label: () => L('prov.step.enrol', { server: o.serverUrl }),
      writes: [deviceKeyPath(o.dataDir)],
      runsRootCommand: false,
      act: async () => {
        enrol = await doEnrol(o, d, { ca, newKey: o.reenrol || existing?.deviceId !== undefined }, L);
        report.deviceId = enrol.deviceId;
        report.gateName = enrol.gate.name;
        report.siteGroup = enrol.gate.siteGroup;
        return 'done';
      },
    });

  steps.push({
    label: () =>
      L('prov.step.fonts', { languages: (enrol?.gate ?? existing?.gate)?.languages.join(', ') ?? '…' }),
    writes: [],
    runsRootCommand: false,
    act: async () => {
      const missing: string[] = [];
      for (const lang of gate().languages)
        if ((await fontFamiliesFor(d.run, lang)).length === 0) {
          missing.push(fontPackageFor(lang));
          warnings.push(L('prov.warn.fonts', { lang, pkg: fontPackageFor(lang) }));
        }
      if (missing.length) report.next.push(L('prov.next.fonts', { pkgs: [...new Set(missing)].join(' ') }));
      return 'done';
    },
  });

  if (!keep)
    steps.push({
      label: () => L('prov.step.trust'),
      writes: [trustRootPath(o.dataDir)],
      runsRootCommand: false,
      act: async () => {
        // where the device's update client starts its chain of trust (device/sync/enrol.ts)
        const w = [await d.target.writeFile(trustRootPath(o.dataDir), trustedRootText(enrol!), 0o644)];
        report.files.push(trustRootPath(o.dataDir));
        return outcome(w);
      },
    });

  steps.push({
    label: () => L('prov.step.timezone', { tz: (enrol?.gate ?? existing?.gate)?.timezone ?? '…' }),
    writes: ['/etc/timezone'],
    runsRootCommand: !d.target.isRooted,
    act: async () => {
      const tz = gate().timezone;
      if ((await d.target.currentTimezone()) === tz) return 'unchanged';
      await d.target.setTimezone(tz);
      return 'done';
    },
  });

  steps.push({
    label: () => L('prov.step.user', { user: o.user }),
    writes: [],
    runsRootCommand: !d.target.isRooted,
    act: async () => {
      const r = await d.target.ensureUser(o.user, GROUPS);
      return r === 'created' ? 'done' : r === 'exists' ? 'unchanged' : 'skipped';
    },
  });

  const unitPath = `${UNIT_DIR}/${DAEMON_UNIT}`;
  steps.push({
    label: () => L('prov.step.units'),
    writes: [unitPath, '/etc/systemd/journald.conf.d/60-gatecast.conf'],
    runsRootCommand: !d.target.isRooted,
    act: async () => {
      const uid = session === 'none' ? undefined : await d.target.userId(o.user);
      const unit = renderDaemonUnit({
        nodePath: o.nodePath,
        cliPath: o.cliPath,
        daemonArgs: o.daemonArgs,
        user: o.user,
        group: o.user,
        dataDir: o.dataDir,
        configDir: join(o.configPath, '..'),
        watchdogSec: o.watchdogSec,
        sessionUid: uid,
        session,
        usesGpio: existing?.gpio.enabled ?? false,
        ...(releaseRootOf(o.cliPath) ? { releaseRoot: releaseRootOf(o.cliPath)! } : {}),
      });
      const w = [
        await d.target.writeFile(unitPath, unit),
        await d.target.writeFile('/etc/systemd/journald.conf.d/60-gatecast.conf', renderJournaldDropIn()),
      ];
      if (w.includes('written')) await d.target.daemonReload();
      report.files.push(unitPath, '/etc/systemd/journald.conf.d/60-gatecast.conf');
      return outcome(w);
    },
  });

  if (session !== 'none') {
    const autostart =
      session === 'wayland'
        ? `${home}/.config/labwc/autostart`
        : `${home}/.config/lxsession/LXDE-pi/autostart`;
    steps.push({
      label: () => L('prov.step.kiosk', { session }),
      writes: ['/etc/lightdm/lightdm.conf.d/60-gatecast-kiosk.conf', autostart],
      runsRootCommand: false,
      act: async () => {
        const k = { user: o.user, session, ...(o.kioskCommand ? { kioskCommand: o.kioskCommand } : {}) };
        const w = [
          await d.target.writeFile(
            '/etc/lightdm/lightdm.conf.d/60-gatecast-kiosk.conf',
            renderLightdmAutologin(k),
          ),
          await d.target.writeFile(
            autostart,
            session === 'wayland' ? renderLabwcAutostart(k) : renderX11Autostart(k),
          ),
        ];
        report.files.push('/etc/lightdm/lightdm.conf.d/60-gatecast-kiosk.conf', autostart);
        // the session user must own its ~/.config, or labwc/lxsession tools cannot write there
        await d.target.chown(`${home}/.config`, o.user, o.user, true);
        return outcome(w);
      },
    });
  }

  if (d.facts.hasHardwareWatchdog)
    steps.push({
      label: () => L('prov.step.watchdog'),
      writes: ['/etc/systemd/system.conf.d/60-gatecast-watchdog.conf'],
      runsRootCommand: false,
      act: async () => {
        const p = '/etc/systemd/system.conf.d/60-gatecast-watchdog.conf';
        report.files.push(p);
        // takes effect at the next boot (or systemctl daemon-reexec)
        return outcome([await d.target.writeFile(p, renderHardwareWatchdogDropIn())]);
      },
    });

  // the config last: its presence is what makes the daemon start for real
  steps.push({
    label: () => L('prov.step.config', { path: o.configPath }),
    writes: [o.configPath, ...(ca ? [serverCaPath(o.dataDir)] : [])],
    runsRootCommand: false,
    act: async () => {
      const caFile = ca ? serverCaPath(o.dataDir) : keep ? existing!.server?.caFile : undefined;
      const raw = {
        // keep what a technician wrote in the file (gpio pins, display adapter, …) as written
        ...(existing?.raw ?? {}),
        // a new enrolment: what `gatecast enrol` writes (device/sync/enrol.ts); kept: the same server
        ...(enrol
          ? deviceConfigFromEnrolment(enrol, { dataDir: o.dataDir, serverUrl: base, caFile })
          : {
              dataDir: o.dataDir,
              server: { url: base.origin, ...(caFile ? { caFile } : {}) },
            }),
      };
      try {
        parseDeviceConfig(raw);
      } catch (err) {
        throw new ProvisionError(L('prov.err.badGate', { detail: (err as Error).message }), 'bad-gate', {
          cause: err,
        });
      }
      // the CA the config names (also when a kept enrolment is given a new --ca)
      const caWrite = ca ? [await d.target.writeFile(serverCaPath(o.dataDir), ca, 0o644)] : [];
      report.files.push(...(ca ? [serverCaPath(o.dataDir)] : []), o.configPath);
      const w = await d.target.writeFile(o.configPath, `${JSON.stringify(raw, null, 2)}\n`, 0o640);
      // root owns it, the daemon's group reads it (mode 0640)
      await d.target.chown(o.configPath, 'root', o.user);
      // the daemon runs as o.user and must read its key (0600) and write its data
      await d.target.chown(o.dataDir, o.user, o.user, true);
      return outcome([...caWrite, w]);
    },
  });

  steps.push({
    label: () => L('prov.step.enable', { unit: DAEMON_UNIT }),
    writes: [`${UNIT_DIR}/multi-user.target.wants/${DAEMON_UNIT}`],
    runsRootCommand: !d.target.isRooted,
    act: async () => {
      if (await d.target.isUnitEnabled(DAEMON_UNIT, 'multi-user.target')) return 'unchanged';
      await d.target.enableUnit(DAEMON_UNIT, 'multi-user.target');
      return 'done';
    },
  });

  // 4. which steps need root, before anything is changed
  const needsRoot: string[] = [];
  for (const s of steps) {
    let needs = s.runsRootCommand && !d.facts.isRoot;
    if (!needs && !d.facts.isRoot)
      for (const p of s.writes) if (!(await d.facts.canWrite(d.target.path(p)))) needs = true;
    if (needs) needsRoot.push(s.label());
    report.steps.push({ label: s.label(), outcome: 'would', needsRoot: needs });
  }
  if (o.dryRun) {
    warnings.push(L('prov.dryRun'));
    return report;
  }
  if (needsRoot.length)
    throw new ProvisionError(L('prov.err.needsRoot', { steps: needsRoot.join('; ') }), 'needs-root');

  // 5. do it
  d.progress.begin(steps.length);
  try {
    for (const [i, s] of steps.entries()) {
      d.progress.step(s.label());
      report.steps[i]!.outcome = await s.act();
      report.steps[i]!.label = s.label();
    }
  } finally {
    d.progress.end();
  }
  if (d.target.isRooted) warnings.push(L('prov.warn.notRoot', { root: d.target.root }));
  report.next.push(L('prov.next.selftest'));
  if (session !== 'none') report.next.push(L('prov.next.reboot'));
  report.next.push(L('prov.next.status'));
  return report;
}

type Say = (k: MessageKey, p?: Record<string, string>) => string;

/** The device's own rule (device/sync/transport.ts): https, or plain http to loopback or with the dev flag. */
function checkServerUrl(url: string, allowInsecure: boolean, L: Say): URL {
  try {
    const u = checkSyncUrl(url, allowInsecure);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(u.protocol);
    return u;
  } catch (err) {
    if (isSyncError(err) && err.code === 'SYNC_INSECURE_URL')
      throw new ProvisionError(L('prov.err.insecure', { url }), 'input-missing', { cause: err });
    throw new ProvisionError(L('prov.err.badServer', { url }), 'input-missing', { cause: err });
  }
}

async function readCa(path: string, L: Say): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new ProvisionError(
      L('prov.err.caFile', { path, detail: (err as Error).message }),
      'input-missing',
      {
        cause: err,
      },
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ProvisionError(
      L('prov.err.caFile', { path, detail: 'no PEM certificate in it' }),
      'input-missing',
    );
  return pem;
}

const ENROL_MESSAGE: Record<EnrolError['reason'], MessageKey> = {
  'token-rejected': 'prov.err.tokenRejected',
  refused: 'prov.err.refused',
  unreachable: 'prov.err.unreachable',
  'bad-response': 'prov.err.badResponse',
  'insecure-url': 'prov.err.badServer',
};

async function doEnrol(
  o: ProvisionOptions,
  d: ProvisionDeps,
  k: { ca: string | undefined; newKey: boolean },
  L: Say,
): Promise<EnrolResponse> {
  try {
    return await d.enroller({
      serverUrl: o.serverUrl,
      token: o.token,
      // the key goes where the daemon looks for it, under --root when there is one
      dataDir: d.target.path(o.dataDir),
      ...(k.ca ? { ca: Buffer.from(k.ca) } : {}),
      newKey: k.newKey,
      allowInsecure: o.allowInsecure ?? false,
    });
  } catch (err) {
    if (err instanceof EnrolError)
      throw new ProvisionError(
        L(ENROL_MESSAGE[err.reason], { detail: err.message, url: o.serverUrl }),
        'enrolment',
        {
          cause: err,
        },
      );
    throw err;
  }
}

async function readExistingConfig(target: ProvisionTarget, configPath: string) {
  const text = await target.readFile(configPath);
  if (text === undefined) return undefined;
  try {
    return { ...parseDeviceConfig(JSON.parse(text)), raw: JSON.parse(text) as Record<string, unknown> };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SyntaxError) return undefined; // re-enrol over a broken file
    throw err;
  }
}
