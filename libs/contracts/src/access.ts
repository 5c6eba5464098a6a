import { isAdmin, isFullAccess, visitorRoles, type Caller } from './caller';
import type { ErrorCode } from './errors';
import type { InstanceStatus, Visibility } from './enums';

/**
 * Who may do what with app versions and instances: one rule for the repository, the scheduler,
 * the router and the gateway. Pure functions, no I/O; what needs I/O (does a tag grant this
 * visitor the app version?) is an input.
 */

// ---- app versions -----------------------------------------------------------------------------

/** What the visibility rules need to know about an app version. */
export interface AppVersionSubject {
  ownerSub: string;
  visibility: Visibility;
  /** Roles granted to visitors by the tags on this version. */
  tagVisitorRoles: readonly string[];
}

/** Whether a tag on the version grants one of the caller's visitor roles. */
export function tagGrants(caller: Caller | null, tagVisitorRoles: readonly string[]): boolean {
  if (!caller) return false;
  const roles: readonly string[] = visitorRoles(caller);
  return tagVisitorRoles.some((r) => roles.includes(r));
}

/**
 * Who sees an app version:
 * - admins and the owner: always;
 * - PRIVATE: nobody else;
 * - PUBLIC: anyone, anonymous included, when `allowPublic` (admin-enabled); otherwise as ALL_USERS;
 * - ALL_USERS: every full-access user; visitors only where a tag grants one of their roles.
 */
export function canSeeAppVersion(caller: Caller | null, app: AppVersionSubject, allowPublic: boolean): boolean {
  if (isAdmin(caller)) return true;
  if (caller && caller.sub === app.ownerSub) return true;
  if (app.visibility === 'PRIVATE') return false;
  if (app.visibility === 'PUBLIC' && allowPublic) return true;
  if (!caller) return false;
  return isFullAccess(caller) || tagGrants(caller, app.tagVisitorRoles);
}

/** Changing an app version's visibility or deleting it: the owner or an admin. */
export function canManageAppVersion(caller: Caller | null, app: { ownerSub: string }): boolean {
  return isAdmin(caller) || (!!caller && caller.sub === app.ownerSub);
}

/**
 * The repository's answers to `repository.app.get.v1` that mean "this caller may not see that app
 * version". The scheduler and the router ask it as the visitor to learn the visitor grant: for a
 * visitor who neither owns the version nor meets a PUBLIC version on a platform that allows them,
 * seeing it means a tag on it grants one of their roles.
 */
export const APP_NOT_VISIBLE: readonly ErrorCode[] = ['NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED'];

// ---- instances --------------------------------------------------------------------------------

/** What the instance rule needs to know about an instance. */
export interface InstanceSubject {
  owner: { sub: string };
  /** The app version's owner. */
  appOwner: { sub: string };
  visibility: Visibility;
}

export interface InstanceAccessOptions {
  /**
   * PUBLIC instances are opened by anyone, anonymous included (Platform.AllowPublic, or the
   * service's own Router.AllowPublic / Scheduler.AllowPublicInstances). Off: PUBLIC acts as ALL_USERS.
   */
  allowPublic: boolean;
  /** Admins open the UI of PRIVATE instances (Router.AdminsOpenPrivate). Never changes status, logs or manage. */
  adminsOpenPrivate: boolean;
}

export interface InstanceAccess {
  /** The instance exists for this caller: id, app, owner, status (with a generic reason unless `readLogs`). */
  seeStatus: boolean;
  /** Logs, and the status reason (which holds the last log lines of a failure). */
  readLogs: boolean;
  /** The app's UI, through the router (HTTP and websockets). */
  open: boolean;
  /** Suspend, resume, upgrade, terminate, change visibility. */
  manage: boolean;
}

/**
 * Who may do what with an instance:
 * - manage: the owner and admins;
 * - read logs (and the status reason): whoever manages it, and the app version's owner;
 * - open the UI: the owner always; PUBLIC (with `allowPublic`) anyone; otherwise PUBLIC is ALL_USERS;
 *   ALL_USERS every full-access user, and visitors whose role a tag on the app version grants
 *   (`visitorGrant`); PRIVATE nobody else — admins only with `adminsOpenPrivate`, the app
 *   version's owner never (status and logs only);
 * - see status: whoever may read logs or open it.
 * An anonymous caller (null) may only open (and see the status of) PUBLIC instances when allowed.
 */
export function instanceAccess(caller: Caller | null, i: InstanceSubject, visitorGrant: boolean, o: InstanceAccessOptions): InstanceAccess {
  const manage = !!caller && (isAdmin(caller) || caller.sub === i.owner.sub);
  const readLogs = manage || (!!caller && caller.sub === i.appOwner.sub);
  const open = canOpen(caller, i, visitorGrant, o);
  return { seeStatus: readLogs || open, readLogs, open, manage };
}

function canOpen(caller: Caller | null, i: InstanceSubject, visitorGrant: boolean, o: InstanceAccessOptions): boolean {
  if (i.visibility === 'PUBLIC' && o.allowPublic) return true;
  if (!caller) return false;
  if (caller.sub === i.owner.sub) return true;
  if (i.visibility === 'PRIVATE') return o.adminsOpenPrivate && isAdmin(caller);
  return isFullAccess(caller) || visitorGrant;
}

/**
 * Whether the answer for this caller depends on the visitor grant, i.e. whether it is worth
 * asking the repository: a signed-in visitor (not full access) who is not the owner, of an
 * ALL_USERS instance or a PUBLIC one on a platform that does not allow PUBLIC.
 */
export function visitorGrantMatters(caller: Caller | null, i: InstanceSubject, o: InstanceAccessOptions): boolean {
  if (!caller || isFullAccess(caller) || caller.sub === i.owner.sub) return false;
  return i.visibility === 'ALL_USERS' || (i.visibility === 'PUBLIC' && !o.allowPublic);
}

/**
 * The status reason for callers who may not read logs: the failure reason holds the app's last
 * log lines, and other reasons name who suspended or terminated it.
 */
export function genericStatusReason(status: InstanceStatus): string | null {
  switch (status) {
    case 'RUNNING':
      return null;
    case 'FAILED':
      return 'The instance stopped with an error (its owner can read the logs).';
    case 'SUSPENDED':
      return 'The instance is suspended.';
    case 'TERMINATED':
      return 'The instance was terminated.';
    default:
      return 'Starting';
  }
}
