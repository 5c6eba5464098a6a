import type { Caller, Visibility } from '@wharf/contracts';
import { canManage, canSee } from './access.policy';

const owner: Caller = { sub: 'o', name: 'owner', roles: ['full-access'] };
const other: Caller = { sub: 'x', name: 'other', roles: ['full-access'] };
const admin: Caller = { sub: 'a', name: 'admin', roles: ['admin'] };
const visitor: Caller = { sub: 'v', name: 'visitor', roles: ['visitor'] };
const app = (visibility: Visibility, tagVisitorRoles: string[] = []) => ({ ownerSub: 'o', visibility, tagVisitorRoles });

describe('canSee', () => {
  const cases: [string, Caller | null, Visibility, string[], boolean, boolean][] = [
    // who, caller, visibility, tag roles, allowPublic, expected
    ['owner private', owner, 'PRIVATE', [], false, true],
    ['other private', other, 'PRIVATE', [], false, false],
    ['admin private', admin, 'PRIVATE', [], false, true],
    ['visitor private even if tagged', visitor, 'PRIVATE', ['visitor'], false, false],
    ['anonymous private', null, 'PRIVATE', [], true, false],
    ['other all-users', other, 'ALL_USERS', [], false, true],
    ['visitor all-users untagged', visitor, 'ALL_USERS', [], false, false],
    ['visitor all-users tagged for visitors', visitor, 'ALL_USERS', ['visitor'], false, true],
    ['anonymous all-users', null, 'ALL_USERS', [], true, false],
    ['anonymous public, enabled', null, 'PUBLIC', [], true, true],
    ['anonymous public, disabled', null, 'PUBLIC', [], false, false],
    ['visitor public, enabled', visitor, 'PUBLIC', [], true, true],
    ['visitor public, disabled, untagged', visitor, 'PUBLIC', [], false, false],
    ['other public, disabled (acts as all-users)', other, 'PUBLIC', [], false, true],
  ];
  it.each(cases)('%s', (_name, caller, visibility, roles, allowPublic, expected) => {
    expect(canSee(caller, app(visibility, roles), allowPublic)).toBe(expected);
  });
});

describe('canManage', () => {
  it('lets the owner and admins manage, nobody else', () => {
    expect(canManage(owner, app('PRIVATE'))).toBe(true);
    expect(canManage(admin, app('PRIVATE'))).toBe(true);
    expect(canManage(other, app('ALL_USERS'))).toBe(false);
    expect(canManage(null, app('PUBLIC'))).toBe(false);
  });
});
