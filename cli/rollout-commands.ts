/**
 * `gatecast release rollout …`: ops drive the staged rollout of a gatecast release through the sync
 * server's ops API (ops bearer token from --token-file, or GATECAST_OPS_TOKEN):
 *
 *   gatecast release rollout start  --server URL --release 1.4.0 --canary ID[,ID…]
 *                                   [--stage gate:kien-giang/ha-tien:50%] [--stage province:kien-giang:100%]
 *                                   [--stage fleet:100%] [--manual] [--soak-minutes 60]
 *                                   [--pending-deadline-minutes 120] [--offline-limit-minutes 30]
 *   gatecast release rollout status [ID] --server URL [--json]
 *   gatecast release rollout pause|resume|abort|advance ID --server URL
 *
 * A stage is `scope:area:share` (gate and province) or `fleet:share`, the share a percentage (`50%`)
 * or screen ids separated by commas. A refusal (bad input, an unpublished version, an action that
 * does not apply) prints the server's reason and code and exits 1.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { coded } from '../protocol/errors.js';
import { opsRequest } from './ops-request.js';
import { UsageError } from './publish-target.js';

/** The server refused a request, or could not be reached: its reason, code and HTTP status. */
export class OpsApiError extends coded('OPS_API_FAILED') {}

export const OPS_TOKEN_ENV = 'GATECAST_OPS_TOKEN';

interface ServerOpts {
  server: string;
  tokenFile?: string;
}

interface StartOpts extends ServerOpts {
  release: string;
  canary: string;
  stage: string[];
  manual?: boolean;
  soakMinutes?: string;
  pendingDeadlineMinutes?: string;
  offlineLimitMinutes?: string;
}

type Stage = { scope: string; area?: string; select: { screens: string[] } | { percent: number } };

function share(text: string, spec: string): Stage['select'] {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (m) return { percent: Number(m[1]) };
  const screens = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (screens.length === 0) throw new UsageError(`--stage ${spec}: give a percentage (50%) or screen ids`);
  return { screens };
}

/** `gate:kien-giang/ha-tien:50%`, `province:kien-giang:id1,id2`, `fleet:100%`. */
export function parseStage(spec: string): Stage {
  const [scope, ...rest] = spec.split(':');
  if (scope === 'fleet' && rest.length === 1) return { scope, select: share(rest[0]!, spec) };
  if ((scope === 'gate' || scope === 'province') && rest.length === 2 && rest[0])
    return { scope, area: rest[0], select: share(rest[1]!, spec) };
  throw new UsageError(
    `--stage ${spec}: write gate:<site group>:<share>, province:<province>:<share> or fleet:<share>`,
  );
}

function minutes(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} is a number of minutes, not ${v}`);
  return Math.round(n * 60_000);
}

async function token(o: ServerOpts): Promise<string> {
  if (o.tokenFile) {
    try {
      return (await readFile(o.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new UsageError(`${o.tokenFile}: cannot read the token file (${(err as Error).message})`);
    }
  }
  const env = process.env[OPS_TOKEN_ENV];
  if (env) return env;
  throw new UsageError(`give the ops API token with --token-file FILE or ${OPS_TOKEN_ENV}`);
}

/** One ops API call; the JSON answer, or OpsApiError with the server's reason. */
async function call(o: ServerOpts, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await opsRequest(o.server.replace(/\/+$/, ''), await token(o), method, path, body);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new OpsApiError(`cannot reach ${o.server}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new OpsApiError(
      `the server refused (HTTP ${res.status}${e?.code ? `, ${e.code}` : ''}): ${e?.message ?? text.slice(0, 200)}`,
    );
  }
  return json;
}

interface StageView {
  index: number;
  scope: string;
  area: string | null;
  status: string;
  targets: number;
  offered: number;
  committed: number;
  failed: number;
  waiting: number;
}
interface RolloutView {
  id: string;
  version: string;
  status: string;
  stage: number;
  published: boolean;
  halt: { reason: string; screenName: string; detail: string } | null;
  definition: { advance: string; soakMs: number };
  stages: StageView[];
  screens: {
    screenName: string;
    siteGroup: string;
    phase: string;
    accepted: boolean;
    release: { running: string; state: string } | null;
  }[];
}

/** The rollout in lines a person reads. */
export function describeRollout(r: RolloutView): string {
  const lines = [
    `rollout ${r.id} of ${r.version}: ${r.status} (stage ${r.stage + 1} of ${r.stages.length}, ${
      r.definition.advance === 'auto'
        ? `next stage after ${Math.round(r.definition.soakMs / 60_000)} min settled`
        : 'stages advanced by hand'
    })`,
  ];
  if (!r.published) lines.push(`release ${r.version} is no longer published: nothing is offered`);
  if (r.halt) lines.push(`halted: screen ${r.halt.screenName} ${r.halt.reason} (${r.halt.detail || '—'})`);
  for (const s of r.stages)
    lines.push(
      `stage ${s.index + 1} ${s.scope}${s.area ? ` ${s.area}` : ''}: ${s.status}, ${s.committed}/${s.targets} committed, ${s.offered} offered, ${s.failed} failed, ${s.waiting} waiting`,
    );
  for (const x of r.screens)
    if (x.phase !== 'not-targeted')
      lines.push(
        `  ${x.screenName} (${x.siteGroup}): ${x.accepted ? 'failed (accepted)' : x.phase}; runs ${
          x.release ? `${x.release.running} ${x.release.state}` : 'unknown release'
        }`,
      );
  return lines.join('\n');
}

/** Adds `rollout` under the `release` command (release-commands.ts). */
export function registerRolloutCommands(release: Command): void {
  const rollout = release
    .command('rollout')
    .description('Staged rollout of a gatecast release through the sync server (ops API)');
  const server = (c: Command) =>
    c
      .requiredOption('--server <url>', 'sync server base URL')
      .option('--token-file <file>', `file holding the ops API token (else ${OPS_TOKEN_ENV})`);

  server(rollout.command('start'))
    .description('Start a rollout: the canaries first, then each --stage in order')
    // Not --version: the program's own option answers that one wherever it is written.
    .requiredOption('--release <version>', 'a published release version')
    .requiredOption('--canary <ids>', 'canary screen ids, separated by commas')
    .option(
      '--stage <spec>',
      'gate:<site group>:<share>, province:<id>:<share> or fleet:<share>',
      collect,
      [],
    )
    .option('--manual', 'advance stages by hand (default: automatically after the soak)')
    .option('--soak-minutes <n>', 'how long a stage stays settled before the next (default 60)')
    .option('--pending-deadline-minutes <n>', 'an offered screen not committed by then fails (default 120)')
    .option('--offline-limit-minutes <n>', 'an offered screen offline this long fails (default 30)')
    .action(async (o: StartOpts) => {
      const canaries = o.canary
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const body = {
        version: o.release,
        stages: [{ scope: 'canary', select: { screens: canaries } }, ...o.stage.map(parseStage)],
        advance: o.manual ? 'manual' : 'auto',
        soakMs: minutes('soak-minutes', o.soakMinutes),
        pendingDeadlineMs: minutes('pending-deadline-minutes', o.pendingDeadlineMinutes),
        offlineLimitMs: minutes('offline-limit-minutes', o.offlineLimitMinutes),
      };
      const r = (await call(o, 'POST', '/api/releases/rollouts', body)) as RolloutView;
      process.stdout.write(`${describeRollout(r)}\n`);
    });

  server(rollout.command('status'))
    .description('The rollout under way (or the one named) and its progress per stage')
    .argument('[id]', 'a rollout id')
    .option('--json', 'print the JSON answer')
    .action(async (id: string | undefined, o: ServerOpts & { json?: boolean }) => {
      const r = id
        ? ((await call(o, 'GET', `/api/releases/rollouts/${encodeURIComponent(id)}`)) as RolloutView)
        : ((await call(o, 'GET', '/api/releases')) as { current: RolloutView | null }).current;
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`${r ? describeRollout(r) : 'no rollout under way'}\n`);
    });

  for (const action of ['pause', 'resume', 'abort', 'advance'] as const)
    server(rollout.command(action))
      .description(
        {
          pause: 'Stop offering the release (screens already offered are still judged)',
          resume: 'Go on; after a halt, the failures seen so far are accepted',
          abort: 'End the rollout for good',
          advance: 'Move to the next stage now (the current stage’s offered screens must have settled)',
        }[action],
      )
      .argument('<id>', 'the rollout id')
      .action(async (id: string, o: ServerOpts) => {
        const r = (await call(
          o,
          'POST',
          `/api/releases/rollouts/${encodeURIComponent(id)}/${action}`,
        )) as RolloutView;
        process.stdout.write(`${describeRollout(r)}\n`);
      });
}

function collect(v: string, all: string[]): string[] {
  return [...all, v];
}
