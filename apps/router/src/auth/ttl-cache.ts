/**
 * Answers kept for `ttlMs`, with concurrent misses for one key coalesced into one load. `get`
 * answers synchronously when it can, so the hot path awaits nothing but a resolved value.
 * Bounded: past `max` entries the oldest half is dropped.
 *
 * Refresh ahead: an answer used in the second half of its life is loaded again in the background
 * (once), so that a key in steady use is not left to expire and make every request wait on, or
 * fail with, a slow load (a gateway under load answering past Router.LookupTimeoutMs). No answer
 * is used longer than `ttlMs` after it was loaded, as before.
 */
export class TtlCache<K, V> {
  private readonly map = new Map<K, { value: V; at: number }>();
  private readonly pending = new Map<K, Promise<V>>();
  /** Bumped by every drop: a load that started before one does not store what it got (it may be what was dropped). */
  private epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly max = 50_000,
  ) {}

  get(key: K, load: (key: K) => Promise<V>, now = Date.now()): V | Promise<V> {
    const hit = this.map.get(key);
    if (hit && now - hit.at < this.ttlMs) {
      if (now - hit.at >= this.ttlMs / 2 && !this.pending.has(key)) this.start(key, load).catch(() => undefined); // the answer in hand stays valid until its time
      return hit.value;
    }
    return this.pending.get(key) ?? this.start(key, load);
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
