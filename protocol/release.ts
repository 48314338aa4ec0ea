/**
 * A gatecast release as the TUF `releases` role lists it: for each version and platform, an artifact
 * (`releases/gatecast-<version>-<platform>.tar.gz`) and its manifest
 * (`releases/gatecast-<version>-<platform>.json`), both targets signed by the release approvers'
 * threshold. The manifest is also packed in the artifact as `release.json`; the device installs only
 * when both are the same bytes' worth of facts.
 *
 * Downgrade rule: a device never installs a version lower than the one it runs, unless the signed
 * manifest of the lower version names the running version in `allowDowngradeFrom` (the release
 * approvers' deliberate, signed say-so). TUF itself refuses older metadata (rollback), expired
 * metadata (freeze) and metadata that does not agree with snapshot (mix and match).
 */
import { z } from 'zod';
import { coded, GatecastError } from './errors.js';

export const RELEASE_PLATFORMS = ['linux-arm64', 'linux-x64'] as const;
export const ReleasePlatform = z.enum(RELEASE_PLATFORMS);
export type ReleasePlatform = z.infer<typeof ReleasePlatform>;

/** `MAJOR.MINOR.PATCH` with an optional `-prerelease` (dot-separated alphanumerics). */
export const ReleaseVersion = z
  .string()
  .max(64)
  .regex(/^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?$/, {
    message: 'a release version is MAJOR.MINOR.PATCH, optionally with -prerelease (e.g. "1.4.0")',
  });

export const ReleaseManifest = z
  .object({
    schema: z.literal(1),
    name: z.literal('gatecast'),
    version: ReleaseVersion,
    platform: ReleasePlatform,
    /** `process.versions.modules` of the node that built the native modules. */
    nodeAbi: z.string().regex(/^\d{1,4}$/),
    /** The lowest node version the release runs on ("22.0.0"). */
    minNodeVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
    /** Names of the database migrations the release knows, in order (it runs those not yet applied). */
    migrations: z.array(z.string().min(1).max(64)).max(500),
    builtAt: z.iso.datetime({ offset: true }),
    /** Running versions from which a device may go down to this one (the only way down). */
    allowDowngradeFrom: z.array(ReleaseVersion).max(50).default([]),
  })
  .strict();
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;

/** A release manifest, artifact or version that cannot be used; `problem` says why. */
export class ReleaseError extends GatecastError {
  readonly code = 'RELEASE_INVALID';
}
export const isReleaseError = (e: unknown): e is ReleaseError => e instanceof ReleaseError;
/** Another process (the daemon, or `gatecast release install`) is installing a release on this screen. */
export class ReleaseBusyError extends coded('RELEASE_BUSY') {}

export function parseReleaseManifest(raw: unknown, where: string): ReleaseManifest {
  const r = ReleaseManifest.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ReleaseError(`${where}: ${i?.path.join('.') || 'manifest'}: ${i?.message}`);
  }
  return r.data;
}

export const RELEASES_ROLE = 'releases';
export const RELEASES_PREFIX = 'releases/';

export function releaseArtifactPath(version: string, platform: ReleasePlatform): string {
  return `${RELEASES_PREFIX}gatecast-${version}-${platform}.tar.gz`;
}
export function releaseManifestPath(version: string, platform: ReleasePlatform): string {
  return `${RELEASES_PREFIX}gatecast-${version}-${platform}.json`;
}

/** The version and platform a releases-role target path names, or null for any other path. */
export function parseReleaseTargetPath(
  path: string,
): { version: string; platform: ReleasePlatform; kind: 'artifact' | 'manifest' } | null {
  const m = /^releases\/gatecast-(.+)-(linux-arm64|linux-x64)\.(tar\.gz|json)$/.exec(path);
  if (!m || !ReleaseVersion.safeParse(m[1]).success) return null;
  return {
    version: m[1]!,
    platform: m[2] as ReleasePlatform,
    kind: m[3] === 'json' ? 'manifest' : 'artifact',
  };
}

/** Semantic-version order: negative when a < b. A prerelease sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('-', 2) as [string, string | undefined];
    return { nums: core.split('.').map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  const xs = x.pre.split('.');
  const ys = y.pre.split('.');
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const p = xs[i];
    const q = ys[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** The platform of this process as a release names it, or null for one we do not build for. */
export function platformOf(platform: string, arch: string): ReleasePlatform | null {
  if (platform !== 'linux') return null;
  if (arch === 'arm64') return 'linux-arm64';
  if (arch === 'x64') return 'linux-x64';
  return null;
}

/**
 * Why this device must not install `m`, or null when it may: another platform, another Node ABI, a
 * node older than the release needs, the version it runs already, or a downgrade the manifest does
 * not allow from the running version.
 */
export function installRefusal(
  m: ReleaseManifest,
  here: { platform: ReleasePlatform | null; nodeAbi: string; nodeVersion: string; running: string },
): string | null {
  if (m.platform !== here.platform)
    return `release ${m.version} is built for ${m.platform}, this device is ${here.platform ?? 'an unsupported platform'}`;
  if (m.nodeAbi !== here.nodeAbi)
    return `release ${m.version} has native modules for Node ABI ${m.nodeAbi}, this device's node has ABI ${here.nodeAbi}`;
  if (compareVersions(here.nodeVersion.replace(/^v/, ''), m.minNodeVersion) < 0)
    return `release ${m.version} needs node ${m.minNodeVersion} or newer, this device has ${here.nodeVersion}`;
  const order = compareVersions(m.version, here.running);
  if (order === 0) return `release ${m.version} is the one running`;
  if (order < 0 && !m.allowDowngradeFrom.includes(here.running))
    return `release ${m.version} is older than the running ${here.running} and its signed manifest does not allow a downgrade from ${here.running}`;
  return null;
}
