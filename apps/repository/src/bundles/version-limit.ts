import { isAdmin, isFullAccess, type Caller } from '@wharf/contracts';

/**
 * How many app versions a user may own: admins import without a limit, full-access users up to
 * Repository.MaxVersionsPerUser, visitors none (importing needs the full-access role). The import
 * check and the usage answers both call this.
 */
export function versionLimitFor(c: Caller, s: { MaxVersionsPerUser: number }): { max: number | null; setting: string | null; reason: string } {
  if (isAdmin(c)) return { max: null, setting: null, reason: 'admins' };
  if (!isFullAccess(c)) return { max: 0, setting: null, reason: 'importing needs the full-access role' };
  return { max: s.MaxVersionsPerUser, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' };
}
