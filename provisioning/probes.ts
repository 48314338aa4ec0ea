import { access, constants, readFile, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Run } from '../device/display/display-power.js';

/** Oldest plausible "now": a box whose clock says earlier has lost its time (no RTC on a Pi 4). */
export const CLOCK_FLOOR_MS = Date.parse('2026-01-01T00:00:00Z');

/** fontconfig's language codes differ from BCP-47 for some of the gates' languages. */
export function fontconfigLang(tag: string): string {
  const map: Record<string, string> = { 'zh-Hans': 'zh-cn', 'zh-Hant': 'zh-tw', zh: 'zh-cn' };
  return map[tag] ?? tag.toLowerCase().split('-')[0]!;
}

/** Debian packages that cover each language, for the fix the technician is told. */
export function fontPackageFor(tag: string): string {
  const map: Record<string, string> = {
    km: 'fonts-khmeros',
    lo: 'fonts-lao',
    'zh-Hans': 'fonts-noto-cjk',
    'zh-Hant': 'fonts-noto-cjk',
    zh: 'fonts-noto-cjk',
    th: 'fonts-thai-tlwg',
  };
  return map[tag] ?? 'fonts-noto-core';
}

/** `fc-list :lang=km family` lists fonts that fontconfig says cover the language. */
export async function fontFamiliesFor(run: Run, tag: string): Promise<string[]> {
  const r = await run('fc-list', [`:lang=${fontconfigLang(tag)}`, 'family']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export function parseNodeMajor(version: string): number {
  return Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
}

/** Candidates in docs/field-notes.md §1 order: `chromium`, then the Bookworm name `chromium-browser`. */
export async function findChromium(explicit?: string): Promise<string | undefined> {
  const candidates = [explicit, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => !!p,
  );
  for (const p of candidates) {
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

/** Free bytes on the filesystem that holds `path` (or its nearest existing parent). */
export async function freeBytes(path: string): Promise<number> {
  const at = await nearestExisting(path);
  const s = await statfs(at);
  return s.bavail * s.bsize;
}

export async function nearestExisting(path: string): Promise<string> {
  let p = path;
  for (;;) {
    try {
      await stat(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/** Can the current user create `path` (write its nearest existing parent)? */
export async function canWrite(path: string): Promise<boolean> {
  try {
    await access(await nearestExisting(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** MemAvailable from /proc/meminfo (bytes), the kernel's own estimate of what can be used. */
export async function memAvailableBytes(root = '/'): Promise<number | undefined> {
  try {
    const text = await readFile(join(root, 'proc/meminfo'), 'utf8');
    const kb = /^MemAvailable:\s+(\d+) kB/m.exec(text)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export type ClockVerdict = { ok: true; synced: boolean | undefined } | { ok: false; reason: 'before-floor' };

/**
 * The clock is plausible when it is past the floor; `synced` says whether timesyncd confirmed it
 * this boot (it touches /run/systemd/timesync/synchronized per sync: docs/field-notes.md §6 [V]).
 */
export function judgeClock(
  nowMs: number,
  synced: boolean | undefined,
  floorMs = CLOCK_FLOOR_MS,
): ClockVerdict {
  if (nowMs < floorMs) return { ok: false, reason: 'before-floor' };
  return { ok: true, synced };
}

export async function isTimeSynced(root = '/'): Promise<boolean | undefined> {
  try {
    await access(join(root, 'run/systemd/timesync/synchronized'));
    return true;
  } catch {
    try {
      await access(join(root, 'run/systemd/timesync'));
      return false; // timesyncd runs but has not synced this boot
    } catch {
      return undefined; // no timesyncd: cannot tell
    }
  }
}
