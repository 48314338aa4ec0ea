/**
 * What a submission from the dashboard is doing to its media, file by file: waiting, checked,
 * normalised (with ffmpeg's progress), done with what it became, or refused with why. The content
 * service writes it as the submission runs; the page polls it by the ticket it sent with the
 * submission (GET /api/content/submit/progress). Kept in memory: a restart forgets it (the draft
 * record keeps what each file became).
 */
import { isGatecastError } from '../../protocol/errors.js';
import type { DraftView } from '../../protocol/publish-api.js';
import type { MediaFileRefusal } from './media-refusals.js';

/** The random name the page gives its submission, to ask for its progress. */
export const SUBMIT_TICKET = /^[A-Za-z0-9_-]{8,64}$/;

type MediaEntry = NonNullable<DraftView['media']>[number];
type Job = NonNullable<DraftView['jobs']>[number];

export interface SubmitFileProgress {
  path: string;
  state: 'waiting' | 'checking' | 'normalising' | 'done' | 'failed';
  /** 0..1 (ffmpeg's progress for a video; 0 or 1 for the rest). */
  progress: number;
  /** What the file was and what it became (done). */
  media?: MediaEntry;
  /** Why it was refused (failed): the error's code and its message, which names the file. */
  code?: string;
  message?: string;
  /** The refusal as data (name, what its bytes are, where it is used): the page says it in its words. */
  refusal?: MediaFileRefusal;
}

export interface SubmitProgress {
  siteGroup: string;
  draftId: string | null;
  startedAt: number;
  /** null while it runs. */
  outcome: 'submitted' | 'refused' | null;
  files: SubmitFileProgress[];
}

interface Entry extends SubmitProgress {
  ticket: string;
  by: string;
}

/** Finished submissions kept for their page's last poll. */
const KEPT = 50;

export class SubmitProgressBoard {
  readonly #byTicket = new Map<string, Entry>();

  /** A submission of `paths` (the files its draft still needs) begins. */
  start(o: {
    ticket: string;
    by: string;
    siteGroup: string;
    draftId: string;
    paths: readonly string[];
    at: number;
  }): void {
    this.#byTicket.delete(o.ticket);
    this.#byTicket.set(o.ticket, {
      ticket: o.ticket,
      by: o.by,
      siteGroup: o.siteGroup,
      draftId: o.draftId,
      startedAt: o.at,
      outcome: null,
      files: o.paths.map((path) => ({ path, state: 'waiting', progress: 0 })),
    });
    while (this.#byTicket.size > KEPT) this.#byTicket.delete(this.#byTicket.keys().next().value!);
  }

  #file(ticket: string, path: string): SubmitFileProgress | undefined {
    return this.#byTicket.get(ticket)?.files.find((f) => f.path === path);
  }

  checking(ticket: string, path: string): void {
    const f = this.#file(ticket, path);
    if (f) f.state = 'checking';
  }

  done(ticket: string, path: string): void {
    const f = this.#file(ticket, path);
    if (!f) return;
    f.state = 'done';
    f.progress = 1;
  }

  failed(ticket: string, path: string, err: unknown, refusal?: MediaFileRefusal): void {
    const f = this.#file(ticket, path);
    if (!f) return;
    f.state = 'failed';
    if (isGatecastError(err)) f.code = err.code;
    f.message = (err as Error).message;
    if (refusal) f.refusal = refusal;
  }

  /** The submission ended: each file done gets what it became (from the draft's record). */
  finish(ticket: string, outcome: 'submitted' | 'refused', media: readonly MediaEntry[] = []): void {
    const e = this.#byTicket.get(ticket);
    if (!e) return;
    e.outcome = outcome;
    for (const f of e.files) {
      const m = media.find((x) => x.path === f.path);
      if (m && f.state === 'done') f.media = m;
    }
  }

  /** The draft's id while the submission runs (its jobs say how far each file is). */
  running(ticket: string, by: string): string | undefined {
    const e = this.#byTicket.get(ticket);
    return e && e.by === by && e.outcome === null ? (e.draftId ?? undefined) : undefined;
  }

  /**
   * The submission `ticket` of account `by` (another account's is not shown), with the draft's
   * running jobs folded in; undefined when there is none.
   */
  view(ticket: string, by: string, jobs: readonly Job[] = []): SubmitProgress | undefined {
    const e = this.#byTicket.get(ticket);
    if (!e || e.by !== by) return undefined;
    return {
      siteGroup: e.siteGroup,
      draftId: e.draftId,
      startedAt: e.startedAt,
      outcome: e.outcome,
      files: e.files.map((f) => {
        const job = jobs.find((j) => j.path === f.path);
        // The draft's job knows the step and ffmpeg's progress of the file being worked on.
        if (f.state === 'checking' && job && (job.state === 'checking' || job.state === 'normalising'))
          return { ...f, state: job.state, progress: job.progress };
        return { ...f };
      }),
    };
  }
}
