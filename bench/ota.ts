/**
 * `npm run bench -- ota [--runs 200] [--seed 1] [--commit-within-ms 5000] [--parallel 16] [--real [5]] [--real-only] [--restart-sec 5]`
 *
 * Over-the-air updates cut by a power loss. A real TUF repository with a `releases` role (two of
 * three release approvers sign) is served on 127.0.0.1; it holds three fixture releases, each a
 * tar.gz of `release.json`, an `app.mjs` and 1 MiB of incompressible payload: 1.1.0 plays (its app
 * reports "on air" as soon as it is started: the stand-in for the first content frame), 1.2.0 exits
 * at start, 1.3.0 starts but never plays. Each run takes a fresh screen on 1.0.0 (committed), picks
 * a release (60 % good, 20 % each broken kind) and a moment, and installs it with the real device
 * code in a child process (bench/ota.worker.ts: ReleaseInstaller through the TUF client, then the
 * unit's start-check, the daemon's check and ReleaseProof at each start). The child is killed with
 * SIGKILL at a step boundary it reports, or at a random delay into that phase: download, unpack,
 * switch (database backup, pending state, link rename), first start, or commit (for a broken release:
 * the start that rolls it back). Then the screen is powered on again, as systemd would (exit 75 or a
 * crash: started again, with a new INVOCATION_ID), until a start keeps a release that plays. When the
 * cut came before the switch, the install is issued again (as the server would) and the screen
 * restarted into it. Finally the screen is rebooted once more and must come up the same way.
 *
 * Bricked: no start among 12 reaches a release that plays, or the release that plays is not a
 * runnable one. Expected: a good release ends committed and current; a broken one ends rolled back
 * (current 1.0.0, `lastRollback` naming it). Switch-to-first-frame: from the rename of `current` to
 * the new release reporting that it plays, for switches no kill interrupted (it includes the installer
 * leaving with exit 75, the restart and both start-up checks); baseline in the same run, alternating:
 * a cold start of the same app (every fourth run) on a screen where 1.1.0 is committed, from the fork
 * to "plays".
 * These fixture apps stand in for the daemon: their switch-to-first-frame says how long the release
 * machinery takes around a start, not how long the real daemon takes to show content again.
 *
 * `--real [n]` adds the real measurement (bench/ota-real.ts), after the kill runs: two real release
 * builds of this package (A, and B the same with a bumped version), a real sync server with the TUF
 * `releases` role, a screen whose daemon runs from its `current` link as its systemd unit runs it,
 * playing the signed sample bundle in headless Chromium, offered B. n switches (rename of `current`
 * → B's first content frame) alternating with n cold starts of B on the same screen (the unit's first
 * fork → first content frame); 5 each when no number follows. `--real-only` runs only that part (no
 * kill runs); `--restart-sec <s>` replaces the unit's RestartSec (100 ms) between A's exit and B's start.
 * Ends with
 *   ota: <bricked> bricked of <n> runs (baseline 0, median switch-to-first-frame <ms>, rollbacks <k>)
 * and with `--real`, inside the parentheses:
 *   …, rollbacks <k>; real daemon: switch-to-first-frame <ms> vs cold start <ms>, ratio <r>, goal ≤ 1.3)
 * or, with `--real-only`:
 *   ota: real daemon only, no fixture kill runs (real daemon: switch-to-first-frame <ms> vs cold start <ms>, ratio <r>, goal ≤ 1.3)
 * (`, <k> rounds or checks failed` follows the goal when a real round did not finish or went wrong).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { releaseLayout, ReleaseStore, runStartCheck } from '../device/release/release-store.js';
import { memoryLogger } from '../platform/log.js';
import { generateSigningKey } from '../platform/tuf-keys.js';
import { platformOf } from '../protocol/release.js';
import { publishReleaseFiles } from '../sync-server/tuf/release-drafts.js';
import { fixtureRelease } from '../tests/helpers/release-fixture.js';
import { seededRandom } from '../tests/helpers/seeded-random.js';
import { tempDir } from '../tests/helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../tests/helpers/tuf-repo.js';
import { median, numberArg, percentile, positiveArg } from './lib.js';
import { realOta, unitRestartSec } from './ota-real.js';
import type { OtaMessage } from './ota.worker.js';

type Kind = 'good' | 'crash' | 'silent';
type Phase = 'download' | 'unpack' | 'switch' | 'first-start' | 'commit';
const PHASES: Phase[] = ['download', 'unpack', 'switch', 'first-start', 'commit'];
const VERSION: Record<Kind, string> = { good: '1.1.0', crash: '1.2.0', silent: '1.3.0' };
const FROM = '1.0.0';
const MAX_STARTS = 12;
/** Real switches and cold starts when `--real` has no number. */
const REAL_ROUNDS = 5;

const APPS: Record<Kind, string> = {
  good: 'export function start(ctx) {\n  ctx.onAir();\n}\n',
  crash: "export function start() {\n  throw new Error('cannot start');\n}\n",
  silent: 'export function start() {}\n',
};

const workerPath = fileURLToPath(new URL('./ota.worker.js', import.meta.url));
const wallNow = () => performance.timeOrigin + performance.now();
const quiet = memoryLogger('ota-bench');

/** Where and how a run is cut: a hold point (killed there) or a delay after a point, in one process. */
interface Cut {
  phase: Phase;
  /** Which process: the install, or the n-th start after the switch. */
  proc: 'install' | number;
  /** The point the cut is measured from ('spawn' = the fork). */
  point: string;
  /** Killed at the point itself (held there) when null, else this many ms after it. */
  delayMs: number | null;
}

interface ProcResult {
  code: number | null;
  killed: boolean;
  messages: OtaMessage[];
  spawnedAt: number;
}

function runProc(args: string[], cut: Cut | null): Promise<ProcResult> {
  const hold = cut && cut.delayMs === null && cut.point !== 'spawn' ? ['--hold', cut.point] : [];
  const spawnedAt = wallNow();
  const child: ChildProcess = fork(workerPath, [...args, ...hold], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const messages: OtaMessage[] = [];
  let killed = false;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killed = true;
    child.kill('SIGKILL');
  };
  const armed = (point: string) => {
    if (!cut || cut.point !== point) return;
    if (cut.delayMs === null) kill();
    else setTimeout(kill, cut.delayMs);
  };
  armed('spawn');
  child.on('message', (m: OtaMessage) => {
    messages.push(m);
    const point = m.t === 'step' ? m.step : m.t;
    armed(point);
  });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      if (code === 1 && process.env['OTA_BENCH_DEBUG']) process.stderr.write(stderr);
      resolve({ code, killed, messages, spawnedAt });
    });
  });
}

interface Device {
  dir: string;
  store: ReleaseStore;
}

function writeApp(store: ReleaseStore, version: string, kind: Kind): void {
  const d = store.releaseDir(version);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'release.json'), '{}');
  writeFileSync(join(d, 'app.mjs'), APPS[kind]);
}

/** A screen on `version` (installed by hand, adopted as committed), with a device database. */
function makeDevice(dir: string, version: string): Device {
  const store = new ReleaseStore(releaseLayout(join(dir, 'opt')));
  writeApp(store, version, 'good');
  store.switchLink('current', version);
  mkdirSync(join(dir, 'data'), { recursive: true });
  const dbPath = join(dir, 'data', 'device.db');
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('before')");
  db.close();
  runStartCheck({
    store,
    dbPath,
    policy: { maxStarts: 3, pendingDeadlineMs: 30 * 60_000 },
    nowMs: Date.now(),
    startId: null,
    log: quiet,
  });
  return { dir, store };
}

interface FixtureSummary {
  bricked: number;
  runs: number;
  switchMs: number;
  rollbacks: number;
}

/** The kill runs on fixture releases: prints their figures and gives what the last line needs. */
async function fixtureRuns(args: string[]): Promise<FixtureSummary> {
  const runs = positiveArg(args, 'runs', 200);
  const seed = numberArg(args, 'seed', 1);
  const commitWithinMs = positiveArg(args, 'commit-within-ms', 5000);
  const parallel = positiveArg(args, 'parallel', 16);
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const platform = platformOf(process.platform, process.arch);
  if (!platform) throw new Error(`no gatecast release platform for ${process.platform}-${process.arch}`);

  const tmp = tempDir('gatecast-ota-bench-');
  let repo: TufRepoFixture | undefined;
  try {
    repo = await startTufRepo();
    const approvers = [1, 2, 3].map((i) => generateSigningKey(`release-${i}`).key);
    await repo.repo.addReleasesRole({
      approvers: approvers.map((k) => k.publicKey),
      threshold: 2,
      targetsKeys: [repo.keys.targets],
    });
    const payload = randomBytes(768 * 1024).toString('base64'); // 1 MiB of text that gzip cannot shrink much
    const files: Record<string, Uint8Array> = {};
    for (const kind of ['good', 'crash', 'silent'] as const) {
      const r = fixtureRelease(join(tmp.path, 'fixtures'), {
        version: VERSION[kind],
        platform,
        files: { 'app.mjs': APPS[kind], 'payload.b64': payload },
      });
      Object.assign(files, r.files);
    }
    await publishReleaseFiles(repo.repo, files, approvers.slice(0, 2));
    const urls = [repo.metadataUrl, repo.targetsUrl, repo.rootPath] as const;

    const cold = makeDevice(join(tmp.path, 'cold'), VERSION.good);
    const coldMs: number[] = [];
    const switchMs: number[] = [];
    let bricked = 0;
    let unexpected = 0;
    let rollbacks = 0;
    let kills = 0;
    let reinstalls = 0;
    let startCount = 0;
    const byPhase = new Map<Phase, { runs: number; killed: number; bricked: number }>(
      PHASES.map((p) => [p, { runs: 0, killed: 0, bricked: 0 }]),
    );
    const problems: string[] = [];
    // Phase lengths seen so far (ms), so that random delays land inside the phase on this machine.
    const seen: Record<string, number[]> = { download: [], unpack: [], switch: [], start: [] };
    const window = (what: string, fallback: number) =>
      seen[what]!.length ? percentile(seen[what]!, 90) : fallback;
    const started = Date.now();

    // Every run's choices drawn up front, so that a seed names the same runs whatever the parallelism.
    const plans = Array.from({ length: runs }, () => {
      const kind: Kind = rand() < 0.6 ? 'good' : rand() < 0.5 ? 'crash' : 'silent';
      return { kind, phase: pick(PHASES), atBoundary: rand() < 0.5, r1: rand(), point: rand() };
    });
    const runOne = async (i: number) => {
      const { kind, phase, atBoundary, r1 } = plans[i]!;
      const at = <T>(xs: readonly T[]): T => xs[Math.floor(plans[i]!.point * xs.length)]!;
      const target = VERSION[kind];
      let cut: Cut;
      switch (phase) {
        case 'download':
          cut = {
            phase,
            proc: 'install',
            point: 'refreshed',
            delayMs: atBoundary ? null : r1 * window('download', 30),
          };
          break;
        case 'unpack':
          cut = {
            phase,
            proc: 'install',
            point: 'downloaded',
            delayMs: atBoundary ? null : r1 * window('unpack', 40),
          };
          break;
        case 'switch':
          cut = atBoundary
            ? {
                phase,
                proc: 'install',
                point: at(['unpacked', 'backed-up', 'pending', 'switched']),
                delayMs: null,
              }
            : { phase, proc: 'install', point: 'unpacked', delayMs: r1 * window('switch', 20) };
          break;
        case 'first-start':
          cut = atBoundary
            ? { phase, proc: 1, point: 'checked', delayMs: null }
            : { phase, proc: 1, point: 'spawn', delayMs: r1 * window('start', 300) };
          break;
        case 'commit':
          // A good release: while it commits. A silent one: while it begins its rollback. One that exits
          // at start: the fourth start, the one that rolls it back after three failed starts.
          cut =
            kind === 'good'
              ? { phase, proc: 1, point: 'plays', delayMs: atBoundary ? null : r1 * 5 }
              : kind === 'silent'
                ? { phase, proc: 1, point: 'verdict', delayMs: atBoundary ? null : r1 * 5 }
                : {
                    phase,
                    proc: 4,
                    point: atBoundary ? 'checked' : 'spawn',
                    delayMs: atBoundary ? null : r1 * window('start', 300),
                  };
          break;
      }
      const stats = byPhase.get(phase)!;
      stats.runs++;
      const dev = makeDevice(join(tmp.path, `run-${i}`), FROM);
      let killedThisRun = false;
      let switchedAt: number | null = null;

      const install = async (c: Cut | null) => {
        const r = await runProc(['install', dev.dir, target, ...urls], c);
        if (r.killed) killedThisRun = true;
        const at = (s: string) => r.messages.find((m) => m.t === 'step' && m.step === s)?.at;
        const [ref, dl, up, sw] = [at('refreshed'), at('downloaded'), at('unpacked'), at('switched')];
        if (!r.killed && ref && dl && up && sw) {
          seen['download']!.push(dl - ref);
          seen['unpack']!.push(up - dl);
          seen['switch']!.push(sw - up);
        }
        switchedAt = sw !== undefined && !r.killed ? sw : null;
        return r;
      };
      /** Powers the screen on until a start keeps a release that plays; null when none does. */
      const powerOn = async (c: Cut | null): Promise<string | null> => {
        for (let n = 1; n <= MAX_STARTS; n++) {
          startCount++;
          const r = await runProc(
            ['start', dev.dir, `inv-${i}-${startCount}`, urls[0], String(commitWithinMs)],
            c && c.proc === n ? c : null,
          );
          if (r.killed) killedThisRun = true;
          const plays = r.messages.find((m) => m.t === 'plays');
          if (n === 1 && switchedAt !== null && plays && plays.version === target)
            switchMs.push(plays.at - switchedAt);
          if (n === 1) switchedAt = null;
          const end = r.messages.find((m) => m.t === 'checked')?.at;
          if (!r.killed && end && kind === 'good') seen['start']!.push((plays?.at ?? end) - r.spawnedAt);
          if (r.code === 0 && plays) return plays.version;
          if (r.code === 3 || r.code === 4) return null; // dark, or nothing to run: the unit gives up
          // 75 (restart into another release), a crash, or our SIGKILL: systemd starts it again.
        }
        return null;
      };

      const installCut = cut.proc === 'install' ? cut : null;
      await install(installCut);
      let up = await powerOn(cut.proc === 'install' ? null : cut);
      const state = () => dev.store.state();
      const updated = () => up === target || state()?.lastRollback?.version === target;
      if (up === FROM && !updated()) {
        // The cut came before the switch (or the switch was abandoned): the server asks again.
        reinstalls++;
        const r = await install(null);
        if (r.code !== 75) problems.push(`run ${i}: install again exited ${r.code}`);
        up = await powerOn(null);
      }
      // And once more: a screen that comes up once must come up at the next boot too.
      const again = up === null ? null : await powerOn(null);
      const current = dev.store.linkTarget('current');
      const s = state();
      const runnable = current === FROM || current === VERSION.good;
      const isBricked = up === null || again === null || !runnable || again !== current;
      const rolledBack = s?.lastRollback?.version === target;
      if (rolledBack) rollbacks++;
      const expected =
        kind === 'good'
          ? current === target && s?.committed === target && !s.pending
          : current === FROM && rolledBack && !s?.pending;
      if (killedThisRun) {
        kills++;
        stats.killed++;
      }
      if (isBricked) {
        bricked++;
        stats.bricked++;
      }
      if (isBricked || !expected) {
        if (!isBricked) unexpected++;
        problems.push(
          `run ${i}: ${kind} ${target}, cut ${phase} at ${cut.point}${cut.delayMs === null ? '' : ` +${cut.delayMs.toFixed(1)} ms`} (${cut.proc === 'install' ? 'install' : `start ${cut.proc}`}): ` +
            `up ${up ?? 'never'}, reboot ${again ?? 'never'}, current ${current ?? 'none'}, state ${JSON.stringify(s)}`,
        );
      }
      if (i % 4 === 0) {
        startCount++;
        const c = await runProc(
          ['start', cold.dir, `cold-${startCount}`, urls[0], String(commitWithinMs)],
          null,
        );
        const plays = c.messages.find((m) => m.t === 'plays');
        if (c.code === 0 && plays) coldMs.push(plays.at - c.spawnedAt);
        else problems.push(`cold start ${i}: exit ${c.code}`);
      }
      rmSync(dev.dir, { recursive: true, force: true });
      if (++done % 20 === 0)
        process.stderr.write(
          `${done} of ${runs} runs, ${bricked} bricked, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
    };
    let done = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < runs) await runOne(next++);
      }),
    );

    const ms = (xs: number[]) => (xs.length ? median(xs).toFixed(0) : 'n/a');
    process.stdout.write(
      `runs: ${runs} (seed ${seed}, ${parallel} at a time, ${((Date.now() - started) / 1000).toFixed(0)} s); killed mid-way: ${kills}; ` +
        `installs issued again after a cut before the switch: ${reinstalls}; process starts: ${startCount}\n`,
    );
    for (const [p, st] of byPhase)
      process.stdout.write(`  ${p.padEnd(12)} runs ${st.runs}, killed ${st.killed}, bricked ${st.bricked}\n`);
    process.stdout.write(
      `phase lengths seen (median ms): download ${ms(seen['download']!)}, unpack ${ms(seen['unpack']!)}, ` +
        `switch ${ms(seen['switch']!)}, start ${ms(seen['start']!)}\n`,
    );
    process.stdout.write(`not as expected (but not bricked): ${unexpected}\n`);
    for (const p of problems.slice(0, 20)) process.stdout.write(`  ${p}\n`);
    const sw = Math.round(median(switchMs));
    const cs = Math.round(median(coldMs));
    process.stdout.write(
      `switch-to-first-frame: median ${sw} ms of ${switchMs.length} uninterrupted switches (p90 ${percentile(switchMs, 90).toFixed(0)}); ` +
        `cold start of the same app: median ${cs} ms of ${coldMs.length} (p90 ${percentile(coldMs, 90).toFixed(0)}); ` +
        `ratio ${(sw / cs).toFixed(3)} (goal ≤ 1.3× a cold start)\n`,
    );
    return { bricked, runs, switchMs: sw, rollbacks };
  } finally {
    await repo?.close();
    tmp.cleanup();
  }
}

/** `--real [n]`: n real switches and n cold starts (5 when no number follows); null when absent. */
function realArg(args: string[], realOnly: boolean): number | null {
  const i = args.indexOf('--real');
  if (i < 0) return realOnly ? REAL_ROUNDS : null;
  const next = args[i + 1];
  if (next === undefined || next.startsWith('--')) return REAL_ROUNDS;
  const n = Number(next);
  if (!Number.isInteger(n) || n <= 0) throw new Error('--real needs a positive whole number');
  return n;
}

export default async function ota(args: string[]): Promise<void> {
  const realOnly = args.includes('--real-only');
  const rounds = realArg(args, realOnly);
  const restartSec = args.includes('--restart-sec') ? numberArg(args, 'restart-sec', 0) : unitRestartSec();
  if (!Number.isFinite(restartSec) || restartSec < 0) throw new Error('--restart-sec needs a number ≥ 0');
  const fixture = realOnly ? null : await fixtureRuns(args);
  let real: string | null = null;
  if (rounds !== null) {
    const write = (line: string) => process.stdout.write(line);
    write(`real daemon: ${rounds} switches and ${rounds} cold starts (RestartSec ${restartSec} s)\n`);
    const r = await realOta({ rounds, restartSec, out: write });
    for (const p of r.problems) write(`  ${p.split('\n').slice(0, 12).join('\n    ')}\n`);
    const ms = (xs: number[]) => (xs.length ? median(xs).toFixed(0) : 'n/a');
    const sw = r.switches.map((x) => x.totalMs);
    const cold = r.colds.map((x) => x.totalMs);
    const ratio = sw.length && cold.length ? (median(sw) / median(cold)).toFixed(3) : 'n/a';
    const withoutWait = r.switches.map((x) => x.totalMs - r.restartSec * 1000);
    write(
      `real daemon (two release builds in ${r.buildS.toFixed(0)} s): switch-to-first-frame median ${ms(sw)} ms of ${sw.length} ` +
        `(A's exit after the rename ${ms(r.switches.map((x) => x.aExitMs))}, restart wait and check ${ms(r.switches.map((x) => x.restartMs))}, ` +
        `B's start to first frame ${ms(r.switches.map((x) => x.bStartMs))}); cold start median ${ms(cold)} ms of ${cold.length} ` +
        `(check ${ms(r.colds.map((x) => x.checkMs))}, daemon start to first frame ${ms(r.colds.map((x) => x.startMs))}); ` +
        `ratio ${ratio} (goal ≤ 1.3); less the ${r.restartSec} s RestartSec wait, the switch takes ${ms(withoutWait)} ms ` +
        `(ratio ${withoutWait.length && cold.length ? (median(withoutWait) / median(cold)).toFixed(3) : 'n/a'})\n`,
    );
    real = `real daemon: switch-to-first-frame ${ms(sw)} ms vs cold start ${ms(cold)} ms, ratio ${ratio}, goal ≤ 1.3`;
    if (r.problems.length) real += `, ${r.problems.length} rounds or checks failed`;
  }
  if (fixture === null) {
    process.stdout.write(`ota: real daemon only, no fixture kill runs (${real})\n`);
    return;
  }
  process.stdout.write(
    `ota: ${fixture.bricked} bricked of ${fixture.runs} runs (baseline 0, median switch-to-first-frame ${fixture.switchMs} ms, rollbacks ${fixture.rollbacks}` +
      `${real === null ? '' : `; ${real}`})\n`,
  );
}
