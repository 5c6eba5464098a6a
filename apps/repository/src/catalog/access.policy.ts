/**
 * Who sees and manages app versions: the rule lives once in libs/contracts (access.ts), shared with
 * the scheduler and the router, which ask the repository for visitor grants.
 * The SQL filter in app-version.repository.ts expresses the same rules; the spec checks both agree.
 */
export {
  canManageAppVersion as canManage,
  canSeeAppVersion as canSee,
  type AppVersionSubject as AccessSubject,
} from '@wharf/contracts';
