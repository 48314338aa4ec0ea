/**
 * The last-known-good time on disk: a lower bound for "now" that survives reboots of a board with no
 * real-time clock. A port with a file adapter and an in-memory twin.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomicSync } from '../../platform/atomic-file.js';
import type { Logger } from '../../platform/log.js';

export const LastKnownGood = z.object({
  v: z.literal(1),
  /** Epoch ms the device knew it was at least at. */
  ms: z.number().int().min(0),
  /** Where that time came from. */
  source: z.enum(['ntp', 'server', 'last-known-good']),
});
export type LastKnownGood = z.infer<typeof LastKnownGood>;

export interface LastKnownGoodStore {
  /** The stored value; undefined when there is none or it cannot be read (never throws). */
  read(): LastKnownGood | undefined;
  /** Replaces the stored value atomically. */
  write(value: LastKnownGood): void;
}

/** A small JSON file (e.g. `<dataDir>/time.json`), replaced by stage → fsync → rename → fsync dir. */
export class FileLastKnownGoodStore implements LastKnownGoodStore {
  constructor(
    private readonly path: string,
    private readonly log?: Logger,
  ) {}

  read(): LastKnownGood | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log?.warn('cannot read the last-known-good time', { path: this.path, err });
      return undefined;
    }
    try {
      const parsed = LastKnownGood.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON: reported below like any other bad content
    }
    this.log?.warn('ignoring a damaged last-known-good time file', { path: this.path });
    return undefined;
  }

  write(value: LastKnownGood): void {
    writeFileAtomicSync(this.path, `${JSON.stringify(value)}\n`);
  }
}

export class MemoryLastKnownGoodStore implements LastKnownGoodStore {
  /** Every value written, oldest first. */
  readonly writes: LastKnownGood[] = [];

  constructor(private value?: LastKnownGood) {}

  read(): LastKnownGood | undefined {
    return this.value;
  }

  write(value: LastKnownGood): void {
    this.value = value;
    this.writes.push(value);
  }
}
