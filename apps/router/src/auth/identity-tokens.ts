import { instanceIdentityKey, signIdentityToken, type Caller } from '@wharf/contracts';

/**
 * X-Wharf-Identity tokens for apps (see libs/contracts instance-identity.ts). Signed once per
 * (instance, user) and reused for half their lifetime, so the hot path only reads a map.
 */
export class IdentityTokens {
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();

  constructor(
    private readonly internalSecret: string,
    private readonly ttlSeconds: number,
  ) {}

  for(instanceId: string, caller: Caller, now = Date.now()): string {
    const k = `${instanceId}\n${caller.sub}\n${caller.roles.join(',')}`;
    const hit = this.tokens.get(k);
    if (hit && hit.renewAt > now) return hit.token;
    const key = instanceIdentityKey(this.internalSecret, instanceId);
    const token = signIdentityToken(key, instanceId, { sub: caller.sub, name: caller.name, roles: caller.roles }, this.ttlSeconds, now);
    if (this.tokens.size > 50_000) this.tokens.clear();
    this.tokens.set(k, { token, renewAt: now + (this.ttlSeconds * 1000) / 2 });
    return token;
  }
}
