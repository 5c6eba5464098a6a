/**
 * Answers kept for `ttlMs`, with concurrent misses for one key coalesced into one load. `get`
 * answers synchronously when it can, so the hot path awaits nothing but a resolved value.
 * Bounded: past `max` entries the oldest half is dropped.
 *
 * Refresh ahead: an answer used in the second half of its life is loaded again in the background
 * (once), so that a key in steady use is not left to expire and make every request wait on, or
 * fail with, a slow load (a gateway under load answering past Router.LookupTimeoutMs). No answer
 * is used longer than `ttlMs` after it was loaded, but for the case below.
 *
 * Stale if error (`staleIfErrorMs`): when a load fails in a way `staleOn` accepts (the platform
 * could not be asked: NATS down, the gateway restarting) an answer that expired less than
 * `staleIfErrorMs` ago is used once more, never past `validUntil` (the credential's own expiry)
 * and never after a drop: revocations arrive as drops, so a revoked credential is not revived. A
 * definite answer (a load that succeeds, even with "no") always replaces it.
 */
export interface StaleIfError<V> {
  staleIfErrorMs: number;
  /** Which load failures allow the stale answer (the platform was unreachable, not "no"). */
  staleOn: (e: unknown) => boolean;
  /** The moment (ms since the epoch) after which the value is never used; null: no limit of its own. */
  validUntil?: (value: V) => number | null;
}

export class TtlCache<K, V> {
  private readonly map = new Map<K, { value: V; at: number }>();
  private readonly pending = new Map<K, Promise<V>>();
  /** Bumped by every drop: a load that started before one does not store what it got (it may be what was dropped). */
  private epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly max = 50_000,
    private readonly stale?: StaleIfError<V>,
  ) {}

  get(key: K, load: (key: K) => Promise<V>, now = Date.now()): V | Promise<V> {
    const hit = this.map.get(key);
    if (hit && now - hit.at < this.ttlMs) {
      if (now - hit.at >= this.ttlMs / 2 && !this.pending.has(key)) this.start(key, load).catch(() => undefined); // the answer in hand stays valid until its time
      return hit.value;
    }
    const loading = this.pending.get(key) ?? this.start(key, load);
    if (!hit || !this.usableStale(hit, now)) return loading;
    return loading.catch((e: unknown) => {
      // the entry still there (no drop since) and still within its windows
      if (this.stale!.staleOn(e) && this.map.get(key) === hit && this.usableStale(hit, Date.now())) return hit.value;
      throw e;
    });
  }

  private usableStale(hit: { value: V; at: number }, now: number): boolean {
    const s = this.stale;
    if (!s || s.staleIfErrorMs <= 0 || now - hit.at >= this.ttlMs + s.staleIfErrorMs) return false;
    const until = s.validUntil?.(hit.value) ?? null;
    return until === null || until > now;
  }

  private start(key: K, load: (key: K) => Promise<V>): Promise<V> {
    const epoch = this.epoch;
    const p = load(key)
      .then((value) => {
        if (epoch === this.epoch) this.set(key, value);
        return value;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  set(key: K, value: V): void {
    if (this.ttlMs <= 0) return;
    if (this.map.size >= this.max) {
      let n = this.max / 2;
      for (const k of this.map.keys()) {
        this.map.delete(k);
        if (--n <= 0) break;
      }
    }
    this.map.set(key, { value, at: Date.now() });
  }

  /** Drops the entries whose value matches (and keeps loads already under way from storing theirs). */
  dropWhere(pred: (value: V, key: K) => boolean): void {
    this.epoch++;
    for (const [k, e] of this.map) if (pred(e.value, k)) this.map.delete(k);
  }

  clear(): void {
    this.epoch++;
    this.map.clear();
  }
}
