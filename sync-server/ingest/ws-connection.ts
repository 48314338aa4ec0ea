/**
 * One device connection as the hub's parts see it, and what those parts may do to it through the
 * hub (send, count a bad frame, tell subscribers).
 */
import type { WebSocket } from 'ws';
import type { OutboxRecord, OutboxStream, ServerMessage } from '../../protocol/messages.js';
import type { TokenBucket } from './rate-limit.js';

export type Phase = 'hello' | 'challenged' | 'authed' | 'closed';

export interface Conn {
  ws: WebSocket;
  remote: string;
  origin: string;
  phase: Phase;
  deviceId?: string;
  appVersion?: string;
  nonce?: string;
  nonceExpiresAt?: number;
  /** Gives back the connection's unauthenticated slot (at authentication or close); idempotent. */
  releaseSlot: () => void;
  bucket: TokenBucket;
  badFrames: number;
  alive: boolean;
  authTimer?: NodeJS.Timeout;
}

/** What the hub tells its subscribers (the dashboard's live view). */
export type HubEvent =
  | { type: 'presence'; deviceId: string; online: boolean; at: number }
  | { type: 'stored'; deviceId: string; stream: OutboxStream; records: readonly OutboxRecord[] }
  | { type: 'command'; deviceId: string; commandId: string };

/** The hub's effects on a connection, lent to the parts that handle its frames. */
export interface HubLink {
  send(c: Conn, msg: ServerMessage): void;
  /** A frame the device should not have sent: an error reply, or the connection closed after too many. */
  badFrame(c: Conn, why: string): void;
  emit(e: HubEvent): void;
}

/**
 * Sets the largest frame `ws` accepts on this socket from now on; false when this `ws` has no
 * such internal. ws fixes maxPayload per server, so the server is created with the pre-auth limit
 * and an authenticated socket's Receiver gets the larger one here. The Receiver compares each
 * frame's declared length with `_maxPayload` as it reads the header (ws 8, lib/receiver.js
 * haveLength) and closes with 1009 before buffering any of the payload. A check in the 'message'
 * handler would come after the whole frame was buffered; counting bytes on the raw socket would
 * duplicate ws's framing. The internal is checked at each connection, so a ws that changes it
 * fails loudly (the connection is refused and logged), never silently unlimited.
 */
export function setFrameLimit(ws: WebSocket, bytes: number): boolean {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  return true;
}
