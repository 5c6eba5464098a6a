import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchedulerContracts as C, WharfError } from '@wharf/contracts';
import { parseQuantity } from '@wharf/manifest';
import { connect } from 'nats';
import { buildExample } from '../../../examples/build';
import { leaseKey } from './leases/lease.store';
import { admin, alice, bob, ensureBuilt, startHarness, vera, type Harness } from './test-support/harness';

jest.setTimeout(90_000);

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: WharfError) => ({ code: e.code, message: e.message }),
  );

/**
 * Usage answers what the limit check counts (the leases in the JetStream KV bucket) and the limit
 * it applies (maxInstancesFor), through two replicas of the real scheduler over real NATS.
 */
describe.each(['process', 'kubernetes'] as const)('usage against the instance limits, %s driver', (driver) => {
  let h: Harness;
  let zipDir: string;

  beforeAll(async () => {
    ensureBuilt();
    zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-examples-'));
    const zip = await buildExample('hello', zipDir);
    h = await startHarness({ driver });
    await h.addApp('hello-1', zip);
    const limits = { WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '2', WHARF_SCHEDULER_MAX_INSTANCES_VISITOR: '1', WHARF_SCHEDULER_DEFAULT_MEMORY_LIMIT: '256Mi' };
    await h.startReplica(limits);
    await h.startReplica(limits);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    if (zipDir) rmSync(zipDir, { recursive: true, force: true });
  });

  it("reports the caller's slots and limit, and refuses a launch exactly when they say the limit is reached", async () => {
    const empty = await h.client.rpc(C.usage, {}, alice);
    expect(empty.users).toEqual([
      {
        sub: alice.sub,
        name: null,
        live: 0,
        limit: { max: 2, setting: 'Scheduler.MaxInstancesFullAccess', reason: 'full-access users' },
        memoryLimitBytes: 0,
        memoryReservationBytes: 0,
        gpus: 0,
      },
    ]);
    expect(empty.ceilings).toEqual({ maxMemoryLimit: expect.any(String), maxMemoryReservation: expect.any(String), maxGpus: 0 });

    const first = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
    const second = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
    const full = await h.client.rpc(C.usage, {}, alice);
    expect(full.users[0]).toMatchObject({ sub: alice.sub, name: 'alice', live: 2, memoryLimitBytes: 2 * parseQuantity('256Mi') });
    expect(await refusal(h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice))).toEqual({
      code: 'LIMIT_EXCEEDED',
      message: expect.stringMatching(/you already have 2 running instances; full-access users may run at most 2/),
    });

    // the number is the lease set's, as the check reads it
    const nc = await connect({ servers: h.nats.url });
    const kv = await nc.jetstream().views.kv(h.bucket);
    const entry = await kv.get(leaseKey(alice.sub));
    expect(Object.keys((JSON.parse(Buffer.from(entry!.value).toString()) as { leases: object }).leases)).toHaveLength(full.users[0]!.live);
    await nc.close();

    await h.client.rpc(C.suspend, { id: second.id }, alice);
    expect((await h.client.rpc(C.usage, {}, alice)).users[0]).toMatchObject({ live: 1, memoryLimitBytes: parseQuantity('256Mi') });
    const third = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice);
    expect((await h.client.rpc(C.usage, {}, alice)).users[0]!.live).toBe(2);
    for (const id of [first.id, second.id, third.id]) await h.client.rpc(C.terminate, { id }, alice);
    expect((await h.client.rpc(C.usage, {}, alice)).users[0]!.live).toBe(0);
  });

  it("gives admins everyone's usage: limits for the roles given, unknown for users holding slots whose roles were not given", async () => {
    const bobs = await h.client.rpc(C.create, { appVersionId: 'hello-1' }, bob);
    const all = await h.client.rpc(
      C.usageList,
      {
        users: [
          { sub: vera.sub, roles: ['visitor'] },
          { sub: admin.sub, roles: ['admin'] },
        ],
      },
      admin,
    );
    expect(all.users.map((u) => [u.sub, u.name, u.live, u.limit])).toEqual([
      [admin.sub, null, 0, { max: null, setting: 'Scheduler.MaxInstancesAdmin', reason: 'admins' }],
      [bob.sub, 'bob', 1, null],
      [vera.sub, null, 0, { max: 1, setting: 'Scheduler.MaxInstancesVisitor', reason: 'visitors' }],
    ]);
    await h.client.rpc(C.terminate, { id: bobs.id }, bob);
  });

  it('refuses anyone but admins the list, and anonymous callers their own', async () => {
    expect(await refusal(h.client.rpc(C.usageList, { users: [] }, alice))).toEqual({ code: 'FORBIDDEN', message: "only admins see other users' usage" });
    expect(await refusal(h.client.rpc(C.usage, {}, null))).toEqual({ code: 'UNAUTHENTICATED', message: 'sign in to see your usage' });
    expect(await refusal(h.client.rpc(C.usageList, { users: [{ sub: '', roles: [] }] }, admin))).toMatchObject({ code: 'INVALID' });
  });
});
