/**
 * `gatecast repo init|add-site-group|resign-targets|rotate-root|status|refresh|serve`: the TUF
 * repository on this machine, its offline key operations, and serving it.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../protocol/clock.js';
import { createLogger } from '../platform/log.js';
import { loadPublicKey, loadSigningKey } from '../platform/tuf-keys.js';
import { publishRoutes } from '../sync-server/content/publish-routes.js';
import { initRepository } from '../sync-server/tuf/init-repository.js';
import { mountTufRepository } from '../sync-server/tuf/mount.js';
import { TufRepository } from '../sync-server/tuf/repository.js';
import { tufUrls } from '../sync-server/tuf/routes.js';
import { createHttpApp } from '../sync-server/web/http-app.js';
import { cliLogger, out, positiveInt, readToken, UsageError } from './publish-target.js';

/** The repository in `dir`, opened. */
const openRepository = (dir: string) =>
  new TufRepository({ dir, clock: systemClock, log: cliLogger() }).open();

export function registerRepoCommands(program: Command): void {
  const repo = program
    .command('repo')
    .description('The TUF repository on this machine (offline key operations, serving)');
  /** A subcommand on the repository in --repo. */
  const repoCommand = (name: string, description: string) =>
    repo.command(name).description(description).requiredOption('--repo <dir>', 'repository directory');
  repoCommand(
    'init',
    'Create a repository: root and targets signed with offline keys, online snapshot/timestamp keys generated in <repo>/keys',
  )
    .requiredOption('--root-key <files...>', 'root private key file(s)')
    .requiredOption('--targets-key <files...>', 'top-level targets private key file(s)')
    .option(
      '--root-threshold <n>',
      'signatures needed on root (default: all root keys)',
      positiveInt('--root-threshold'),
    )
    .option(
      '--targets-threshold <n>',
      'signatures needed on targets (default: all)',
      positiveInt('--targets-threshold'),
    )
    .action(
      async (o: {
        repo: string;
        rootKey: string[];
        targetsKey: string[];
        rootThreshold?: number;
        targetsThreshold?: number;
      }) => {
        await initRepository({
          dir: o.repo,
          clock: systemClock,
          rootKeys: await Promise.all(o.rootKey.map(loadSigningKey)),
          targetsKeys: await Promise.all(o.targetsKey.map(loadSigningKey)),
          ...(o.rootThreshold ? { rootThreshold: o.rootThreshold } : {}),
          ...(o.targetsThreshold ? { targetsThreshold: o.targetsThreshold } : {}),
        });
        out(`repository created in ${o.repo}`);
        out(`trusted root for devices: ${join(o.repo, 'metadata', 'root.json')}`);
      },
    );
  repoCommand(
    'add-releases-role',
    "Delegate gatecast's own releases (releases/*) to release approver keys; signed with the targets key(s)",
  )
    .requiredOption('--targets-key <files...>', 'top-level targets private key file(s)')
    .requiredOption('--approver <files...>', 'release approver public key files (<name>.pub.json)')
    .option('--threshold <n>', 'release approver signatures needed to publish', positiveInt('--threshold'), 2)
    .action(async (o: { repo: string; targetsKey: string[]; approver: string[]; threshold: number }) => {
      const r = await openRepository(o.repo);
      await r.addReleasesRole({
        approvers: (await Promise.all(o.approver.map(loadPublicKey))).map((k) => k.publicKey),
        threshold: o.threshold,
        targetsKeys: await Promise.all(o.targetsKey.map(loadSigningKey)),
      });
      out(
        `releases role delegated to ${o.approver.length} release approver key(s), threshold ${o.threshold}`,
      );
    });
  repoCommand(
    'add-site-group',
    'Delegate a site group (e.g. kien-giang/ha-tien) to approver keys; signed with the targets key(s)',
  )
    .requiredOption('--site-group <group>', 'site group, e.g. kien-giang/ha-tien')
    .requiredOption('--targets-key <files...>', 'top-level targets private key file(s)')
    .requiredOption('--approver <files...>', 'approver public key files (<name>.pub.json)')
    .option('--threshold <n>', 'approver signatures needed to publish', positiveInt('--threshold'), 2)
    .action(
      async (o: {
        repo: string;
        siteGroup: string;
        targetsKey: string[];
        approver: string[];
        threshold: number;
      }) => {
        const r = await openRepository(o.repo);
        const approvers = await Promise.all(o.approver.map(loadPublicKey));
        await r.addSiteGroup({
          siteGroup: o.siteGroup,
          approvers: approvers.map((a) => a.publicKey),
          threshold: o.threshold,
          targetsKeys: await Promise.all(o.targetsKey.map(loadSigningKey)),
        });
        out(`site group ${o.siteGroup}: ${approvers.length} approvers, threshold ${o.threshold}`);
      },
    );
  repoCommand('resign-targets', 'Re-sign top-level targets with a fresh expiry (offline targets keys)')
    .requiredOption('--targets-key <files...>', 'top-level targets private key file(s)')
    .action(async (o: { repo: string; targetsKey: string[] }) => {
      const r = await openRepository(o.repo);
      const res = await r.resignTargets({ targetsKeys: await Promise.all(o.targetsKey.map(loadSigningKey)) });
      out(`targets version ${res.version}, expires ${res.expires}`);
    });
  repoCommand(
    'rotate-root',
    'Write the next root version: fresh expiry, optionally new root and/or targets keys',
  )
    .requiredOption(
      '--root-key <files...>',
      'current root private key file(s), at least the current threshold',
    )
    .option('--new-root-key <files...>', 'new root private key file(s) (default: keep the current ones)')
    .option('--root-threshold <n>', 'new root threshold', positiveInt('--root-threshold'))
    .option(
      '--new-targets-key <files...>',
      'new top-level targets private key file(s); targets is re-signed with them',
    )
    .option(
      '--targets-threshold <n>',
      'new targets threshold (default: all new targets keys)',
      positiveInt('--targets-threshold'),
    )
    .action(
      async (o: {
        repo: string;
        rootKey: string[];
        newRootKey?: string[];
        rootThreshold?: number;
        newTargetsKey?: string[];
        targetsThreshold?: number;
      }) => {
        const r = await openRepository(o.repo);
        const load = (files: string[]) => Promise.all(files.map(loadSigningKey));
        const res = await r.rotateRoot({
          currentRootKeys: await load(o.rootKey),
          ...(o.newRootKey ? { newRootKeys: await load(o.newRootKey) } : {}),
          ...(o.rootThreshold ? { newRootThreshold: o.rootThreshold } : {}),
          ...(o.newTargetsKey ? { newTargetsKeys: await load(o.newTargetsKey) } : {}),
          ...(o.targetsThreshold ? { newTargetsThreshold: o.targetsThreshold } : {}),
        });
        out(`root version ${res.version}, expires ${res.expires}; devices follow it on their next refresh`);
      },
    );
  repoCommand('status', 'Versions, expiries and site groups of a repository').action(
    async (o: { repo: string }) => {
      const r = await openRepository(o.repo);
      const v = r.versions();
      const e = r.onlineExpiry();
      out(
        `root v${v.root}, targets v${v.targets}, snapshot v${v.snapshot} (expires ${e.snapshot}), timestamp v${v.timestamp} (expires ${e.timestamp})`,
      );
      for (const g of r.siteGroups())
        out(
          `site group ${g.siteGroup} (role ${g.role}): version ${g.version}, threshold ${g.threshold} of ${g.keyIds.length}`,
        );
    },
  );
  repoCommand('refresh', 'Re-sign snapshot/timestamp now if they are past half their lifetime').action(
    async (o: { repo: string }) => {
      const r = await openRepository(o.repo);
      const res = await r.refreshOnlineMetadata();
      out(`snapshot re-signed: ${res.snapshot}; timestamp re-signed: ${res.timestamp}`);
      for (const x of res.expiringOffline)
        out(`warning: ${x.role} expires ${x.expires}; re-sign it with its offline keys`);
    },
  );
  repoCommand(
    'serve',
    'Serve the repository (/tuf/metadata, /tuf/targets) and, with a token, the publishing API; re-signs online metadata',
  )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', (v) => Number(v), 8080)
    .option('--token <token>', 'publishing API bearer token (omit to serve read-only)')
    .option('--token-file <file>', 'file holding the publishing API bearer token')
    .action(async (o: { repo: string; host: string; port: number; token?: string; tokenFile?: string }) => {
      const app = createHttpApp();
      const token = await readToken(o);
      if (token && token.length < 16)
        throw new UsageError('the publishing API token must be at least 16 characters');
      const tuf = await mountTufRepository(app, {
        repoDir: o.repo,
        clock: systemClock,
        log: createLogger('sync-server:tuf'),
      });
      if (token)
        await app.register(publishRoutes, { repo: tuf.repo, drafts: tuf.drafts, auth: { bearer: token } });
      const base = await app.listen({ host: o.host, port: o.port });
      const urls = tufUrls(base);
      out(`metadata: ${urls.metadataUrl}`);
      out(`targets:  ${urls.targetsUrl}`);
      if (token) out(`publishing API: ${base}/api/publish (bearer token)`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await tuf.stop();
      await app.close();
    });
}
