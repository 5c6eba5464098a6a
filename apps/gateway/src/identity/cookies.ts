import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Cookie header → name/value map (first value wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    const name = i < 0 ? '' : part.slice(0, i).trim();
    if (name && !out.has(name)) out.set(name, part.slice(i + 1).trim());
  }
  return out;
}

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds?: number;
  /** Scope to a path (login transactions); default `/`. */
  path?: string;
  httpOnly?: boolean;
}

/**
 * A host-only cookie (no Domain attribute: never sent to instance subdomains), `SameSite=Lax`,
 * `HttpOnly`, and `Secure` when the gateway is served over HTTPS.
 */
export function serializeCookie(name: string, value: string, opts: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${opts.path ?? '/'}`, 'SameSite=Lax'];
  if (opts.httpOnly !== false) parts.push('HttpOnly');
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`);
  return parts.join('; ');
}

/**
 * `__Host-` cookies (HTTPS only) cannot be set or overwritten by sibling subdomains — such as
 * instances under the apps domain — nor given a Domain; on plain HTTP the bare name is used.
 */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-wharf_session' : 'wharf_session');
export const loginCookieName = (secure: boolean) => (secure ? '__Host-wharf_login' : 'wharf_login');

/** A random URL-safe secret. */
export const secret = (bytes = 32): string => randomBytes(bytes).toString('base64url');
export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
