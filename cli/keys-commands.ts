/** `gatecast keys generate|show|register`: approver and offline key files, and registering one with an account. */
import type { Command } from 'commander';
import { loadPublicKey, publicKeyFileOf, generateKeyPairFiles } from '../platform/tuf-keys.js';
import { PublishApiError } from '../provisioning/publish-client.js';
import { removeSession, sessionPath } from './publish-session.js';
import {
  accountClient,
  explainRefusal,
  out,
  type PublishCliIo,
  readPassword,
  type TargetOpts,
} from './publish-target.js';

export function registerKeysCommands(program: Command, io: PublishCliIo): void {
  const keys = program.command('keys').description('Signing keys (root, targets, approver, online)');
  keys
    .command('generate')
    .description(
      'Generate an Ed25519 key pair: <out>/<name>.key (private, mode 0600) and <out>/<name>.pub.json',
    )
    .requiredOption('--out <dir>', 'directory for the key files')
    .requiredOption('--name <name>', 'key name, e.g. approver-nguyen-van-a')
    .option('--force', 'overwrite an existing key of that name')
    .action(async (o: { out: string; name: string; force?: boolean }) => {
      const r = await generateKeyPairFiles(o.out, o.name, { overwrite: Boolean(o.force) });
      out(`private key: ${r.privatePath} (keep it on this machine; mode 0600)`);
      out(`public key:  ${r.publicPath}`);
      out(`key id:      ${r.key.keyId}`);
    });
  keys
    .command('show')
    .description('Print the public key file JSON (and key id) for a private or public key file')
    .argument('<file>', '<name>.key or <name>.pub.json')
    .action(async (file: string) => {
      const k = await loadPublicKey(file);
      out(JSON.stringify(publicKeyFileOf(k), null, 2));
    });
  keys
    .command('register')
    .description(
      'Register your approver public key with your account on the sync server: only signatures made with it count as yours',
    )
    .requiredOption('--server <url>', 'sync server base URL')
    .requiredOption(
      '--user <name>',
      'your account (password: --password-file, $GATECAST_PASSWORD or a prompt)',
    )
    .requiredOption('--key <file>', '<name>.pub.json, or <name>.key to derive the public key from')
    .option('--password-file <file>', 'file holding your account password')
    .option('--ca <file>', 'PEM of the server certificate or CA to trust')
    .action(async (o: TargetOpts & { server: string; user: string; key: string }) => {
      const pub = publicKeyFileOf(await loadPublicKey(o.key));
      // The server asks for the password again to register a key, so it is read once here.
      const password = await readPassword(o, io);
      const client = await accountClient(o, io, password);
      try {
        const k = await client.registerKey(pub, password);
        out(`key ${k.name} (${k.keyid}) registered to ${k.username} at ${o.server}`);
      } catch (err) {
        if (err instanceof PublishApiError && err.code === 'AUTH_REQUIRED')
          await removeSession(sessionPath(io.env, o.server, o.user));
        throw explainRefusal(err, client, 'draft.approve');
      }
    });
}
