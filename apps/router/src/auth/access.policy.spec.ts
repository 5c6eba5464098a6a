import type { Caller } from '@wharf/contracts';
import { openAccess } from './access.policy';

const owner: Caller = { sub: 'o', name: 'owner', roles: ['full-access'] };
const other: Caller = { sub: 'x', name: 'other', roles: ['full-access'] };
const admin: Caller = { sub: 'a', name: 'admin', roles: ['admin'] };
const visitor: Caller = { sub: 'v', name: 'vic', roles: ['visitor'] };
const inst = (visibility: 'PRIVATE' | 'ALL_USERS' | 'PUBLIC') => ({ owner: { sub: 'o', name: 'owner' }, visibility });
const off = { adminsOpenPrivate: false, allowPublic: false };
const on = { adminsOpenPrivate: true, allowPublic: true };

describe('openAccess', () => {
  it('PRIVATE: the owner only; admins only when configured; nobody signed in must sign in', () => {
    expect(openAccess(owner, inst('PRIVATE'), off)).toBe('allow');
    expect(openAccess(other, inst('PRIVATE'), on)).toBe('deny');
    expect(openAccess(admin, inst('PRIVATE'), off)).toBe('deny');
    expect(openAccess(admin, inst('PRIVATE'), on)).toBe('allow');
    expect(openAccess(visitor, inst('PRIVATE'), on)).toBe('deny');
    expect(openAccess(null, inst('PRIVATE'), on)).toBe('sign-in');
  });

  it('ALL_USERS: full-access users and admins; visitors depend on a tag grant', () => {
    expect(openAccess(other, inst('ALL_USERS'), off)).toBe('allow');
    expect(openAccess(admin, inst('ALL_USERS'), off)).toBe('allow');
    expect(openAccess(visitor, inst('ALL_USERS'), off)).toBe('visitor-grant');
    expect(openAccess(null, inst('ALL_USERS'), on)).toBe('sign-in');
  });

  it('PUBLIC: anyone when allowed, otherwise like ALL_USERS', () => {
    expect(openAccess(null, inst('PUBLIC'), on)).toBe('allow');
    expect(openAccess(visitor, inst('PUBLIC'), on)).toBe('allow');
    expect(openAccess(null, inst('PUBLIC'), off)).toBe('sign-in');
    expect(openAccess(visitor, inst('PUBLIC'), off)).toBe('visitor-grant');
    expect(openAccess(other, inst('PUBLIC'), off)).toBe('allow');
  });
});
