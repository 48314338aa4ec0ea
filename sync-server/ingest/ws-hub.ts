/**
 * The device WebSocket hub at DEVICE_WS_PATH: challenge-response authentication with each device's
 * Ed25519 key, outbox ingest (group-committed, acked by watermark), commands, update notifications,
 * ping/pong liveness, and refusal of bad input (malformed frames, floods, replays, impostors).
 */
import { randomBytes, verify } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import {
  authPayload,
  CloseCode,
  DEVICE_WS_PATH,
  type DeviceMessage,
  type ErrorCode,
  FRAME_MAX_BYTES,
  PRE_AUTH_FRAME_MAX_BYTES,
  parseDeviceMessage,
  type ServerMessage,
} from '../../protocol/messages.js';
import type { Registry } from '../registry/registry.js';
import { BatchIngest } from './batch-ingest.js';
import { UnauthenticatedSlots } from './connection-caps.js';
import { CommandRelay } from './device-commands.js';
import { DeviceKeys } from './device-keys.js';
import { TokenBucket, type TokenBucketOptions } from './rate-limit.js';
import { type Conn, type HubEvent, type HubLink, setFrameLimit } from './ws-connection.js';

export interface HubOptions {
  /** Origin devices sign (`https://host:port`); when absent, taken from each request's Host header. */
  origin?: string | undefined;
  /** Whether the http server is TLS (for the origin derived from Host). */
  secure: boolean;
  challengeTtlMs: number;
  authTimeoutMs: number;
  pingIntervalMs: number;
  rateLimit: TokenBucketOptions;
  /** Frames that fail to parse before the connection is closed. */
  maxBadFrames: number;
  commandSweepMs: number;
  retryAfterMs: number;
  /** ws maxPayload until the device authenticates, then `frameMaxBytes`. */
  preAuthFrameMaxBytes: number;
  frameMaxBytes: number;
  /** Connections not authenticated yet, per remote address and in all; more are refused at upgrade. */
  maxUnauthenticatedPerAddress: number;
  maxUnauthenticated: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  secure: false,
  challengeTtlMs: 10_000,
  authTimeoutMs: 15_000,
  pingIntervalMs: 30_000,
  rateLimit: { perSecond: 20, capacity: 200 },
  maxBadFrames: 20,
  commandSweepMs: 5_000,
  retryAfterMs: 30_000,
  preAuthFrameMaxBytes: PRE_AUTH_FRAME_MAX_BYTES,
  frameMaxBytes: FRAME_MAX_BYTES,
  maxUnauthenticatedPerAddress: 64,
  maxUnauthenticated: 2048,
};

export interface HubStats {
  connections: number;
  authenticated: number;
  batchesStored: number;
  recordsStored: number;
  badFrames: number;
  closedForAbuse: number;
  quarantined: number;
  framesReceived: number;
  /** Upgrades refused because too many connections were not authenticated yet. */
  refusedUnauthenticated: number;
  /** Proof-of-play records stored with a signature that is not the device key's. */
  popBadSignatures: number;
}

export class DeviceHub {
  private readonly listeners = new Set<(e: HubEvent) => void>();
  private wss?: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private readonly byDevice = new Map<string, Conn>();
  private readonly deviceBuckets = new Map<string, TokenBucket>();
  private readonly keys = new DeviceKeys();
  private readonly lastSeen = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private upgradeListener?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  private server?: HttpServer;
  readonly stats: HubStats = {
    connections: 0,
    authenticated: 0,
    batchesStored: 0,
    recordsStored: 0,
    badFrames: 0,
    closedForAbuse: 0,
    quarantined: 0,
    framesReceived: 0,
    refusedUnauthenticated: 0,
    popBadSignatures: 0,
  };
  private readonly slots: UnauthenticatedSlots;
  private readonly link: HubLink = {
    send: (c, msg) => this.send(c, msg),
    badFrame: (c, why) => this.badFrame(c, why),
    emit: (e) => this.emit(e),
  };
  private readonly ingest: BatchIngest;
  private readonly commands: CommandRelay;

  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: HubOptions = DEFAULT_HUB_OPTIONS,
  ) {
    this.slots = new UnauthenticatedSlots(options, clock, log);
    this.ingest = new BatchIngest(registry, this.keys, log, this.stats, this.link);
    this.commands = new CommandRelay(registry, clock, log, this.link);
  }

  /** Serves DEVICE_WS_PATH on `server`'s upgrade requests. */
  start(server: HttpServer): void {
    this.server = server;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.preAuthFrameMaxBytes,
      perMessageDeflate: false,
    });
    this.upgradeListener = (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== DEVICE_WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      const releaseSlot = this.slots.take(req, socket);
      if (!releaseSlot) {
        this.stats.refusedUnauthenticated++;
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, releaseSlot));
    };
    server.on('upgrade', this.upgradeListener);
    this.timers.push(setInterval(() => this.pingAll(), this.options.pingIntervalMs).unref());
    this.timers.push(setInterval(() => this.commands.sweep(), this.options.commandSweepMs).unref());
    this.timers.push(setInterval(() => this.flushLastSeen(), 60_000).unref());
  }

  /** Closes every device connection (1001) and stops serving; pending ingest is flushed first. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.ingest.flush();
    this.flushLastSeen();
    if (this.server && this.upgradeListener) this.server.off('upgrade', this.upgradeListener);
    for (const c of this.conns) {
      c.ws.close(CloseCode.goingAway, 'server shutting down');
      c.ws.terminate();
      this.onClose(c);
    }
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }

  /**
   * Stops at once, as a crash would: sockets cut without close frames, unstored batches discarded
   * (their senders got no ack, so they resend). For failure drills and tests.
   */
  abort(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.ingest.discard();
    if (this.server && this.upgradeListener) this.server.off('upgrade', this.upgradeListener);
    for (const c of [...this.conns]) {
      c.ws.terminate();
      this.onClose(c);
    }
    this.wss?.close();
  }

  isOnline(deviceId: string): boolean {
    return this.byDevice.has(deviceId);
  }

  onlineCount(): number {
    return this.byDevice.size;
  }

  /** Tells online devices (all, or those of one gate) that new content is published. */
  notifyUpdate(siteGroup?: string, version?: string): number {
    let n = 0;
    for (const [id, c] of this.byDevice) {
      if (siteGroup && this.registry.devices.get(id)?.siteGroup !== siteGroup) continue;
      this.send(c, { type: 'update-available', v: 1, ...(version ? { version } : {}) });
      n++;
    }
    return n;
  }

  /** Calls `fn` on every presence change, stored batch and command change; returns the unsubscribe. */
  subscribe(fn: (e: HubEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: HubEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch (err) {
        this.log.error('hub subscriber failed', { type: e.type, err });
      }
    }
  }

  /** Closes a device's connection (after a revocation). */
  disconnect(deviceId: string, reason: string): void {
    const c = this.byDevice.get(deviceId);
    if (c) this.refuse(c, CloseCode.revoked, reason, { code: 'revoked' });
  }

  /** Sends the device its queued commands now if it is online; otherwise they wait for it. */
  deliverCommands(deviceId: string): void {
    const c = this.byDevice.get(deviceId);
    if (!c) return;
    this.commands.deliver(c, deviceId);
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, releaseSlot: () => void): void {
    const host = req.headers.host ?? 'localhost';
    const conn: Conn = {
      ws,
      remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      origin: this.options.origin ?? `${this.options.secure ? 'https' : 'http'}://${host}`,
      phase: 'hello',
      releaseSlot,
      bucket: new TokenBucket(this.options.rateLimit, this.clock.now()),
      badFrames: 0,
      alive: true,
    };
    this.conns.add(conn);
    this.stats.connections++;
    if (!setFrameLimit(ws, this.options.preAuthFrameMaxBytes)) {
      this.log.error('this ws version has no per-socket frame limit; device connections refused', {});
      ws.close(1011, 'server cannot limit frame size');
      ws.terminate();
      this.onClose(conn);
      return;
    }
    conn.authTimer = setTimeout(
      () => this.refuse(conn, CloseCode.authTimeout, 'not authenticated in time'),
      this.options.authTimeoutMs,
    );
    conn.authTimer.unref();
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('close', () => this.onClose(conn));
    ws.on('error', (err) => {
      // ws emits an error for oversize frames (it then closes with 1009) and protocol violations.
      this.stats.badFrames++;
      this.log.warn('device socket error', { remote: conn.remote, deviceId: conn.deviceId, err });
    });
  }

  private onClose(c: Conn): void {
    if (c.phase === 'closed') return;
    c.phase = 'closed';
    c.releaseSlot();
    if (c.authTimer) clearTimeout(c.authTimer);
    this.conns.delete(c);
    this.stats.connections--;
    if (c.deviceId && this.byDevice.get(c.deviceId) === c) {
      this.byDevice.delete(c.deviceId);
      this.stats.authenticated--;
      this.lastSeen.delete(c.deviceId);
      this.registry.devices.setOnline(c.deviceId, false, this.clock.now());
      this.emit({ type: 'presence', deviceId: c.deviceId, online: false, at: this.clock.now() });
    }
  }

  private send(c: Conn, msg: ServerMessage): void {
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(msg));
  }

  private refuse(
    c: Conn,
    code: CloseCode,
    reason: string,
    error?: { code: ErrorCode; retryAfterMs?: number },
  ): void {
    if (c.phase === 'closed') return;
    this.log.warn('device connection refused', {
      remote: c.remote,
      deviceId: c.deviceId,
      closeCode: code,
      reason,
    });
    if (error)
      this.send(c, {
        type: 'error',
        v: 1,
        code: error.code,
        message: reason,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      });
    if (code !== CloseCode.authTimeout) this.stats.closedForAbuse++;
    c.ws.close(code, reason.slice(0, 120));
    // Do not wait for the peer's close frame: a misbehaving peer may never send it.
    setTimeout(() => c.ws.terminate(), 1000).unref();
    this.onClose(c);
  }

  private bucketFor(c: Conn): TokenBucket {
    if (!c.deviceId || c.phase !== 'authed') return c.bucket;
    let b = this.deviceBuckets.get(c.deviceId);
    if (!b) {
      b = c.bucket;
      this.deviceBuckets.set(c.deviceId, b);
    }
    return b;
  }

  private onFrame(c: Conn, data: RawData, isBinary: boolean): void {
    if (c.phase === 'closed') return;
    this.stats.framesReceived++;
    const now = this.clock.now();
    const bucket = this.bucketFor(c);
    if (!bucket.take(now)) {
      this.refuse(c, CloseCode.rateLimited, 'too many frames', {
        code: 'rate-limited',
        retryAfterMs: this.options.retryAfterMs,
      });
      return;
    }
    if (c.deviceId && c.phase === 'authed') this.lastSeen.set(c.deviceId, now);
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let msg: DeviceMessage;
    try {
      if (isBinary) throw new Error('binary frames are not part of the protocol');
      msg = parseDeviceMessage(buf);
    } catch (err) {
      this.badFrame(c, (err as Error).message);
      return;
    }
    try {
      this.dispatch(c, msg, buf.length, now);
    } catch (err) {
      // A bug or a storage failure on one frame must not take the hub down.
      this.log.error('frame handling failed', { deviceId: c.deviceId, type: msg.type, err });
      this.send(c, {
        type: 'error',
        v: 1,
        code: 'internal',
        message: 'internal error',
        retryAfterMs: this.options.retryAfterMs,
      });
    }
  }

  private badFrame(c: Conn, why: string): void {
    this.stats.badFrames++;
    c.badFrames++;
    if (c.phase !== 'authed') {
      this.refuse(c, CloseCode.badMessage, `malformed frame before authentication: ${why.split('\n')[0]}`);
      return;
    }
    if (c.badFrames === 1) this.log.warn('malformed frame from device', { deviceId: c.deviceId, why });
    if (c.badFrames > this.options.maxBadFrames) {
      this.refuse(c, CloseCode.badMessage, `more than ${this.options.maxBadFrames} malformed frames`);
      return;
    }
    this.send(c, { type: 'error', v: 1, code: 'bad-message', message: why.slice(0, 2000) });
  }

  private dispatch(c: Conn, msg: DeviceMessage, size: number, now: number): void {
    switch (c.phase) {
      case 'hello':
      case 'challenged': {
        // Before authentication only the handshake's next message is allowed: hello, then auth.
        const expected = c.phase === 'hello' ? 'hello' : 'auth';
        if (msg.type !== expected)
          this.refuse(c, CloseCode.badMessage, `expected ${expected}, got ${msg.type}`);
        else if (msg.type === 'hello') this.onHello(c, msg, now);
        else if (msg.type === 'auth') this.onAuth(c, msg, now);
        return;
      }
      case 'authed':
        break;
      default:
        return;
    }
    switch (msg.type) {
      case 'hello':
      case 'auth':
        if (msg.deviceId !== c.deviceId) {
          this.refuse(c, CloseCode.wrongDevice, `authenticated as ${c.deviceId}, claimed ${msg.deviceId}`);
          return;
        }
        {
          this.badFrame(c, `${msg.type} after authentication`);
          return;
        }
      case 'batch': {
        this.ingest.accept(c, msg, size);
        return;
      }
      case 'command-ack': {
        this.commands.onAck(c, msg, now);
        return;
      }
      case 'command-result': {
        this.commands.onResult(c, msg, now);
        return;
      }
    }
  }

  private onHello(c: Conn, msg: Extract<DeviceMessage, { type: 'hello' }>, now: number): void {
    const device = this.registry.devices.get(msg.deviceId);
    if (!device) {
      this.refuse(c, CloseCode.unknownDevice, `unknown device ${msg.deviceId}`, {
        code: 'unknown-device',
      });
      return;
    }
    if (device.revokedAtMs !== null) {
      this.refuse(c, CloseCode.revoked, `device ${msg.deviceId} is revoked`, { code: 'revoked' });
      return;
    }
    c.deviceId = msg.deviceId;
    c.appVersion = msg.appVersion;
    c.nonce = randomBytes(32).toString('base64url');
    c.nonceExpiresAt = now + this.options.challengeTtlMs;
    c.phase = 'challenged';
    this.send(c, {
      type: 'challenge',
      v: 1,
      nonce: c.nonce,
      serverTimeMs: now,
      expiresInMs: this.options.challengeTtlMs,
    });
  }

  private onAuth(c: Conn, msg: Extract<DeviceMessage, { type: 'auth' }>, now: number): void {
    if (msg.deviceId !== c.deviceId) {
      this.refuse(c, CloseCode.wrongDevice, `said hello as ${c.deviceId}, authenticated as ${msg.deviceId}`, {
        code: 'wrong-device',
      });
      return;
    }
    const issued = c.nonce;
    // Single use: whatever happens next, this nonce is spent.
    c.nonce = undefined;
    if (!issued || msg.nonce !== issued) {
      this.refuse(c, CloseCode.challengeInvalid, 'challenge not issued on this connection or already used', {
        code: 'challenge-expired',
      });
      return;
    }
    if (now > (c.nonceExpiresAt ?? 0)) {
      this.refuse(c, CloseCode.challengeInvalid, 'challenge expired', { code: 'challenge-expired' });
      return;
    }
    const device = this.registry.devices.get(msg.deviceId);
    if (!device || device.revokedAtMs !== null) {
      this.refuse(c, CloseCode.revoked, `device ${msg.deviceId} is revoked`, { code: 'revoked' });
      return;
    }
    let ok = false;
    try {
      ok = verify(
        null,
        authPayload(msg.nonce, msg.deviceId, c.origin),
        this.keys.keyFor(device.id, device.publicKey),
        Buffer.from(msg.signature, 'base64url'),
      );
    } catch (err) {
      this.log.warn('signature check failed', { deviceId: device.id, err });
    }
    if (!ok) {
      this.refuse(c, CloseCode.badSignature, `bad signature for ${msg.deviceId}`, {
        code: 'bad-signature',
      });
      return;
    }
    if (c.authTimer) clearTimeout(c.authTimer);
    c.releaseSlot();
    // Read synchronously after this frame's 'message' event, so already for the next frame.
    setFrameLimit(c.ws, this.options.frameMaxBytes);
    const previous = this.byDevice.get(device.id);
    if (previous)
      this.refuse(previous, CloseCode.replaced, 'replaced by a newer connection of the same device');
    c.phase = 'authed';
    this.byDevice.set(device.id, c);
    this.stats.authenticated++;
    this.registry.devices.setOnline(device.id, true, now, c.appVersion);
    this.emit({ type: 'presence', deviceId: device.id, online: true, at: now });
    this.send(c, { type: 'welcome', v: 1, deviceId: device.id, serverTimeMs: this.clock.now() });
    // Tell the device where each stream stands, so a device that lost its acks drops what is stored.
    for (const stream of ['health', 'event', 'pop'] as const) {
      const mark = this.registry.ingest.watermark(device.id, stream);
      if (mark > 0) this.send(c, { type: 'ack', v: 1, stream, uptoSeq: mark });
    }
    this.deliverCommands(device.id);
  }

  private pingAll(): void {
    for (const c of this.conns) {
      if (!c.alive) {
        this.log.warn('device link dead (no pong), terminating', { deviceId: c.deviceId, remote: c.remote });
        c.ws.terminate();
        this.onClose(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /** Persists last-seen times in chunks, so that a large fleet never stalls the loop in one go. */
  private flushLastSeen(): void {
    if (this.lastSeen.size === 0) return;
    const entries = [...this.lastSeen];
    this.lastSeen.clear();
    const write = (from: number) => {
      try {
        this.registry.devices.setLastSeen(entries.slice(from, from + 1000));
      } catch (err) {
        this.log.warn('last-seen update failed', { err });
        return;
      }
      if (from + 1000 < entries.length) setImmediate(() => write(from + 1000));
    };
    write(0);
  }

  /** When an online device last sent a frame (fresher than the registry's copy). */
  lastSeenMs(deviceId: string): number | undefined {
    return this.lastSeen.get(deviceId);
  }
}
