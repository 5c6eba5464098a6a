import { createHash, randomBytes } from 'node:crypto';
import type { InstanceShare as ShareInfo } from '@wharf/contracts';
import type { InstanceShare } from '../generated/prisma/client';

/** A new link secret: `wsh_` + 32 random bytes (base64url). Only its sha256 is stored. */
export const newShareSecret = (): string => `wsh_${randomBytes(32).toString('base64url')}`;

export const hashShareSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

type Row = Pick<InstanceShare, 'revokedAt' | 'expiresAt' | 'anonymous' | 'oneTime' | 'uses'>;

/**
 * Whether a share still grants access to those who came through it: not revoked (nor its instance
 * terminated), not expired, and, for a link guests may use, guests still allowed on the platform
 * (turning Gateway.AllowAnonymousShares off ends every anonymous link). A one-time link that was
 * used still grants its one user access until it expires or is revoked.
 */
export function shareGrants(s: Row, anonymousAllowed: boolean, now = new Date()): 'ACTIVE' | 'REVOKED' | 'EXPIRED' {
  if (s.revokedAt) return 'REVOKED';
  if (s.expiresAt <= now) return 'EXPIRED';
  if (s.anonymous && !anonymousAllowed) return 'REVOKED';
  return 'ACTIVE';
}

/** Whether the link itself still opens (for lists and for using it): as shareGrants, and a one-time link only once. */
export function shareState(s: Row, anonymousAllowed: boolean, now = new Date()): ShareInfo['state'] {
  const g = shareGrants(s, anonymousAllowed, now);
  if (g !== 'ACTIVE') return g;
  return s.oneTime && s.uses > 0 ? 'USED' : 'ACTIVE';
}

export function toShareInfo(s: InstanceShare, anonymousAllowed: boolean, now = new Date()): ShareInfo {
  return {
    id: s.id,
    instanceId: s.instanceId,
    createdBy: { sub: s.createdBySub, name: s.createdByName },
    createdAt: s.createdAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    oneTime: s.oneTime,
    anonymous: s.anonymous,
    uses: s.uses,
    lastUsedAt: s.lastUsedAt?.toISOString() ?? null,
    revokedAt: s.revokedAt?.toISOString() ?? null,
    revokedReason: s.revokedReason ?? (s.anonymous && !anonymousAllowed && !s.revokedAt ? 'anonymous links are turned off (Gateway.AllowAnonymousShares)' : null),
    state: shareState(s, anonymousAllowed, now),
  };
}
