/**
 * Caps on device connections that have not authenticated yet, per remote address and in all:
 * past a cap the upgrade is answered before any WebSocket exists, so a flood of idle sockets
 * cannot hold the hub's memory or crowd out real devices.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';

export interface ConnectionCapsOptions {
  maxUnauthenticatedPerAddress: number;
  maxUnauthenticated: number;
  /** Slots free up within this at the latest: the Retry-After of a refusal. */
  authTimeoutMs: number;
}

export class UnauthenticatedSlots {
  /** Connections upgraded or upgrading, not authenticated yet: by remote address, and in all. */
  private readonly byAddress = new Map<string, number>();
  private total = 0;
  private refusalLog = { atMs: -Infinity, since: 0 };

  constructor(
    private readonly options: ConnectionCapsOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Counts a connection that is not authenticated yet against its address's and the overall cap.
   * Past a cap the upgrade is answered 429 (this address) or 503 (everyone) and undefined is
   * returned; otherwise the function that gives the slot back, also called when the socket closes.
   */
  take(req: IncomingMessage, socket: Duplex): (() => void) | undefined {
    const address = req.socket.remoteAddress ?? 'unknown';
    const held = this.byAddress.get(address) ?? 0;
    const refusal =
      held >= this.options.maxUnauthenticatedPerAddress
        ? {
            status: '429 Too Many Requests',
            scope: 'address',
            limit: this.options.maxUnauthenticatedPerAddress,
          }
        : this.total >= this.options.maxUnauthenticated
          ? { status: '503 Service Unavailable', scope: 'all', limit: this.options.maxUnauthenticated }
          : undefined;
    if (refusal) {
      this.logRefusal(address, refusal.scope, refusal.limit);
      // Slots free up within the auth timeout at the latest.
      const retryAfterS = Math.ceil(this.options.authTimeoutMs / 1000);
      socket.end(
        `HTTP/1.1 ${refusal.status}\r\nRetry-After: ${retryAfterS}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      socket.once('finish', () => socket.destroy());
      return undefined;
    }
    this.byAddress.set(address, held + 1);
    this.total++;
    let holding = true;
    const release = () => {
      if (!holding) return;
      holding = false;
      this.total--;
      const n = (this.byAddress.get(address) ?? 1) - 1;
      if (n > 0) this.byAddress.set(address, n);
      else this.byAddress.delete(address);
    };
    // Whatever ends the socket (a failed handshake, a close, a timeout) gives the slot back.
    socket.once('close', release);
    return release;
  }

  /** One line per refusal, but at most one each 10 s under a flood (with the count since the last). */
  private logRefusal(address: string, scope: string, limit: number): void {
    const now = this.clock.now();
    this.refusalLog.since++;
    if (now - this.refusalLog.atMs < 10_000) return;
    this.log.warn('device connection refused: too many unauthenticated connections', {
      remote: address,
      scope,
      limit,
      unauthenticatedFromAddress: this.byAddress.get(address) ?? 0,
      unauthenticated: this.total,
      refusedSinceLastLog: this.refusalLog.since,
    });
    this.refusalLog = { atMs: now, since: 0 };
  }
}
