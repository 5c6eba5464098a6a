import { Logger } from '@nestjs/common';
import {
  conflict,
  InstanceChangedEvent,
  isFullAccess,
  notFound,
  RepositoryContracts,
  verifyInternalToken,
  WharfError,
  type AppVersion,
  type Caller,
  type EventContract,
  type RequestContract,
} from '@wharf/contracts';
import type { RpcClient } from '@wharf/nats';
import type { InstanceDriver, LaunchPlan, Mutator, Observation, PlanFor, RecordChange } from '../drivers/instance-driver';
import type { LeaseStore } from '../leases/lease.store';
import { RuntimeCatalog } from '../runtimes/runtime.catalog';
import { loadSchedulerSettings } from '../scheduler.config';
import type { SecretRef, SecretStore } from '../secrets/secret.store';
import { idempotentInstanceId, type InstanceRecord } from './instance.record';
import { InstanceService } from './instance.service';

const SECRET = 'unit-test-secret-0123456789';
const alice: Caller = { sub: 'alice', name: 'Alice', roles: ['full-access'] };
const bob: Caller = { sub: 'bob', name: 'Bob', roles: ['full-access'] };
const vic: Caller = { sub: 'vic', name: 'Vic', roles: ['visitor'] };
const author: Caller = { sub: 'author', name: 'Author', roles: ['full-access'] };
const admin: Caller = { sub: 'root', name: 'Root', roles: ['admin'] };

const app: AppVersion = {
  id: 'av1',
  name: 'hello',
  version: '1.0.0',
  title: 'Hello',
  description: '',
  longDescription: null,
  categories: [],
  keywords: [],
  owner: { sub: 'author', name: 'Author' },
  visibility: 'ALL_USERS',
  tags: [],
  runtime: { module: 'hello.app', runtimeVersion: null, memoryLimit: '256Mi', memoryReservation: null, volumeMount: null, volumeSize: null, gpuCount: 0 },
  env: [
    { name: 'GREETING', value: 'hi' },
    { name: 'TOKEN', secret: 's', secretKey: 'k' },
  ],
  sha256: 'a'.repeat(64),
  size: 10,
  hasIcon: false,
  screenshotCount: 0,
  createdAt: '2026-01-01T00:00:00Z',
};

class FakeDriver implements InstanceDriver {
  readonly name = 'process' as const;
  readonly capabilities = { maxGpus: 0, memoryWarning: null };
  readonly records = new Map<string, InstanceRecord>();
  readonly plans: LaunchPlan[] = [];
  failCreate = false;
  observations: Observation[] = [];
  async init() {}
  async close() {}
  async ping() {
    return true;
  }
  async create(r: InstanceRecord, plan: PlanFor) {
    if (this.failCreate) throw new Error('spawn failed');
    if (this.records.has(r.id)) throw conflict(`instance id ${r.id} is taken`);
    this.plans.push(await plan(r));
    const after = { ...r, status: 'PROVISIONING' as const, address: '127.0.0.1:1' };
    this.records.set(r.id, after);
    return after;
  }
  async get(id: string) {
    return this.records.get(id) ?? null;
  }
  async list() {
    return [...this.records.values()];
  }
  async update(id: string, m: Mutator): Promise<RecordChange | null> {
    const before = this.records.get(id);
    if (!before) return null;
    const after = m(before) ?? before;
    this.records.set(id, after);
    return { before, after };
  }
  async start(id: string, m: Mutator, plan: PlanFor): Promise<RecordChange> {
    const before = this.records.get(id);
    if (!before) throw notFound(id);
    const next = m(before);
    if (!next) return { before, after: before };
    this.plans.push(await plan(next));
    this.records.set(id, next);
    return { before, after: next };
  }
  async stop(id: string, m: Mutator) {
    return (await this.update(id, m))!;
  }
  async terminate(id: string) {
    const r = this.records.get(id) ?? null;
    this.records.delete(id);
    return r;
  }
  async reconcile() {
    return this.observations.splice(0);
  }
  async readLogs() {
    return ['a line'];
  }
  async *followLogs() {}
}

class FakeLeases implements LeaseStore {
  readonly sets = new Map<string, Set<string>>();
  async init() {}
  async acquire(owner: string, id: string, max: number | null) {
    const s = this.sets.get(owner) ?? new Set<string>();
    this.sets.set(owner, s);
    if (s.has(id)) return { acquired: true, count: s.size };
    if (max !== null && s.size >= max) return { acquired: false, count: s.size };
    s.add(id);
    return { acquired: true, count: s.size };
  }
  async release(owner: string, id: string) {
    this.sets.get(owner)?.delete(id);
  }
  async reconcile() {
    return { dropped: 0, added: 0 };
  }
  async ping() {
    return true;
  }
  async close() {}
}

class FakeSecrets implements SecretStore {
  values: Record<string, Record<string, string>> = { s: { k: 'v' } };
  async put() {
    return { name: '', keys: [], grants: { apps: [], owners: [] }, updatedAt: '' };
  }
  async list() {
    return [];
  }
  async delete() {
    return true;
  }
  async resolve(refs: SecretRef[]) {
    const out: Record<string, string> = {};
    for (const r of refs) {
      const v = this.values[r.secret]?.[r.key];
      if (v === undefined) throw new WharfError('INVALID', `secret ${r.secret} missing`);
      out[r.env] = v;
    }
    return out;
  }
}

function setup(env: NodeJS.ProcessEnv = {}) {
  const settings = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: SECRET, WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '2', ...env });
  const driver = new FakeDriver();
  const leases = new FakeLeases();
  const secrets = new FakeSecrets();
  const calls: { subject: string; caller: Caller | null }[] = [];
  const events: unknown[] = [];
  /** Visitors the repository shows the app version to (a tag on it grants their role). */
  const granted = new Set<string>();
  const rpc = {
    rpc: async (c: RequestContract, body: { id: string }, caller: Caller | null) => {
      calls.push({ subject: c.subject, caller });
      if (c !== RepositoryContracts.get) throw new Error('unexpected');
      if (body.id !== app.id) throw notFound('no such app');
      if (caller && !isFullAccess(caller) && !granted.has(caller.sub)) throw notFound('no such app');
      // As the repository answers a visitor it shows the version to: with the tag that grants the role.
      return granted.has(caller?.sub ?? '') ? { ...app, tags: [{ name: 'demo', title: 'Demo', color: '#1f6feb', visitorRoles: ['visitor'] }] } : app;
    },
    emit: async (e: EventContract, payload: unknown) => {
      expect(e).toBe(InstanceChangedEvent);
      events.push(payload);
    },
  } as unknown as RpcClient;
  const catalog = new RuntimeCatalog(settings.scheduler.RuntimeVersions, 'python3');
  const service = new InstanceService(settings, driver, leases, secrets, catalog, rpc);
  return { service, driver, leases, secrets, calls, events, granted };
}

beforeAll(() => Logger.overrideLogger(false));

describe('InstanceService', () => {
  it('creates: asks the repository as the caller, takes a slot, starts with scoped tokens and resolved env', async () => {
    const { service, driver, leases, calls, events } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    expect(calls).toEqual([{ subject: 'repository.app.get.v1', caller: alice }]);
    expect(inst).toMatchObject({ status: 'PROVISIONING', appName: 'hello', runtime: 'python-3.11', owner: { sub: 'alice', name: 'Alice' } });
    expect(leases.sets.get('alice')).toEqual(new Set([inst.id]));
    const env = driver.plans[0]!.env;
    expect(env).toMatchObject({ WHARF_BUNDLE_URL: 'http://127.0.0.1:8082/internal/bundles/av1' });
    expect(driver.plans[0]!.appEnv).toEqual({ GREETING: 'hi', TOKEN: 'v' }); // the app's own, apart from the launcher's
    expect(verifyInternalToken(SECRET, env.WHARF_BUNDLE_TOKEN, 'bundle:read:av1')).toMatchObject({ caller: null });
    expect(verifyInternalToken(SECRET, env.WHARF_STATUS_TOKEN, `instance:status:${inst.id}:1`)).not.toBeNull();
    expect(JSON.stringify(driver.records.get(inst.id))).not.toContain('"v"');
    expect(events).toEqual([expect.objectContaining({ change: 'CREATED', previousStatus: null })]);
  });

  it('refuses over the limit, naming it, without starting anything', async () => {
    const { service, driver } = setup();
    await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const e = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' }).catch((x: WharfError) => x);
    expect(e).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/already have 2 running instances; full-access users may run at most 2/) });
    expect(driver.records.size).toBe(2);
  });

  it('gives the slot back when the driver cannot start, and refuses missing secrets before anything starts', async () => {
    const { service, driver, leases, secrets } = setup();
    driver.failCreate = true;
    await expect(service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' })).rejects.toThrow('spawn failed');
    expect(leases.sets.get('alice')?.size).toBe(0);
    driver.failCreate = false;
    secrets.values = {};
    await expect(service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' })).rejects.toMatchObject({ code: 'INVALID' });
    expect(leases.sets.get('alice')?.size ?? 0).toBe(0);
  });

  it('answers the same instance for a repeated idempotency key', async () => {
    const { service, driver } = setup();
    const a = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k1' });
    const b = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k1' });
    expect(b.id).toBe(a.id);
    expect(driver.records.size).toBe(1);
  });

  it('answers one instance to concurrent creates with one idempotency key (one slot, one start)', async () => {
    const { service, driver, leases } = setup();
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k2' })));
    expect(new Set(all.map((i) => i.id)).size).toBe(1);
    expect(driver.records.size).toBe(1);
    expect(leases.sets.get('alice')?.size).toBe(1);
    // another key, or another user with the same key, is another instance
    expect((await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k3' })).id).not.toBe(all[0]!.id);
    expect((await service.create(bob, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k2' })).id).not.toBe(all[0]!.id);
  });

  it('applies launcher reports of the current generation only; FAILED frees the slot', async () => {
    const { service, leases, events } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await expect(service.reportStatus(inst.id, { generation: 7, status: 'RUNNING', reason: null })).rejects.toMatchObject({ code: 'CONFLICT' });
    await service.reportStatus(inst.id, { generation: 1, status: 'RUNNING', reason: null });
    await service.reportStatus(inst.id, { generation: 1, status: 'RUNNING', reason: null }); // duplicate: no event
    await service.reportStatus(inst.id, { generation: 1, status: 'FAILED', reason: 'boom' });
    expect((await service.get(alice, inst.id)).status).toBe('FAILED');
    expect(leases.sets.get('alice')?.has(inst.id)).toBe(false);
    expect(events.map((e) => (e as { instance: { status: string } }).instance.status)).toEqual(['PROVISIONING', 'RUNNING', 'FAILED']);
    await expect(service.reportStatus('zzzzzzzzzz', { generation: 1, status: 'RUNNING', reason: null })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('hides instances from strangers and lets only owners manage them', async () => {
    const { service } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await expect(service.get(bob, inst.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.get(null, inst.id)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await service.logs(author, inst.id, 10)).lines).toEqual(['a line']);
    await expect(service.suspend(author, inst.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('starts launches a dead scheduler left unstarted, with a new generation', async () => {
    const { service, driver } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const r = { ...driver.records.get(inst.id)!, status: 'QUEUED' as const };
    driver.records.set(inst.id, r);
    driver.observations = [{ kind: 'unstarted', record: r }];
    await service.reconcile();
    expect(driver.records.get(inst.id)).toMatchObject({ generation: 2, status: 'PROVISIONING' });
    expect(verifyInternalToken(SECRET, driver.plans[1]!.env.WHARF_STATUS_TOKEN, `instance:status:${inst.id}:2`)).not.toBeNull();
  });

  it('pages lists newest first with an opaque cursor', async () => {
    const { service, driver } = setup({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '0' });
    for (let i = 0; i < 5; i++) await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    let t = 0;
    for (const r of driver.records.values()) driver.records.set(r.id, { ...r, createdAt: `2026-01-01T00:00:0${t++}Z` });
    const p1 = await service.list(alice, { scope: 'mine', limit: 2 });
    const p2 = await service.list(alice, { scope: 'mine', limit: 2, cursor: p1.nextCursor! });
    const p3 = await service.list(alice, { scope: 'mine', limit: 2, cursor: p2.nextCursor! });
    const all = [...p1.items, ...p2.items, ...p3.items].map((i) => i.createdAt);
    expect(all).toEqual([...all].sort().reverse());
    expect(new Set(all).size).toBe(5);
    expect(p3.nextCursor).toBeNull();
    await expect(service.list(alice, { scope: 'mine', limit: 2, cursor: 'garbage' })).rejects.toMatchObject({ code: 'INVALID' });
  });

  it("never answers another user's instance to an idempotency key (an id collision), and leaves nothing behind", async () => {
    const { service, driver, leases } = setup();
    const taken = await service.create(bob, { appVersionId: 'av1', visibility: 'PRIVATE' });
    // alice's key derives to the id bob's instance already has
    const id = idempotentInstanceId('alice', 'k-collide');
    const record = driver.records.get(taken.id)!;
    driver.records.delete(taken.id);
    driver.records.set(id, { ...record, id });
    const e = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k-collide' }).catch((x: WharfError) => x);
    expect(e).toMatchObject({ code: 'CONFLICT' });
    expect((e as Error).message).not.toMatch(/bob|hello|av1/i);
    expect((e as Error).message).not.toContain(id);
    expect(leases.sets.get('alice')?.size ?? 0).toBe(0);
    expect(driver.records.get(id)!.owner.sub).toBe('bob');
  });

  it("refuses another user's instance that wins the create race for the same id (and gives the slot back)", async () => {
    const { service, driver, leases } = setup();
    const id = idempotentInstanceId('alice', 'k-race');
    const bobs = await service.create(bob, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const theirs = { ...driver.records.get(bobs.id)!, id };
    // bob's record appears between alice's lookup and her create
    const create = driver.create.bind(driver);
    driver.create = async (r, plan) => {
      driver.records.set(id, theirs);
      return create(r, plan);
    };
    await expect(service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k-race' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(leases.sets.get('alice')?.size ?? 0).toBe(0);
    expect(driver.records.get(id)!.owner.sub).toBe('bob');
  });

  it('answers a visitor whom a tag admits to an ALL_USERS instance (as the router lets them in), others not', async () => {
    const { service, granted } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'ALL_USERS' });
    await expect(service.get(vic, inst.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    granted.add('vic');
    expect(await service.get(vic, inst.id)).toMatchObject({ id: inst.id });
    await expect(service.logs(vic, inst.id, 10)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.suspend(vic, inst.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await service.setVisibility(alice, inst.id, 'PRIVATE');
    await expect(service.get(vic, inst.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('treats PUBLIC as ALL_USERS unless the platform allows PUBLIC instances', async () => {
    const off = setup();
    const a = await off.service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    off.driver.records.set(a.id, { ...off.driver.records.get(a.id)!, visibility: 'PUBLIC' }); // made PUBLIC before it was turned off
    await expect(off.service.get(vic, a.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const on = setup({ WHARF_SCHEDULER_ALLOW_PUBLIC_INSTANCES: 'true' });
    const b = await on.service.create(alice, { appVersionId: 'av1', visibility: 'PUBLIC' });
    expect(await on.service.get(vic, b.id)).toMatchObject({ id: b.id });
  });

  it('shows the status reason (the last log lines) only to those who read logs, and never the address', async () => {
    const { service, granted } = setup();
    granted.add('vic');
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'ALL_USERS' });
    await service.reportStatus(inst.id, { generation: 1, status: 'FAILED', reason: 'exited 1\nTraceback: API_KEY=abc' });
    for (const c of [alice, author, admin]) expect((await service.get(c, inst.id)).statusReason).toContain('Traceback');
    for (const c of [bob, vic]) {
      const seen = await service.get(c, inst.id);
      expect(seen).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/stopped with an error/) });
      expect(JSON.stringify(seen)).not.toContain('Traceback');
    }
    expect(await service.get(alice, inst.id)).not.toHaveProperty('address');
    expect((await service.list(alice, { scope: 'mine', limit: 10 })).items[0]).not.toHaveProperty('address');
    const { instances } = await service.route([inst.id]);
    expect(instances[0]).toHaveProperty('address');
    expect(instances[0]!.statusReason).toContain('Traceback');
  });
});
