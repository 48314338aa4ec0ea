/**
 * A bounded job queue: at most `concurrency` jobs run at once, at most `maxQueued` wait; one more is
 * refused at once with ReportBusyError (the route answers 429 with Retry-After) instead of piling
 * up Chromium processes. The decision (run, wait or refuse) depends only on the counts.
 */
import { GatecastError } from '../../protocol/errors.js';
import { isDashboardLanguage } from '../dashboard/language.js';
import { reportsTexts } from './texts.js';

export class ReportBusyError extends GatecastError {
  readonly code = 'REPORT_BUSY';
  constructor(readonly retryAfterMs: number) {
    super(`the server is busy with other report PDFs; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
  messageIn(lang: string): string | undefined {
    const seconds = Math.max(1, Math.ceil(this.retryAfterMs / 1000));
    return isDashboardLanguage(lang) ? reportsTexts.text(lang, 'report.error.busy', { seconds }) : undefined;
  }
}

export interface JobQueueOptions {
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs waiting for a slot; one more is refused. */
  maxQueued: number;
  /** What a refusal asks the client to wait. */
  retryAfterMs: number;
}

export class JobQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: JobQueueOptions) {}

  /** Jobs running now, and jobs waiting. */
  get stats(): { running: number; queued: number } {
    return { running: this.active, queued: this.waiting.length };
  }

  /** Runs `job` when a slot is free; throws ReportBusyError when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.options.concurrency) {
      if (this.waiting.length >= this.options.maxQueued) throw new ReportBusyError(this.options.retryAfterMs);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    try {
      return await job();
    } finally {
      // The slot passes straight to the next waiter, so `active` never dips and a newcomer cannot jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
