import { z } from 'zod';
import { CallerSchema } from './caller';
import { defineEvent, defineRequest } from './define';

/** Where the router receives instance tickets: `http(s)://<instance host>/.wharf/ticket?t=<ticket>&next=<path>`. */
export const INSTANCE_TICKET_PATH = '/.wharf/ticket';

/**
 * The `next` of an instance ticket: a path on the instance (`/…`), never a scheme, host,
 * scheme-relative `//evil`, backslash trick or control character; anything else is `/`.
 * The gateway (issuing) and the router (redirecting, redeeming) apply the same rule.
 */
export function safeInstancePath(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.length > 2048) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  return next;
}

/**
 * The `next` of a BASE_URL instance's ticket: a path under its `basePath` (`/instance/<id>/`) as a
 * browser resolves it (`..` and `%2e%2e` segments included), else `basePath` itself. Apps sharing
 * the apps host must not be able to send a sign-in on to another instance's path.
 */
export function safeSitePath(next: unknown, basePath: string): string {
  const path = safeInstancePath(next);
  return path.startsWith(basePath) && new URL(path, 'http://site.invalid').pathname.startsWith(basePath) ? path : basePath;
}

/** Whether `port` is the default of `scheme` (80 for http, 443 for https): browsers then write no port. */
export const isDefaultPort = (scheme: 'http' | 'https', port: number): boolean => (scheme === 'http' && port === 80) || (scheme === 'https' && port === 443);

/**
 * The port part of an instance host as browsers write it: `:<port>`, or nothing for the scheme's
 * default. The scheduler (instance URLs), the gateway (tickets) and the router (`Host`) agree on it.
 */
export const hostPortSuffix = (scheme: 'http' | 'https', port: number): string => (isDefaultPort(scheme, port) ? '' : `:${port}`);

/** Identity services the gateway offers the other services (the router) over NATS. */
export const IdentityContracts = {
  /**
   * Redeems an instance ticket: checks its signature, expiry and host, and consumes it atomically
   * (a second redeem of the same ticket fails). Errors: UNAUTHENTICATED (bad, expired, used, or
   * for another host). The router then opens its own session for `caller` on that host.
   */
  redeemTicket: defineRequest(
    'gateway.ticket.redeem.v1',
    z.object({
      ticket: z.string().min(1).max(4096),
      /** The site the ticket arrived at: the request's Host header, port included, or `<host>/instance/<id>` (BASE_URL). */
      host: z.string().min(1).max(255),
    }),
    z.object({
      caller: CallerSchema,
      host: z.string(),
      /**
       * The gateway session the ticket was issued from: the router re-checks it (checkSession).
       * Null for an anonymous guest of a share link.
       */
      session: z.string().nullable(),
      /** When that session (or the share) ends, whichever comes first. */
      expiresAt: z.string(),
      /**
       * Set when the ticket came from a share link (libs/contracts shares.ts): the caller may only
       * VIEW the instance through it, for as long as the share holds (the router checks it with
       * gateway.share.check.v1 and drops it on events.share.revoked.v1).
       */
      share: z.object({ id: z.string(), instanceId: z.string() }).nullable().default(null),
    }),
  ),
  /**
   * Whether a browser session (as returned by redeemTicket) still holds, and its current user and
   * roles. Errors: UNAUTHENTICATED (signed out or expired). The router caches answers for seconds.
   */
  checkSession: defineRequest(
    'gateway.session.check.v1',
    z.object({ session: z.string().min(1).max(128) }),
    z.object({ caller: CallerSchema, expiresAt: z.string() }),
  ),
  /**
   * Verifies a bearer token presented at an instance: a personal access token (`wharf_pat_…`) or an
   * OIDC access token (JWT) from the configured issuer and audience. Errors: UNAUTHENTICATED.
   * Never cached by the gateway, so a revoked token fails at once; callers may cache for seconds.
   */
  verifyToken: defineRequest(
    'gateway.token.verify.v1',
    z.object({ token: z.string().min(1).max(8192) }),
    z.object({
      caller: CallerSchema,
      kind: z.enum(['pat', 'oidc']),
      /** A read-only token may only read (GET/HEAD). */
      readOnly: z.boolean(),
      expiresAt: z.string().nullable(),
    }),
  ),
} as const;

/**
 * Personal access tokens changed (revoked, or roles refreshed at a login): every gateway replica
 * drops the token answers it holds in memory, so the change applies on the next request.
 */
export const TokenChangedEvent = defineEvent(
  'events.token.changed.v1',
  z.object({ reason: z.enum(['REVOKED', 'ROLES']), userSub: z.string(), at: z.string() }),
);
