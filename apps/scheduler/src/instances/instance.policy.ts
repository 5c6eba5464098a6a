import { isAdmin, isFullAccess, type Caller } from '@wharf/contracts';
import type { InstanceRecord } from './instance.record';

type Subject = Pick<InstanceRecord, 'owner' | 'appOwner' | 'visibility'>;

/** Suspend, resume, upgrade, terminate, change visibility: the owner and admins. */
export const canManage = (c: Caller | null, r: Subject): boolean => !!c && (isAdmin(c) || c.sub === r.owner.sub);

/** Status and logs: whoever manages it, and the app version's owner (never the UI, see canOpen). */
export const canSeeStatus = (c: Caller | null, r: Subject): boolean => canManage(c, r) || (!!c && c.sub === r.appOwner.sub);

/**
 * Opening the instance's UI (the router's question): the owner; ALL_USERS instances every
 * signed-in full-access user; PUBLIC ones anyone. Admins do not open PRIVATE instances unless
 * `adminsOpenPrivate` (the router's setting).
 */
export function canOpen(c: Caller | null, r: Subject, adminsOpenPrivate = false): boolean {
  if (r.visibility === 'PUBLIC') return true;
  if (!c) return false;
  if (c.sub === r.owner.sub) return true;
  if (r.visibility === 'ALL_USERS') return isFullAccess(c);
  return adminsOpenPrivate && isAdmin(c);
}

/** Whether `get` answers the instance at all (status fields only; the router decides about the UI). */
export const canGet = (c: Caller | null, r: Subject): boolean => canSeeStatus(c, r) || canOpen(c, r);
