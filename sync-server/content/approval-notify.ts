/**
 * Tells the webhook (the alerts' receiver, `alerts.webhook` in the config) that a draft waits for
 * approval: when it is created and when its author resubmits it. An emergency says how many
 * signatures it needs by when and how much time is left. Deliveries run one after the other in the
 * background; a failed one is logged, never thrown at the author.
 */
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { DraftView } from '../../protocol/publish-api.js';
import { approvalTexts } from './texts.js';

/** One draft waiting for signatures, as the webhook receives it. */
export interface PendingApprovalEvent {
  type: 'approval.pending';
  draftId: string;
  kind: 'content' | 'emergency';
  siteGroup: string;
  version: number;
  label: string | null;
  createdBy: string | null;
  note: string | null;
  /** Signatures needed (from different accounts, not the author's) and those already given. */
  threshold: number;
  signatures: number;
  /** Emergency drafts: the signatures must all be given by then. */
  approveBy: string | null;
  /** Emergency drafts: whole minutes left until approveBy (rounded down, never below 0). */
  minutesLeft: number | null;
  /** The draft's page on the dashboard. */
  link: string;
  /** What a person reads, in each dashboard language. */
  text: { vi: string; en: string };
}

export function pendingApprovalEvent(d: DraftView, now: number, dashboardUrl: string): PendingApprovalEvent {
  const link = `${dashboardUrl.replace(/\/$/, '')}/dashboard/drafts/${encodeURIComponent(d.id)}`;
  const minutesLeft =
    d.approveBy === undefined ? null : Math.max(0, Math.floor((Date.parse(d.approveBy) - now) / 60_000));
  const text = (lang: 'vi' | 'en') =>
    d.kind === 'emergency'
      ? approvalTexts.text(lang, 'webhook.pendingEmergency', {
          siteGroup: d.siteGroup,
          need: d.threshold,
          by: d.approveBy ?? '',
          minutes: minutesLeft ?? 0,
          link,
        })
      : approvalTexts.text(lang, 'webhook.pendingDraft', {
          id: d.id,
          siteGroup: d.siteGroup,
          version: d.version,
          need: d.threshold,
          link,
        });
  return {
    type: 'approval.pending',
    draftId: d.id,
    kind: d.kind,
    siteGroup: d.siteGroup,
    version: d.version,
    label: d.label ?? null,
    createdBy: d.createdBy ?? null,
    note: d.note ?? null,
    threshold: d.threshold,
    signatures: d.signatures.length,
    approveBy: d.approveBy ?? null,
    minutesLeft,
    link,
    text: { vi: text('vi'), en: text('en') },
  };
}

/** The JSON body posted for approval events (the same envelope as alert events: v, sentAt, events). */
export function approvalWebhookPayload(events: readonly PendingApprovalEvent[], sentAt: number): string {
  return JSON.stringify({ v: 1, sentAt: new Date(sentAt).toISOString(), events });
}

export interface ApprovalNotifierOptions {
  /** Delivers one body (WebhookSender.post: signing, retries, backoff). */
  post: (body: string) => Promise<unknown>;
  clock: Clock;
  log: Logger;
  /** The dashboard's address for the links (e.g. https://gatecast.example). */
  dashboardUrl: () => string;
}

export class ApprovalNotifier {
  #queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: ApprovalNotifierOptions) {}

  /** Queues the event for `draft` (DraftService's onPending). */
  notePending(draft: DraftView): void {
    const event = pendingApprovalEvent(draft, this.o.clock.now(), this.o.dashboardUrl());
    this.#queue = this.#queue.then(async () => {
      try {
        await this.o.post(approvalWebhookPayload([event], this.o.clock.now()));
      } catch (err) {
        this.o.log.error('approval webhook gave up', { draftId: event.draftId, err });
      }
    });
  }

  /** Waits for the queued deliveries. */
  flush(): Promise<void> {
    return this.#queue;
  }
}
