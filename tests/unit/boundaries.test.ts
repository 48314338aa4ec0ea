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
  player: ['player', 'protocol', 'platform'],
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
   * No two parts of sync-server/ (its feature folders, and its root files as `root`) import each
   * other, directly or around a loop; type-only imports count, since they couple the folders as much.
   * The layers, bottom up: web (HTTP plumbing, the permission table) and config; registry (the
   * database); tuf; accounts and dashboard (the shell, which imports no feature); the features
   * (ingest, enrolment, fleet, content, alerts, reports, metrics, backup); main.ts wires them.
   */
  it('has no cycle between its folders', () => {
    const { graph, sites } = folderImportGraph(join(root, 'sync-server'));
    expect(graph.size).toBeGreaterThan(10);
    // Name the imports along each cycle, so the one to undo is easy to find.
    const explain = (nodes: string[]) =>
      nodes.map((from, i) => {
        const to = nodes[(i + 1) % nodes.length]!;
        const site = sites.find((s) => s.from === from && s.to === to)!;
        return `${from} → ${to}: ${relative(root, site.file)} imports ${site.specifier}`;
      });
    expect(findCycles(graph).map(explain)).toEqual([]);
  });

  it('keeps the dashboard shell free of features: it imports only web/', () => {
    const { graph } = folderImportGraph(join(root, 'sync-server'));
    expect([...(graph.get('dashboard') ?? [])].filter((to) => to !== 'dashboard')).toEqual(['web']);
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
