import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { transpileForChild } from '../helpers/transpile.js';

describe('registry shutdown', () => {
  it('closes with its checkpoint worker in a process with nothing else running, and exits 0', () => {
    const dir = tempDir('gc-registry-close-');
    const child = transpileForChild(['tests/integration/children/registry-close.ts']);
    try {
      const r = spawnSync(
        process.execPath,
        [child.jsPath('tests/integration/children/registry-close.ts'), join(dir.path, 'registry.db')],
        { encoding: 'utf8', timeout: 20_000 },
      );
      // Exit 13 would mean the await on close() never settled before the event loop emptied.
      expect({ status: r.status, out: r.stdout.trim() }).toEqual({ status: 0, out: 'closed' });
    } finally {
      child.cleanup();
      dir.cleanup();
    }
  });
});
