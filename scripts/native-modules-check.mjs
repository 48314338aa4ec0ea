#!/usr/bin/env node
// Loads each native module gatecast depends on and makes it do one real thing, on whatever machine
// it runs: better-sqlite3 (a table in memory), sharp (a PNG made and resized through libvips) and
// onoff's epoll addon (an epoll instance on a pipe's end). Prints one line per module with the
// architecture and exits 1 if any of them fails. Used by scripts/arm64-root.sh check.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let failed = 0;

async function check(name, fn) {
  try {
    console.log(`${name}: ok on ${process.arch} (${await fn()})`);
  } catch (err) {
    failed += 1;
    console.log(`${name}: FAILED on ${process.arch}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

await check('better-sqlite3', () => {
  const Database = require('better-sqlite3');
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER)');
  db.prepare('INSERT INTO t VALUES (?)').run(42);
  const { v } = db.prepare('SELECT v FROM t').get();
  const version = db.prepare('SELECT sqlite_version() AS s').get().s;
  db.close();
  if (v !== 42) throw new Error(`read back ${v}, wrote 42`);
  return `SQLite ${version}`;
});

await check('sharp', async () => {
  const sharp = require('sharp');
  const png = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#c8102e' } })
    .png()
    .toBuffer();
  const meta = await sharp(png).resize(16).png().toBuffer({ resolveWithObject: true });
  if (meta.info.width !== 16 || meta.info.height !== 8) {
    throw new Error(`resized to ${meta.info.width}x${meta.info.height}, expected 16x8`);
  }
  return `libvips ${sharp.versions.vips}, ${process.platform}-${process.arch} build`;
});

await check('epoll (onoff)', () => {
  // onoff's own dependency; resolved from onoff as onoff resolves it.
  const { Epoll } = createRequire(require.resolve('onoff'))('epoll');
  if (!Epoll) throw new Error('the epoll addon is not available on this platform');
  const poller = new Epoll(() => {});
  poller.close();
  return 'an epoll instance made and closed';
});

process.exit(failed === 0 ? 0 : 1);
