/**
 * In-memory token buckets keyed by e.g. `login:ip:1.2.3.4`: `capacity` tokens, refilled at
 * `capacity` per `windowMs`. Per replica — N replicas allow N times the rate, which is fine for
 * slowing brute force and accidental loops. Memory is bounded: idle, full buckets are dropped,
 * and past `maxKeys` the oldest keys go first.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 50_000,
  ) {}

  /** Takes one token. Returns 0 when allowed, else the seconds until one is available. */
  take(key: string, capacity: number, windowMs: number, cost = 1): number {
    const now = this.now();
    const rate = capacity / windowMs;
    const b = this.buckets.get(key);
    let tokens = b ? Math.min(capacity, b.tokens + (now - b.at) * rate) : capacity;
    if (tokens >= cost) {
      tokens -= cost;
      this.set(key, { tokens, at: now });
      return 0;
    }
    this.set(key, { tokens, at: now });
    return Math.max(1, Math.ceil((cost - tokens) / rate / 1000));
  }

  /** Seconds until `key` has a token again (0 = it has one), without taking one. */
  peek(key: string, capacity: number, windowMs: number): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const rate = capacity / windowMs;
    const tokens = Math.min(capacity, b.tokens + (this.now() - b.at) * rate);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / rate / 1000));
  }

  private set(key: string, v: { tokens: number; at: number }) {
    this.buckets.delete(key); // re-insert: Map order = least recently used first
    this.buckets.set(key, v);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
