/* Test support: the scheduler's instance logic over memory fakes (not part of the build). */
import { Module, type DynamicModule } from '@nestjs/common';
import {
  conflict,
  InstanceChangedEvent,
  InstanceUpdatedEvent,
  isFullAccess,
  notFound,
  RepositoryContracts,
  WharfError,
  type AppVersion,
  type Caller,
  type EventContract,
  type RequestContract,
} from '@wharf/contracts';
import { NatsModule, type RpcClient } from '@wharf/nats';
import { INSTANCE_DRIVER, type InstanceDriver, type LaunchPlan, type Mutator, type Observation, type PlanFor, type RecordChange } from '../drivers/instance-driver';
import { LEASE_STORE, type LeaseStore } from '../leases/lease.store';
import { RuntimeCatalog } from '../runtimes/runtime.catalog';
import { loadSchedulerSettings, SCHEDULER_SETTINGS, type SchedulerSettings } from '../scheduler.config';
import { SECRET_STORE, type SecretRef, type SecretStore } from '../secrets/secret.store';
import type { InstanceRecord } from '../instances/instance.record';
import { InstanceChanges } from '../instances/instance.changes';
import { InstanceHandlers } from '../instances/instance.handlers';
import { InstanceService } from '../instances/instance.service';
import { InstanceSupervisor } from '../instances/instance.supervisor';
import { CLOCK, systemClock, type Clock } from '../common/clock';

export const SECRET = 'unit-test-secret-0123456789';
export const alice: Caller = { sub: 'alice', name: 'Alice', roles: ['full-access'] };
export const bob: Caller = { sub: 'bob', name: 'Bob', roles: ['full-access'] };
export const vic: Caller = { sub: 'vic', name: 'Vic', roles: ['visitor'] };
export const author: Caller = { sub: 'author', name: 'Author', roles: ['full-access'] };
export const admin: Caller = { sub: 'root', name: 'Root', roles: ['admin'] };

export const app: AppVersion = {
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
  runtime: { module: 'hello.app', runtimeVersion: null, memoryLimit: '256Mi', memoryReservation: null, volumeMount: null, volumeSize: null, gpuCount: 0, gpuType: null, instanceTimeoutMinutes: null, lifecycle: 'ON_DEMAND', linkAddress: null, routingMode: null },
  env: [
    { name: 'GREETING', value: 'hi' },
    { name: 'TOKEN', secret: 's', secretKey: 'k' },
  ],
  files: [],
  sha256: 'a'.repeat(64),
  size: 10,
  hasIcon: false,
  screenshotCount: 0,
  createdAt: '2026-01-01T00:00:00Z',
};

/**
 * A clock the spec moves: starts at the system's time, `advance` passes minutes at once. Frozen,
 * it stands still between advances (a spec comparing its now() with the code's gets equal times).
 */
export class FakeClock implements Clock {
  private offsetMs = 0;
  private readonly frozenAt: number | null;
  constructor(opts: { frozen?: boolean } = {}) {
    this.frozenAt = opts.frozen ? Date.now() : null;
  }
  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A memory driver: records in a map, plans kept, observations handed out by `reconcile`. */
export class MemoryDriver implements InstanceDriver {
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

export class MemoryLeases implements LeaseStore {
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
  async held(owner?: string) {
    return new Map([...this.sets].filter(([o, s]) => s.size > 0 && (owner === undefined || o === owner)).map(([o, s]) => [o, [...s].sort()]));
  }
  /** The live sets and grace of the last reconcile. */
  reconciled: { live: Map<string, Set<string>>; graceMs: number } | null = null;
  async reconcile(live: Map<string, Set<string>>, graceMs: number) {
    this.reconciled = { live, graceMs };
    return { dropped: 0, added: 0 };
  }
  async ping() {
    return true;
  }
  async close() {}
}

export class MemorySecrets implements SecretStore {
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

/** An InstanceService and an InstanceSupervisor over memory fakes, with a repository that answers `app`. */
export function setupInstances(env: NodeJS.ProcessEnv = {}) {
  const settings = loadSchedulerSettings({ WHARF_PLATFORM_INTERNAL_SECRET: SECRET, WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '2', ...env });
  const driver = new MemoryDriver();
  const leases = new MemoryLeases();
  const secrets = new MemorySecrets();
  const calls: { subject: string; caller: Caller | null }[] = [];
  const events: unknown[] = [];
  /** events.instance.updated.v1 as published (each checked against the events.instance.changed.v1 before it). */
  const updates: unknown[] = [];
  /** Visitors the repository shows the app version to (a tag on it grants their role). */
  const granted = new Set<string>();
  /** The app versions the repository answers (`app`, and whatever a spec adds). */
  const apps = new Map<string, AppVersion>([[app.id, app]]);
  const rpc = {
    rpc: async (c: RequestContract, body: { id: string }, caller: Caller | null) => {
      calls.push({ subject: c.subject, caller });
      if (c !== RepositoryContracts.get) throw new Error('unexpected');
      const found = apps.get(body.id);
      if (!found) throw notFound('no such app');
      if (caller && !isFullAccess(caller) && !granted.has(caller.sub)) throw notFound('no such app');
      // As the repository answers a visitor it shows the version to: with the tag that grants the role.
      return granted.has(caller?.sub ?? '') ? { ...found, tags: [{ name: 'demo', title: 'Demo', color: '#1f6feb', visitorRoles: ['visitor'] }] } : found;
    },
    emit: async (e: EventContract, payload: unknown) => {
      if (e === InstanceUpdatedEvent) {
        // every change goes out twice: to the routers with the address, then to the gateway without it
        type Sent = { instance: { id: string; address?: unknown }; change: string; at: string };
        const u = payload as Sent;
        // its pair: the same change published just before (concurrent changes of one instance may
        // interleave within the same millisecond, so any of those may be it)
        const pairs = (events as Sent[]).filter((c) => c.instance.id === u.instance.id && c.change === u.change && c.at === u.at);
        const withoutAddress = pairs.map(({ instance: { address: _address, ...rest }, ...c }) => ({ ...c, instance: rest }));
        expect(withoutAddress).toContainEqual(payload);
        expect(Object.keys((payload as { instance: object }).instance)).not.toContain('address');
        updates.push(payload);
        return;
      }
      expect(e).toBe(InstanceChangedEvent);
      events.push(payload);
    },
  } as unknown as RpcClient;
  const catalog = new RuntimeCatalog(settings.scheduler.RuntimeVersions, 'python3');
  const changes = new InstanceChanges(settings, leases, rpc);
  const service = new InstanceService(settings, driver, leases, secrets, catalog, rpc, changes);
  const clock = new FakeClock({ frozen: true });
  const supervisor = new InstanceSupervisor(service, changes, driver, leases, settings, clock);
  return { service, supervisor, driver, leases, secrets, calls, events, updates, granted, clock, apps };
}

/**
 * The scheduler's instance subjects over NATS with the memory driver, leases and secrets: the real
 * handlers, service and supervisor, no processes (for specs of other services that need a scheduler).
 */
@Module({})
export class MemorySchedulerModule {
  static forRoot(settings: SchedulerSettings): DynamicModule {
    return {
      module: MemorySchedulerModule,
      imports: [NatsModule.forService('scheduler', settings.platform)],
      controllers: [InstanceHandlers],
      providers: [
        { provide: SCHEDULER_SETTINGS, useValue: settings },
        { provide: CLOCK, useValue: systemClock },
        { provide: RuntimeCatalog, useValue: new RuntimeCatalog(settings.scheduler.RuntimeVersions, settings.scheduler.ProcessPython) },
        { provide: INSTANCE_DRIVER, useValue: new MemoryDriver() },
        { provide: LEASE_STORE, useValue: new MemoryLeases() },
        { provide: SECRET_STORE, useValue: new MemorySecrets() },
        InstanceChanges,
        InstanceService,
        InstanceSupervisor,
      ],
    };
  }
}
