import { claimAt, nameFromClaims, rolesFromClaims } from './roles';

const mapping = { admin: ['wharf-admins', 'admin'], 'full-access': ['staff'], visitor: ['guests'] };

describe('roles from claims', () => {
  it('reads dotted claim paths', () => {
    expect(claimAt({ realm_access: { roles: ['a'] } }, 'realm_access.roles')).toEqual(['a']);
    expect(claimAt({ realm_access: ['x'] }, 'realm_access.roles')).toBeUndefined();
    expect(claimAt({}, 'groups')).toBeUndefined();
  });

  it('maps claim values to Wharf roles (Keycloak realm roles, groups with paths, strings)', () => {
    const opts = { claimPath: 'realm_access.roles', mapping, defaultRole: 'visitor' as const };
    expect(rolesFromClaims({ realm_access: { roles: ['offline_access', 'wharf-admins', 'staff'] } }, opts)).toEqual(['admin', 'full-access']);
    expect(rolesFromClaims({ groups: ['/staff'] }, { ...opts, claimPath: 'groups' })).toEqual(['full-access']);
    expect(rolesFromClaims({ roles: 'guests other' }, { ...opts, claimPath: 'roles' })).toEqual(['visitor']);
  });

  it('gives users with no mapped value the default role, or refuses them with `none`', () => {
    const opts = { claimPath: 'groups', mapping, defaultRole: 'visitor' as const };
    expect(rolesFromClaims({ groups: ['unrelated'] }, opts)).toEqual(['visitor']);
    expect(rolesFromClaims({}, { ...opts, defaultRole: 'full-access' })).toEqual(['full-access']);
    expect(rolesFromClaims({ groups: [42, null] }, { ...opts, defaultRole: 'none' })).toBeNull();
  });

  it('picks a display name', () => {
    expect(nameFromClaims({ preferred_username: 'alice', email: 'a@x' }, 's')).toBe('alice');
    expect(nameFromClaims({ email: 'a@x' }, 's')).toBe('a@x');
    expect(nameFromClaims({}, 'sub-1')).toBe('sub-1');
  });
});
