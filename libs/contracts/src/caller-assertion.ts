import { createHash } from 'node:crypto';
import type { Caller } from './caller';
import { signInternalToken, verifyInternalToken } from './internal-token';

/**
 * Signed caller assertions of NATS requests. The requesting service signs, with
 * Platform.InternalSecret, a short-lived claim bound to the subject, the caller and the exact
 * body it sends; the serving side verifies it before anything else. A process that reaches NATS
 * without the secret cannot claim to be anybody (an admin, or the platform with caller null),
 * nor replay a signed request to another subject or with another body.
 */
export const CALLER_ASSERTION_TTL_SECONDS = 60;

/** What a signature binds: the subject and a digest of `[caller, body]` as they travel (JSON). */
function assertionScope(subject: string, caller: unknown, body: unknown): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([caller ?? null, body ?? null]))
    .digest('base64url');
  return `nats:${subject}:${digest}`;
}

export function signCallerAssertion(
  secret: string,
  subject: string,
  caller: Caller | null,
  body: unknown,
  ttlSeconds = CALLER_ASSERTION_TTL_SECONDS,
): string {
  return signInternalToken(secret, null, assertionScope(subject, caller, body), ttlSeconds);
}

/**
 * True when `assertion` was signed with `secret` for this subject, caller and body and has not
 * expired. `caller` and `body` are the values as received (before any parsing).
 */
export function verifyCallerAssertion(
  secret: string,
  subject: string,
  caller: unknown,
  body: unknown,
  assertion: unknown,
): boolean {
  if (typeof assertion !== 'string' || assertion.length > 4096) return false;
  return verifyInternalToken(secret, assertion, assertionScope(subject, caller, body)) !== null;
}
