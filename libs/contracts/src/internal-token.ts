import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CallerSchema, type Caller } from './caller';

/**
 * Signed caller assertions for the services' internal HTTP ports (bundle streams).
 * The gateway signs `{ caller, scope, exp }` with the shared internal secret; the
 * repository verifies it. Keeps internal ports from trusting bare headers.
 */
const ClaimsSchema = z.object({
  caller: CallerSchema.nullable(),
  scope: z.string(),
  exp: z.number(),
});
export type InternalClaims = z.infer<typeof ClaimsSchema>;

export { INTERNAL_TOKEN_HEADER } from './wire';

export function signInternalToken(secret: string, caller: Caller | null, scope: string, ttlSeconds = 300): string {
  const body = Buffer.from(
    JSON.stringify({ caller, scope, exp: Math.floor(Date.now() / 1000) + ttlSeconds }),
  ).toString('base64url');
  const mac = createHmac('sha256', secret).update(body).digest('base64url');
  return `${body}.${mac}`;
}

/** Returns the claims, or null when the token is malformed, forged, expired or for another scope. */
export function verifyInternalToken(secret: string, token: string | undefined, scope: string): InternalClaims | null {
  if (!token) return null;
  const [body, mac] = token.split('.');
  if (!body || !mac) return null;
  const want = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  let claims: InternalClaims;
  try {
    claims = ClaimsSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
  if (claims.exp < Date.now() / 1000) return null;
  if (claims.scope !== scope) return null;
  return claims;
}
