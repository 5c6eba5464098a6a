/**
 * Answers kept for `ttlMs`, with concurrent misses for one key coalesced into one load. `get`
 * answers synchronously when it can, so the hot path awaits nothing but a resolved value.
 * Bounded: past `max` entries the oldest half is dropped.
 */
export class TtlCache<K, V> {
  private readonly map = new Map<K, { value: V; at: number }>();
  private readonly pending = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 50_000,
  ) {}

  get(key: K, load: (key: K) => Promise<V>, now = Date.now()): V | Promise<V> {
    const hit = this.map.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    let p = this.pending.get(key);
    if (!p) {
      p = load(key)
        .then((value) => {
          this.set(key, value);
          return value;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
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

  /** Drops the entries whose value matches. */
  dropWhere(pred: (value: V, key: K) => boolean): void {
    for (const [k, e] of this.map) if (pred(e.value, k)) this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }
}
