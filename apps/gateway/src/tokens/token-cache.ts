import { Injectable } from '@nestjs/common';
import type { AccessToken } from '../generated/prisma/client';

interface Entry {
  token: AccessToken;
  until: number;
}

/**
 * Token answers held in memory for a few seconds, so the request hot path does not query
 * PostgreSQL for every call. Correctness does not rest on the TTL: revocation and role changes
 * clear the cache at once on this replica, and on every other replica through the broadcast
 * events.token.changed.v1; an entry never outlives the token's own expiry.
 */
@Injectable()
export class TokenCache {
  static readonly TTL_MS = 10_000;
  static readonly MAX_ENTRIES = 10_000;
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  get(hash: string, now = Date.now()): AccessToken | null {
    const e = this.entries.get(hash);
    if (!e) return null;
    if (e.until <= now || (e.token.expiresAt && e.token.expiresAt.getTime() <= now)) {
      this.entries.delete(hash);
      return null;
    }
    return e.token;
  }

  /** Stores a lookup made while `generation` was current; a clear in between wins. */
  set(hash: string, token: AccessToken, generation: number, now = Date.now()): void {
    if (generation !== this.generation) return;
    if (this.entries.size >= TokenCache.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { token, until: now + TokenCache.TTL_MS });
  }

  get currentGeneration(): number {
    return this.generation;
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
