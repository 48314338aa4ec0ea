import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stdin, stdout } from 'node:process';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { execRun } from '../device/display/exec-run.js';
import { systemClock } from '../protocol/clock.js';
import { pickUiLang, t, type UiLang } from '../protocol/i18n/index.js';
import { syncEnroller } from '../provisioning/enroller.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_DATA_DIR } from '../provisioning/paths.js';
import { canWrite, findChromium, freeBytes } from '../provisioning/probes.js';
import {
  type Progress,
  ProvisionError,
  type ProvisionReport,
  provision,
  type Session,
} from '../provisioning/provision.js';
import { formatSelftest, selftest } from '../provisioning/selftest.js';
import { RootedTarget, SystemTarget } from '../provisioning/target.js';

interface ProvisionFlags {
  server?: string;
  token?: string;
  config: string;
  dataDir: string;
  ca?: string;
  insecureDev?: boolean;
  session: string;
  user: string;
  watchdogSec: string;
  dryRun?: boolean;
  reenrol?: boolean;
  yes?: boolean;
  root?: string;
  lang?: string;
}

/** Progress on stderr: a bar on a terminal, one line per step otherwise (journald, CI, pipes). */
function terminalProgress(): Progress {
  if (!process.stderr.isTTY) {
    let i = 0;
    let n = 0;
    return {
      begin: (total) => {
        n = total;
        i = 0;
      },
      step: (label) => process.stderr.write(`[${++i}/${n}] ${label}\n`),
      end: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {value}/{total} {label}',
      stream: process.stderr,
      clearOnComplete: false,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    begin: (total) => {
      bar.start(total, 0, { label: '' });
      started = true;
    },
    step: (label) => bar.increment(1, { label }),
    end: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function printReport(lang: UiLang, r: ProvisionReport): void {
  const L = (k: Parameters<typeof t>[1], p?: Record<string, string | number>) => t(lang, k, p);
  const w = (s: string) => stdout.write(`${s}\n`);
  for (const s of r.steps)
    w(`  ${s.needsRoot ? '[root] ' : ''}${s.label}: ${L(`prov.outcome.${s.outcome}`)}`);
  for (const x of r.warnings) w(`! ${x}`);
  if (r.enrolment === 'would') return;
  w('');
  w(L('prov.summary.done'));
  w(`  ${L('prov.summary.device')}: ${r.deviceId}`);
  w(`  ${L('prov.summary.gate')}: ${r.gateName} (${r.siteGroup})`);
  w(`  ${L('prov.summary.server')}: ${r.serverUrl}`);
  w(`${L('prov.summary.next')}:`);
  for (const n of r.next) w(`  - ${n}`);
}

/**
 * Server and token from the flags, asking for what is missing when there is a terminal (`ask`), and
 * confirming before the token is spent. Without a terminal, a missing value is a clear error.
 */
export async function resolveInputs(
  f: Pick<ProvisionFlags, 'server' | 'token' | 'dryRun' | 'yes'>,
  lang: UiLang,
  ask: ((question: string) => Promise<string>) | undefined,
): Promise<{ server: string; token: string }> {
  let server = f.server?.trim();
  let token = f.token?.trim();
  if (ask) {
    server ||= (await ask(t(lang, 'prov.prompt.server'))).trim();
    token ||= (await ask(t(lang, 'prov.prompt.token'))).trim();
    if (!f.dryRun && !f.yes) {
      const yes = (await ask(t(lang, 'prov.prompt.confirm', { server }))).trim().toLowerCase();
      if (!['y', 'yes', 'c', 'có', 'co'].includes(yes))
        throw new ProvisionError(t(lang, 'prov.err.aborted'), 'aborted');
    }
  }
  const missing = [!server && '--server', !token && '--token'].filter((x): x is string => !!x);
  if (missing.length)
    throw new ProvisionError(
      t(lang, 'prov.err.missing', { what: missing.join(', '), flags: missing.join(' ') }),
      'input-missing',
    );
  return { server: server!, token: token! };
}

export function registerProvisionCommands(program: Command): void {
  program
    .command('provision')
    .description('Enrol this box with the server and install gatecast (units, kiosk session, watchdog)')
    .option('--server <url>', 'sync server base URL')
    .option('--token <token>', 'one-time enrolment token from ops')
    .option('--config <path>', 'device config file', DEFAULT_CONFIG_PATH)
    .option('--data-dir <dir>', 'daemon data directory', DEFAULT_DATA_DIR)
    .option('--ca <file>', 'PEM of the server certificate or CA to trust (copied to the data directory)')
    .option('--insecure-dev', 'allow plain http to a server that is not on this machine (test networks only)')
    .option('--session <kind>', 'kiosk session: auto, wayland, x11, none', 'auto')
    .option('--user <name>', 'user the daemon and the kiosk session run as', 'gatecast')
    .option('--watchdog-sec <s>', 'systemd WatchdogSec for the daemon', '30')
    .option('--dry-run', 'show what would be done; write nothing and keep the token unused')
    .option('--reenrol', 'enrol again even if this box is already enrolled')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--root <dir>', 'write everything under this directory instead of / (image building, tests)')
    .option('--lang <vi|en>', 'language of messages (default: from LANG)')
    .action(async (f: ProvisionFlags) => {
      const lang = pickUiLang(f.lang, process.env);
      let server: string;
      let token: string;
      if (stdin.isTTY && !f.yes && !(f.server && f.token)) {
        const rl = createInterface({ input: stdin, output: stdout });
        try {
          ({ server, token } = await resolveInputs(f, lang, (q) => rl.question(q)));
        } finally {
          rl.close();
        }
      } else ({ server, token } = await resolveInputs(f, lang, undefined));
      const run = execRun(60_000);
      const target = f.root ? new RootedTarget(f.root) : new SystemTarget(run);
      const cliPath = fileURLToPath(new URL('./gatecast.js', import.meta.url));
      process.stdout.write(`${t(lang, 'prov.title')}\n`);
      const report = await provision(
        {
          serverUrl: server,
          token: token,
          configPath: f.config,
          dataDir: f.dataDir,
          ...(f.ca ? { caFile: f.ca } : {}),
          allowInsecure: Boolean(f.insecureDev),
          session: f.session as Session | 'auto',
          user: f.user,
          watchdogSec: Number(f.watchdogSec),
          dryRun: !!f.dryRun,
          reenrol: !!f.reenrol,
          lang,
          nodePath: process.execPath,
          cliPath,
          // the daemon's command (device/main.ts, wired by the lead)
          daemonArgs: ['daemon', '--config', f.config],
        },
        {
          // the device's own enrolment (device/sync/enrol.ts), as `gatecast enrol` does it
          enroller: syncEnroller(),
          target,
          facts: {
            nodeVersion: process.version,
            chromiumPath: await findChromium(),
            freeBytes: await freeBytes(target.path(f.dataDir)),
            hasLabwc: has('labwc'),
            hasXorg: has('Xorg'),
            hasHardwareWatchdog: existsSync('/dev/watchdog0') || existsSync('/dev/watchdog'),
            isRoot: process.getuid?.() === 0,
            canWrite,
          },
          clock: systemClock,
          run,
          progress: terminalProgress(),
        },
      );
      printReport(lang, report);
    });

  program
    .command('selftest')
    .description('Check this screen: Chromium, fonts, display power, GPIO, disk, memory, clock, server, keys')
    .option('--config <path>', 'device config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the results as JSON (for the server)')
    .option('--lang <vi|en>', 'language of messages (default: from LANG)')
    .action(async (f: { config: string; json?: boolean; lang?: string }) => {
      const lang = pickUiLang(f.lang, process.env);
      const result = await selftest({ configPath: f.config, lang, env: process.env });
      stdout.write(f.json ? `${JSON.stringify(result, null, 2)}\n` : formatSelftest(result, lang));
      process.exitCode = result.ok ? 0 : 1;
    });
}
