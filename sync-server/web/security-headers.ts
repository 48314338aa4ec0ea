/**
 * Security headers on every response of the sync server's HTTP side: a strict
 * Content-Security-Policy (same-origin scripts and styles only, no inline script, no framing),
 * no MIME sniffing, no referrer, and HSTS when served over TLS. A route may set its own stricter CSP
 * (reports do) and its own X-Frame-Options.
 */
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface SecurityHeaderOptions {
  /** Served over TLS: browsers are told to use https only (HSTS, one year). */
  hsts?: boolean;
}

export function installSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions = {}): void {
  app.addHook('onSend', async (_request, reply) => {
    if (options.hsts) reply.header('strict-transport-security', 'max-age=31536000');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', DASHBOARD_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // A route that lets the dashboard frame it (the sandboxed HTML preview) says so itself.
    if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
  });
}
