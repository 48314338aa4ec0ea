/**
 * Commands for people who publish:
 *   gatecast keys generate|show
 *   gatecast keys register --server URL --user NAME --key FILE   (an approver's key to their account)
 *   gatecast repo init|add-site-group|status|refresh|serve      (offline keys / the server's repository)
 *   gatecast draft create|list|show|sign|publish|discard|logout
 *       --server URL --user NAME   a sync server, signed in with an account (password from
 *                                  --password-file, $GATECAST_PASSWORD or a prompt without echo);
 *                                  the session is kept for the next command (publish-session.ts)
 *                                  until it ends or `gatecast draft logout`
 *       --server URL --token T     a standalone `gatecast repo serve`
 *       --repo DIR                 a repository directory on this machine
 * One file per command group (keys-commands.ts, repo-commands.ts, draft-commands.ts); how a command
 * reaches its server or repository is publish-target.ts.
 */
import type { Command } from 'commander';
import { registerDraftCommands } from './draft-commands.js';
import { registerKeysCommands } from './keys-commands.js';
import { type PublishCliIo, processIo } from './publish-target.js';
import { registerRepoCommands } from './repo-commands.js';

export function registerPublishCommands(program: Command, io: PublishCliIo = processIo): void {
  registerKeysCommands(program, io);
  registerRepoCommands(program);
  registerDraftCommands(program, io);
}
