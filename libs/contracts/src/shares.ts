import { z } from 'zod';
import type { Caller } from './caller';
import { defineEvent, defineRequest } from './define';

/**
 * Share links: an instance's owner (or an admin) makes a link that lets others VIEW the instance
 * for a while — signed-in users, or (when the platform allows it, Gateway.AllowAnonymousShares)
 * anonymous guests. The link is a gateway URL holding a random secret (only its hash is kept);
 * opening it gives the browser a ticket bound to the instance's host and to the share, which the
 * router turns into its cookie. The router re-checks the share (gateway.share.check.v1) and
 * closes what came through it at once on events.share.revoked.v1.
 */

/** Where the gateway serves share links: `<gateway>/share/<secret>`. */
export const SHARE_LINK_PATH = '/share';

/** The secret of a share link: `wsh_` and 43 base64url characters (32 random bytes). */
export const SHARE_SECRET_PATTERN = /^wsh_[A-Za-z0-9_-]{43}$/;

/** Guests (anonymous users of a share link) are known to apps by this prefix: `guest:<use id>`. */
export const GUEST_SUB_PREFIX = 'guest:';

/** The identity an anonymous guest has in an instance: its own key per use of the link, no roles. */
export function guestCaller(useId: string): Caller {
  return { sub: `${GUEST_SUB_PREFIX}${useId}`, name: 'Guest (share link)', roles: [] };
}

export const isGuestSub = (sub: string): boolean => sub.startsWith(GUEST_SUB_PREFIX);

export const SHARE_STATES = ['ACTIVE', 'EXPIRED', 'REVOKED', 'USED'] as const;
export const ShareStateSchema = z.enum(SHARE_STATES);

/** A share link as its owner lists it: never its secret (shown once, at creation). */
export const InstanceShareSchema = z
  .object({
    id: z.string(),
    instanceId: z.string(),
    createdBy: z.object({ sub: z.string(), name: z.string() }),
    createdAt: z.string(),
    expiresAt: z.string(),
    /** Opens once: after its first use, nobody else can use it (the one who did keeps access until it expires or is revoked). */
    oneTime: z.boolean(),
    /** Anonymous guests may use it too (only where the platform allows it). */
    anonymous: z.boolean(),
    uses: z.number().int(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    /** REVOKED (by whom), TERMINATED (the instance ended). */
    revokedReason: z.string().nullable(),
    /** ACTIVE, or why it no longer opens: EXPIRED, REVOKED (or the instance was terminated), USED (one-time, used). */
    state: ShareStateSchema,
  })
  .meta({ id: 'InstanceShare' });
export type InstanceShare = z.infer<typeof InstanceShareSchema>;

/** A duration: a number and a unit, m(inutes), h(ours) or d(ays), e.g. `30m`, `24h`, `7d`. */
export const SHARE_DURATION = /^([1-9][0-9]{0,5})([mhd])$/;

/** The duration in seconds, or null when it is not one. */
export function shareDurationSeconds(s: string): number | null {
  const m = SHARE_DURATION.exec(s.trim());
  if (!m) return null;
  return Number(m[1]) * { m: 60, h: 3600, d: 86_400 }[m[2] as 'm' | 'h' | 'd'];
}

export const CreateShareSchema = z
  .object({
    /** How long it opens, e.g. `30m`, `24h`, `7d` (default 24h, at most Gateway.ShareMaxHours). Not with expiresAt. */
    expiresIn: z.string().regex(SHARE_DURATION, 'a number and a unit: m, h or d, e.g. 30m, 24h, 7d').optional(),
    /** When it stops opening (ISO 8601, in the future, within Gateway.ShareMaxHours). Not with expiresIn. */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    /** Opens once only (default false). */
    oneTime: z.boolean().default(false),
    /** Anonymous guests may use it (default false; only where Gateway.AllowAnonymousShares is on). */
    anonymous: z.boolean().default(false),
  })
  .strict()
  .refine((b) => b.expiresIn === undefined || b.expiresAt === undefined, { message: 'give expiresIn or expiresAt, not both' })
  .meta({ id: 'InstanceShareCreate' });

export const CreatedShareSchema = z
  .object({
    share: InstanceShareSchema,
    /** The link to hand out: `<gateway>/share/<secret>`. Shown this once; only its hash is kept. */
    url: z.string(),
  })
  .meta({ id: 'InstanceShareCreated' });

/** What the gateway answers other services about share links. */
export const ShareContracts = {
  /**
   * Whether a share still grants access (not revoked, not expired, the instance not terminated,
   * and, for anonymous links, guests still allowed), and to which instance until when. Errors:
   * UNAUTHENTICATED (no longer valid, or unknown). The router caches answers for seconds and drops
   * them on events.share.revoked.v1.
   */
  check: defineRequest(
    'gateway.share.check.v1',
    z.object({ share: z.string().min(1).max(64) }),
    z.object({ instanceId: z.string(), expiresAt: z.string(), anonymous: z.boolean() }),
  ),
} as const;

/**
 * A share link stopped granting access: revoked by its owner or an admin, or its instance was
 * terminated. Every router replica closes the connections that came through it at once and stops
 * honouring the cookies it gave. (Expiry needs no event: routers know when a share expires.)
 */
export const ShareRevokedEvent = defineEvent(
  'events.share.revoked.v1',
  z.object({ shareId: z.string(), instanceId: z.string(), reason: z.enum(['REVOKED', 'TERMINATED']), at: z.string() }),
);
