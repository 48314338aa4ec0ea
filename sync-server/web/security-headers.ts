/**
 * Security headers on every response of the sync server's HTTP side: a strict
 * Content-Security-Policy (same-origin scripts and styles only, no inline script, no framing),
 * no MIME sniffing, no referrer. A route may set its own stricter CSP (reports do) and its own
 * X-Frame-Options.
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

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', DASHBOARD_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // A route that lets the dashboard frame it (the sandboxed HTML preview) says so itself.
    if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
  });
}
