import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { packageVersion } from '../../../platform/package-version.js';
import { tempDir } from '../../helpers/temp.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('packageVersion', () => {
  const dirs: { cleanup: () => void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });
  /** A module file three folders below a temp root, with `pkg` (if any) as the root's package.json. */
  const layout = (pkg?: string) => {
    const d = tempDir('gatecast-pkg-');
    dirs.push(d);
    if (pkg !== undefined) writeFileSync(join(d.path, 'package.json'), pkg);
    const deep = join(d.path, 'dist', 'cli', 'x');
    mkdirSync(deep, { recursive: true });
    return pathToFileURL(join(deep, 'module.js'));
  };

  it("reads gatecast's own version by default, from the source layout", () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(version);
  });

  it('finds the nearest package.json above a module however deep it sits (built layout)', () => {
    expect(packageVersion(layout(JSON.stringify({ name: 'gatecast', version: '9.8.7' })))).toBe('9.8.7');
  });

  it('is undefined when package.json is missing, malformed or has no version', () => {
    expect(packageVersion(layout())).toBeUndefined();
    expect(packageVersion(layout('{ not json'))).toBeUndefined();
    expect(packageVersion(layout(JSON.stringify({ name: 'gatecast' })))).toBeUndefined();
    expect(packageVersion(layout(JSON.stringify({ version: 7 })))).toBeUndefined();
  });
});
