/**
 * `gatecast release build`: the built app (dist/, bin/, package.json, the production dependencies'
 * node_modules with their native modules as built on this machine) and its manifest, packed as
 * `gatecast-<version>-<platform>.tar.gz` beside `gatecast-<version>-<platform>.json`.
 *
 * A release is built ON its platform: native modules (better-sqlite3, onoff, sharp) are whatever this
 * machine compiled or fetched. For another platform the build refuses and names scripts/arm64-root.sh,
 * which runs this same command inside a Debian arm64 root under qemu-user-static. Each native module
 * built by node-gyp (`build/Release/*.node`) is checked to be an ELF for the target's machine.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  closeSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { coded } from '../protocol/errors.js';
import {
  platformOf,
  type ReleaseManifest,
  type ReleasePlatform,
  releaseArtifactPath,
  releaseManifestPath,
  ReleaseVersion,
} from '../protocol/release.js';
import { COMMAND_LEDGER_MIGRATIONS } from '../device/sync/command-ledger.js';
import { OUTBOX_MIGRATIONS } from '../device/outbox/outbox.js';
import { POP_MIGRATIONS } from '../device/proof-of-play/sqlite-pop-log.js';

const run = promisify(execFile);

/** The release cannot be built here (another platform, no dist/, a foreign native module). */
export class ReleaseBuildError extends coded('RELEASE_BUILD') {}

const ELF_MACHINE: Record<ReleasePlatform, number> = { 'linux-x64': 62, 'linux-arm64': 183 };

export interface BuildReleaseOptions {
  /** The package root (holds package.json, dist/, node_modules/). */
  appDir: string;
  platform: ReleasePlatform;
  outDir: string;
  /** Overrides package.json's version in the manifest and the packed package.json. */
  version?: string;
  allowDowngradeFrom?: string[];
  /** This machine, as node sees it (tests pass another to see the refusal). */
  host?: { platform: string; arch: string };
  now?: () => Date;
}

export interface BuiltRelease {
  manifest: ReleaseManifest;
  artifactFile: string;
  manifestFile: string;
}

export async function buildRelease(o: BuildReleaseOptions): Promise<BuiltRelease> {
  const host = o.host ?? { platform: process.platform, arch: process.arch };
  const here = platformOf(host.platform, host.arch);
  if (here !== o.platform)
    throw new ReleaseBuildError(
      `a ${o.platform} release must be built on ${o.platform} (this machine is ${host.platform}-${host.arch}); ` +
        `run scripts/arm64-root.sh, which runs "gatecast release build" inside a Debian ${o.platform.replace('linux-', '')} root`,
    );
  const appDir = resolve(o.appDir);
  const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
    engines?: { node?: string };
  };
  const version = o.version ?? pkg.version;
  if (!ReleaseVersion.safeParse(version).success)
    throw new ReleaseBuildError(`"${version}" is not a release version (MAJOR.MINOR.PATCH)`);
  if (!existsSync(join(appDir, 'dist', 'cli', 'gatecast.js')))
    throw new ReleaseBuildError(`${appDir}/dist is not built (run npm run build first)`);
  // The daemon serves the player's page from dist/ (a release has no source tree): without it every
  // screen that switched to this release would show nothing and roll back.
  if (!existsSync(join(appDir, 'dist', 'player', 'page', 'index.html')))
    throw new ReleaseBuildError(
      `${appDir}/dist/player/page holds no player page (run npm run build, whose second step copies it)`,
    );
  const manifest: ReleaseManifest = {
    schema: 1,
    name: 'gatecast',
    version,
    platform: o.platform,
    nodeAbi: process.versions.modules,
    minNodeVersion: minNode(pkg.engines?.node),
    migrations: [...POP_MIGRATIONS, ...OUTBOX_MIGRATIONS, ...COMMAND_LEDGER_MIGRATIONS].map((m) => m.name),
    builtAt: (o.now?.() ?? new Date()).toISOString(),
    allowDowngradeFrom: o.allowDowngradeFrom ?? [],
  };
  mkdirSync(o.outDir, { recursive: true });
  const stage = join(o.outDir, `.stage-${version}-${o.platform}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  try {
    cpSync(join(appDir, 'dist'), join(stage, 'dist'), { recursive: true, verbatimSymlinks: true });
    if (existsSync(join(appDir, 'bin'))) cpSync(join(appDir, 'bin'), join(stage, 'bin'), { recursive: true });
    writeFileSync(
      join(stage, 'package.json'),
      `${JSON.stringify({ ...pkg, version, devDependencies: undefined }, null, 2)}\n`,
    );
    for (const dir of productionPackages(appDir, Object.keys(pkg.dependencies ?? {}))) {
      const rel = dir.slice(appDir.length + 1);
      cpSync(dir, join(stage, rel), { recursive: true, verbatimSymlinks: true, dereference: false });
    }
    checkNativeModules(join(stage, 'node_modules'), o.platform);
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    writeFileSync(join(stage, 'release.json'), manifestText);
    const artifactFile = join(o.outDir, releaseArtifactPath(version, o.platform).slice('releases/'.length));
    const manifestFile = join(o.outDir, releaseManifestPath(version, o.platform).slice('releases/'.length));
    await run('tar', ['-czf', artifactFile, '--owner=0', '--group=0', '-C', stage, '.'], {
      maxBuffer: 1 << 20,
    });
    writeFileSync(manifestFile, manifestText);
    return { manifest, artifactFile, manifestFile };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** ">=20.17" → "20.17.0"; anything else → this node's major.0.0. */
function minNode(range: string | undefined): string {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range?.trim() ?? '');
  if (m) return `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}`;
  return `${process.versions.node.split('.')[0]}.0.0`;
}

/**
 * The folders of the production dependency closure, resolved as node does (a package's own
 * node_modules first, then each parent's). Optional dependencies are taken when installed.
 */
export function productionPackages(appDir: string, roots: string[]): string[] {
  const found = new Set<string>();
  const visit = (fromDir: string, name: string, optional: boolean) => {
    let dir = fromDir;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        const real = candidate;
        if (found.has(real)) return;
        found.add(real);
        const p = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as {
          dependencies?: Record<string, string>;
          optionalDependencies?: Record<string, string>;
        };
        for (const d of Object.keys(p.dependencies ?? {})) visit(real, d, false);
        for (const d of Object.keys(p.optionalDependencies ?? {})) visit(real, d, true);
        return;
      }
      if (dir === appDir || dirname(dir) === dir) break;
      dir = dirname(dir);
    }
    if (!optional)
      throw new ReleaseBuildError(`dependency ${name} (needed from ${fromDir}) is not installed`);
  };
  for (const r of roots) visit(appDir, r, false);
  // A package nested in another's node_modules is copied with it.
  const all = [...found].sort();
  return all.filter((d) => !all.some((o) => o !== d && d.startsWith(`${o}/`)));
}

/** Refuses a node-gyp build output (`build/Release/*.node`) made for another machine. */
function checkNativeModules(dir: string, platform: ReleasePlatform): void {
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.node') && p.includes('/build/Release/')) {
        const buf = Buffer.alloc(20);
        const fd = openSync(p, 'r');
        try {
          readSync(fd, buf, 0, 20, 0);
        } finally {
          closeSync(fd);
        }
        const machine = buf.readUInt16LE(18);
        if (buf.readUInt32BE(0) !== 0x7f454c46 || machine !== ELF_MACHINE[platform])
          throw new ReleaseBuildError(
            `${p} is not a ${platform} native module (ELF machine ${machine}); build the release on ${platform} (scripts/arm64-root.sh)`,
          );
      }
    }
  };
  if (existsSync(dir)) walk(dir);
}
