import {
  canManageAppVersion,
  canSeeAppVersion,
  genericStatusReason,
  instanceAccess,
  tagGrants,
  visitorGrantMatters,
  type InstanceAccess,
  type InstanceAccessOptions,
} from './access';
import type { Caller } from './caller';
import type { Visibility } from './enums';

const owner: Caller = { sub: 'o', name: 'Owner', roles: ['full-access'] };
const appOwner: Caller = { sub: 'a', name: 'Author', roles: ['full-access'] };
const other: Caller = { sub: 'x', name: 'Other', roles: ['full-access'] };
const visitor: Caller = { sub: 'v', name: 'Vic', roles: ['visitor'] };
const admin: Caller = { sub: 'adm', name: 'Admin', roles: ['admin'] };
const instance = (visibility: Visibility) => ({ owner: { sub: 'o' }, appOwner: { sub: 'a' }, visibility });

type Who = 'owner' | 'app owner' | 'other' | 'visitor, no grant' | 'visitor, granted' | 'admin' | 'anonymous';
const WHO: Record<Who, { caller: Caller | null; grant: boolean }> = {
  owner: { caller: owner, grant: false },
  'app owner': { caller: appOwner, grant: false },
  other: { caller: other, grant: false },
  'visitor, no grant': { caller: visitor, grant: false },
  'visitor, granted': { caller: visitor, grant: true },
  admin: { caller: admin, grant: false },
  anonymous: { caller: null, grant: false },
};

/** seeStatus, readLogs, open, manage — as four letters (S L O M, '-' for no) to keep the table readable. */
const flags = (a: InstanceAccess) => `${a.seeStatus ? 'S' : '-'}${a.readLogs ? 'L' : '-'}${a.open ? 'O' : '-'}${a.manage ? 'M' : '-'}`;

// visibility × AllowPublic → who → expected flags (AdminsOpenPrivate off; see below for on)
const TABLE: Record<`${Visibility} ${'on' | 'off'}`, Record<Who, string>> = {
  'PRIVATE off': { owner: 'SLOM', 'app owner': 'SL--', other: '----', 'visitor, no grant': '----', 'visitor, granted': '----', admin: 'SL-M', anonymous: '----' },
  'PRIVATE on': { owner: 'SLOM', 'app owner': 'SL--', other: '----', 'visitor, no grant': '----', 'visitor, granted': '----', admin: 'SL-M', anonymous: '----' },
  'ALL_USERS off': { owner: 'SLOM', 'app owner': 'SLO-', other: 'S-O-', 'visitor, no grant': '----', 'visitor, granted': 'S-O-', admin: 'SLOM', anonymous: '----' },
  'ALL_USERS on': { owner: 'SLOM', 'app owner': 'SLO-', other: 'S-O-', 'visitor, no grant': '----', 'visitor, granted': 'S-O-', admin: 'SLOM', anonymous: '----' },
  // PUBLIC on a platform that does not allow it is ALL_USERS
  'PUBLIC off': { owner: 'SLOM', 'app owner': 'SLO-', other: 'S-O-', 'visitor, no grant': '----', 'visitor, granted': 'S-O-', admin: 'SLOM', anonymous: '----' },
  'PUBLIC on': { owner: 'SLOM', 'app owner': 'SLO-', other: 'S-O-', 'visitor, no grant': 'S-O-', 'visitor, granted': 'S-O-', admin: 'SLOM', anonymous: 'S-O-' },
};

describe('instanceAccess: {owner, app owner, other, visitor ± grant, admin, anonymous} × {PRIVATE, ALL_USERS, PUBLIC} × AllowPublic', () => {
  const rows = Object.entries(TABLE).flatMap(([key, byWho]) =>
    Object.entries(byWho).map(([who, want]) => [key, who as Who, want] as const),
  );
  it.each(rows)('%s × %s → %s', (key, who, want) => {
    const [visibility, allowPublic] = key.split(' ') as [Visibility, 'on' | 'off'];
    const o: InstanceAccessOptions = { allowPublic: allowPublic === 'on', adminsOpenPrivate: false };
    const { caller, grant } = WHO[who];
    expect(flags(instanceAccess(caller, instance(visibility), grant, o))).toBe(want);
  });

  it('AdminsOpenPrivate lets admins open PRIVATE instances, nobody else, and changes nothing but open', () => {
    for (const visibility of ['PRIVATE', 'ALL_USERS', 'PUBLIC'] as const) {
      for (const allowPublic of [false, true]) {
        for (const [who, { caller, grant }] of Object.entries(WHO)) {
          const off = instanceAccess(caller, instance(visibility), grant, { allowPublic, adminsOpenPrivate: false });
          const on = instanceAccess(caller, instance(visibility), grant, { allowPublic, adminsOpenPrivate: true });
          const opensNow = who === 'admin' && visibility === 'PRIVATE';
          expect(on).toEqual(opensNow ? { ...off, open: true } : off);
        }
      }
    }
    expect(flags(instanceAccess(admin, instance('PRIVATE'), false, { allowPublic: false, adminsOpenPrivate: true }))).toBe('SLOM');
  });

  it('asks for the visitor grant exactly when the answer depends on it', () => {
    for (const visibility of ['PRIVATE', 'ALL_USERS', 'PUBLIC'] as const) {
      for (const allowPublic of [false, true]) {
        for (const adminsOpenPrivate of [false, true]) {
          const o = { allowPublic, adminsOpenPrivate };
          for (const { caller } of Object.values(WHO)) {
            const differs =
              JSON.stringify(instanceAccess(caller, instance(visibility), true, o)) !==
              JSON.stringify(instanceAccess(caller, instance(visibility), false, o));
            expect([visibility, allowPublic, caller?.sub, visitorGrantMatters(caller, instance(visibility), o)]).toEqual([
              visibility,
              allowPublic,
              caller?.sub,
              differs,
            ]);
          }
        }
      }
    }
  });
});

describe('app versions', () => {
  const app = (visibility: Visibility, tagVisitorRoles: string[] = []) => ({ ownerSub: 'o', visibility, tagVisitorRoles });
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
    ['visitor all-users tagged for full access only', visitor, 'ALL_USERS', ['full-access'], false, false],
    ['anonymous all-users', null, 'ALL_USERS', [], true, false],
    ['anonymous public, enabled', null, 'PUBLIC', [], true, true],
    ['anonymous public, disabled', null, 'PUBLIC', [], false, false],
    ['visitor public, enabled', visitor, 'PUBLIC', [], true, true],
    ['visitor public, disabled, untagged', visitor, 'PUBLIC', [], false, false],
    ['visitor public, disabled, tagged', visitor, 'PUBLIC', ['visitor'], false, true],
    ['other public, disabled (acts as all-users)', other, 'PUBLIC', [], false, true],
  ];
  it.each(cases)('canSeeAppVersion: %s', (_name, caller, visibility, roles, allowPublic, expected) => {
    expect(canSeeAppVersion(caller, app(visibility, roles), allowPublic)).toBe(expected);
  });

  it('only visitor roles count as tag grants (a tag naming admin or full-access grants nothing more)', () => {
    expect(tagGrants(visitor, ['visitor'])).toBe(true);
    expect(tagGrants(other, ['full-access'])).toBe(false);
    expect(tagGrants(null, ['visitor'])).toBe(false);
  });

  it('canManageAppVersion: the owner and admins, nobody else', () => {
    expect([owner, admin, other, visitor, null].map((c) => canManageAppVersion(c, app('PRIVATE')))).toEqual([true, true, false, false, false]);
  });
});

describe('genericStatusReason', () => {
  it('never carries log lines or names', () => {
    expect(genericStatusReason('RUNNING')).toBeNull();
    expect(genericStatusReason('FAILED')).toMatch(/stopped with an error/);
    expect(genericStatusReason('PROVISIONING')).toBe('Starting');
  });
});
