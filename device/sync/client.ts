/**
 * The device's link to the sync server: connect over wss (ws on loopback/dev), prove the device key,
 * take the server's time, send the outbox stream by stream (one batch in flight per stream, resent
 * until acknowledged), run remote commands, and call refreshNow() on update notifications.
 * Reconnects with capped exponential backoff and full jitter, honouring the server's retry-after;
 * ws ping/pong finds dead and half-open links.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { backoffDelayMs } from '../../protocol/backoff.js';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import {
  authPayload,
  BATCH_MAX_BYTES,
  BATCH_MAX_RECORDS,
  CloseCode,
  type Command,
  DEVICE_WS_PATH,
  type DeviceMessage,
  type OutboxStream,
  parseServerMessage,
  type ServerMessage,
  serverOrigin,
} from '../../protocol/messages.js';
import type { DeviceIdentity } from '../identity.js';
import type { Outbox } from '../outbox/outbox.js';
import type { CommandLedger } from './command-ledger.js';
import { CommandDispatcher, type CommandHandlers } from './commands.js';
import { checkServerUrl, wsUrlFor } from './transport.js';

export interface SyncClientOptions {
  /** Server base URL from the device config (https://… in production). */
  serverUrl: string;
  deviceId: string;
  identity: DeviceIdentity;
  appVersion: string;
  outbox: Outbox;
  handlers: CommandHandlers;
  /** Ids of commands already run (default: in memory, forgotten on restart). */
  commandLedger?: CommandLedger;
  /** Runs a TUF refresh now (the update client's periodic refresh runs on its own as well). */
  refreshNow: () => void | Promise<void>;
  /** Server clock at connect: `serverMs` when the server sent it, `rttMs` the round trip measured. */
  onServerTime?: (serverMs: number, rttMs: number) => void;
  /** Connection state changes, for the status LED and health. */
  onState?: (state: SyncState) => void;
  /** PEM of the server certificate or CA given at enrolment. */
  ca?: string | Buffer;
  /** Allow plain ws to a non-loopback host (development only). */
  allowInsecure?: boolean;
  clock: Clock;
  log: Logger;
  /** Reconnect delays: doubling from `baseMs` up to `maxMs`, each drawn uniformly below (full jitter). */
  backoff?: { baseMs: number; maxMs: number };
  pingIntervalMs?: number;
  /** Opening handshake (TCP + TLS + HTTP upgrade) must finish within this. */
  connectTimeoutMs?: number;
  /** A batch not acknowledged within this is resent. */
  ackTimeoutMs?: number;
  batchMaxBytes?: number;
  batchMaxRecords?: number;
  random?: () => number;
}

export type SyncState = 'idle' | 'connecting' | 'authenticating' | 'online' | 'waiting';

interface InFlight {
  lastSeq: number;
  timer: NodeJS.Timeout;
}

/** Reconnect delays: 1 s doubling to 5 min. */
const DEFAULT_RECONNECT_BACKOFF = { baseMs: 1_000, maxMs: 5 * 60_000 };

const STREAMS: readonly OutboxStream[] = ['pop', 'event', 'health'];

export class SyncClient {
  private ws?: WebSocket;
  private state: SyncState = 'idle';
  private stopped = true;
  /** Commands between their ack and their result. */
  private readonly runningCommands = new Set<Promise<void>>();
  private attempt = 0;
  private retryAfterMs?: number;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private alive = true;
  private helloSentAt = 0;
  private offsetMs = 0;
  private readonly inFlight = new Map<OutboxStream, InFlight>();
  private unsubscribe?: () => void;
  private dispatcher!: CommandDispatcher;
  private url!: string;
  readonly counters = { connects: 0, disconnects: 0, batchesSent: 0, recordsAcked: 0, commands: 0 };

  constructor(private readonly o: SyncClientOptions) {}

  get currentState(): SyncState {
    return this.state;
  }

  /** Server time minus device time, from the last connect (0 until then). */
  get serverOffsetMs(): number {
    return this.offsetMs;
  }

  start(): void {
    this.url = wsUrlFor(checkServerUrl(this.o.serverUrl, this.o.allowInsecure), DEVICE_WS_PATH);
    this.dispatcher = new CommandDispatcher(
      { syncNow: () => this.syncNow(), ...this.o.handlers },
      this.o.log.child('commands'),
      this.o.commandLedger,
    );
    this.stopped = false;
    this.unsubscribe = this.o.outbox.onAppend(() => this.pump());
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    // A command still running sends its result before the link closes (a release switch stops the
    // daemon from inside its command). One still running after 2 s sends none: the server says it
    // "expired before the device answered" once its expiry has passed.
    if (this.runningCommands.size) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...this.runningCommands]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2000);
        }),
      ]);
      clearTimeout(timer);
    }
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.clearLink();
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(CloseCode.normal, 'device stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000).unref();
      });
    }
    this.setState('idle');
  }

  /** Sends whatever is pending now, and refreshes content (the 'sync-now' command). */
  async syncNow(): Promise<void> {
    this.pump();
    await this.o.refreshNow();
  }

  private setState(s: SyncState): void {
    if (this.state === s) return;
    this.state = s;
    this.o.onState?.(s);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting');
    const ws = new WebSocket(this.url, {
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      perMessageDeflate: false,
      handshakeTimeout: this.o.connectTimeoutMs ?? 15_000,
      maxPayload: 4 * 1024 * 1024,
    });
    this.ws = ws;
    this.alive = true;
    ws.on('open', () => {
      // Ping from the start: a link that dies during authentication must not hang the client.
      this.startPing();
      this.setState('authenticating');
      this.helloSentAt = performance.now();
      this.send({ type: 'hello', v: 1, deviceId: this.o.deviceId, appVersion: this.o.appVersion });
    });
    ws.on('message', (data) => {
      this.alive = true;
      let msg: ServerMessage;
      try {
        msg = parseServerMessage(data as Buffer);
      } catch (err) {
        this.o.log.warn('malformed frame from server', { err });
        return;
      }
      this.onMessage(msg);
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('error', (err) => this.o.log.warn('sync link error', { err: err.message }));
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.onClosed(code, reason.toString());
    });
  }

  private onClosed(code: number, reason: string): void {
    const wasOnline = this.state === 'online';
    this.clearLink();
    this.ws = undefined;
    if (wasOnline) this.counters.disconnects++;
    if (this.stopped) return;
    // Refusals that retrying soon cannot fix: wait the longest backoff before trying again.
    const hard =
      code === CloseCode.revoked || code === CloseCode.unknownDevice || code === CloseCode.badSignature;
    const backoff = this.o.backoff ?? DEFAULT_RECONNECT_BACKOFF;
    const delay = hard
      ? backoff.maxMs
      : backoffDelayMs(
          this.attempt,
          { ...backoff, jitter: 1 },
          { random: this.o.random ?? Math.random, retryAfterMs: this.retryAfterMs },
        );
    this.attempt++;
    this.retryAfterMs = undefined;
    this.o.log[hard ? 'error' : 'info']('sync link closed; reconnecting', {
      code,
      reason,
      delayMs: delay,
      attempt: this.attempt,
    });
    this.setState('waiting');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private clearLink(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    for (const f of this.inFlight.values()) clearTimeout(f.timer);
    this.inFlight.clear();
  }

  private send(msg: DeviceMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'challenge': {
        const rtt = performance.now() - this.helloSentAt;
        this.offsetMs = Math.round(msg.serverTimeMs + rtt / 2 - this.o.clock.now());
        this.o.onServerTime?.(msg.serverTimeMs, rtt);
        const signature = this.o.identity.sign(
          authPayload(msg.nonce, this.o.deviceId, serverOrigin(this.o.serverUrl)),
        );
        this.send({
          type: 'auth',
          v: 1,
          deviceId: this.o.deviceId,
          nonce: msg.nonce,
          signature: signature.toString('base64url'),
        });
        return;
      }
      case 'welcome': {
        // Back after a lost link or failed attempts: the repository may have moved on meanwhile, so
        // check now rather than at the next refresh timer. The first link of a daemon that connected
        // at once needs nothing: the update client refreshes when it starts. A refresh already
        // running is reused (UpdateClient.refreshNow), and each one keeps its transfer budgets.
        const isReconnect = this.counters.connects > 0 || this.attempt > 0;
        this.attempt = 0;
        this.counters.connects++;
        this.setState('online');
        this.o.log.info('sync link online', { deviceId: msg.deviceId, isReconnect });
        this.pump();
        if (isReconnect)
          Promise.resolve()
            .then(() => this.o.refreshNow())
            .catch((err) => this.o.log.warn('refresh after reconnect failed', { err }));
        return;
      }
      case 'ack': {
        this.onAck(msg.stream, msg.uptoSeq);
        return;
      }
      case 'update-available':
        this.o.log.info('update available', { version: msg.version });
        Promise.resolve()
          .then(() => this.o.refreshNow())
          .catch((err) => this.o.log.warn('refresh after update notification failed', { err }));
        return;
      case 'command': {
        // Listed before it runs: its handler may begin the stop itself, synchronously.
        let settled!: () => void;
        const running = new Promise<void>((resolve) => (settled = resolve));
        this.runningCommands.add(running);
        void this.onCommand(msg.command).finally(() => {
          this.runningCommands.delete(running);
          settled();
        });
        return;
      }
      case 'error':
        if (msg.retryAfterMs !== undefined) this.retryAfterMs = msg.retryAfterMs;
        this.o.log.warn('server reported an error', {
          code: msg.code,
          message: msg.message,
          retryAfterMs: msg.retryAfterMs,
        });
        return;
    }
  }

  private startPing(): void {
    const every = this.o.pingIntervalMs ?? 30_000;
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (!this.alive) {
        this.o.log.warn('no pong from server: link is dead, reconnecting');
        ws.terminate();
        return;
      }
      this.alive = false;
      ws.ping();
    }, every);
    this.pingTimer.unref();
  }

  private onAck(stream: OutboxStream, uptoSeq: number): void {
    const before = this.o.outbox.ackedSeq(stream);
    this.o.outbox.acknowledge(stream, uptoSeq);
    if (uptoSeq > before) this.counters.recordsAcked += uptoSeq - before;
    const f = this.inFlight.get(stream);
    if (f) {
      clearTimeout(f.timer);
      this.inFlight.delete(stream);
    }
    this.pump();
  }

  /** Sends the next batch of each stream that has none in flight. PoP first: it matters most. */
  private pump(): void {
    if (this.state !== 'online') return;
    for (const stream of STREAMS) {
      if (this.inFlight.has(stream)) continue;
      const slice = this.o.outbox.pending(
        stream,
        0,
        this.o.batchMaxRecords ?? BATCH_MAX_RECORDS,
        (this.o.batchMaxBytes ?? BATCH_MAX_BYTES) - 1024,
      );
      if (!slice) continue;
      // The byte estimate is approximate: halve the batch until the frame fits the server's cap.
      const cap = this.o.batchMaxBytes ?? BATCH_MAX_BYTES;
      const batchFrame = (records: typeof slice.records) =>
        JSON.stringify({
          type: 'batch',
          v: 1,
          stream,
          fromSeq: slice.fromSeq,
          records,
        } satisfies DeviceMessage);
      let records = slice.records;
      let frame = batchFrame(records);
      while (Buffer.byteLength(frame) > cap && records.length > 1) {
        records = records.slice(0, Math.ceil(records.length / 2));
        frame = batchFrame(records);
      }
      const lastSeq = records[records.length - 1]!.seq;
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(frame);
      this.counters.batchesSent++;
      const timer = setTimeout(() => {
        // No ack: forget the in-flight mark and resend from the acknowledged watermark.
        this.o.log.warn('batch not acknowledged in time; resending', { stream, lastSeq });
        this.inFlight.delete(stream);
        this.pump();
      }, this.o.ackTimeoutMs ?? 30_000);
      timer.unref();
      this.inFlight.set(stream, { lastSeq, timer });
    }
  }

  private async onCommand(cmd: Command): Promise<void> {
    if (this.dispatcher.hasRun(cmd.id)) {
      // A resend of a command whose ack got lost: ack again, do not run twice.
      this.send({ type: 'command-ack', v: 1, commandId: cmd.id });
      return;
    }
    this.counters.commands++;
    this.send({ type: 'command-ack', v: 1, commandId: cmd.id });
    const out = await this.dispatcher.run(cmd, this.o.clock.now() + this.offsetMs);
    this.o.log.info('command done', { commandId: cmd.id, name: cmd.name, status: out.status });
    this.send({
      type: 'command-result',
      v: 1,
      commandId: cmd.id,
      status: out.status,
      ...(out.message ? { message: out.message } : {}),
      ...(out.screenshotPng
        ? { screenshot: { mime: 'image/png' as const, base64: out.screenshotPng.toString('base64') } }
        : {}),
    });
  }
}
