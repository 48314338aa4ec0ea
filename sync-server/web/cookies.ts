import type { FastifyRequest } from 'fastify';

/** Minimal Cookie / Set-Cookie handling for the session cookie (RFC 6265). */

/** Parses a Cookie header into name → value (first occurrence wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

export interface CookieAttributes {
  maxAgeS: number;
  secure: boolean;
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Secure when served over TLS. */
export function serializeSessionCookie(name: string, value: string, attrs: CookieAttributes): string {
  if (!/^[\w.-]+$/.test(name) || !/^[\w.~-]*$/.test(value))
    throw new Error('cookie name or value has forbidden characters');
  const parts = [
    `${name}=${value}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(attrs.maxAgeS))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (attrs.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * The session cookie's name. Over TLS it takes the `__Host-` prefix, which browsers accept only with
 * Secure, Path=/ and no Domain, so no sibling host can set or shadow it.
 */
export const sessionCookieName = (secure: boolean) =>
  secure ? '__Host-gatecast_session' : 'gatecast_session';

/** Whether cookies for this request are Secure: the setting, or for 'auto' whether it came over TLS. */
export function isSecureRequest(request: FastifyRequest, setting: boolean | 'auto'): boolean {
  return setting === 'auto' ? request.protocol === 'https' : setting;
}
