import http from 'node:http';
import { instanceAccess, WharfError, type Caller, type Visibility } from '@wharf/contracts';
import { instanceRecord } from '@wharf/testing';
import type { InstanceDriver } from '../../scheduler/src/drivers/instance-driver';
import type { InstanceRecord } from '../../scheduler/src/instances/instance.record';
import { InstanceService } from '../../scheduler/src/instances/instance.service';
import { loadSchedulerSettings } from '../../scheduler/src/scheduler.config';
import { startRouterHarness, startUpstream, SECRET, USERS, type RouterHarness } from './test-support/router-harness';

/**
 * The scheduler (`scheduler.instance.get.v1`, what the REST API answers) and the router (who opens
 * the UI) apply one rule: whoever the router lets in, the scheduler answers. Both ask the same
 * repository handler over real NATS for visitor grants. They disagreed before: a visitor whom a tag
 * admits opened an ALL_USERS instance but got 404 from the API, and the scheduler opened PUBLIC
 * instances to everyone whether or not PUBLIC was allowed.
 */
const appOwner: Caller = { sub: 'carol', name: 'carol', roles: ['full-access'] };
const WHO = {
  owner: { caller: USERS.alice as Caller, app: 'plain-app' },
  'other user': { caller: USERS.bob as Caller, app: 'plain-app' },
  admin: { caller: USERS.admin as Caller, app: 'plain-app' },
  "app version's owner": { caller: appOwner, app: 'plain-app' },
  'visitor, tag grants': { caller: USERS.vic as Caller, app: 'granted-app' },
  'visitor, no grant': { caller: USERS.vic as Caller, app: 'plain-app' },
  // Seeing the app version (PUBLIC) is not a grant: only a tag admits a visitor to ALL_USERS instances.
  'visitor, public app version, no tag': { caller: USERS.vic as Caller, app: 'public-app' },
  anonymous: { caller: null, app: 'plain-app' },
} as const;

let up: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  up = await startUpstream();
});
afterAll(() => up?.stop());

/** The scheduler's InstanceService over the records the router's lookup serves (a memory driver). */
function scheduler(h: RouterHarness, allowPublic: boolean): InstanceService {
  const settings = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: SECRET, WHARF_SCHEDULER_ALLOW_PUBLIC_INSTANCES: String(allowPublic) });
  const driver = {
    get: async (id: string) => {
      const i = h.platform.instances.get(id);
      return i ? ({ ...i, updatedAt: i.createdAt, generation: 1, idempotencyKey: null, launch: {} } as unknown as InstanceRecord) : null;
    },
  } as unknown as InstanceDriver;
  return new InstanceService(settings, driver, {} as never, {} as never, {} as never, h.rpc, {} as never);
}

function routerStatus(h: RouterHarness, host: string, token: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host, ...(token ? { authorization: `Bearer ${token}` } : {}) };
    http.get({ host: '127.0.0.1', port: h.port, path: '/', headers, agent: false }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject);
  });
}

describe.each([false, true])('scheduler and router agree (AllowPublic %s)', (allowPublic) => {
  let h: RouterHarness;
  let service: InstanceService;
  beforeAll(async () => {
    h = await startRouterHarness({ AllowPublic: allowPublic });
    h.platform.grants.set('granted-app', ['visitor']);
    h.platform.publicApps.add('public-app');
    for (const c of [...Object.values(USERS), appOwner] as Caller[]) h.platform.tokens.set(`wharf_pat_${c.sub}`, { caller: c, readOnly: false });
    service = scheduler(h, allowPublic);
  });
  afterAll(() => h?.stop());

  const rows = (['PRIVATE', 'ALL_USERS', 'PUBLIC'] as Visibility[]).flatMap((v) => Object.keys(WHO).map((who) => [v, who as keyof typeof WHO] as const));
  it.each(rows)('%s × %s', async (visibility, who) => {
    const { caller, app } = WHO[who];
    const i = instanceRecord({ address: `127.0.0.1:${up.port}`, visibility, appVersionId: app, appOwner: { sub: appOwner.sub, name: appOwner.name } });
    h.platform.instances.set(i.id, i);
    const opened = (await routerStatus(h, h.host(i.id), caller && `wharf_pat_${caller.sub}`)) === 200;
    const answered = await service.get(caller, i.id).then(
      () => true,
      (e: WharfError) => (['NOT_FOUND', 'UNAUTHENTICATED'].includes(e.code) ? false : Promise.reject(e)),
    );
    const rule = instanceAccess(caller, i, app === 'granted-app', { allowPublic, adminsOpenPrivate: false });
    expect({ opened, answered }).toEqual({ opened: rule.open, answered: rule.seeStatus });
    if (opened) expect(answered).toBe(true); // whoever the router lets in, the API answers
  });
});
