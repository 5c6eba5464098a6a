import { createHash } from 'node:crypto';
import type { Caller } from '@wharf/contracts';

interface Entry {
  value: unknown;
  expires: number;
  generation: number;
}

/**
 * A small in-memory cache of answers, per caller and query, for data read far more than it is
 * written (the catalog). Every change bumps the generation (locally, and on other replicas or
 * services through broadcast events such as events.app.changed.v1), which drops every entry at
 * once; a short TTL bounds staleness should an event be missed. Answers are keyed by the caller's
 * identity and roles, so an answer is never shared between callers. Provide it with
 * `{ provide: AnswerCache, useValue: new AnswerCache(ttlMs) }`.
 */
export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, { promise: Promise<unknown>; generation: number }>();
  private generation = 0;
  static readonly TTL_MS = 5000;
  static readonly MAX_ENTRIES = 2000;

  /** `ttlMs` 0 turns the cache off (every call loads). */
  constructor(private readonly ttlMs: number = AnswerCache.TTL_MS) {}

  /** The key of `caller`'s answer of `kind` to `query` (`JSON.stringify([callerPart, kind, query])`). */
  key(caller: Caller | null, kind: string, query: unknown): string {
    return AnswerCache.keyOf(AnswerCache.callerPart(caller), kind, JSON.stringify(query) ?? 'null');
  }

  /** The caller's part of a key: who they are and their roles (the same for every answer they get). */
  static callerPart(caller: Caller | null): string {
    return JSON.stringify(caller ? [caller.sub, caller.roles] : null);
  }

  /** A key from its parts, the query already as JSON: for a caller who keeps the parts (EarlyCatalogReads). */
  static keyOf(callerPart: string, kind: string, queryJson: string): string {
    return `[${callerPart},${JSON.stringify(kind)},${queryJson}]`;
  }

  /** The cached answer when one is fresh, without loading (`undefined` otherwise, and with the cache off). */
  peek<T>(key: string): T | undefined {
    const hit = this.entries.get(key);
    return hit && hit.generation === this.generation && hit.expires > Date.now() ? (hit.value as T) : undefined;
  }

  /**
   * The cached answer, or one load of it: concurrent misses of one key share the load under way
   * (at expiry, 50 clients of one page would otherwise send 50 requests at once), unless a change
   * came after it started: a load begun before a change is never handed to a request made after it.
   */
  async getOrLoad<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const hit = this.peek<T>(key);
    if (hit !== undefined) return hit;
    const now = Date.now();
    const underway = this.pending.get(key);
    if (underway && underway.generation === this.generation) return underway.promise as Promise<T>;
    const generation = this.generation;
    const promise = load().then((value) => {
      // A change during the load must not be overwritten by the stale answer.
      if (generation === this.generation) {
        if (this.entries.size >= AnswerCache.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(key, { value, expires: now + this.ttlMs, generation });
      }
      return value;
    });
    const mine = { promise, generation };
    this.pending.set(key, mine);
    const forget = () => {
      if (this.pending.get(key) === mine) this.pending.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  /** Awaits a change and drops every answer afterwards, whether it succeeded or not (read-your-writes). */
  async afterChange<T>(change: Promise<T>): Promise<T> {
    try {
      return await change;
    } finally {
      this.invalidate();
    }
  }

  invalidate(): void {
    this.generation++;
    this.entries.clear();
    this.pending.clear();
  }
}

/** An answer serialized once: the JSON bytes and their strong ETag, sent as they are on every hit. */
export interface JsonAnswer {
  body: Buffer;
  etag: string;
}

/**
 * `value` as JSON bytes with an ETag of their hash. A cache of these answers a hit without
 * serializing, converting or hashing again (each costs a request of tens of KB more than the rest
 * of its handling), and lets a client that sends If-None-Match get a 304.
 */
export function jsonAnswer(value: unknown): JsonAnswer {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
}
