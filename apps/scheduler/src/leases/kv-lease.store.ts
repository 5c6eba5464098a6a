import { Logger } from '@nestjs/common';
import { unavailable } from '@wharf/contracts';
import { connect, type ConnectionOptions, type KV, type KvEntry, type NatsConnection } from 'nats';
import { leaseKey, ownerOfKey, parseLeaseSet, type LeaseSet, type LeaseStore } from './lease.store';

const WRONG_LAST_SEQUENCE = 10071;

function isConflict(e: unknown): boolean {
  const err = e as { api_error?: { err_code?: number }; message?: string };
  return err?.api_error?.err_code === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test(err?.message ?? '');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Leases in a NATS JetStream KV bucket: one key per user holding `{ leases: { id: takenAt } }`,
 * changed only with revision-checked `update` (or `create` for a new key). A lost race re-reads
 * and tries again, so concurrent launches by one user through any number of replicas see every
 * other launch's lease before deciding.
 */
export class KvLeaseStore implements LeaseStore {
  private readonly log = new Logger('Leases');
  private nc: NatsConnection | null = null;
  private kv: KV | null = null;

  constructor(
    /** servers, and the scheduler's NATS user and reply inbox (natsConnectionOptions) */
    private readonly connection: Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'inboxPrefix'>,
    private readonly bucket: string,
  ) {}

  async init(): Promise<void> {
    this.nc = await connect({
      ...this.connection,
      name: 'scheduler-leases',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
    });
    this.kv = await this.nc.jetstream().views.kv(this.bucket, { history: 1 });
  }

  private store(): KV {
    if (!this.kv) throw unavailable('the lease store is not connected yet');
    return this.kv;
  }

  /** Read-modify-write with compare-and-set; `change` returns the new set or null to leave it. */
  private async modify<T>(ownerSub: string, change: (s: LeaseSet) => { next: LeaseSet | null; result: T }): Promise<T> {
    const kv = this.store();
    const key = leaseKey(ownerSub);
    for (let attempt = 0; attempt < 200; attempt++) {
      const entry: KvEntry | null = await kv.get(key);
      const exists = entry !== null && entry.operation === 'PUT';
      const current = exists ? parseLeaseSet(entry.value) : { leases: {} };
      const { next, result } = change(current);
      if (next === null) return result;
      const data = Buffer.from(JSON.stringify(next));
      try {
        if (entry) await kv.update(key, data, entry.revision);
        else await kv.create(key, data);
        return result;
      } catch (e) {
        if (!isConflict(e)) throw e;
        await sleep(Math.random() * Math.min(50, 2 + attempt * 2)); // lost the race: re-read and retry
      }
    }
    throw unavailable(`too much contention on the instance limit of ${ownerSub}; try again`);
  }

  acquire(ownerSub: string, id: string, max: number | null): Promise<{ acquired: boolean; count: number }> {
    return this.modify<{ acquired: boolean; count: number }>(ownerSub, (s) => {
      const ids = Object.keys(s.leases);
      if (ids.includes(id)) return { next: null, result: { acquired: true, count: ids.length } };
      if (max !== null && ids.length >= max) return { next: null, result: { acquired: false, count: ids.length } };
      return { next: { leases: { ...s.leases, [id]: Date.now() } }, result: { acquired: true, count: ids.length + 1 } };
    });
  }

  release(ownerSub: string, id: string): Promise<void> {
    return this.modify(ownerSub, (s) => {
      if (!(id in s.leases)) return { next: null, result: undefined };
      const leases = { ...s.leases };
      delete leases[id];
      return { next: { leases }, result: undefined };
    });
  }

  async held(ownerSub?: string): Promise<Map<string, string[]>> {
    const kv = this.store();
    const keys: string[] = [];
    if (ownerSub !== undefined) keys.push(leaseKey(ownerSub));
    else for await (const key of await kv.keys()) if (key.startsWith('u.')) keys.push(key);
    const held = new Map<string, string[]>();
    for (const key of keys) {
      const entry = await kv.get(key);
      const ids = entry && entry.operation === 'PUT' ? Object.keys(parseLeaseSet(entry.value).leases) : [];
      if (ids.length) held.set(ownerOfKey(key), ids.sort());
    }
    return held;
  }

  async reconcile(live: ReadonlyMap<string, ReadonlySet<string>>, graceMs: number): Promise<{ dropped: number; added: number }> {
    const kv = this.store();
    const owners = new Set<string>(live.keys());
    for await (const key of await kv.keys()) if (key.startsWith('u.')) owners.add(ownerOfKey(key));
    let dropped = 0;
    let added = 0;
    const now = Date.now();
    for (const owner of owners) {
      const want = live.get(owner) ?? new Set<string>();
      const r = await this.modify(owner, (s) => {
        const leases = { ...s.leases };
        let d = 0;
        let a = 0;
        for (const [id, at] of Object.entries(leases)) {
          if (!want.has(id) && now - at > graceMs) {
            delete leases[id];
            d++;
          }
        }
        for (const id of want) {
          if (!(id in leases)) {
            leases[id] = now;
            a++;
          }
        }
        return { next: d || a ? { leases } : null, result: { d, a } };
      });
      dropped += r.d;
      added += r.a;
    }
    if (dropped || added) this.log.log(`leases reconciled: ${dropped} dropped, ${added} added`);
    return { dropped, added };
  }

  async ping(): Promise<boolean> {
    try {
      await this.store().status();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.nc?.drain().catch(() => undefined);
    this.nc = null;
    this.kv = null;
  }

  /** Tests: remove the bucket. */
  async destroy(): Promise<void> {
    await this.store().destroy();
  }
}
