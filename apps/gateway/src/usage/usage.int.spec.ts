import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connectNats } from '@wharf/nats';
import { buildBundle } from '@wharf/testing';
// The scheduler is another app: this spec runs its instance subjects over memory, in-process
// behind the gateway and a real repository, over real NATS.
import { loadSchedulerSettings } from '../../../scheduler/src/scheduler.config';
import { MemorySchedulerModule } from '../../../scheduler/src/test-support/memory-instances';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { api, type Harness } from '../testing/identity.harness';
import { startGatewayWithRepository, type GatewayWithRepository } from '../testing/repository.harness';

jest.setTimeout(60_000);

describe('usage against limits through the gateway (GET /api/v1/me/usage, GET /api/v1/usage)', () => {
  let sys: GatewayWithRepository;
  let h: Harness;
  let scheduler: INestApplication;
  const tokens: Record<'alice' | 'bob' | 'vic', string> = { alice: '', bob: '', vic: '' };

  beforeAll(async () => {
    sys = await startGatewayWithRepository('wharf_gw_usage');
    h = sys.h;
    const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const { scheduler: schedulerConfig } = loadSchedulerSettings({
      WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret,
      WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '3',
      WHARF_SCHEDULER_MAX_INSTANCES_VISITOR: '1',
    });
    scheduler = await NestFactory.create(MemorySchedulerModule.forRoot({ platform, scheduler: schedulerConfig }), { logger: ['error'] });
    await connectNats(scheduler);
    await scheduler.init();
    for (const user of ['alice', 'bob'] as const) {
      tokens[user] = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user } })).body.token;
    }
    tokens.vic = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'vic', name: 'vic', roles: ['visitor'] } })).body.token;
    for (const version of ['1.0.0', '2.0.0']) {
      const res = await fetch(`${h.url}/api/v1/bundles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/zip' },
        body: new Uint8Array(await buildBundle({ app: { name: 'hello', version } })),
      });
      expect(res.status).toBe(201);
    }
    expect((await api(h, 'POST', '/api/v1/apps/hello@1.0.0/instances', { token: tokens.alice, body: {} })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await scheduler?.close();
    await sys?.close();
  });

  const full = { max: 3, setting: 'Scheduler.MaxInstancesFullAccess', reason: 'full-access users' };
  const versionsLimit = { max: 10, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' };

  it("answers the caller's own usage as the scheduler and the repository count it", async () => {
    const me = await api(h, 'GET', '/api/v1/me/usage', { token: tokens.alice });
    expect(me).toMatchObject({ status: 200 });
    expect(me.body).toEqual({
      user: { sub: 'svc:alice', name: 'alice', roles: ['full-access'] },
      // the test bundle asks for 256Mi, reserving 64Mi
      instances: { live: 1, limit: full, memoryLimitBytes: 256 * 1024 * 1024, memoryReservationBytes: 64 * 1024 * 1024, gpus: 0 },
      versions: { count: 2, limit: versionsLimit },
      ceilings: { maxMemoryLimit: expect.any(String), maxMemoryReservation: expect.any(String), maxGpus: 0 },
    });
    const vic = await api(h, 'GET', '/api/v1/me/usage', { token: tokens.vic });
    expect(vic.body).toMatchObject({
      user: { sub: 'svc:vic', roles: ['visitor'] },
      instances: { live: 0, limit: { max: 1, setting: 'Scheduler.MaxInstancesVisitor' } },
      versions: { count: 0, limit: { max: 0, setting: null, reason: 'importing needs the full-access role' } },
    });
    expect((await api(h, 'GET', '/api/v1/me/usage')).status).toBe(401);
  });

  it('follows the limit check: the live count moves with runs and suspends', async () => {
    const run = await api(h, 'POST', '/api/v1/apps/hello@2.0.0/instances', { token: tokens.bob, body: {} });
    expect(run.status).toBe(404); // bob cannot see alice's private version: nothing counted
    const second = await api(h, 'POST', '/api/v1/apps/hello@2.0.0/instances', { token: tokens.alice, body: {} });
    expect((await api(h, 'GET', '/api/v1/me/usage', { token: tokens.alice })).body.instances.live).toBe(2);
    await api(h, 'POST', `/api/v1/instances/${second.body.id}/suspend`, { token: tokens.alice });
    expect((await api(h, 'GET', '/api/v1/me/usage', { token: tokens.alice })).body.instances.live).toBe(1);
  });

  it('lists every user the gateway knows, by name, with the limits of their roles (admins)', async () => {
    const all = await api(h, 'GET', '/api/v1/usage', { token: h.adminToken });
    expect(all.status).toBe(200);
    expect(all.body.items.map((u: { user: { name: string; roles: string[] } }) => [u.user.name, u.user.roles])).toEqual([
      ['admin', ['admin', 'full-access']],
      ['alice', ['full-access']],
      ['bob', ['full-access']],
      ['vic', ['visitor']],
    ]);
    const mine = await api(h, 'GET', '/api/v1/me/usage', { token: tokens.alice });
    const { ceilings, ...alice } = mine.body;
    expect(all.body.items[1]).toEqual(alice);
    expect(all.body.ceilings).toEqual(ceilings);
    expect(all.body.items[0]).toMatchObject({ instances: { live: 0, limit: { max: null, setting: 'Scheduler.MaxInstancesAdmin' } }, versions: { limit: { max: null } } });
    expect(all.body.nextCursor).toBeNull();
  });

  it('pages by cursor and filters by name or id', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { user: { name: string } }[]; nextCursor: string | null } } = await api(
        h,
        'GET',
        `/api/v1/usage?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { token: h.adminToken },
      );
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      names.push(...page.body.items.map((u) => u.user.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(names).toEqual(['admin', 'alice', 'bob', 'vic']);
    const q = await api(h, 'GET', '/api/v1/usage?q=SVC:VI', { token: h.adminToken });
    expect(q.body.items.map((u: { user: { sub: string } }) => u.user.sub)).toEqual(['svc:vic']);
  });

  it('refuses non-admins and bad queries with clear errors', async () => {
    const denied = await api(h, 'GET', '/api/v1/usage', { token: tokens.alice });
    expect(denied).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: "only admins see every user's usage" } } });
    const badCursor = await api(h, 'GET', '/api/v1/usage?cursor=nope!', { token: h.adminToken });
    expect(badCursor).toMatchObject({ status: 400, body: { error: { code: 'INVALID', message: expect.stringContaining('cursor is not valid') } } });
    const badLimit = await api(h, 'GET', '/api/v1/usage?limit=0', { token: h.adminToken });
    expect(badLimit).toMatchObject({ status: 400, body: { error: { code: 'INVALID', details: { problems: [expect.objectContaining({ path: 'limit' })] } } } });
    const unknown = await api(h, 'GET', '/api/v1/usage?user=alice', { token: h.adminToken });
    expect(unknown.status).toBe(400);
  });
});
