/**
 * Transpiles TypeScript sources (and every relative import they reach) into a temp directory as
 * ESM JavaScript, so a test can run real project code in a child `node` process.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { tempDir } from './temp.js';

const root = resolve(import.meta.dirname, '..', '..');

export function transpileForChild(entries: string[]): {
  dir: string;
  jsPath: (tsPath: string) => string;
  cleanup: () => void;
} {
  const out = tempDir('gatecast-child-');
  const seen = new Set<string>();
  const queue = entries.map((e) => resolve(root, e));
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    }).outputText;
    const target = join(out.path, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
    for (const m of source.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.[^'"]+)\.js['"]/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
  }
  writeFileSync(join(out.path, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(root, 'node_modules'), join(out.path, 'node_modules'));
  return {
    dir: out.path,
    jsPath: (tsPath) => join(out.path, tsPath).replace(/\.ts$/, '.js'),
    cleanup: out.cleanup,
  };
}
