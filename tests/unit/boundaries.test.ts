import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, folderImportGraph, importSpecifiers, sourceFiles } from '../helpers/import-graph.js';

const root = join(import.meta.dirname, '..', '..');

/** The source files of a top-level folder; a missing folder fails the check instead of passing it. */
function sources(dir: string): string[] {
  return sourceFiles(join(root, dir));
}

const importsOf = importSpecifiers;

/** Which top-level folder a relative import from `file` lands in. */
function landsIn(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = relative(root, join(file, '..', spec));
  return target.split('/')[0];
}

const rules: Record<string, string[]> = {
  protocol: ['protocol'],
  // Node adapters shared by every program (opening and migrating SQLite, file hashing, package metadata).
  platform: ['platform', 'protocol'],
  device: ['device', 'player', 'protocol', 'platform'],
  player: ['player', 'protocol'],
  'sync-server': ['sync-server', 'protocol', 'platform'],
  provisioning: ['provisioning', 'protocol', 'device', 'player', 'platform'],
};

describe('dependency direction', () => {
  for (const [dir, allowed] of Object.entries(rules)) {
    it(`${dir}/ imports only ${allowed.join(', ')}`, () => {
      const bad: string[] = [];
      for (const file of sources(dir)) {
        for (const spec of importsOf(file)) {
          const lands = landsIn(file, spec);
          if (lands && !allowed.includes(lands)) bad.push(`${relative(root, file)} -> ${spec}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it('only adapters import hardware and I/O libraries', () => {
    // Each library may be imported only from files whose path matches its pattern.
    const adapters: Record<string, RegExp> = {
      onoff: /gpio\/onoff/,
      'puppeteer-core': /(player\/browser\/|sync-server\/reports\/pdf|provisioning\/selftest)/,
      // platform/sqlite.ts opens every database; the rest take its connection type. sqlite-*.ts files
      // are SQLite adapters of a port (the accounts store, the backup).
      'better-sqlite3': /(^platform\/sqlite\.ts$|\/sqlite-[a-z-]+\.ts$)/,
      ws: /(ws-|\/ws\b|sync\/)/,
    };
    const bad: string[] = [];
    for (const dir of Object.keys(rules)) {
      for (const file of sources(dir)) {
        for (const spec of importsOf(file)) {
          const pattern = adapters[spec];
          if (pattern && !pattern.test(relative(root, file))) bad.push(`${relative(root, file)} -> ${spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('a check over a folder that is not there', () => {
  it('fails rather than passing with nothing checked', () => {
    expect(() => sources('no-such-folder')).toThrow(/no such folder/);
    for (const dir of Object.keys(rules)) expect(sources(dir).length).toBeGreaterThan(0);
  });
});

describe('folder cycles in sync-server/', () => {
  /**
   * The cycles between sync-server/'s parts today (its sub-folders, and its root files as `root`);
   * type-only imports count, since they couple the folders as much. The list may only shrink: a new
   * cycle fails, and so does a listed one that no longer exists, so that it is struck off.
   *
   * Six imports go against the direction (the rest are the wiring in main.ts and features using
   * accounts, web, registry, tuf and time); every cycle below runs through at least one of them:
   * - accounts → dashboard: accounts/routes.ts takes languageOf from dashboard/page-session.ts;
   * - web → accounts: web/route-access.ts takes Action and isAction from accounts/roles.ts;
   * - alerts → dashboard: alerts/registry-source.ts takes latestManifest from dashboard/schedule-preview.ts;
   * - alerts → root: alerts/ takes DeviceHub from ws-hub.ts and ServerConfig from config.ts;
   * - content → dashboard: content/ renders dashboard/'s approval and content pages, and previews
   *   schedules through dashboard/schedule-preview.ts;
   * - dashboard → root: dashboard/fleet-view.ts and routes.ts take DeviceHub from ws-hub.ts.
   */
  const ALLOWED_CYCLES = [
    // The two-folder cycles.
    'accounts → dashboard',
    'accounts → web',
    'alerts → dashboard',
    'alerts → root',
    'content → dashboard',
    'dashboard → root',
    // Longer cycles made of those imports and the forward ones.
    'accounts → dashboard → alerts',
    'accounts → dashboard → alerts → root',
    'accounts → dashboard → alerts → root → content',
    'accounts → dashboard → alerts → root → content → tuf',
    'accounts → dashboard → alerts → root → content → tuf → web',
    'accounts → dashboard → alerts → root → content → web',
    'accounts → dashboard → alerts → root → reports → web',
    'accounts → dashboard → alerts → root → tuf',
    'accounts → dashboard → alerts → root → tuf → web',
    'accounts → dashboard → alerts → root → web',
    'accounts → dashboard → alerts → tuf',
    'accounts → dashboard → alerts → tuf → web',
    'accounts → dashboard → content',
    'accounts → dashboard → content → tuf',
    'accounts → dashboard → content → tuf → web',
    'accounts → dashboard → content → web',
    'accounts → dashboard → root',
    'accounts → dashboard → root → alerts',
    'accounts → dashboard → root → alerts → tuf',
    'accounts → dashboard → root → alerts → tuf → web',
    'accounts → dashboard → root → content',
    'accounts → dashboard → root → content → tuf',
    'accounts → dashboard → root → content → tuf → web',
    'accounts → dashboard → root → content → web',
    'accounts → dashboard → root → reports → web',
    'accounts → dashboard → root → tuf',
    'accounts → dashboard → root → tuf → web',
    'accounts → dashboard → root → web',
    'accounts → dashboard → tuf',
    'accounts → dashboard → tuf → web',
    'accounts → dashboard → web',
    'alerts → dashboard → root',
    'alerts → root → content → dashboard',
    'alerts → root → dashboard',
    'content → dashboard → root',
  ];

  it('has no cycle between its folders beyond the listed ones, and every listed one still exists', () => {
    const { graph, sites } = folderImportGraph(join(root, 'sync-server'));
    const found = findCycles(graph).map((c) => c.join(' → '));
    const added = found.filter((c) => !ALLOWED_CYCLES.includes(c));
    const gone = ALLOWED_CYCLES.filter((c) => !found.includes(c));
    // Name the imports along each new cycle, so the one to undo is easy to find.
    const explain = (cycle: string) => {
      const nodes = cycle.split(' → ');
      return nodes.map((from, i) => {
        const to = nodes[(i + 1) % nodes.length]!;
        const site = sites.find((s) => s.from === from && s.to === to)!;
        return `${from} → ${to}: ${relative(root, site.file)} imports ${site.specifier}`;
      });
    };
    expect({ added: added.map((c) => ({ cycle: c, imports: explain(c) })), gone }).toEqual({
      added: [],
      gone: [],
    });
  });
});

describe('findCycles', () => {
  it('finds each elementary cycle once, from its first node, including self-loops', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c', 'a'])],
      ['c', new Set(['a', 'c'])],
      ['d', new Set(['a'])],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b'], ['a', 'b', 'c'], ['c']]);
  });

  it('finds none in a graph without cycles, even where paths meet again', () => {
    const graph = new Map([
      ['a', new Set(['b', 'c'])],
      ['b', new Set(['d'])],
      ['c', new Set(['d'])],
    ]);
    expect(findCycles(graph)).toEqual([]);
  });

  it('finds a cycle whose nodes appear only as successors of its first node', () => {
    const graph = new Map([
      ['z', new Set(['y'])],
      ['y', new Set(['x'])],
      ['x', new Set(['z'])],
    ]);
    expect(findCycles(graph)).toEqual([['x', 'z', 'y']]);
  });
});
