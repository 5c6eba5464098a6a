import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RepositoryContracts } from '@wharf/contracts';
import { connectNats } from '@wharf/nats';
import { buildBundle } from '@wharf/testing';
import { connect, type NatsConnection } from 'nats';
// The scheduler is another app: this spec runs its instance subjects over memory, in-process
// behind the gateway and a real repository, over real NATS.
import { loadSchedulerSettings } from '../../../scheduler/src/scheduler.config';
import { MemorySchedulerModule } from '../../../scheduler/src/test-support/memory-instances';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { api, type Harness } from '../testing/identity.harness';
import { startGatewayWithRepository, type GatewayWithRepository } from '../testing/repository.harness';

jest.setTimeout(60_000);

describe('Run and upgrade through the gateway: one app version lookup each', () => {
  let sys: GatewayWithRepository;
  let h: Harness;
  let scheduler: INestApplication;
  let watcher: NatsConnection;
  /** Every `repository.app.get.v1` request on the bus (a plain subscription sees each one, besides the repository's queue group). */
  const lookups: string[] = [];
  const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

  beforeAll(async () => {
    sys = await startGatewayWithRepository('wharf_gw_run');
    h = sys.h;
    const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const { scheduler: schedulerConfig } = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret });
    scheduler = await NestFactory.create(MemorySchedulerModule.forRoot({ platform, scheduler: schedulerConfig }), { logger: ['error'] });
    await connectNats(scheduler);
    await scheduler.init();
    watcher = await connect({ servers: platform.NatsUrl });
    watcher.subscribe(RepositoryContracts.get.subject, { callback: (_e, m) => lookups.push(m.subject) });
    await watcher.flush();
    for (const user of ['alice', 'bob'] as const) {
      tokens[user] = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user } })).body.token;
    }
    for (const [token, name, version] of [
      [tokens.alice, 'hello', '1.0.0'],
      [tokens.alice, 'hello', '2.0.0'],
      [tokens.bob, 'bobs', '1.0.0'],
    ] as const) {
      const res = await fetch(`${h.url}/api/v1/bundles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
        body: new Uint8Array(await buildBundle({ app: { name, version } })),
      });
      expect(res.status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    await watcher?.close();
    await scheduler?.close();
    await sys?.close();
  });

  /** The lookups `fn` caused (the watcher has seen everything published before its flush answers). */
  async function lookupsOf<T>(fn: () => Promise<T>): Promise<{ result: T; lookups: number }> {
    await watcher.flush();
    const before = lookups.length;
    const result = await fn();
    await watcher.flush();
    return { result, lookups: lookups.length - before };
  }

  it('runs an app version named by name@version, by name (the newest) or by id, asking the repository once per Run', async () => {
    const byRef = await lookupsOf(() => api(h, 'POST', '/api/v1/apps/hello@1.0.0/instances', { token: tokens.alice, body: {} }));
    expect(byRef.result).toMatchObject({ status: 201, body: { appName: 'hello', appVersion: '1.0.0', status: 'PROVISIONING' } });
    expect(byRef.lookups).toBe(1);
    const byName = await lookupsOf(() => api(h, 'POST', '/api/v1/apps/hello/instances', { token: tokens.alice, body: {} }));
    expect(byName.result).toMatchObject({ status: 201, body: { appVersion: '2.0.0' } });
    expect(byName.lookups).toBe(1);
    const id = byRef.result.body.appVersionId as string;
    const byId = await lookupsOf(() => api(h, 'POST', `/api/v1/apps/${id}/instances`, { token: tokens.alice, body: {} }));
    expect(byId.result).toMatchObject({ status: 201, body: { appVersionId: id, appVersion: '1.0.0' } });
    expect(byId.lookups).toBe(1);
  });

  it('upgrades to a version named by name@version, asking the repository once', async () => {
    const run = await api(h, 'POST', '/api/v1/apps/hello@1.0.0/instances', { token: tokens.alice, body: {} });
    const up = await lookupsOf(() => api(h, 'POST', `/api/v1/instances/${run.body.id}/upgrade`, { token: tokens.alice, body: { appVersionId: 'hello@2.0.0' } }));
    expect(up.result).toMatchObject({ status: 200, body: { id: run.body.id, appVersion: '2.0.0' } });
    expect(up.lookups).toBe(1);
    const runtimeOnly = await lookupsOf(() => api(h, 'POST', `/api/v1/instances/${run.body.id}/upgrade`, { token: tokens.alice, body: { runtime: 'python-3.11' } }));
    expect(runtimeOnly.result.status).toBe(200);
    expect(runtimeOnly.lookups).toBe(0);
  });

  it("answers an app version the caller cannot see with the catalog's 404, whatever else the request asks", async () => {
    const hidden = await api(h, 'GET', '/api/v1/apps/hello@1.0.0', { token: tokens.bob });
    expect(hidden.status).toBe(404);
    for (const body of [{}, { visibility: 'PUBLIC' }]) {
      const run = await api(h, 'POST', '/api/v1/apps/hello@1.0.0/instances', { token: tokens.bob, body });
      expect(run).toMatchObject({ status: 404, body: hidden.body });
    }
    const mine = await api(h, 'POST', '/api/v1/apps/hello@1.0.0/instances', { token: tokens.alice, body: {} });
    const notMine = await api(h, 'GET', '/api/v1/apps/bobs@1.0.0', { token: tokens.alice });
    expect(notMine.status).toBe(404);
    const up = await api(h, 'POST', `/api/v1/instances/${mine.body.id}/upgrade`, { token: tokens.alice, body: { appVersionId: 'bobs@1.0.0' } });
    expect(up).toMatchObject({ status: 404, body: notMine.body });
    const other = await api(h, 'POST', `/api/v1/instances/${mine.body.id}/upgrade`, { token: tokens.bob, body: { appVersionId: 'bobs@1.0.0' } });
    expect(other.status).toBe(404); // bob sees his version, not alice's instance
  });

  it('lets admins, and nobody else, turn idle suspension off and on (PATCH idleSuspend), changing nothing on a refusal', async () => {
    const run = await api(h, 'POST', '/api/v1/apps/hello@1.0.0/instances', { token: tokens.alice, body: { visibility: 'PRIVATE' } });
    expect(run.body.idle).toEqual({ timeoutMinutes: 60, disabledByAdmin: false, keepAliveUntil: null });
    const path = `/api/v1/instances/${run.body.id}`;
    const refused = await api(h, 'PATCH', path, { token: tokens.alice, body: { idleSuspend: false, visibility: 'ALL_USERS' } });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toMatch(/only admins turn idle suspension on or off/);
    expect((await api(h, 'GET', path, { token: tokens.alice })).body).toMatchObject({ visibility: 'PRIVATE', idle: { disabledByAdmin: false } });
    const off = await api(h, 'PATCH', path, { token: h.adminToken, body: { idleSuspend: false } });
    expect(off).toMatchObject({ status: 200, body: { visibility: 'PRIVATE', idle: { timeoutMinutes: null, disabledByAdmin: true } } });
    const both = await api(h, 'PATCH', path, { token: h.adminToken, body: { idleSuspend: true, visibility: 'ALL_USERS' } });
    expect(both).toMatchObject({ status: 200, body: { visibility: 'ALL_USERS', idle: { timeoutMinutes: 60, disabledByAdmin: false } } });
    const empty = await api(h, 'PATCH', path, { token: h.adminToken, body: {} });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body)).toMatch(/name what to change: `visibility` and\/or `idleSuspend`/);
    const wrongType = await api(h, 'PATCH', path, { token: h.adminToken, body: { idleSuspend: 'no' } });
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(wrongType.body)).toContain('idleSuspend');
  });

  it('runs lifecycles through the REST API: a LINK app has no instance, a MANAGED one is started by its owner and opened by everyone', async () => {
    const importRaw = async (token: string, manifest: string) => {
      const res = await fetch(`${h.url}/api/v1/bundles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
        body: new Uint8Array(await buildBundle({ manifest })),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { id: string; runtime: Record<string, unknown> } };
    };
    const link = await importRaw(tokens.alice, '[App]\nName = "wiki"\nVersion = "1.0.0"\nTitle = "Wiki"\nInstanceLifecycle = "LINK"\n\n[Link]\nAddress = "https://wiki.example.com/"\n');
    expect(link.status).toBe(201);
    expect(link.body.runtime).toMatchObject({ lifecycle: 'LINK', linkAddress: 'https://wiki.example.com/' });
    const run = await api(h, 'POST', '/api/v1/apps/wiki/instances', { token: tokens.alice, body: {} });
    expect(run.status).toBe(400);
    expect(JSON.stringify(run.body)).toContain('wiki 1.0.0 is a link to https://wiki.example.com/, not an app that runs on Wharf');

    const bad = await importRaw(tokens.alice, '[App]\nName = "wiki2"\nVersion = "1.0.0"\nTitle = "Wiki"\nInstanceLifecycle = "LINK"\n\n[Runtime]\nModule = "x"\n');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/"path":"Link".*is required when InstanceLifecycle/);
    expect((await api(h, 'GET', '/api/v1/apps/wiki2', { token: tokens.alice })).status).toBe(404); // nothing kept

    const board = await importRaw(tokens.alice, '[App]\nName = "board"\nVersion = "1.0.0"\nTitle = "Board"\nInstanceLifecycle = "MANAGED"\n\n[Runtime]\nModule = "hello.app"\n');
    expect(board.status).toBe(201);
    expect((await api(h, 'PATCH', `/api/v1/apps/${board.body.id}`, { token: tokens.alice, body: { visibility: 'ALL_USERS' } })).status).toBe(200);
    const early = await api(h, 'POST', '/api/v1/apps/board/instances', { token: tokens.bob, body: {} });
    expect(early.status).toBe(409);
    expect(JSON.stringify(early.body)).toContain('Board runs as one shared instance, which its owner (alice) or an admin starts');
    const started = await api(h, 'POST', '/api/v1/apps/board/instances', { token: tokens.alice, body: {} });
    expect(started.body).toMatchObject({ lifecycle: 'MANAGED', visibility: 'ALL_USERS', owner: { name: 'alice' } });
    const opened = await api(h, 'POST', '/api/v1/apps/board/instances', { token: tokens.bob, body: { visibility: 'PRIVATE' } });
    expect(opened.body.id).toBe(started.body.id);
    expect((await api(h, 'GET', `/api/v1/instances/${started.body.id}`, { token: tokens.bob })).status).toBe(200);
    expect((await api(h, 'POST', `/api/v1/instances/${started.body.id}/suspend`, { token: tokens.bob })).status).toBe(403);
  });
});
