/**
 * A server-sent event stream for a signed-in dashboard page. The stream lives as long as the session
 * that opened it: it is checked again every `recheckMs` (and at each keep-alive), and the stream
 * ends with an `ended` event once the user logged out, was disabled or the session expired, so a
 * page left open never goes on receiving fleet data without a valid session.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sessionToken } from './access-control.js';
import type { AccountService } from './service.js';
import { DASHBOARD_CSP } from '../web/security-headers.js';

export interface EventStreamOptions {
  accounts: Pick<AccountService, 'authenticate'>;
  secureCookies: boolean | 'auto';
  /** How often the session is checked again; default 5 s. */
  recheckMs?: number;
  /** How often a comment keeps proxies from closing an idle stream; default 25 s. */
  keepAliveMs?: number;
}

export interface EventStream {
  /** Sends one event; nothing once the stream has ended. */
  send(event: string, data: unknown): void;
  /** Called once when the stream ends (client gone, session ended, or error). */
  onEnd(fn: () => void): void;
  readonly ended: boolean;
}

export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  o: EventStreamOptions,
): EventStream {
  const token = sessionToken(request, o.secureCookies);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': DASHBOARD_CSP,
    connection: 'keep-alive',
  });
  res.write('retry: 2000\n\n');
  const enders: (() => void)[] = [];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(recheck);
    clearInterval(keepAlive);
    for (const fn of enders) fn();
  };
  const sessionLive = () => {
    if (o.accounts.authenticate(token)) return true;
    res.end('event: ended\ndata: "session"\n\n');
    end();
    return false;
  };
  const recheck = setInterval(sessionLive, o.recheckMs ?? 5_000).unref();
  const keepAlive = setInterval(() => {
    if (sessionLive()) res.write(': keep-alive\n\n');
  }, o.keepAliveMs ?? 25_000).unref();
  request.raw.on('close', end);
  res.on('error', end);
  return {
    send(event, data) {
      if (!ended) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onEnd(fn) {
      if (ended) fn();
      else enders.push(fn);
    },
    get ended() {
      return ended;
    },
  };
}
