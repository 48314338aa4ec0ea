/**
 * The device's events (browser restarts, skipped items, technician requests, crash loops) and the
 * port they are told through. main.ts opens the outbox before it constructs anything that can emit,
 * so an event raised while the daemon is still starting (before the sync client exists) is stored
 * like any other and sent once the link is up.
 */
import type { Logger } from '../../platform/log.js';
import type { DeviceEvent } from '../../protocol/messages.js';
import type { SkipEvent } from '../playback/player-loop.js';

/** Where device parts report what happened. Never throws: losing an event must not stop a loop. */
export interface EventSink {
  emit(event: DeviceEvent): void;
}

/** The part of the outbox the sink needs. */
export interface EventStore {
  appendEvent(event: DeviceEvent): unknown;
}

/** Writes each event to the (started) outbox; the sync client sends it when it is connected. */
export class OutboxEventSink implements EventSink {
  constructor(
    private readonly store: EventStore,
    private readonly log: Logger,
  ) {}

  emit(event: DeviceEvent): void {
    try {
      this.store.appendEvent(event);
    } catch (err) {
      this.log.error('event not recorded', { kind: event.kind, err });
    }
  }
}

/** Keeps events in memory (tests). */
export class MemoryEventSink implements EventSink {
  readonly events: DeviceEvent[] = [];

  emit(event: DeviceEvent): void {
    this.events.push(event);
  }
}

/** The events the daemon raises, each built in one place. */
export const deviceEvents = {
  browserRestart: (at: number, info: { reason: string; count: number; at: number }): DeviceEvent => ({
    at,
    kind: 'browser-restart',
    level: 'warn',
    message: `Chromium restarted: ${info.reason}`,
    data: { ...info },
  }),
  /** Sent at once (not counted into the next health report): names item, title, language and file. */
  itemSkipped: (at: number, e: Pick<SkipEvent, 'item' | 'reason' | 'title' | 'file'>): DeviceEvent => ({
    at,
    kind: 'item-skipped',
    level: 'warn',
    message: `item "${e.item.itemId}"${e.title ? ` (${e.title})` : ''} in ${e.item.language} not shown${e.file ? `: file ${e.file}` : ''}: ${e.reason}`,
    data: {
      itemId: e.item.itemId,
      language: e.item.language,
      reason: e.reason,
      ...(e.title ? { title: e.title } : {}),
      ...(e.file ? { file: e.file } : {}),
    },
  }),
  identifyRequested: (at: number): DeviceEvent => ({
    at,
    kind: 'identify',
    level: 'info',
    message: 'technician asked to identify this screen',
  }),
  trustRootMissing: (at: number, path: string): DeviceEvent => ({
    at,
    kind: 'trust-root-missing',
    level: 'error',
    message: 'the TUF trust root is missing: updates are off, installed content keeps playing',
    data: { path },
  }),
  fileUnusable: (
    at: number,
    f: { targetPath: string; sha256: string; problem: { kind: string }; setAside: string },
  ): DeviceEvent => ({
    at,
    kind: 'content-file-unusable',
    level: 'error',
    message: `installed file ${f.targetPath} is ${f.problem.kind}: not shown, fetching it again (${f.setAside})`,
    data: { targetPath: f.targetPath, sha256: f.sha256, problem: { ...f.problem }, setAside: f.setAside },
  }),
  diskFault: (at: number, f: { code: string; message: string }): DeviceEvent => ({
    at,
    kind: 'disk-full',
    level: 'error',
    message: `content download stopped by the data disk: ${f.message}`,
    data: { code: f.code },
  }),
  orphansRemoved: (
    at: number,
    o: { blobs: number; records: number; tempFiles: number; quarantined: number; freedBytes: number },
  ): DeviceEvent => ({
    at,
    kind: 'orphans-removed',
    level: 'info',
    message: `start-up removed what an interrupted install or clean-up left: ${o.freedBytes} bytes freed`,
    data: { ...o },
  }),
  releaseRolledBack: (
    at: number,
    r: { version: string; reason: string; at: number },
    running: string,
  ): DeviceEvent => ({
    at,
    kind: 'release-rolled-back',
    level: 'error',
    message: `release ${r.version} was rolled back to ${running}: ${r.reason}`.slice(0, 500),
    data: { version: r.version, reason: r.reason, rolledBackAt: r.at, running },
  }),
  releaseCommitted: (at: number, version: string, from: string): DeviceEvent => ({
    at,
    kind: 'release-committed',
    level: 'info',
    message: `release ${version} proved itself and was committed (from ${from})`,
    data: { version, from },
  }),
  crashLoop: (at: number, startsInWindow: number, pending: number): DeviceEvent => ({
    at,
    kind: 'crash-loop',
    level: 'error',
    message: `the daemon started ${startsInWindow} times in a short window`,
    data: { startsInWindow, pending },
  }),
};
