import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { buildDisplayPower } from '../device/display/build.js';
import { gatherDisplayFacts, pickDisplayAdapter } from '../device/display/detect.js';
import type { Run } from '../device/display/display-power.js';
import { execRun } from '../device/display/exec-run.js';
import { MemoryGpio } from '../device/gpio/memory-gpio.js';
import { OnoffGpio } from '../device/gpio/onoff-gpio.js';
import { pickHeaderChip, readSysfsChips } from '../device/gpio/sysfs-chip.js';
import { loadIdentity } from '../device/identity.js';
import { requestJson } from '../device/sync/enrol.js';
import { type Clock, systemClock } from '../protocol/clock.js';
import { type DeviceConfig, parseDeviceConfig } from '../protocol/config.js';
import { type MessageKey, t, type UiLang } from '../protocol/i18n/index.js';
import { deviceKeyPath, trustRootPath } from './paths.js';
import {
  findChromium,
  fontPackageFor,
  freeBytes,
  isTimeSynced,
  judgeClock,
  memAvailableBytes,
} from './probes.js';
import { glyphsToCheck, SAMPLE_TEXTS } from './sample-texts.js';
import { findMissingGlyphs, launchCheckBrowser } from './selftest-glyphs.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface SelftestCheck {
  /** Stable id for the server: 'config', 'chromium', 'fonts:km', 'display', … */
  id: string;
  /** Translated label. */
  name: string;
  status: CheckStatus;
  /** Translated, plain words: what is wrong and what to do. */
  detail: string;
}

export interface SelftestResult {
  ok: boolean;
  at: string;
  lang: UiLang;
  checks: SelftestCheck[];
}

export interface SelftestOptions {
  configPath: string;
  lang: UiLang;
  env: Record<string, string | undefined>;
  /** Filesystem root for /sys, /proc, /dev, /run probes ('/' on a device). */
  root?: string;
  chromiumPath?: string;
  /** Extra environment for the Chromium process (tests point FONTCONFIG_FILE at a font-poor config). */
  chromiumEnv?: Record<string, string>;
  run?: Run;
  clock?: Clock;
}

/** The sync server's unauthenticated liveness route (sync-server/api.ts). */
export const SERVER_HEALTH_PATH = '/api/health';

const MIB = 1024 ** 2;
const size = (n: number) =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(n / MIB)} MiB`;

/** Runs every check; never throws for a failed check (each becomes a row). */
export async function selftest(o: SelftestOptions): Promise<SelftestResult> {
  const L = (k: MessageKey, p?: Record<string, string | number>) => t(o.lang, k, p);
  const root = o.root ?? '/';
  const run = o.run ?? execRun(10_000);
  const clock = o.clock ?? systemClock;
  const checks: SelftestCheck[] = [];
  const add = (id: string, nameKey: MessageKey, status: CheckStatus, detail: string, nameParams = {}) =>
    checks.push({ id, name: L(nameKey, nameParams), status, detail });

  // configuration
  let config: DeviceConfig | undefined;
  try {
    config = parseDeviceConfig(JSON.parse(await readFile(o.configPath, 'utf8')));
    add('config', 'st.check.config', 'pass', L('st.config.ok', { path: o.configPath }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT')
      add('config', 'st.check.config', 'fail', L('st.config.missing', { path: o.configPath }));
    else
      add(
        'config',
        'st.check.config',
        'fail',
        L('st.config.invalid', { path: o.configPath, detail: e.message }),
      );
  }

  // Chromium and fonts
  const chromium = await findChromium(o.chromiumPath ?? config?.player.chromiumPath);
  const languages = config?.gate.languages ?? ['vi', 'en'];
  if (!chromium) {
    add('chromium', 'st.check.chromium', 'fail', L('st.chromium.missing'));
    for (const lang of languages)
      add(`fonts:${lang}`, 'st.check.fonts', 'skip', L('st.fonts.skipped'), { lang });
  } else {
    let browser: Awaited<ReturnType<typeof launchCheckBrowser>> | undefined;
    try {
      browser = await launchCheckBrowser(chromium, o.chromiumEnv);
      add(
        'chromium',
        'st.check.chromium',
        'pass',
        L('st.chromium.ok', { path: chromium, version: await browser.version() }),
      );
      const samples = languages.map((lang) => ({ lang, chars: glyphsToCheck(SAMPLE_TEXTS[lang] ?? '') }));
      const reports = await findMissingGlyphs(
        browser,
        samples.filter((s) => s.chars.length > 0),
      );
      for (const s of samples) {
        const r = reports.find((x) => x.lang === s.lang);
        if (!r) {
          add(`fonts:${s.lang}`, 'st.check.fonts', 'skip', 'no sample text for this language', {
            lang: s.lang,
          });
          continue;
        }
        if (r.missing.length === 0)
          add(`fonts:${s.lang}`, 'st.check.fonts', 'pass', L('st.fonts.ok', { count: r.checked }), {
            lang: s.lang,
          });
        else
          add(
            `fonts:${s.lang}`,
            'st.check.fonts',
            'fail',
            L('st.fonts.missing', {
              count: r.missing.length,
              sample: r.missing.slice(0, 8).join(' '),
              pkg: fontPackageFor(s.lang),
            }),
            { lang: s.lang },
          );
      }
    } catch (err) {
      add(
        'chromium',
        'st.check.chromium',
        'fail',
        L('st.chromium.failed', { detail: (err as Error).message.split('\n')[0]! }),
      );
      for (const lang of languages)
        add(`fonts:${lang}`, 'st.check.fonts', 'skip', L('st.fonts.skipped'), { lang });
    } finally {
      await browser?.close();
    }
  }

  // display power: a read-only probe, the screen is not switched
  if (config) {
    const facts = await gatherDisplayFacts(
      o.env,
      config.gpio.enabled && config.gpio.relayPin !== undefined,
      root,
    );
    const choice = pickDisplayAdapter(config.display.powerAdapter, facts);
    if (choice.kind === 'none') {
      // without opening hours the screen is always on, so no control is only worth a warning
      add(
        'display',
        'st.check.display',
        config.gate.openingHours?.length ? 'fail' : 'warn',
        L('st.display.none', { why: choice.why }),
      );
    } else {
      try {
        const power = buildDisplayPower(choice.kind, {
          run,
          cecDevice: config.display.cecDevice,
          ...(facts.x11Display ? { x11Display: facts.x11Display } : {}),
          // the probe never writes the relay: a memory twin stands in for its (write-only) pin
          ...(config.gpio.relayPin !== undefined
            ? {
                relay: {
                  gpio: new MemoryGpio(),
                  pin: config.gpio.relayPin,
                  activeLow: config.gpio.relayActiveLow,
                },
              }
            : {}),
        });
        const state = await power.state();
        add(
          'display',
          'st.check.display',
          state === 'unknown' && choice.kind !== 'relay' ? 'warn' : 'pass',
          L('st.display.ok', { adapter: `${power.name} (${choice.why})`, state }),
        );
      } catch (err) {
        add(
          'display',
          'st.check.display',
          'fail',
          L('st.display.failed', { adapter: choice.kind, detail: (err as Error).message }),
        );
      }
    }
  }

  // GPIO
  if (config) {
    if (!config.gpio.enabled) add('gpio', 'st.check.gpio', 'skip', L('st.gpio.off'));
    else {
      try {
        const chip = pickHeaderChip(await readSysfsChips(root));
        if (!(await OnoffGpio.accessible(root)))
          throw new Error(`${join(root, 'sys/class/gpio/export')} is not writable (group gpio?)`);
        add('gpio', 'st.check.gpio', 'pass', L('st.gpio.ok', { label: chip.label, base: chip.base }));
      } catch (err) {
        add('gpio', 'st.check.gpio', 'fail', L('st.gpio.failed', { detail: (err as Error).message }));
      }
    }
  }

  // disk and memory
  const dataDir = config?.dataDir ?? '/var/lib/gatecast';
  const free = await freeBytes(dataDir);
  add(
    'disk',
    'st.check.disk',
    free < 1024 ** 3 ? 'fail' : free < 2 * 1024 ** 3 ? 'warn' : 'pass',
    L(free < 2 * 1024 ** 3 ? 'st.disk.low' : 'st.disk.ok', { free: size(free), path: dataDir }),
  );
  const avail = await memAvailableBytes(root);
  const total = totalmem();
  if (avail === undefined) add('memory', 'st.check.memory', 'warn', L('st.memory.unknown'));
  else
    add(
      'memory',
      'st.check.memory',
      avail < 100 * MIB ? 'fail' : avail < 250 * MIB ? 'warn' : 'pass',
      L(avail < 250 * MIB ? 'st.memory.low' : 'st.memory.ok', { avail: size(avail), total: size(total) }),
    );

  // clock
  const now = clock.now();
  const nowText = new Date(now).toISOString();
  const verdict = judgeClock(now, await isTimeSynced(root));
  if (!verdict.ok) add('clock', 'st.check.clock', 'fail', L('st.clock.bad', { now: nowText }));
  else if (verdict.synced === true)
    add('clock', 'st.check.clock', 'pass', L('st.clock.synced', { now: nowText }));
  else
    add(
      'clock',
      'st.check.clock',
      'warn',
      L(verdict.synced === false ? 'st.clock.unsynced' : 'st.clock.unknown', { now: nowText }),
    );

  // server
  if (config) {
    if (!config.server) add('server', 'st.check.server', 'fail', L('st.server.none'));
    else {
      // the same trust as the daemon's link: the CA given at enrolment is pinned when there is one
      const url = new URL(SERVER_HEALTH_PATH, config.server.url);
      const started = performance.now();
      try {
        const ca = config.server.caFile ? await readFile(config.server.caFile) : undefined;
        const res = await requestJson('GET', url, undefined, ca, 8000);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        if ((res.body as { ok?: unknown }).ok !== true) throw new Error('the answer does not say ok');
        add(
          'server',
          'st.check.server',
          'pass',
          L('st.server.ok', { url: url.href, ms: Math.round(performance.now() - started) }),
        );
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        add(
          'server',
          'st.check.server',
          'fail',
          L('st.server.failed', { url: url.href, detail: e.cause?.code ?? e.message }),
        );
      }
    }

    // keys
    const trust = trustRootPath(config.dataDir);
    try {
      const root = JSON.parse(await readFile(trust, 'utf8')) as { signed?: { _type?: string } };
      if (root.signed?._type !== 'root') throw new Error('not a TUF root');
      add('trust', 'st.check.trust', 'pass', L('st.file.ok', { path: trust }));
    } catch {
      add('trust', 'st.check.trust', 'fail', L('st.file.missing', { path: trust }));
    }
    // the key the daemon signs its link challenges with (device/identity.ts)
    const key = deviceKeyPath(config.dataDir);
    try {
      await readFile(key);
      try {
        loadIdentity(config.dataDir);
        add('key', 'st.check.key', 'pass', L('st.file.ok', { path: key }));
      } catch (err) {
        add(
          'key',
          'st.check.key',
          'fail',
          L('st.file.invalid', { path: key, detail: (err as Error).message }),
        );
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // An enrolled screen that lost its key: the daemon keeps the link off rather than make a new key.
      if (code === 'ENOENT' && config.deviceId)
        add('key', 'st.check.key', 'fail', L('st.key.lost', { path: key, deviceId: config.deviceId }));
      else if (code === 'ENOENT') add('key', 'st.check.key', 'fail', L('st.file.missing', { path: key }));
      // e.g. EACCES: the key is the daemon user's (0600); the technician needs sudo to check it
      else add('key', 'st.check.key', 'fail', L('st.file.unreadable', { path: key, detail: code ?? '?' }));
    }
  }

  return {
    ok: checks.every((c) => c.status !== 'fail'),
    at: new Date(now).toISOString(),
    lang: o.lang,
    checks,
  };
}

/** A plain-text table for a technician's terminal. */
export function formatSelftest(r: SelftestResult, lang: UiLang): string {
  const L = (k: MessageKey, p?: Record<string, string | number>) => t(lang, k, p);
  const rows = r.checks.map((c) => [c.name, L(`st.status.${c.status}`), c.detail]);
  const head = [L('st.col.check'), L('st.col.result'), L('st.col.detail')];
  const w0 = Math.max(head[0]!.length, ...rows.map((x) => x[0]!.length));
  const w1 = Math.max(head[1]!.length, ...rows.map((x) => x[1]!.length));
  const line = (x: string[]) => `${x[0]!.padEnd(w0)}  ${x[1]!.padEnd(w1)}  ${x[2]}`;
  const failed = r.checks.filter((c) => c.status === 'fail').length;
  return [
    L('st.title'),
    line(head),
    `${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(10)}`,
    ...rows.map(line),
    '',
    failed ? L('st.summary.fail', { count: failed }) : L('st.summary.pass'),
    '',
  ].join('\n');
}
