/**
 * `gatecast emergency end|status`: ending an emergency on air early (docs/drafts.md §7) from a
 * terminal, through the sync server's EmergencyEndService with an account (the same session as
 * `gatecast draft …`, publish-session.ts), so the end is recorded and audited with who ended it:
 *
 *   gatecast emergency end <emergency id | draft id> --server URL --user NAME [--site-group G] [--yes]
 *   gatecast emergency status <emergency id | draft id> --server URL --user NAME [--site-group G] [--json]
 *
 * `end` first asks the server what the end would take off air (the same checks as the end itself:
 * unknown, expired, already ended, not on air, not endable are refused by name before anything is
 * asked), shows it and asks `[y/N]` unless --yes. A refusal prints the server's reason and code and
 * exits 1.
 */
import type { Command } from 'commander';
import type { EmergencyEndStatusView, EmergencyRef } from '../protocol/emergency-end.js';
import { coded } from '../protocol/errors.js';
import { type HttpPublishClient, PublishApiError } from '../provisioning/publish-client.js';
import type { Action } from '../sync-server/web/roles.js';
import { removeSession, sessionPath } from './publish-session.js';
import {
  accountClient,
  explainRefusal,
  out,
  askLine,
  type PublishCliIo,
  processIo,
  type TargetOpts,
  UsageError,
} from './publish-target.js';

/** The operator answered no when asked to end the emergency. */
export class EndDeclinedError extends coded('END_DECLINED') {}

interface EmergencyOpts extends TargetOpts {
  siteGroup?: string;
}

/** Runs `run` with an account session at --server; an ended session's file goes, a role refusal names the role. */
async function withAccount<T>(
  o: EmergencyOpts,
  io: PublishCliIo,
  action: Action,
  run: (client: HttpPublishClient) => Promise<T>,
): Promise<T> {
  if (!o.server || !o.user)
    throw new UsageError(
      'give --server URL and --user NAME: an emergency is ended with a sync server account',
    );
  const client = await accountClient({ ...o, server: o.server, user: o.user }, io);
  try {
    return await run(client);
  } catch (err) {
    if (err instanceof PublishApiError && err.code === 'AUTH_REQUIRED')
      await removeSession(sessionPath(io.env, o.server, o.user));
    throw explainRefusal(err, client, action);
  }
}

const refOf = (id: string, o: EmergencyOpts): EmergencyRef => ({
  id,
  ...(o.siteGroup ? { siteGroup: o.siteGroup } : {}),
});

const STATE_WORDS = { confirmed: 'confirmed', waiting: 'not yet', refused: 'refused', expired: 'expired' };

/** The end's status: who ended it, then each screen with what it answered (offline ones named). */
export function describeEndStatus(s: EmergencyEndStatusView): string[] {
  const lines = [
    `emergency ${s.emergencyId} at ${s.siteGroup}: ended early by ${s.endedBy} at ${s.endedAt} (it would have expired at ${s.expiresAt})`,
    s.screens.length
      ? `  screens confirmed: ${s.confirmed} of ${s.screens.length}${s.refused ? `; refused: ${s.refused}` : ''}`
      : '  this site group has no screens',
  ];
  for (const x of s.screens)
    lines.push(
      `  ${STATE_WORDS[x.state].padEnd(9)} ${x.screenName} (${x.deviceId}, ${x.online ? 'online' : 'offline'})${x.message && x.state !== 'waiting' ? `: ${x.message}` : ''}`,
    );
  return lines;
}

/** The options of a command that works with an account at a sync server. */
function withAccountTarget(cmd: Command): Command {
  return cmd
    .option('--site-group <group>', 'the site group (needed only when the id is in two site groups)')
    .option('--server <url>', 'sync server base URL')
    .option(
      '--user <name>',
      'your account on the sync server (password: --password-file, $GATECAST_PASSWORD or a prompt)',
    )
    .option('--password-file <file>', 'file holding your account password')
    .option('--ca <file>', 'PEM of the server certificate or CA to trust (https servers with a private CA)');
}

export function registerEmergencyCommands(program: Command, io: PublishCliIo = processIo): void {
  const emergency = program
    .command('emergency')
    .description('Emergency messages on air: end one early, follow which screens confirmed');

  withAccountTarget(
    emergency
      .command('end <id>')
      .description(
        'End an emergency on air early (its id, or the id of the emergency draft that put it on air): every screen of its site group takes it off and returns to the signed content',
      )
      .option('--yes', 'end without asking for confirmation (scripts)'),
  ).action(async (id: string, o: EmergencyOpts & { yes?: boolean }) => {
    const ref = refOf(id, o);
    const status = await withAccount(o, io, 'emergency.end', async (client) => {
      const p = await client.emergencyEndCheck(ref);
      out(
        `emergency ${p.emergencyId} at ${p.siteGroup} (version ${p.version} on air), from ${p.startsAt} until ${p.expiresAt}`,
      );
      for (const [lang, t] of Object.entries(p.text))
        out(`  ${lang}: ${t.title ? `${t.title} — ` : ''}${t.body.replace(/\n+/g, ' ')}`);
      const offline = p.screens.filter((x) => !x.online).map((x) => x.screenName);
      out(
        `  screens: ${p.screens.length}${offline.length ? ` (offline: ${offline.join(', ')}; they get the end when they connect)` : ''}`,
      );
      if (!o.yes) {
        const answer = await askLine(
          `End emergency ${p.emergencyId} at ${p.siteGroup} now? The screens take it off and return to the signed content underneath; this cannot be undone. [y/N] `,
          io,
        );
        if (answer === undefined)
          throw new UsageError('no answer to "End now?"; give --yes to end without asking');
        if (!/^y(es)?$/i.test(answer.trim()))
          throw new EndDeclinedError(`emergency ${p.emergencyId} not ended`);
      }
      return client.endEmergencyEarly({ siteGroup: p.siteGroup, id: p.emergencyId });
    });
    for (const l of describeEndStatus(status)) out(l);
    out(`follow the screens' answers with "gatecast emergency status ${status.emergencyId}"`);
  });

  withAccountTarget(
    emergency
      .command('status <id>')
      .description(
        'Who ended an emergency early, and which screens confirmed it and which not yet (offline ones named)',
      )
      .option('--json', 'print the status as JSON'),
  ).action(async (id: string, o: EmergencyOpts & { json?: boolean }) => {
    const s = await withAccount(o, io, 'content.view', (client) => client.emergencyEndStatus(refOf(id, o)));
    if (o.json) out(JSON.stringify(s, null, 2));
    else for (const l of describeEndStatus(s)) out(l);
  });
}
