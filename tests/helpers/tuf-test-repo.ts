/**
 * A small but real TUF repository for device-side tests, built with @tufjs/models and served over
 * HTTP (Range supported) on 127.0.0.1:0. Top-level targets delegates `<siteGroup>/…` to a role named
 * after the site group, signed by two approver keys (threshold 2); consistent snapshots are on, so
 * targets are served under hash-prefixed names. Every knob a bad-input test needs is exposed: sign
 * with other keys, publish expired metadata, replace what the server sends for any path, cut a
 * response after N bytes, trickle a response one byte at a time, and count the bytes served.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind, Signature } from '@tufjs/models';
import { beforeEach } from 'vitest';
import { cleanupsAfterEach } from './cleanups.js';
import { tempFolder } from './temp.js';

export interface TestKey {
  keyId: string;
  publicHex: string;
  privateKey: KeyObject;
}

export function generateTestKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const publicHex = der.subarray(der.length - 32).toString('hex');
  const keyId = createHash('sha256')
    .update(JSON.stringify(keyJson(publicHex)))
    .digest('hex');
  return { keyId, publicHex, privateKey };
}

function keyJson(publicHex: string) {
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
}

type Kind = 'root' | 'timestamp' | 'snapshot' | 'targets';

function signMetadata(kind: Kind, signed: Record<string, unknown>, keys: TestKey[]): Buffer {
  const kinds = {
    root: MetadataKind.Root,
    timestamp: MetadataKind.Timestamp,
    snapshot: MetadataKind.Snapshot,
    targets: MetadataKind.Targets,
  } as const;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- fromJSON overloads need the literal kind
  const md = Metadata.fromJSON(kinds[kind] as any, { signed, signatures: [] } as any) as Metadata<any>;
  for (const k of keys) {
    md.sign((data) => new Signature({ keyID: k.keyId, sig: sign(null, data, k.privateKey).toString('hex') }));
  }
  return Buffer.from(JSON.stringify(md.toJSON()));
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface PublishOptions {
  /** Expiry of every role published now (default one year ahead). */
  expires?: Date;
  /** Sign the site-group role with these keys instead of the two approvers. */
  siteGroupSigners?: TestKey[];
  /** Sign the timestamp with these keys instead of the timestamp key. */
  timestampSigners?: TestKey[];
  /** Override the next version of every role (for rollback tests). */
  version?: number;
}

/** The repository state: targets of one site group, and every file the server would serve. */
export class TestTufRepo {
  readonly rootKey = generateTestKey();
  readonly targetsKey = generateTestKey();
  readonly snapshotKey = generateTestKey();
  readonly timestampKey = generateTestKey();
  readonly approvers = [generateTestKey(), generateTestKey()];
  /** Paths (relative to the server root, e.g. `metadata/1.root.json`) → bytes. */
  readonly files = new Map<string, Buffer>();
  /** Target path → bytes, for the site-group role. */
  readonly targets = new Map<string, Buffer>();
  /** Extra target entries (custom length/hashes) that have no real file behind them. */
  readonly rawTargetEntries = new Map<string, { length: number; hashes: { sha256: string } }>();
  version = 0;
  readonly rootBytes: Buffer;

  constructor(
    readonly siteGroup = 'kien-giang/ha-tien',
    readonly now = () => Date.now(),
  ) {
    this.rootBytes = this.buildRoot(1);
    this.files.set('metadata/1.root.json', this.rootBytes);
    this.files.set('metadata/root.json', this.rootBytes);
  }

  private expiry(days = 365): string {
    return new Date(this.now() + days * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private buildRoot(version: number): Buffer {
    const keys: Record<string, unknown> = {};
    for (const k of [this.rootKey, this.targetsKey, this.snapshotKey, this.timestampKey])
      keys[k.keyId] = keyJson(k.publicHex);
    return signMetadata(
      'root',
      {
        _type: 'root',
        spec_version: '1.0.31',
        version,
        expires: this.expiry(3650),
        consistent_snapshot: true,
        keys,
        roles: {
          root: { keyids: [this.rootKey.keyId], threshold: 1 },
          targets: { keyids: [this.targetsKey.keyId], threshold: 1 },
          snapshot: { keyids: [this.snapshotKey.keyId], threshold: 1 },
          timestamp: { keyids: [this.timestampKey.keyId], threshold: 1 },
        },
      },
      [this.rootKey],
    );
  }

  setTarget(path: string, bytes: Buffer | string): void {
    this.targets.set(path, Buffer.from(bytes));
  }

  /** The role's metadata name, as snapshot lists it (the URL encodes the "/"). */
  get roleFile(): string {
    return `${this.siteGroup}.json`;
  }

  /** Signs and "uploads" a new version of targets, the site-group role, snapshot and timestamp. */
  publish(opts: PublishOptions = {}): number {
    const v = opts.version ?? this.version + 1;
    this.version = Math.max(this.version, v);
    const expires = (opts.expires ?? new Date(this.now() + 365 * 86400_000))
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const entries: Record<string, unknown> = {};
    for (const [path, bytes] of this.targets) {
      const hash = sha256(bytes);
      entries[path] = { length: bytes.length, hashes: { sha256: hash } };
      const slash = path.lastIndexOf('/');
      const served = `${path.slice(0, slash + 1)}${hash}.${path.slice(slash + 1)}`;
      this.files.set(`targets/${served}`, bytes);
    }
    for (const [path, entry] of this.rawTargetEntries) entries[path] = entry;
    const sg = this.siteGroup;
    const approverKeys: Record<string, unknown> = {};
    for (const k of this.approvers) approverKeys[k.keyId] = keyJson(k.publicHex);
    const top = signMetadata(
      'targets',
      {
        _type: 'targets',
        spec_version: '1.0.31',
        version: v,
        expires,
        targets: {},
        delegations: {
          keys: approverKeys,
          roles: [
            {
              name: sg,
              keyids: this.approvers.map((k) => k.keyId),
              threshold: 2,
              terminating: true,
              paths: [`${sg}/*`, `${sg}/*/*`, `${sg}/*/*/*`],
            },
          ],
        },
      },
      [this.targetsKey],
    );
    const role = signMetadata(
      'targets',
      { _type: 'targets', spec_version: '1.0.31', version: v, expires, targets: entries },
      opts.siteGroupSigners ?? this.approvers,
    );
    const snapshot = signMetadata(
      'snapshot',
      {
        _type: 'snapshot',
        spec_version: '1.0.31',
        version: v,
        expires,
        meta: { 'targets.json': { version: v }, [this.roleFile]: { version: v } },
      },
      [this.snapshotKey],
    );
    const timestamp = signMetadata(
      'timestamp',
      {
        _type: 'timestamp',
        spec_version: '1.0.31',
        version: v,
        expires,
        meta: { 'snapshot.json': { version: v } },
      },
      opts.timestampSigners ?? [this.timestampKey],
    );
    this.files.set(`metadata/${v}.targets.json`, top);
    this.files.set(`metadata/${v}.${this.roleFile}`, role);
    this.files.set(`metadata/${v}.snapshot.json`, snapshot);
    this.files.set('metadata/timestamp.json', timestamp);
    return v;
  }

  /** Served path of a target under its hash-prefixed (consistent snapshot) name. */
  servedTargetPath(path: string): string {
    const bytes = this.targets.get(path);
    if (!bytes) throw new Error(`no target ${path}`);
    const slash = path.lastIndexOf('/');
    return `targets/${path.slice(0, slash + 1)}${sha256(bytes)}.${path.slice(slash + 1)}`;
  }
}

export interface ServedRepo {
  baseUrl: string;
  metadataUrl: string;
  targetsUrl: string;
  /** Body bytes sent, all paths together. */
  bytesServed: number;
  requests: { path: string; range?: string; status: number }[];
  /** Replace the bytes of one served path (tamper), or undefined to go back to the repo's. */
  override: Map<string, Buffer>;
  /** Cut the connection after this many body bytes of the next response for a path. */
  cutAfter: Map<string, number>;
  /** Send the body of every response for a path one byte per this many ms (a stalling mirror). */
  trickleMsPerByte: Map<string, number>;
  /** Refuse every request (no network). */
  offline: boolean;
  close(): Promise<void>;
}

export async function serveRepo(
  repo: TestTufRepo,
  opts: {
    honourRange?: boolean;
    /** Send target bodies in 64 KiB pieces this many ms apart (a slow link). */
    chunkDelayMs?: number;
  } = {},
): Promise<ServedRepo> {
  const honourRange = opts.honourRange ?? true;
  const state: ServedRepo = {
    baseUrl: '',
    metadataUrl: '',
    targetsUrl: '',
    bytesServed: 0,
    requests: [],
    override: new Map(),
    cutAfter: new Map(),
    trickleMsPerByte: new Map(),
    offline: false,
    close: async () => undefined,
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    if (state.offline) {
      req.socket.destroy();
      return;
    }
    const body = state.override.get(path) ?? repo.files.get(path);
    const range = req.headers.range;
    if (!body) {
      state.requests.push({ path, status: 404, ...(range ? { range } : {}) });
      res.writeHead(404).end();
      return;
    }
    let start = 0;
    let status = 200;
    const m = honourRange && range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        state.requests.push({ path, status: 416, range: range! });
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
    }
    state.requests.push({ path, status, ...(range ? { range } : {}) });
    const part = body.subarray(start);
    const headers: Record<string, string | number> = { 'content-length': part.length };
    if (status === 206) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(status, headers);
    const cut = state.cutAfter.get(path);
    if (cut !== undefined) {
      state.cutAfter.delete(path);
      const sent = part.subarray(0, Math.min(cut, part.length));
      state.bytesServed += sent.length;
      res.write(sent, () => {
        res.socket?.destroy();
      });
      return;
    }
    const trickle = state.trickleMsPerByte.get(path);
    if (trickle !== undefined) {
      let off = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return;
        state.bytesServed += 1;
        off += 1;
        if (off >= part.length) {
          clearInterval(timer);
          res.end(part.subarray(off - 1, off));
        } else res.write(part.subarray(off - 1, off));
      }, trickle);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (opts.chunkDelayMs && path.startsWith('targets/')) {
      let off = 0;
      const next = () => {
        if (res.destroyed) return;
        const piece = part.subarray(off, off + 65536);
        off += piece.length;
        state.bytesServed += piece.length;
        if (off >= part.length) res.end(piece);
        else res.write(piece, () => setTimeout(next, opts.chunkDelayMs));
      };
      next();
      return;
    }
    state.bytesServed += part.length;
    res.end(part);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}`;
  state.metadataUrl = `${state.baseUrl}/metadata`;
  state.targetsUrl = `${state.baseUrl}/targets`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** What `servedRepoEach` gives each test: its folder, the root a device enrols with, the repository and its server. */
export interface ServedRepoRig {
  dir: string;
  rootFile: string;
  repo: TestTufRepo;
  served: ServedRepo;
  /** An update client's options for following this repository, enrolled with its root. */
  source: { siteGroup: string; metadataUrl: string; targetBaseUrl: string; enrolmentRootFile: string };
}

/**
 * Before each test of the calling suite: a fresh temp folder holding the repository's root as
 * `root.json`, and a new repository for `siteGroup` served over HTTP; after each, the server stops
 * and the folder goes (after the suite's own afterEach hooks). Read the fields in tests and hooks.
 */
export function servedRepoEach(siteGroup: string): ServedRepoRig {
  const cleanups = cleanupsAfterEach();
  const rig = {} as ServedRepoRig;
  beforeEach(async () => {
    rig.dir = tempFolder(cleanups);
    rig.repo = new TestTufRepo(siteGroup);
    rig.rootFile = join(rig.dir, 'root.json');
    writeFileSync(rig.rootFile, rig.repo.rootBytes);
    rig.served = await serveRepo(rig.repo);
    cleanups.push(() => rig.served.close());
    rig.source = {
      siteGroup,
      metadataUrl: rig.served.metadataUrl,
      targetBaseUrl: rig.served.targetsUrl,
      enrolmentRootFile: rig.rootFile,
    };
  });
  return rig;
}
