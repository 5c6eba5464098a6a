import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AliasContracts, type AliasChangedEvent, type AliasRoute, type PayloadOf } from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { lookup } from '../common/lookup';
import { ROUTER_SETTINGS, type RouterSettings } from '../router.config';

/** A name the table does not hold is looked up again after this (a burst of requests for a typo costs one lookup). */
const NEGATIVE_TTL_MS = 1000;

/**
 * The router's copy of the alias table (admins keep at most MAX_ALIASES, so all of it): loaded
 * from the scheduler (`scheduler.alias.route.v1`) on first use and every `Router.ResyncSeconds`,
 * kept current in between by `events.alias.changed.v1`, which every replica hears. Every alias
 * carries the table's change counter (`seq`) at its last change, so an answer that left the
 * scheduler before an event never undoes it.
 */
@Injectable()
export class AliasDirectory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('AliasDirectory');
  private readonly byName = new Map<string, AliasRoute>();
  /** Names deleted by an event, with the seq of the deletion (until a full answer as new covers them). */
  private readonly deleted = new Map<string, number>();
  /** instance id → its primary alias */
  private primaries = new Map<string, string>();
  /** When the table was last loaded whole (0: never). */
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  /** When the last load failed: no other try for NEGATIVE_TTL_MS (requests to id hosts do not each wait for a dead lookup). */
  private failedAt = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly rpc: RpcClient,
    @Inject(ROUTER_SETTINGS) private readonly settings: RouterSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.load().catch((e: Error) => this.log.warn(`alias resync failed: ${e.message}`)), this.settings.router.ResyncSeconds * 1000);
    this.timer.unref();
    void this.load().catch(() => undefined); // first requests need not wait for it (a miss loads it)
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Where an alias points: its route (instanceId null: unassigned), or null for a name that is no
   * alias. No I/O while the table is known; an unknown name reloads it at most once a second.
   * Throws UNAVAILABLE when the table cannot be read (NATS down).
   */
  resolve(name: string): AliasRoute | null | Promise<AliasRoute | null> {
    const a = this.byName.get(name);
    if (a) return a;
    if (this.loadedAt && Date.now() - this.loadedAt < NEGATIVE_TTL_MS) return null;
    return this.load().then(() => this.byName.get(name) ?? null);
  }

  /**
   * The primary alias of an instance (its id host and other aliases redirect there), or null. While
   * the table has never been read and cannot be (NATS down), null: the instance is served on the
   * host it was asked for rather than refused.
   */
  primaryOf(instanceId: string): string | null | Promise<string | null> {
    if (this.loadedAt) return this.primaries.get(instanceId) ?? null;
    if (Date.now() - this.failedAt < NEGATIVE_TTL_MS) return null;
    return this.load().then(
      () => this.primaries.get(instanceId) ?? null,
      () => null,
    );
  }

  /** Reads the whole table (one lookup in flight at a time). */
  load(): Promise<void> {
    this.loading ??= lookup(this.rpc, AliasContracts.route, {}, null, this.settings.router.LookupTimeoutMs)
      .then(
        ({ seq, aliases }) => this.replace(seq, aliases),
        (e: unknown) => {
          this.failedAt = Date.now();
          throw e;
        },
      )
      .finally(() => (this.loading = null));
    return this.loading;
  }

  /** A whole table as of `seq`: authoritative for every alias last changed at or before it. */
  private replace(seq: number, aliases: AliasRoute[]): void {
    const answered = new Map(aliases.map((a) => [a.name, a]));
    for (const [name, a] of this.byName) if (!answered.has(name) && a.seq <= seq) this.byName.delete(name);
    for (const [name, at] of this.deleted) if (at <= seq) this.deleted.delete(name);
    for (const a of aliases) this.put(a);
    this.loadedAt = Date.now();
    this.reindex();
  }

  /** From `events.alias.changed.v1`. */
  apply(e: PayloadOf<typeof AliasChangedEvent>): void {
    for (const a of e.aliases) this.put(a);
    for (const name of e.deleted) {
      const cur = this.byName.get(name);
      if (cur && cur.seq > e.seq) continue;
      this.byName.delete(name);
      this.deleted.set(name, e.seq);
    }
    this.reindex();
  }

  private put(a: AliasRoute): void {
    const cur = this.byName.get(a.name);
    if ((cur && cur.seq > a.seq) || (this.deleted.get(a.name) ?? -1) >= a.seq) return;
    this.deleted.delete(a.name);
    this.byName.set(a.name, { name: a.name, instanceId: a.instanceId, primary: a.primary, seq: a.seq });
  }

  private reindex(): void {
    const primaries = new Map<string, string>();
    for (const a of this.byName.values()) if (a.primary && a.instanceId) primaries.set(a.instanceId, a.name);
    this.primaries = primaries;
  }

  size(): number {
    return this.byName.size;
  }
}
