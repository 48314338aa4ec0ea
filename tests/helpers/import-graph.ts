import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

/** A directed graph: each node's set of successors. */
export type Graph = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The source files (.ts, .js, .mjs) under `dir`, recursively. A missing or empty folder throws: a
 * check that walks nothing would pass without checking anything.
 */
export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`no such folder: ${dir}`);
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  if (out.length === 0) throw new Error(`no source files under ${dir}`);
  return out.sort();
}

/**
 * Every module specifier `file` imports or re-exports: static imports (type-only ones too), `export …
 * from`, side-effect imports and dynamic `import()`. TypeScript's scanner reads them, so text inside
 * comments and strings (the browser scripts the dashboard serves) is not mistaken for an import.
 */
export function importSpecifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** One import between two parts of a folder: where it is written and what it names. */
export interface ImportSite {
  from: string;
  to: string;
  file: string;
  specifier: string;
}

/**
 * The import graph between the parts of `dir`: each direct sub-folder is one part, and the files at
 * `dir`'s root together are the part `root`. Imports inside a part and imports leaving `dir` are left
 * out. Returns the graph and, for explaining a failure, every import that makes an edge.
 */
export function folderImportGraph(dir: string): { graph: Graph; sites: ImportSite[] } {
  const partOf = (path: string): string => {
    const parts = relative(dir, path).split(sep);
    return parts.length === 1 ? 'root' : parts[0]!;
  };
  const graph = new Map<string, Set<string>>();
  const sites: ImportSite[] = [];
  for (const file of sourceFiles(dir)) {
    const from = partOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const specifier of importSpecifiers(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = join(dirname(file), specifier);
      if (relative(dir, target).startsWith('..')) continue;
      const to = partOf(target);
      if (to === from) continue;
      graph.get(from)!.add(to);
      sites.push({ from, to, file, specifier });
    }
  }
  return { graph, sites };
}

/**
 * Every elementary cycle of `graph` (no node repeated), each as its nodes in order starting from its
 * alphabetically first node, the list sorted. A self-loop is the one-node cycle `[n]`. Enumerates
 * paths, so it suits graphs of a few dozen nodes, such as folders.
 */
export function findCycles(graph: Graph): string[][] {
  const nodes = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((s) => [...s])])].sort();
  const cycles: string[][] = [];
  for (const start of nodes) {
    // Only through nodes after `start`, so each cycle is found once, from its first node.
    const walk = (node: string, path: string[]) => {
      for (const next of [...(graph.get(node) ?? [])].sort()) {
        if (next === start) cycles.push([...path]);
        else if (next > start && !path.includes(next)) walk(next, [...path, next]);
      }
    };
    walk(start, [start]);
  }
  return cycles.sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}
