/**
 * What `gatecast release build` packs, on a small package folder (the real build, of the real dist/,
 * is in release-e2e.test.ts): a release holds dist/ and not the source tree, so the player's page
 * must be in dist/ for the daemon of an installed release to show anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRelease } from '../../../cli/release-build.js';
import { platformOf } from '../../../protocol/release.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();
const platform = platformOf(process.platform, process.arch)!;

function appFolder(files: Record<string, string>): string {
  const dir = tempFolder(cleanups, 'gatecast-release-build-');
  writeFileSync(join(dir, 'package.json'), '{"name":"gatecast","version":"3.1.4","type":"module"}\n');
  for (const [rel, text] of Object.entries({ 'dist/cli/gatecast.js': 'export {};\n', ...files })) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

describe('gatecast release build', () => {
  it('refuses a dist/ without the player page, naming the build step that copies it', async () => {
    const dir = appFolder({});
    await expect(buildRelease({ appDir: dir, platform, outDir: join(dir, 'out') })).rejects.toMatchObject({
      code: 'RELEASE_BUILD',
      message: expect.stringContaining('dist/player/page holds no player page'),
    });
  });

  it('packs the player page that the build copied into dist/', async () => {
    const dir = appFolder({
      'dist/player/page/index.html': '<!doctype html>\n',
      'dist/player/page/player.js': '',
      'dist/player/page/player.css': '',
    });
    const built = await buildRelease({ appDir: dir, platform, outDir: join(dir, 'out') });
    const list = spawnSync('tar', ['-tzf', built.artifactFile], { encoding: 'utf8' }).stdout.split('\n');
    expect(list).toEqual(
      expect.arrayContaining([
        './dist/player/page/index.html',
        './dist/player/page/player.js',
        './dist/player/page/player.css',
        './release.json',
      ]),
    );
  });
});
