import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readStoredPop } from '../device/proof-of-play/sqlite-pop-log.js';
import { openDeviceDb } from '../device/store/sqlite.js';
import { GateConfig, parseDeviceConfig } from '../protocol/config.js';
import { parseBundleManifest } from '../protocol/content.js';
import { ConfigError, ContentError } from '../protocol/errors.js';
import { verifyChain } from '../protocol/proof-of-play.js';
import { createScheduleEngine } from '../protocol/schedule-engine.js';
import { parseWith } from '../protocol/validate.js';

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ContentError(`${file}: cannot read ${what} JSON (${(err as Error).message})`, [], {
      cause: err,
    });
  }
}

interface GateOptions {
  config?: string;
  languages?: string;
  timezone?: string;
  missing?: string;
}

/** The gate from a device config file, or from --languages/--timezone/--missing. */
function gateFrom(opts: GateOptions, siteGroup: string): GateConfig {
  if (opts.config) return parseDeviceConfig(readJson(opts.config, 'device config')).gate;
  if (!opts.languages) throw new ConfigError('give the gate: --config device.json, or --languages vi,km,en');
  const missing = opts.missing ?? 'skip';
  const missingVariant = missing.startsWith('substitute:')
    ? { mode: 'substitute', languages: missing.slice('substitute:'.length).split(',') }
    : { mode: missing };
  return parseWith(
    GateConfig,
    {
      siteGroup,
      name: siteGroup,
      languages: opts.languages.split(','),
      missingVariant,
      ...(opts.timezone ? { timezone: opts.timezone } : {}),
    },
    (problems) => new ConfigError('invalid gate options', problems),
  );
}

function parseTime(s: string, name: string): number {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new ConfigError(`${name}: "${s}" is not an ISO date-time`);
  return ms;
}

const gateOptions = (c: Command) =>
  c
    .option('--config <file>', 'device config (device.json) whose gate to use')
    .option('--languages <list>', 'gate languages in order, e.g. vi,km,en,zh-Hans')
    .option('--timezone <zone>', 'IANA zone (default Asia/Ho_Chi_Minh)')
    .option('--missing <policy>', 'missing variants: skip, or substitute:en,vi', 'skip');

export function registerScheduleCommands(program: Command): void {
  gateOptions(
    program
      .command('schedule-preview')
      .description("List exactly what a gate's screens will play over an interval")
      .argument('<bundle>', 'bundle.json')
      .option('--from <iso>', 'start (default: now)')
      .option('--hours <n>', 'length of the interval in hours', '1')
      .option('--json', 'print the planned items as JSON lines'),
  ).action((file: string, opts: GateOptions & { from?: string; hours: string; json?: boolean }) => {
    const m = parseBundleManifest(readJson(file, 'bundle'));
    const engine = createScheduleEngine(m, gateFrom(opts, m.siteGroup));
    const from = opts.from ? parseTime(opts.from, '--from') : Date.now();
    const hours = Number(opts.hours);
    if (!(hours > 0 && hours <= 24 * 31)) throw new ConfigError('--hours must be between 0 and 744');
    for (const p of engine.timeline(from, from + hours * 3_600_000)) {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(p)}\n`);
        continue;
      }
      const via = p.scheduleEntryId ?? p.emergencyId ?? p.source;
      const lang = p.language === p.forLanguage ? p.language : `${p.language} (for ${p.forLanguage})`;
      process.stdout.write(
        `${new Date(p.startAt).toISOString()}  ${(p.durationMs / 1000).toFixed(1).padStart(7)} s  ${via.padEnd(16)} ${p.playlistId.padEnd(20)} ${p.itemId.padEnd(20)} ${lang}\n`,
      );
    }
  });

  gateOptions(
    program
      .command('content-gaps')
      .description('List the gate languages a bundle lacks, and what the gate does about each')
      .argument('<bundle>', 'bundle.json'),
  ).action((file: string, opts: GateOptions) => {
    const m = parseBundleManifest(readJson(file, 'bundle'));
    const gaps = createScheduleEngine(m, gateFrom(opts, m.siteGroup)).contentGaps();
    for (const g of gaps)
      process.stdout.write(`${g.what ?? 'item'} ${g.itemId}: no ${g.language} → ${g.resolution}\n`);
    process.stdout.write(`${gaps.length} content gap(s)\n`);
  });

  program
    .command('pop-verify')
    .description("Verify a device's proof-of-play chain: gaps, edits and signatures")
    .argument('<db>', 'the device SQLite database')
    .requiredOption('--public-key <pem>', "the device's Ed25519 public key (PEM file)")
    .action((dbPath: string, opts: { publicKey: string }) => {
      if (!existsSync(dbPath)) throw new ConfigError(`${dbPath}: no such database`);
      const db = openDeviceDb(dbPath);
      try {
        const report = verifyChain(readStoredPop(db), readFileSync(opts.publicKey, 'utf8'));
        for (const p of report.problems) process.stdout.write(`${p.kind} at seq ${p.seq}: ${p.message}\n`);
        process.stdout.write(
          `${report.ok ? 'ok' : 'FAILED'}: ${report.checked} records (seq ${report.firstSeq ?? '-'}…${report.lastSeq ?? '-'}), ${report.problems.length} problem(s)\n`,
        );
        if (!report.ok) process.exitCode = 1;
      } finally {
        db.close();
      }
    });
}
