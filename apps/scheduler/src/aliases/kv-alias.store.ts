import { Logger } from '@nestjs/common';
import { unavailable } from '@wharf/contracts';
import { connect, type ConnectionOptions, type KV, type KvEntry, type NatsConnection, type QueuedIterator } from 'nats';
import { NO_ALIASES, type InstanceAliases } from '../instances/instance.record';

/** One alias as stored; `seq` is the table's counter at its last change (routers order changes by it). */
export interface StoredAlias {
  instanceId: string | null;
  primary: boolean;
  createdBy: { sub: string; name: string };
  createdAt: string;
  updatedBy: { sub: string; name: string };
  updatedAt: string;
  seq: number;
}

/** The whole table: one KV value, so that a change touching two aliases (a new primary) is one compare-and-set. */
export interface AliasTable {
  /** Counts changes; every alias a change touches gets the new value. */
  seq: number;
  /** name → alias; a null-prototype object (`constructor` is a valid alias name). */
  aliases: Record<string, StoredAlias>;
}

export const ALIAS_STORE = Symbol('ALIAS_STORE');
/** The one key of the bucket. */
export const ALIAS_KEY = 'aliases';

const WRONG_LAST_SEQUENCE = 10071;
const isConflict = (e: unknown): boolean => {
  const err = e as { api_error?: { err_code?: number }; message?: string };
  return err?.api_error?.err_code === WRONG_LAST_SEQUENCE || /wrong last sequence|key exists/i.test(err?.message ?? '');
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const emptyTable = (): AliasTable => ({ seq: 0, aliases: Object.create(null) as Record<string, StoredAlias> });

/** A copy whose alias map has no prototype (names such as `constructor` or `toString` are ordinary keys). */
export function copyTable(t: AliasTable): AliasTable {
  const aliases = Object.create(null) as Record<string, StoredAlias>;
  for (const name of Object.keys(t.aliases)) aliases[name] = { ...t.aliases[name]! };
  return { seq: t.seq, aliases };
}

export function parseTable(data: Uint8Array | null | undefined): AliasTable {
  if (!data || data.length === 0) return emptyTable();
  const v = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<AliasTable>;
  return copyTable({ seq: typeof v.seq === 'number' ? v.seq : 0, aliases: v.aliases && typeof v.aliases === 'object' ? v.aliases : {} });
}

/** An instance's aliases in a table (primary first). */
export function aliasesOf(t: AliasTable, instanceId: string): InstanceAliases {
  const names: string[] = [];
  let primary: string | null = null;
  for (const name of Object.keys(t.aliases).sort()) {
    const a = t.aliases[name]!;
    if (a.instanceId !== instanceId) continue;
    names.push(name);
    if (a.primary) primary = name;
  }
  return names.length ? { names, primary } : NO_ALIASES;
}

/**
 * The alias table in a NATS JetStream KV bucket (`Scheduler.AliasBucket`), shared by every
 * scheduler replica: read-modify-write with revision-checked `update` (`create` for the first
 * value); a replica that lost the race reads again and retries, so two admins moving aliases
 * through two replicas never undo each other. Each replica also watches the key, keeping a copy
 * in memory for the instances it answers (`aliases`, `primaryAlias`, `url`).
 */
export class KvAliasStore {
  private readonly log = new Logger('Aliases');
  private nc: NatsConnection | null = null;
  private kv: KV | null = null;
  private watcher: QueuedIterator<KvEntry> | null = null;
  private view: AliasTable = emptyTable();

  constructor(
    private readonly connection: Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'inboxPrefix'>,
    private readonly bucket: string,
  ) {}

  async init(): Promise<void> {
    this.nc = await connect({ ...this.connection, name: 'scheduler-aliases', maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: true });
    this.kv = await this.nc.jetstream().views.kv(this.bucket, { history: 1 });
    this.see(await this.read());
    this.watcher = await this.kv.watch({ key: ALIAS_KEY });
    void (async () => {
      try {
        for await (const e of this.watcher!) if (e.operation === 'PUT') this.see(parseTable(e.value));
      } catch (e) {
        this.log.warn(`alias watch ended: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
  }

  private store(): KV {
    if (!this.kv) throw unavailable('the alias store is not connected yet');
    return this.kv;
  }

  /** Keeps the newest table seen (watch updates and this replica's own writes may come in any order). */
  private see(t: AliasTable): void {
    if (t.seq >= this.view.seq) this.view = t;
  }

  /** The table as stored now. */
  async read(): Promise<AliasTable> {
    const entry = await this.store().get(ALIAS_KEY);
    return entry && entry.operation === 'PUT' ? parseTable(entry.value) : emptyTable();
  }

  /**
   * Read-modify-write with compare-and-set. `change` gets a copy it may edit and returns whether to
   * write it (then with `seq` one higher: set it on what it touched from `nextSeq`) and its result;
   * it may throw to refuse (nothing is written).
   */
  async modify<T>(change: (t: AliasTable, nextSeq: number) => { write: boolean; result: T }): Promise<{ result: T; table: AliasTable }> {
    const kv = this.store();
    for (let attempt = 0; attempt < 200; attempt++) {
      const entry = await kv.get(ALIAS_KEY);
      const exists = entry !== null && entry.operation === 'PUT';
      const table = exists ? parseTable(entry.value) : emptyTable();
      const { write, result } = change(table, table.seq + 1);
      if (!write) return { result, table };
      table.seq += 1;
      const data = Buffer.from(JSON.stringify(table));
      try {
        if (entry) await kv.update(ALIAS_KEY, data, entry.revision);
        else await kv.create(ALIAS_KEY, data);
        this.see(table);
        return { result, table };
      } catch (e) {
        if (!isConflict(e)) throw e;
        await sleep(Math.random() * Math.min(50, 2 + attempt * 2));
      }
    }
    throw unavailable('too many alias changes at once; try again');
  }

  /** From memory: the aliases of an instance as this replica last saw them. */
  of(instanceId: string): InstanceAliases {
    return aliasesOf(this.view, instanceId);
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
    this.watcher?.stop();
    await this.nc?.drain().catch(() => undefined);
    this.nc = null;
    this.kv = null;
  }

  /** Tests: remove the bucket. */
  async destroy(): Promise<void> {
    await this.store().destroy();
  }
}
