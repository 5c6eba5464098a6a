import { Inject, Injectable } from '@nestjs/common';
import { limitExceeded } from '@wharf/contracts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../../gateway.config';
import { TokenBuckets } from './token-bucket';

export type Limit = 'login' | 'token' | 'device-poll' | 'device-failure';

/** The gateway's rate limits (per replica, in memory); answers 429 with Retry-After. */
@Injectable()
export class RateLimiter {
  readonly buckets = new TokenBuckets();

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings) {}

  private rule(limit: Limit): { capacity: number; windowMs: number } {
    const g = this.settings.gateway;
    switch (limit) {
      case 'login':
        return { capacity: g.LoginRatePerMinute, windowMs: 60_000 };
      case 'token':
        return { capacity: g.TokenRatePerMinute, windowMs: 60_000 };
      case 'device-poll':
        return { capacity: g.DevicePollRatePerMinute, windowMs: 60_000 };
      case 'device-failure':
        return { capacity: g.DeviceCodeFailuresPerIp, windowMs: 10 * 60_000 };
    }
  }

  /** Takes one token for each key (e.g. the IP and the user); throws LIMIT_EXCEEDED with `retryAfter` seconds. */
  consume(limit: Limit, keys: (string | null | undefined)[]): void {
    const { capacity, windowMs } = this.rule(limit);
    let wait = 0;
    for (const k of keys) if (k) wait = Math.max(wait, this.buckets.take(`${limit}:${k}`, capacity, windowMs));
    if (wait) throw limitExceeded(`too many requests; try again in ${wait} s`, { retryAfter: wait, limit });
  }

  /** Throws when any key is already out of tokens (without spending one). */
  check(limit: Limit, keys: (string | null | undefined)[]): void {
    const { capacity, windowMs } = this.rule(limit);
    let wait = 0;
    for (const k of keys) if (k) wait = Math.max(wait, this.buckets.peek(`${limit}:${k}`, capacity, windowMs));
    if (wait) throw limitExceeded(`too many wrong codes; try again in ${wait} s`, { retryAfter: wait, limit });
  }
}
