/**
 * Emergencies ended early on this screen (docs/drafts.md §7). The server reveals an emergency's end
 * secret; the screen keeps it on disk and, from then on, leaves out of every bundle it plays the
 * emergency of that id whose signed end commitment the secret opens. Nothing is added to what the
 * screen plays: it falls back to the content signed underneath. A kept secret opens only the
 * commitment it was drawn for, so keeping one for an emergency not (yet) in the bundle is harmless,
 * and a bundle that carries the same emergency again (a restore, a later draft) never brings it back.
 *
 * ```
 * <dataDir>/emergency/ended.json   { schema: 1, ended: EndedEmergency[] }   (atomic writes)
 * ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { FileProblem } from '../../player/file-verdicts.js';
import type { Clock } from '../../protocol/clock.js';
import type { Emergency } from '../../protocol/content.js';
import { EndSecret, opensCommitment } from '../../protocol/emergency-end.js';
import { coded } from '../../protocol/errors.js';
import { writeFileAtomicSync } from '../../platform/atomic-file.js';
import type { Logger } from '../../platform/log.js';
import type { ContentSource, InstalledBundle } from '../content/installed.js';

/** The revealed secret does not open the end commitment signed with the emergency on air: nothing changes. */
export class EmergencyEndSecretError extends coded('EMERGENCY_END_SECRET_MISMATCH') {}
/** The emergency on air was signed without an end commitment: only a signed draft can end it. */
export class EmergencyNotEndableError extends coded('EMERGENCY_NOT_ENDABLE') {}

/** How long an end is kept past the time it was recorded when its emergency's expiry is unknown. */
const KEEP_UNKNOWN_MS = 7 * 24 * 3600_000;
/** At most this many ends are kept (the oldest go first); a gate has a handful a year. */
const MAX_KEPT = 500;

export const EndedEmergency = z.object({
  emergencyId: z.string().min(1).max(64),
  secret: EndSecret,
  /** Epoch ms the end was recorded here. */
  endedAtMs: z.number().int(),
  /** Epoch ms the emergency expires by itself (once known), after which the record is dropped. */
  expiresAtMs: z.number().int().optional(),
});
export type EndedEmergency = z.infer<typeof EndedEmergency>;

const EndedFile = z.object({ schema: z.literal(1), ended: z.array(EndedEmergency) });

export interface EndOutcome {
  /** Whether the emergency was on this screen's bundle and is now off air. */
  removed: boolean;
  /** What the screen did, as the command result tells the server. */
  message: string;
}

/** The ended emergencies, kept in one file under the data dir. */
export class EndedEmergencyFile {
  readonly #path: string;

  constructor(dataDir: string) {
    this.#path = join(dataDir, 'emergency', 'ended.json');
  }

  load(): EndedEmergency[] {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return EndedFile.parse(JSON.parse(text)).ended;
  }

  save(ended: readonly EndedEmergency[]): void {
    writeFileAtomicSync(this.#path, `${JSON.stringify({ schema: 1, ended }, null, 1)}\n`, 0o600);
  }
}

/** Whether `e` is ended by one of the kept secrets. */
function isEnded(e: Emergency, ended: readonly EndedEmergency[]): boolean {
  return (
    e.endCommitment !== undefined &&
    ended.some((x) => x.emergencyId === e.id && opensCommitment(e.endCommitment!, x.secret))
  );
}

/**
 * The content the player plays: the installed bundle without the emergencies ended early. Ending one
 * tells the player (onChange), which starts over with what the signed bundle has underneath.
 */
export class EndedEmergencyContent implements ContentSource {
  readonly #listeners = new Set<(b: InstalledBundle) => void>();
  #ended: EndedEmergency[] = [];
  #cache: { from: InstalledBundle; ended: readonly EndedEmergency[]; out: InstalledBundle } | undefined;
  #off: (() => void) | undefined;

  constructor(
    private readonly source: ContentSource,
    private readonly file: EndedEmergencyFile,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Reads the kept ends (dropping those whose emergency has expired) and follows the source. */
  start(): void {
    try {
      const now = this.clock.now();
      const all = this.file.load();
      this.#ended = all.filter((x) => (x.expiresAtMs ?? x.endedAtMs + KEEP_UNKNOWN_MS) > now);
      if (this.#ended.length !== all.length) this.file.save(this.#ended);
    } catch (err) {
      // Unreadable: the emergencies play as signed until an end is revealed again (the server resends it).
      this.log.error('ended emergencies not read', { err });
    }
    this.#off = this.source.onChange(() => this.#changed());
  }

  stop(): void {
    this.#off?.();
    this.#off = undefined;
  }

  current(): InstalledBundle | undefined {
    const from = this.source.current();
    if (!from) return undefined;
    if (this.#cache?.from === from && this.#cache.ended === this.#ended) return this.#cache.out;
    const kept = from.manifest.emergencies.filter((e) => !isEnded(e, this.#ended));
    const out =
      kept.length === from.manifest.emergencies.length
        ? from
        : { ...from, manifest: { ...from.manifest, emergencies: kept }, filePath: from.filePath.bind(from) };
    this.#cache = { from, ended: this.#ended, out };
    return out;
  }

  onChange(listener: (bundle: InstalledBundle) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  reportUnusable(targetPath: string, sha256: string, problem: FileProblem): void {
    this.source.reportUnusable?.(targetPath, sha256, problem);
  }

  /** The ids of the emergencies ended here (for health and tests). */
  endedIds(): string[] {
    return this.#ended.map((x) => x.emergencyId);
  }

  /**
   * Ends emergency `emergencyId` with the revealed `secret`. With the emergency in the installed
   * bundle: removed when the secret opens its signed commitment, otherwise refused by name and
   * nothing changes. Not in the bundle (not installed yet): the secret is kept, and the emergency is
   * left out as soon as a bundle carrying it (with the commitment the secret opens) is installed.
   */
  end(emergencyId: string, secret: string): EndOutcome {
    if (!EndSecret.safeParse(secret).success)
      throw new EmergencyEndSecretError(`the end secret for emergency "${emergencyId}" is not 64 hex digits`);
    const bundle = this.source.current();
    const e = bundle?.manifest.emergencies.find((x) => x.id === emergencyId);
    const where = bundle ? `bundle ${bundle.siteGroup} version ${bundle.version}` : 'no bundle installed';
    if (e && e.endCommitment === undefined)
      throw new EmergencyNotEndableError(
        `emergency "${emergencyId}" in ${where} was signed without an end commitment; only a signed draft can end it`,
      );
    if (e && !opensCommitment(e.endCommitment!, secret))
      throw new EmergencyEndSecretError(
        `the revealed secret does not match the end commitment signed with emergency "${emergencyId}" in ${where}; it stays on air`,
      );
    if (this.#ended.some((x) => x.emergencyId === emergencyId && x.secret === secret))
      return { removed: Boolean(e), message: `emergency "${emergencyId}" already ended here (${where})` };
    const expiresAtMs = e ? Date.parse(e.expiresAt) : undefined;
    const record: EndedEmergency = {
      emergencyId,
      secret,
      endedAtMs: this.clock.now(),
      ...(expiresAtMs !== undefined ? { expiresAtMs } : {}),
    };
    const next = [...this.#ended, record].slice(-MAX_KEPT);
    // On disk first: an end acknowledged to the server survives a restart.
    this.file.save(next);
    this.#ended = next;
    this.log.warn('emergency ended early', { emergencyId, onAir: Boolean(e), bundle: where });
    if (!e)
      return {
        removed: false,
        message: `emergency "${emergencyId}" is not in this screen's ${where}; the end is kept and applies if it arrives`,
      };
    const now = this.current();
    if (now) for (const l of this.#listeners) l(now);
    return {
      removed: true,
      message: `emergency "${emergencyId}" taken off air (${where}); playing the signed content underneath`,
    };
  }

  #changed(): void {
    const now = this.current();
    if (now) for (const l of this.#listeners) l(now);
  }
}
