import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchedulerContracts as C, WharfError } from '@wharf/contracts';
import { connect } from 'nats';
import { buildExample } from '../../../examples/build';
import { InstanceService } from './instances/instance.service';
import { leaseKey } from './leases/lease.store';
import { alice, ensureBuilt, launcherPids, startHarness, waitFor, type Harness, type Replica } from './test-support/harness';

jest.setTimeout(90_000);

/** Instances whose launcher runs: local launcher processes, or pods of the fake cluster. */
function launchers(h: Harness): number {
  if (!h.cluster) return launcherPids(h.dataDir).length;
  return h.cluster.kube.list('pods', h.cluster.namespace).filter((p) => !p.metadata.deletionTimestamp).length;
}

describe.each(['process', 'kubernetes'] as const)('limits with two replicas, %s driver', (driver) => {
let h: Harness;
let a: Replica;
let b: Replica;
let zipDir: string;

beforeAll(async () => {
  ensureBuilt();
  zipDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-examples-'));
  const zip = await buildExample('hello', zipDir);
  h = await startHarness({ driver });
  await h.addApp('hello-1', zip);
  a = await h.startReplica({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '10' });
  b = await h.startReplica({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '10' });
}, 60_000);

afterAll(async () => {
  await h?.close();
  if (zipDir) rmSync(zipDir, { recursive: true, force: true });
});

it('answers one instance to 8 simultaneous creates with one idempotency key across two replicas', async () => {
  const results = await Promise.all(Array.from({ length: 8 }, () => h.client.rpc(C.create, { appVersionId: 'hello-1', idempotencyKey: 'retry-1' }, alice)));
  expect(new Set(results.map((r) => r.id)).size).toBe(1);
  const mine = await h.client.rpc(C.list, { limit: 50 }, alice);
  expect(mine.items.map((i) => i.id)).toEqual([results[0]!.id]);
  await waitFor('one launcher', async () => launchers(h), (n) => n === 1, 10_000);
  await h.client.rpc(C.terminate, { id: results[0]!.id }, alice);
  await waitFor('no launchers', async () => launchers(h), (n) => n === 0, 10_000);
});

it('gives exactly 10 of 20 simultaneous launches by one user across two replicas (JetStream KV compare-and-set)', async () => {
  const served = [jest.spyOn(a.app.get(InstanceService), 'create'), jest.spyOn(b.app.get(InstanceService), 'create')];
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => h.client.rpc(C.create, { appVersionId: 'hello-1' }, alice)));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as WharfError] : []));
  expect(ok).toHaveLength(10);
  expect(refused).toHaveLength(10);
  for (const e of refused) {
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/you already have 10 running instances; full-access users may run at most 10/);
  }
  // Both replicas took part.
  expect(served[0]!.mock.calls.length).toBeGreaterThan(0);
  expect(served[1]!.mock.calls.length).toBeGreaterThan(0);
  expect(served[0]!.mock.calls.length + served[1]!.mock.calls.length).toBe(20);

  const mine = await h.client.rpc(C.list, { limit: 50 }, alice);
  expect(mine.items).toHaveLength(10);
  expect((await h.client.rpc(C.countInstances, { appVersionId: 'hello-1' }, null)).count).toBe(10);
  const nc = await connect({ servers: h.nats.url });
  const kv = await nc.jetstream().views.kv(h.bucket);
  const entry = await kv.get(leaseKey(alice.sub));
  // One line per instance, with its status and whether its lease is held, so that a failure says
  // which launch lost its lease and why.
  const leases = Object.keys((JSON.parse(Buffer.from(entry!.value).toString()) as { leases: object }).leases);
  const line = (i: (typeof mine.items)[number], held: boolean) => `${i.id} ${i.status} ${i.statusReason ?? ''}: ${held ? 'lease held' : 'NO LEASE'}`;
  expect(mine.items.map((i) => line(i, leases.includes(i.id)))).toEqual(mine.items.map((i) => line(i, true)));
  expect(leases.sort()).toEqual(mine.items.map((i) => i.id).sort());

  // Each one is real and has its own launcher.
  await waitFor('10 launchers', async () => launchers(h), (n) => n >= 10, 15_000);
  await Promise.all(mine.items.map((i) => h.client.rpc(C.terminate, { id: i.id }, alice)));
  const after = await kv.get(leaseKey(alice.sub));
  expect((JSON.parse(Buffer.from(after!.value).toString()) as { leases: object }).leases).toEqual({});
  await kv.destroy();
  await nc.close();
  await waitFor('no launchers', async () => launchers(h), (n) => n === 0, 10_000);
});
});
