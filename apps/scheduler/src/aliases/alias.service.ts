import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  AliasChangedEvent,
  conflict,
  decodeCursor,
  encodeCursor,
  forbidden,
  invalid,
  isAdmin,
  MAX_ALIASES,
  notFound,
  unauthenticated,
  type Alias,
  type AliasContracts,
  type AliasRoute,
  type Caller,
  type ParsedRequestOf,
} from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { INSTANCE_DRIVER, type InstanceDriver } from '../drivers/instance-driver';
import { InstanceChanges } from '../instances/instance.changes';
import { instanceUrl, routingModeOf, type InstanceAliases } from '../instances/instance.record';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from '../scheduler.config';
import { ALIAS_STORE, type AliasTable, type KvAliasStore, type StoredAlias } from './kv-alias.store';

type Who = { sub: string; name: string };

function requireAdmin(c: Caller | null): Who {
  if (!c) throw unauthenticated('sign in as an admin to manage aliases');
  if (!isAdmin(c)) throw forbidden('only admins manage aliases');
  return { sub: c.sub, name: c.name };
}

const unknownAlias = (name: string) => notFound(`alias "${name}" not found; create it first (POST /api/v1/aliases, wharf admin alias create ${name})`);

/** Makes `name` the primary alias of its instance; the instance's previous primary becomes a normal alias. Returns the names touched. */
function makePrimary(t: AliasTable, name: string, seq: number, who: Who, now: string): string[] {
  const a = t.aliases[name]!;
  const touched: string[] = [];
  for (const other of Object.keys(t.aliases)) {
    const o = t.aliases[other]!;
    if (other !== name && o.primary && o.instanceId === a.instanceId) {
      Object.assign(o, { primary: false, seq, updatedBy: who, updatedAt: now });
      touched.push(other);
    }
  }
  if (!a.primary) {
    Object.assign(a, { primary: true, seq, updatedBy: who, updatedAt: now });
    touched.push(name);
  }
  return touched;
}

/**
 * Aliases (admins): names `<alias>.<AppsDomain>` that serve an instance. The table lives in the
 * alias bucket (KvAliasStore); every change is one compare-and-set, then `events.alias.changed.v1`
 * (the routers apply it at once) and `events.instance.changed/updated.v1` for the instances whose
 * aliases changed (their `aliases`, `primaryAlias` and `url`).
 */
@Injectable()
export class AliasService implements OnApplicationShutdown {
  private readonly log = new Logger('Aliases');

  constructor(
    @Inject(SCHEDULER_SETTINGS) private readonly settings: SchedulerSettings,
    @Inject(ALIAS_STORE) private readonly store: KvAliasStore,
    @Inject(INSTANCE_DRIVER) private readonly driver: InstanceDriver,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(InstanceChanges) private readonly changes: InstanceChanges,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** An instance's aliases as this replica last saw them (memory, kept current by a KV watch). */
  of(instanceId: string): InstanceAliases {
    return this.store.of(instanceId);
  }

  private wire(name: string, a: StoredAlias): Alias {
    return {
      name,
      url: instanceUrl(name, this.settings.scheduler),
      instanceId: a.instanceId,
      primary: a.primary,
      createdBy: a.createdBy,
      createdAt: a.createdAt,
      updatedBy: a.updatedBy,
      updatedAt: a.updatedAt,
    };
  }

  /** An instance an alias may point at: it exists and is not terminated. */
  private async target(instanceId: string): Promise<void> {
    const r = await this.driver.get(instanceId);
    if (!r) throw notFound(`instance ${instanceId} not found; name an instance from GET /api/v1/instances?scope=all`);
    if (r.status === 'TERMINATED') throw conflict(`instance ${instanceId} is terminated; point the alias at a live instance`);
    if (routingModeOf(r) === 'BASE_URL') {
      throw conflict(
        `instance ${instanceId} is served in BASE_URL mode (under /instance/${instanceId}/ on the apps domain): an alias is a host name of its own and serves DOMAIN instances only; point it at a DOMAIN instance`,
      );
    }
  }

  async list(caller: Caller | null, q: ParsedRequestOf<typeof AliasContracts.list>): Promise<{ items: Alias[]; nextCursor: string | null }> {
    requireAdmin(caller);
    const t = await this.store.read();
    const after = decodeCursor(q.cursor, 1)?.[0];
    const names = Object.keys(t.aliases)
      .sort()
      .filter((n) => after === undefined || n > after);
    const items = names.slice(0, q.limit).map((n) => this.wire(n, t.aliases[n]!));
    return { items, nextCursor: names.length > q.limit ? encodeCursor([items[items.length - 1]!.name]) : null };
  }

  async create(caller: Caller | null, body: ParsedRequestOf<typeof AliasContracts.create>): Promise<Alias> {
    const who = requireAdmin(caller);
    const instanceId = body.instanceId ?? null;
    if (body.primary && !instanceId) throw invalid('primary needs an instanceId: an unassigned alias cannot be the primary of anything');
    if (instanceId) await this.target(instanceId);
    const now = new Date().toISOString();
    const { result: touched, table } = await this.store.modify((t, seq) => {
      const existing = t.aliases[body.name];
      if (existing) {
        throw conflict(`alias "${body.name}" already exists (${existing.instanceId ? `serving ${existing.instanceId}` : 'unassigned'}); move it with PUT /api/v1/aliases/${body.name} or choose another name`);
      }
      if (Object.keys(t.aliases).length >= MAX_ALIASES) throw conflict(`there are ${MAX_ALIASES} aliases already, the most a platform keeps; delete unused ones first`);
      t.aliases[body.name] = { instanceId, primary: false, createdBy: who, createdAt: now, updatedBy: who, updatedAt: now, seq };
      const more = body.primary ? makePrimary(t, body.name, seq, who, now) : [];
      return { write: true, result: [body.name, ...more] };
    });
    await this.announce(table, touched, [], [instanceId]);
    return this.wire(body.name, table.aliases[body.name]!);
  }

  async assign(caller: Caller | null, body: ParsedRequestOf<typeof AliasContracts.assign>): Promise<Alias> {
    const who = requireAdmin(caller);
    if (body.primary && !body.instanceId) throw invalid('primary needs an instanceId: an unassigned alias cannot be the primary of anything');
    if (body.instanceId) await this.target(body.instanceId);
    const now = new Date().toISOString();
    const { result, table } = await this.store.modify((t, seq) => {
      const a = t.aliases[body.name];
      if (!a) throw unknownAlias(body.name);
      const before = a.instanceId;
      // a primary alias stays primary on its new instance (blue/green) unless told otherwise
      const primary = body.instanceId ? (body.primary ?? a.primary) : false;
      if (before === body.instanceId && primary === a.primary) return { write: false, result: { touched: [] as string[], before } };
      Object.assign(a, { instanceId: body.instanceId, primary: false, seq, updatedBy: who, updatedAt: now });
      const more = primary ? makePrimary(t, body.name, seq, who, now) : [];
      return { write: true, result: { touched: [body.name, ...more], before } };
    });
    if (result.touched.length) {
      this.log.log(`alias ${body.name}: ${result.before ?? 'unassigned'} → ${body.instanceId ?? 'unassigned'} by ${who.name}`);
      await this.announce(table, [...new Set(result.touched)], [], [result.before, body.instanceId]);
    }
    return this.wire(body.name, table.aliases[body.name]!);
  }

  async promote(caller: Caller | null, name: string): Promise<Alias> {
    const who = requireAdmin(caller);
    const now = new Date().toISOString();
    const { result, table } = await this.store.modify((t, seq) => {
      const a = t.aliases[name];
      if (!a) throw unknownAlias(name);
      if (!a.instanceId) throw conflict(`alias "${name}" is not assigned to an instance; assign it first (PUT /api/v1/aliases/${name} with an instanceId)`);
      const touched = makePrimary(t, name, seq, who, now);
      return { write: touched.length > 0, result: { touched, instanceId: a.instanceId } };
    });
    if (result.touched.length) await this.announce(table, result.touched, [], [result.instanceId]);
    return this.wire(name, table.aliases[name]!);
  }

  async delete(caller: Caller | null, name: string): Promise<{ name: string; deleted: true }> {
    requireAdmin(caller);
    const { result, table } = await this.store.modify((t) => {
      const a = t.aliases[name];
      if (!a) throw unknownAlias(name);
      delete t.aliases[name];
      return { write: true, result: a.instanceId };
    });
    await this.announce(table, [], [name], [result]);
    return { name, deleted: true };
  }

  /** The routers' lookup (and the gateway's ticket check): no caller check, no users' names. */
  async route(names?: string[]): Promise<{ seq: number; aliases: AliasRoute[] }> {
    const t = await this.store.read();
    const wanted = names ?? Object.keys(t.aliases);
    const aliases: AliasRoute[] = [];
    for (const name of wanted) {
      const a = Object.hasOwn(t.aliases, name) ? t.aliases[name] : undefined;
      if (a) aliases.push({ name, instanceId: a.instanceId, primary: a.primary, seq: a.seq });
    }
    return { seq: t.seq, aliases };
  }

  /** An instance was terminated: its aliases point at nothing (404) until an admin moves them. */
  async unassignInstance(instanceId: string, by: Who): Promise<void> {
    const now = new Date().toISOString();
    const { result: touched, table } = await this.store.modify((t, seq) => {
      const names = Object.keys(t.aliases).filter((n) => t.aliases[n]!.instanceId === instanceId);
      for (const n of names) Object.assign(t.aliases[n]!, { instanceId: null, primary: false, seq, updatedBy: by, updatedAt: now });
      return { write: names.length > 0, result: names };
    });
    if (touched.length) {
      this.log.log(`instance ${instanceId} terminated: aliases ${touched.join(', ')} unassigned`);
      await this.announce(table, touched, [], []);
    }
  }

  /** Tells the routers (alias event) and the instances' watchers (their aliases changed). */
  private async announce(t: AliasTable, touched: string[], deleted: string[], instanceIds: (string | null)[]): Promise<void> {
    const aliases = touched.map((name) => ({ name, instanceId: t.aliases[name]!.instanceId, primary: t.aliases[name]!.primary, seq: t.aliases[name]!.seq }));
    await this.rpc.emit(AliasChangedEvent, { seq: t.seq, aliases, deleted, at: new Date().toISOString() });
    const ids = new Set<string>();
    for (const id of instanceIds) if (id) ids.add(id);
    for (const a of aliases) if (a.instanceId) ids.add(a.instanceId);
    for (const id of ids) {
      const r = await this.driver.get(id).catch(() => null);
      if (r && r.status !== 'TERMINATED') await this.changes.publish(r, 'ALIASES', r.status);
    }
  }
}
