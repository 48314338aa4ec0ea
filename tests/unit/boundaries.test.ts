import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
    }
  };
  try {
    walk(join(root, dir));
  } catch {
    // the folder may not exist yet
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs;
}

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
