import { isAdmin, isFullAccess, type Caller, type Instance } from '@wharf/contracts';

export interface AccessOptions {
  adminsOpenPrivate: boolean;
  allowPublic: boolean;
}

/**
 * Who may open an instance's UI (HTTP and websockets alike):
 * - PUBLIC (when Router.AllowPublic): anyone; otherwise it is treated as ALL_USERS.
 * - the instance's owner, always;
 * - PRIVATE: nobody else — admins manage it but open it only with Router.AdminsOpenPrivate; the
 *   app version's owner sees its status and logs through the API, never its UI;
 * - ALL_USERS: every signed-in full-access user; a visitor only where the app version's tags grant
 *   one of their roles (`visitor-grant`: the repository decides, the router caches its answer).
 * `sign-in` means "nobody signed in": browsers are sent to log in, API clients get 401.
 */
export type Access = 'allow' | 'sign-in' | 'deny' | 'visitor-grant';

export function openAccess(caller: Caller | null, i: Pick<Instance, 'owner' | 'visibility'>, o: AccessOptions): Access {
  if (i.visibility === 'PUBLIC' && o.allowPublic) return 'allow';
  if (!caller) return 'sign-in';
  if (caller.sub === i.owner.sub) return 'allow';
  if (i.visibility === 'PRIVATE') return o.adminsOpenPrivate && isAdmin(caller) ? 'allow' : 'deny';
  return isFullAccess(caller) ? 'allow' : 'visitor-grant';
}
