import { isAdmin, isFullAccess, visitorRoles, type Caller, type Visibility } from '@wharf/contracts';

/** What the visibility rules need to know about an app version. */
export interface AccessSubject {
  ownerSub: string;
  visibility: Visibility;
  /** Roles granted to visitors by the tags on this version. */
  tagVisitorRoles: readonly string[];
}

/**
 * Who sees an app version:
 * - admins and the owner: always;
 * - PRIVATE: nobody else;
 * - PUBLIC: anyone, anonymous included, when `allowPublic` (admin-enabled); otherwise as ALL_USERS;
 * - ALL_USERS: every full-access user; visitors only where a tag grants one of their roles.
 * The SQL filter in app-version.repository.ts expresses the same rules; the spec checks both agree.
 */
export function canSee(caller: Caller | null, app: AccessSubject, allowPublic: boolean): boolean {
  if (isAdmin(caller)) return true;
  if (caller && caller.sub === app.ownerSub) return true;
  if (app.visibility === 'PRIVATE') return false;
  if (app.visibility === 'PUBLIC' && allowPublic) return true;
  if (!caller) return false;
  if (isFullAccess(caller)) return true;
  const roles = visitorRoles(caller);
  return app.tagVisitorRoles.some((r) => roles.includes(r as never));
}

/** Changing visibility or deleting: the owner or an admin. */
export function canManage(caller: Caller | null, app: { ownerSub: string }): boolean {
  return isAdmin(caller) || (!!caller && caller.sub === app.ownerSub);
}
