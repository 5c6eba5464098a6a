import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The router's own cookie, one per instance host: `wharf_instance` (`__Host-wharf_instance` over
 * HTTPS), HttpOnly, SameSite=Lax, host-only (no Domain attribute), Path=/. Its value names the
 * gateway session it came from and the host it was issued for, signed with a key derived from
 * Platform.InternalSecret — so every router replica can check it, an app cannot forge one, and a
 * cookie issued for instance A is worthless on instance B (or tossed onto the parent domain).
 */
export interface CookieClaims {
  /** Gateway session id (re-checked over NATS, cached for Router.AuthCacheMs); '' for a guest of a share link. */
  s: string;
  /** The share link it came from (re-checked with gateway.share.check.v1): it grants viewing only. */
  sh?: string;
  /** A share link's anonymous guest: their key (`guest:<use>`), when there is no session. */
  g?: string;
  /** The site it was issued for: the host, port included (DOMAIN), or `<host>/instance/<id>` (BASE_URL). */
  h: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

export const cookieName = (secure: boolean): string => (secure ? '__Host-wharf_instance' : 'wharf_instance');

/**
 * The cookie of a BASE_URL instance, on the shared apps host with `Path=/instance/<id>/`:
 * `__Secure-` over HTTPS (`__Host-` demands `Path=/`). Its value is bound to the instance's site
 * (`<host>/instance/<id>`), so one issued for instance A is worthless on B's path.
 */
export const pathCookieName = (secure: boolean): string => (secure ? '__Secure-wharf_instance' : 'wharf_instance');

export const cookieKey = (internalSecret: string): Buffer => createHmac('sha256', internalSecret).update('router-cookie').digest();

export function signCookie(key: Buffer, claims: CookieClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** The claims of a cookie value that is genuine, unexpired and for `host` (a site); otherwise null. */
export function verifyCookie(key: Buffer, value: string, host: string, nowSeconds = Date.now() / 1000): CookieClaims | null {
  const dot = value.indexOf('.');
  if (dot <= 0 || value.length > 1024) return null;
  const body = value.slice(0, dot);
  const mac = Buffer.from(value.slice(dot + 1), 'base64url');
  const want = createHmac('sha256', key).update(body).digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return null;
  let c: CookieClaims;
  try {
    c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CookieClaims;
  } catch {
    return null;
  }
  if (typeof c.s !== 'string' || typeof c.h !== 'string' || typeof c.e !== 'number') return null;
  if ((c.sh !== undefined && typeof c.sh !== 'string') || (c.g !== undefined && typeof c.g !== 'string')) return null;
  // a session, or a share's guest: never neither
  if (!c.s && !(c.sh && c.g)) return null;
  if (c.h !== host || c.e <= nowSeconds) return null;
  return c;
}

/** Every value of cookie `name` in a Cookie header (a tossed duplicate must not hide the real one). */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header || !header.includes(name)) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
  }
  return out;
}

/** The Cookie header without cookie `name` (undefined when nothing is left). */
export function withoutCookie(header: string, name: string): string | undefined {
  const kept = header.split(';').filter((part) => {
    const eq = part.indexOf('=');
    return !(eq > 0 && part.slice(0, eq).trim() === name);
  });
  const out = kept.map((p) => p.trim()).filter(Boolean).join('; ');
  return out || undefined;
}

export function setCookieHeader(name: string, value: string, opts: { secure: boolean; maxAgeSeconds: number; path?: string }): string {
  return `${name}=${value}; Path=${opts.path ?? '/'}; Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}; HttpOnly; SameSite=Lax${opts.secure ? '; Secure' : ''}`;
}
