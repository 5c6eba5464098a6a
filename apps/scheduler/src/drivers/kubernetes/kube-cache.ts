import { Logger } from '@nestjs/common';
import type { KubeApi } from './kube-api';
import { statusOf } from './kube-api';

/** The part of any object the cache needs. */
export interface KubeMeta {
  metadata?: { name?: string; resourceVersion?: string } | null;
}

export interface CachePage<O> {
  items: O[];
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string } | null;
}

export interface KubeCacheOptions<O extends KubeMeta, E extends { rv: string }> {
  api: KubeApi;
  /** For messages: `deployments`. */
  resource: string;
  /** The watch path: `/apis/apps/v1/namespaces/<ns>/deployments`. */
  path: string;
  labelSelector: string;
  pageSize: number;
  /** One page of the list (`limit`, `_continue`), with the same selector. */
  list(limit: number, cont: string | undefined): Promise<CachePage<O>>;
  /** What is kept of an object (the cache holds these, never whole objects). */
  entry(o: O): E;
  /** Called for every change the cache takes in (an event, a relist, a write of our own). */
  changed(name: string, now: E | null, before: E | null): void;
  /** Delay before a watch that failed is opened again (default 1 s). */
  retryMs?: number;
}

/**
 * A list-then-watch cache of one kind of object (as client-go's reflector and KubeSpawner's
 * reflector): one paginated list at start, then a watch from the list's resourceVersion with
 * bookmarks, resumed from the last resourceVersion seen when it ends, and a fresh list only when
 * the server answers 410 Gone (the version is too old). Reads never reach the API server.
 *
 * It keeps a small entry per object (`entry`), not the object, so that thousands of instances
 * cost little memory, and takes in the answers of the driver's own writes (`observe`) so that a
 * replica reads what it just wrote without waiting for the watch.
 */
export class KubeCache<O extends KubeMeta, E extends { rv: string }> {
  private readonly log: Logger;
  private readonly items = new Map<string, E>();
  /** Objects the driver deleted (forget), by the resourceVersion they had: older events about them are stale. */
  private readonly tombstones = new Map<string, string>();
  private rv = '';
  private abort: AbortController | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private readyResolve!: () => void;
  /** Resolves once the first list is in. */
  readonly ready: Promise<void>;
  /** When the last list or watch event arrived (for health). */
  lastContact = 0;
  /** The last error of the list or watch, until it works again. */
  lastError: string | null = null;

  constructor(private readonly o: KubeCacheOptions<O, E>) {
    this.log = new Logger(`KubeCache(${o.resource})`);
    this.ready = new Promise((r) => (this.readyResolve = r));
  }

  get size(): number {
    return this.items.size;
  }

  get(name: string): E | undefined {
    return this.items.get(name);
  }

  values(): IterableIterator<E> {
    return this.items.values();
  }

  /** Starts filling; answers when the first list is in (or throws when it fails). */
  async start(): Promise<void> {
    await this.relist();
    this.readyResolve();
    void this.watch();
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.abort?.abort();
  }

  /** Takes in an object the driver just wrote (the answer of a create, patch or replace), when it is newer. */
  observe(o: O): void {
    const name = o.metadata?.name;
    if (!name) return;
    const before = this.items.get(name) ?? null;
    const next = this.o.entry(o);
    if (before && !newer(next.rv, before.rv)) return;
    this.items.set(name, next);
    this.o.changed(name, next, before);
  }

  /** Forgets an object the driver just deleted. */
  forget(name: string): void {
    const before = this.items.get(name);
    if (!before) return;
    this.tombstones.set(name, before.rv);
    this.items.delete(name);
    this.o.changed(name, null, before);
  }

  private async relist(): Promise<void> {
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.o.list(this.o.pageSize, cont);
      for (const o of page.items) {
        const name = o.metadata?.name;
        if (!name) continue;
        seen.add(name);
        const before = this.items.get(name) ?? null;
        const next = this.o.entry(o);
        if (before && before.rv === next.rv) continue;
        this.items.set(name, next);
        this.o.changed(name, next, before);
      }
      cont = page.metadata?._continue ?? page.metadata?.continue ?? undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    for (const [name, before] of [...this.items]) {
      if (seen.has(name)) continue;
      this.items.delete(name);
      this.o.changed(name, null, before);
    }
    this.rv = rv;
    this.tombstones.clear();
    this.lastContact = Date.now();
    this.lastError = null;
  }

  private async watch(): Promise<void> {
    if (this.closed) return;
    let gone = false;
    const onEvent = (type: string, obj: O & { code?: number; message?: string }) => {
      this.lastContact = Date.now();
      if (type === 'ERROR') {
        if (obj.code === 410) gone = true;
        else this.lastError = `watch error: ${obj.message ?? JSON.stringify(obj)}`;
        this.abort?.abort();
        return;
      }
      const rv = obj.metadata?.resourceVersion;
      if (rv) this.rv = rv;
      if (type === 'BOOKMARK') return;
      const name = obj.metadata?.name;
      if (!name) return;
      const tomb = this.tombstones.get(name);
      if (tomb !== undefined && (type === 'DELETED' || !newer(obj.metadata?.resourceVersion ?? '', tomb))) {
        // the watch catching up on an object the driver already deleted
        if (type === 'DELETED') this.tombstones.delete(name);
        return;
      }
      const before = this.items.get(name) ?? null;
      if (type === 'DELETED') {
        // no entry, or one newer than this deletion (the object was made again since)
        if (!before || (rv && newer(before.rv, rv))) return;
        this.items.delete(name);
        this.o.changed(name, null, before);
        return;
      }
      const next = this.o.entry(obj);
      if (before && !newer(next.rv, before.rv) && before.rv !== next.rv) return;
      if (before && before.rv === next.rv) return;
      this.items.set(name, next);
      this.o.changed(name, next, before);
    };
    const ended = new Promise<unknown>((resolve) => {
      this.o.api.watch
        .watch(this.o.path, { labelSelector: this.o.labelSelector, resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: 300 }, onEvent, resolve)
        .then((a) => {
          this.abort = a;
          if (this.closed) a.abort();
        })
        .catch(resolve);
    });
    const err = await ended;
    this.abort = null;
    if (this.closed) return;
    if (statusOf(err) === 410) gone = true;
    else if (err && !(err instanceof Error && err.name === 'AbortError')) this.lastError = `watch ended: ${err instanceof Error ? err.message : String(err)}`;
    const again = async () => {
      this.retry = null;
      if (this.closed) return;
      try {
        if (gone) await this.relist();
        void this.watch();
      } catch (e) {
        this.lastError = `list failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
        this.log.warn(`${this.o.resource}: ${this.lastError}; retrying`);
        gone = true;
        this.retry = setTimeout(() => void again(), this.o.retryMs ?? 1000);
        this.retry.unref();
      }
    };
    // A watch that simply timed out is reopened at once; one that failed after a pause.
    if (!err && !gone) return void again();
    this.retry = setTimeout(() => void again(), gone ? 0 : (this.o.retryMs ?? 1000));
    this.retry.unref();
  }
}

/** Whether resourceVersion `a` is newer than `b` (they are opaque, but etcd's are increasing integers). */
export function newer(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length !== b.length ? a.length > b.length : a > b;
  return a !== b;
}
