import { createHmac } from 'node:crypto';

/**
 * The identity token the router adds to every request it forwards to an instance, so an app can
 * trust who is calling without ever seeing a platform credential:
 *
 *   X-Wharf-User: <user key>           (their sub: stable and unique; absent for anonymous callers of PUBLIC instances)
 *   X-Wharf-Identity: <JWT, HS256>     { iss: "wharf-router", aud: <instance id>, sub, name, roles, iat, exp }
 *
 * The key is per instance: HMAC-SHA256(Platform.InternalSecret, "instance-identity:" + id),
 * given to the app as env `WHARF_IDENTITY_KEY` (base64url). An app can verify tokens with any JWT
 * library; knowing its own key lets it mint tokens only for itself (the audience is its id).
 */
export const IDENTITY_USER_HEADER = 'x-wharf-user';
export const IDENTITY_TOKEN_HEADER = 'x-wharf-identity';
export const IDENTITY_ISSUER = 'wharf-router';

export function instanceIdentityKey(internalSecret: string, instanceId: string): Buffer {
  return createHmac('sha256', internalSecret).update(`instance-identity:${instanceId}`).digest();
}

export interface IdentityClaims {
  sub: string;
  name: string;
  roles: string[];
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** A compact HS256 JWT for `aud` (the instance id), valid `ttlSeconds`. */
export function signIdentityToken(key: Buffer, aud: string, claims: IdentityClaims, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const body = Buffer.from(
    JSON.stringify({ iss: IDENTITY_ISSUER, aud, sub: claims.sub, name: claims.name, roles: claims.roles, iat, exp: iat + ttlSeconds }),
  ).toString('base64url');
  const mac = createHmac('sha256', key).update(`${HEADER}.${body}`).digest('base64url');
  return `${HEADER}.${body}.${mac}`;
}
