import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerContracts, unavailable, type RoutedInstance } from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { lookup } from '../common/lookup';
import { InstanceNetworks } from '../proxy/hosts';
import { ROUTER_SETTINGS, type RouterSettings } from '../router.config';

/** Where requests for an instance go: null while nothing listens (queued, suspended, failed). */
export interface Upstream {
  protocol: 'http:';
  host: string;
  port: number;
  /** `http://host:port` (brackets around an IPv6 address): the key of the app's connection pool. */
  origin: string;
}

export interface Entry {
  /** null: no such instance (or terminated). */
  instance: RoutedInstance | null;
  upstream: Upstream | null;
  /** The record names an address outside Router.InstanceNetworks: nothing is proxied (502). */
  outside: boolean;
  fetchedAt: number;
  usedAt: number;
}

/** Unknown hosts are asked about again after this (a burst of requests for a typo costs one lookup). */
const NEGATIVE_TTL_MS = 1000;
/** Entries nobody asked for in this long are dropped at the next resync. */
const IDLE_DROP_MS = 10 * 60_000;
const CHUNK = 500;
/** Lookups in flight at once; past it a miss is answered 503 (a flood of made-up hosts cannot flood the scheduler). */
const MAX_PENDING = 256;

/** `host:port` (or `[v6]:port`) → where to connect; null when there is no address or it is malformed. */
export function upstreamOf(instance: RoutedInstance | null): Upstream | null {
  if (!instance?.address) return null;
  const i = instance.address.lastIndexOf(':');
  const port = Number(instance.address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  const host = instance.address.slice(0, i);
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return { protocol: 'http:', host: bare, port, origin: `http://${bare.includes(':') ? `[${bare}]` : bare}:${port}` };
}

/**
 * The router's in-memory view of instances, by id. Filled by one scheduler lookup per host, kept
 * current by `events.instance.changed.v1` (every replica hears every event) and by a periodic
 * resync that covers lost events. No state is shared between router replicas beyond NATS.
 */
@Injectable()
export class InstanceDirectory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('InstanceDirectory');
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  private readonly watchers = new Set<(id: string, before: RoutedInstance | null, after: RoutedInstance | null) => void>();
  private timer?: NodeJS.Timeout;
  private readonly networks: InstanceNetworks;

  constructor(
    private readonly rpc: RpcClient,
    @Inject(ROUTER_SETTINGS) private readonly settings: RouterSettings,
  ) {
    this.networks = new InstanceNetworks(settings.router.InstanceNetworks);
  }

  /** Where requests for `instance` go: only an address in Router.InstanceNetworks (the driver's), never any other host. */
  upstreamFor(instance: RoutedInstance | null): { upstream: Upstream | null; outside: boolean } {
    const upstream = upstreamOf(instance);
    if (!upstream || this.networks.contains(upstream.host)) return { upstream, outside: false };
    return { upstream: null, outside: true };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.resync().catch((e: Error) => this.log.warn(`resync failed: ${e.message}`)), this.settings.router.ResyncSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Called with every change of a known instance (the live-connection registry re-checks access). */
  watch(fn: (id: string, before: RoutedInstance | null, after: RoutedInstance | null) => void): void {
    this.watchers.add(fn);
  }

  /** The cached entry, if current: the hot path, no I/O. */
  peek(id: string, now = Date.now()): Entry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.instance === null && now - e.fetchedAt > NEGATIVE_TTL_MS) return undefined;
    e.usedAt = now;
    return e;
  }

  /** The entry for `id`, asking the scheduler when it is not cached. Throws UNAVAILABLE when NATS is down. */
  lookup(id: string): Entry | Promise<Entry> {
    return this.peek(id) ?? this.fetch(id);
  }

  /** Asks the scheduler for `id` now (after a change this router made itself, before its event arrives). */
  async reload(id: string): Promise<void> {
    await this.load([id]);
  }

  private fetch(id: string): Promise<Entry> {
    let p = this.pending.get(id);
    if (!p) {
      if (this.pending.size >= MAX_PENDING) return Promise.reject(unavailable('too many instance lookups in flight; try again'));
      p = this.load([id])
        .then(() => this.entries.get(id)!)
        .finally(() => this.pending.delete(id));
      this.pending.set(id, p);
    }
    return p;
  }

  private async load(ids: string[]): Promise<void> {
    const { instances } = await lookup(this.rpc, SchedulerContracts.route, { ids }, null, this.settings.router.LookupTimeoutMs);
    const found = new Map(instances.map((i) => [i.id, i]));
    for (const id of ids) this.set(id, found.get(id) ?? null);
  }

  /** From `events.instance.changed.v1`. */
  apply(instance: RoutedInstance): void {
    this.set(instance.id, instance.status === 'TERMINATED' ? null : instance);
  }

  private set(id: string, instance: RoutedInstance | null): void {
    const now = Date.now();
    const before = this.entries.get(id);
    const { upstream, outside } = this.upstreamFor(instance);
    if (outside && before?.instance?.address !== instance!.address) {
      this.log.warn(`instance ${id}: address ${instance!.address} is outside Router.InstanceNetworks (${this.settings.router.InstanceNetworks.join(', ')}); not proxying to it`);
    }
    this.entries.set(id, { instance, upstream, outside, fetchedAt: now, usedAt: before?.usedAt ?? now });
    if (before && changed(before.instance, instance)) for (const w of this.watchers) w(id, before.instance, instance);
  }

  /** Refreshes every cached instance (in chunks), drops entries nobody used for a while. */
  async resync(): Promise<void> {
    const now = Date.now();
    for (const [id, e] of this.entries) if (now - e.usedAt > IDLE_DROP_MS) this.entries.delete(id);
    const ids = [...this.entries.keys()];
    for (let i = 0; i < ids.length; i += CHUNK) await this.load(ids.slice(i, i + CHUNK));
  }

  size(): number {
    return this.entries.size;
  }
}

function changed(a: RoutedInstance | null, b: RoutedInstance | null): boolean {
  if (!a || !b) return a !== b;
  return a.status !== b.status || a.visibility !== b.visibility || a.address !== b.address || a.owner.sub !== b.owner.sub || a.appVersionId !== b.appVersionId;
}
