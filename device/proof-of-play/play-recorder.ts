/**
 * What becomes of each item the player showed: one signed proof-of-play record, with the times moved
 * from the browser's (system) clock to the trusted clock, and the sender woken so the record leaves
 * now rather than with the next batch.
 */
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { PopEntry } from '../../protocol/proof-of-play.js';
import type { ContentSource } from '../content/installed.js';
import type { PlayEvent } from '../playback/player-loop.js';
import { clockOffsetMs } from '../schedule/trusted-planner.js';
import type { TimeStatus } from '../time/trusted-clock.js';
import { popEntryFor } from './entry.js';

/** The proof-of-play log as the recorder writes it (SqlitePopLog). */
export interface PopAppender {
  append(entry: PopEntry): unknown;
}

export interface PlayRecorderDeps {
  deviceId: string;
  content: ContentSource;
  pop: PopAppender;
  /** The trusted clock: record times and the clock status written with each record. */
  trusted: Clock & { status(): TimeStatus };
  /** The clock the page's play events are stamped with. */
  system: Clock;
  /** Whether the screen was lit (true where display power cannot be read). */
  isScreenOn(): boolean;
  /** Called after each record is stored (wakes the outbox sender). */
  onRecorded(): void;
  log: Logger;
}

/** The proof-of-play entry for one showing, or undefined when no bundle is installed. Pure. */
export function popEntryForPlay(
  e: PlayEvent,
  d: Pick<PlayRecorderDeps, 'deviceId' | 'content' | 'trusted' | 'system'> & { screenOn: boolean },
): PopEntry | undefined {
  const bundle = d.content.current();
  if (!bundle) return undefined;
  const offset = clockOffsetMs(d.trusted, d.system);
  return popEntryFor({ ...e.item, startAt: e.item.startAt + offset }, bundle, {
    deviceId: d.deviceId,
    actualStartAt: e.actualStart + offset,
    durationMs: e.durationMs,
    ...(e.partial ? { partial: true } : {}),
    ...(e.region ? { region: e.region } : {}),
    screenOn: d.screenOn,
    clockStatus: d.trusted.status(),
  });
}

export class PlayRecorder {
  constructor(private readonly d: PlayRecorderDeps) {}

  /** Records one showing; a failure is logged, never thrown into the player loop. */
  record(e: PlayEvent): void {
    try {
      const entry = popEntryForPlay(e, { ...this.d, screenOn: this.d.isScreenOn() });
      if (!entry) return;
      this.d.pop.append(entry);
      this.d.onRecorded();
    } catch (err) {
      this.d.log.error('proof of play not recorded', { err, itemId: e.item.itemId });
    }
  }
}
