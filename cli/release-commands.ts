/**
 * `gatecast release build|draft|sign|publish|start-check`: gatecast's own releases, signed by the
 * release approvers (the TUF `releases` role, its own keys and threshold) and installed by screens
 * A/B with commit and automatic rollback. The rollout to screens is `gatecast release rollout`.
 */
import { registerRolloutCommands } from './rollout-commands.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { loadSigningKey } from '../platform/tuf-keys.js';
import { systemClock } from '../protocol/clock.js';
import { ReleasePlatform } from '../protocol/release.js';
import { loadConfig, openReleaseInstaller, releaseStartCheck } from '../device/main.js';
import { RESTART_EXIT_CODE } from '../device/release/release-installer.js';
import { openDeviceDb } from '../device/store/sqlite.js';
import { packageVersion } from '../platform/package-version.js';
import {
  createReleaseDraft,
  type DraftRelease,
  draftReleases,
  parseReleaseDraft,
  type ReleaseDraft,
  publishReleaseDraft,
  releaseDraftSignatures,
  serializeReleaseDraft,
  signReleaseDraft,
} from '../sync-server/tuf/release-drafts.js';
import { TufRepository } from '../sync-server/tuf/repository.js';
import { buildRelease } from './release-build.js';
import { SigningDeclinedError } from './draft-commands.js';
import { askLine, cliLogger, out, UsageError } from './publish-target.js';

const openRepository = (dir: string) =>
  new TufRepository({ dir, clock: systemClock, log: cliLogger() }).open();

/** The package root of this CLI (where dist/ and node_modules/ are). */
function appDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      const up = dirname(dir);
      if (up === dir) throw new UsageError('cannot find the package root of this gatecast');
      dir = up;
    }
  }
}

/** What a release approver is about to sign: each release with its signed targets and manifest. */
export function describeReleaseDraft(
  file: string,
  d: ReleaseDraft,
  releases: DraftRelease[],
  key: { name: string; keyId: string },
): string[] {
  const signedBy = Object.keys(d.metadata.signatures);
  const lines = [
    `release draft ${file}: releases role version ${d.metadata.signed.version}, expires ${d.metadata.signed.expires}`,
    `  signatures so far: ${signedBy.length}${signedBy.length ? ` (${signedBy.map((k) => k.slice(0, 12)).join(', ')})` : ''}`,
  ];
  const target = (label: string, t: { path: string; length: number; sha256: string } | null) =>
    t ? `  ${label} ${t.path}: ${t.length} bytes, sha256 ${t.sha256}` : `  ${label}: none in this draft`;
  for (const r of releases) {
    lines.push(`gatecast ${r.version} for ${r.platform}`);
    lines.push(target('artifact', r.artifact), target('manifest', r.manifestTarget));
    const m = r.manifest;
    lines.push(
      m
        ? `  manifest: version ${m.version}, platform ${m.platform}, Node ABI ${m.nodeAbi}, node >= ${m.minNodeVersion}, built ${m.builtAt}, ` +
            `migrations ${m.migrations.length ? m.migrations.join(', ') : 'none'}, ` +
            `downgrade allowed from ${m.allowDowngradeFrom.length ? m.allowDowngradeFrom.join(', ') : 'no version'}`
        : '  manifest: not carried by this draft; give --artifacts <dir> to see it before signing',
    );
  }
  lines.push(`signing with key ${key.name} (${key.keyId})`);
  return lines;
}

export function registerReleaseCommands(program: Command): void {
  const release = program
    .command('release')
    .description(
      "gatecast's own releases: build, sign by the release approvers, publish (screens install them A/B)",
    );
  registerRolloutCommands(release);

  release
    .command('build')
    .description('Pack this built gatecast for a platform (must run ON that platform)')
    .requiredOption('--platform <platform>', 'linux-arm64 or linux-x64')
    .requiredOption('--out <dir>', 'folder for gatecast-<version>-<platform>.tar.gz and .json')
    .option('--release-version <version>', "the release's version (default: package.json's)")
    .option('--allow-downgrade-from <versions...>', 'running versions screens may go down to this one from')
    .action(
      async (o: {
        platform: string;
        out: string;
        releaseVersion?: string;
        allowDowngradeFrom?: string[];
      }) => {
        const platform = ReleasePlatform.safeParse(o.platform);
        if (!platform.success)
          throw new UsageError(`--platform must be linux-arm64 or linux-x64, not "${o.platform}"`);
        const built = await buildRelease({
          appDir: appDir(),
          platform: platform.data,
          outDir: o.out,
          ...(o.releaseVersion ? { version: o.releaseVersion } : {}),
          ...(o.allowDowngradeFrom ? { allowDowngradeFrom: o.allowDowngradeFrom } : {}),
        });
        out(
          `built gatecast ${built.manifest.version} for ${built.manifest.platform} (Node ABI ${built.manifest.nodeAbi})`,
        );
        out(built.artifactFile);
        out(built.manifestFile);
      },
    );

  release
    .command('draft')
    .description(
      "Start the releases role's next version with the release files of a folder (where the repository is)",
    )
    .requiredOption('--repo <dir>', 'repository directory')
    .requiredOption('--artifacts <dir>', 'folder written by "gatecast release build"')
    .requiredOption('--out <file>', 'the draft file to carry to the release approvers')
    .action(async (o: { repo: string; artifacts: string; out: string }) => {
      const repo = await openRepository(o.repo);
      const d = await createReleaseDraft(repo, o.artifacts);
      await writeFileAtomic(o.out, serializeReleaseDraft(d));
      const { threshold } = releaseDraftSignatures(repo, d);
      out(`release draft for releases version ${d.metadata.signed.version} written to ${o.out}`);
      for (const p of d.added) out(`  adds ${p}`);
      out(`needs ${threshold} release approvers' signatures`);
    });

  release
    .command('sign')
    .description(
      'Sign a release draft with your release key; with --repo, the signature that meets the threshold publishes',
    )
    .requiredOption('--draft <file>', 'the release draft file')
    .requiredOption('--key <file>', 'your release private key file')
    .option('--repo <dir>', 'repository directory (publish once the threshold is met)')
    .option('--artifacts <dir>', 'folder with the release files (needed to publish)')
    .option('--yes', 'sign without asking for confirmation (scripts; review the draft first)')
    .action(async (o: { draft: string; key: string; repo?: string; artifacts?: string; yes?: boolean }) => {
      const text = readFileSync(o.draft, 'utf8');
      const d = parseReleaseDraft(text, o.draft);
      const before = parseReleaseDraft(text, o.draft).metadata;
      const key = await loadSigningKey(o.key);
      // What is signed, shown before anything is: the approver decides on these lines.
      const releases = draftReleases(d, o.artifacts);
      for (const line of describeReleaseDraft(o.draft, d, releases, key)) out(line);
      if (!o.yes) {
        const what = releases.map((r) => `gatecast ${r.version} for ${r.platform}`).join(', ');
        if (!process.stdin.isTTY)
          throw new UsageError(
            `release sign asks before signing and stdin is not a terminal: read the release shown above, then run it again with --yes to sign ${what} without asking`,
          );
        const answer = await askLine(`Sign ${what} with key ${key.name}? [y/N] `, process);
        if (answer === undefined) throw new UsageError('no answer to "Sign?"; nothing was signed');
        if (!/^y(es)?$/i.test(answer.trim()))
          throw new SigningDeclinedError(`${o.draft} not signed: ${what} was not approved`);
      }
      signReleaseDraft(d, key);
      const repo = o.repo ? await openRepository(o.repo) : undefined;
      // Where the repository is, the signature is checked against the release keys before it is kept.
      repo?.checkReleaseSignature(before, { keyid: key.keyId, sig: d.metadata.signatures[key.keyId]!.sig });
      await writeFileAtomic(o.draft, serializeReleaseDraft(d));
      out(`signed by ${key.keyId}`);
      if (!repo) return;
      const { valid, threshold } = releaseDraftSignatures(repo, d);
      if (valid < threshold) {
        out(`signatures: ${valid} of ${threshold}; pass the draft to the next release approver`);
        return;
      }
      if (!o.artifacts) throw new UsageError('the threshold is met: give --artifacts to publish');
      const r = await publishReleaseDraft(repo, d, o.artifacts);
      out(`signatures: ${valid} of ${threshold}: published releases version ${r.version}`);
    });

  release
    .command('publish')
    .description("Publish a release draft whose signatures meet the release approvers' threshold")
    .requiredOption('--repo <dir>', 'repository directory')
    .requiredOption('--draft <file>', 'the release draft file')
    .requiredOption('--artifacts <dir>', 'folder with the release files')
    .action(async (o: { repo: string; draft: string; artifacts: string }) => {
      const repo = await openRepository(o.repo);
      const d = parseReleaseDraft(readFileSync(o.draft, 'utf8'), o.draft);
      const r = await publishReleaseDraft(repo, d, o.artifacts);
      out(`published releases version ${r.version} (${r.targets} targets, ${r.newFiles} new files)`);
    });

  release
    .command('install <version>')
    .description(
      'Install a release on this screen by hand (as the install-release command does): fetch it from the releases role, switch, exit 75 for systemd to restart',
    )
    .option('--config <path>', 'device config', '/etc/gatecast/device.json')
    .action(async (version: string, o: { config: string }) => {
      const config = loadConfig(o.config);
      mkdirSync(config.dataDir, { recursive: true });
      const installer = openReleaseInstaller(config, {
        running: packageVersion() ?? '0.0.0',
        backupDatabase: async (dest) => {
          const db = openDeviceDb(join(config.dataDir, 'device.db'));
          try {
            await db.backup(dest);
          } finally {
            db.close();
          }
        },
        restart: {
          restart: (reason) => {
            out(`${reason}: restart the daemon (exit ${RESTART_EXIT_CODE})`);
            process.exitCode = RESTART_EXIT_CODE;
          },
        },
        clock: systemClock,
        log: cliLogger(),
      });
      if (!installer) throw new UsageError(`${o.config} names no server: this screen is not enrolled`);
      await installer.install(version);
    });

  release
    .command('start-check')
    .description(
      "The screen's release start-up check (the unit's ExecStartPre): count a pending release's start or roll it back",
    )
    .option('--config <path>', 'device config', '/etc/gatecast/device.json')
    .action(async (o: { config: string }) => {
      const r = releaseStartCheck(loadConfig(o.config), process.env);
      const wait = r.pacing?.delayMs ? `; waiting ${r.pacing.delayMs} ms (${r.pacing.reason})` : '';
      out(`release check: ${r.action.kind}; current ${r.current ?? 'none'}${wait}`);
      // A quick restart after a crash is backed off here, before ExecStart (start-pacing.ts).
      if (r.pacing?.delayMs) await new Promise((resolve) => setTimeout(resolve, r.pacing!.delayMs));
    });
}
