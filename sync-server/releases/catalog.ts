/**
 * What the server knows of gatecast releases: the versions the TUF `releases` role lists (each
 * signed by the release approvers' threshold) and the platforms each was built for. The rollout
 * (sync-server/releases) offers only what this catalogue lists; the TUF repository implements it.
 */
export type ReleasePlatform = 'linux-arm64' | 'linux-x64';

export interface PublishedRelease {
  /** Semantic version, as the release manifest gives it ("1.4.0"). */
  version: string;
  /** The platforms a signed artifact exists for. */
  platforms: ReleasePlatform[];
  /** When the `releases` role first listed it (epoch ms). */
  publishedAtMs: number;
}

export interface ReleaseCatalog {
  /** Every published release, newest version first. */
  list(): PublishedRelease[];
  /** One release, or null when the `releases` role does not list it. */
  get(version: string): PublishedRelease | null;
}
