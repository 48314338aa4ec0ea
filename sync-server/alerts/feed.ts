/**
 * Tells the dashboard's live streams that the alerts changed (an evaluation raised, escalated or
 * resolved some, or an operator acknowledged one). The AlertService's onChange publishes here;
 * each alerts-page SSE stream subscribes.
 */
import type { AlertStep } from './lifecycle.js';

export class AlertFeed {
  private readonly listeners = new Set<(step: AlertStep) => void>();

  subscribe(fn: (step: AlertStep) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  publish(step: AlertStep): void {
    for (const fn of this.listeners) fn(step);
  }

  /** Drops every listener (server stop). */
  clear(): void {
    this.listeners.clear();
  }
}
