import type { ServerResponse } from 'node:http';
import { serviceMetrics, type Counter } from '@wharf/nats';

/** The reasons `wharf_gateway_denied_total` knows: a fixed set, never a value from the request. */
export const DENIAL_REASONS = ['unauthenticated', 'forbidden', 'csrf', 'rate_limited'] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

const counted = new WeakSet<ServerResponse>();
const csrf = new WeakSet<ServerResponse>();
let counter: Counter<'reason'> | null = null;

/**
 * One counter per process, made at first use: every gateway built in this process (specs start
 * replicas side by side) counts into the one registry's series.
 */
function deniedCounter(): Counter<'reason'> {
  if (!counter) {
    counter = serviceMetrics().counter(
      'wharf_gateway_denied_total',
      'Requests the gateway refused, by reason: unauthenticated (401), forbidden (403), csrf (403, no or wrong CSRF token or a cross-site origin), rate_limited (429)',
      ['reason'],
    );
    // every reason shows from the start (0), so rate() and absent() queries work before the first denial
    for (const reason of DENIAL_REASONS) counter.inc({ reason }, 0);
  }
  return counter;
}

/**
 * Requests the gateway refused, counted once each by the status they were answered with, whoever
 * refused them: the auth guard (no or bad credentials, read-only token, CSRF), a role or permission
 * check in a controller or another service (a FORBIDDEN or UNAUTHENTICATED error the exception filter
 * turns into 401 / 403), or a rate limit. Counting the finished response catches every path once,
 * however many checks a request passed through, and never a request that was let in.
 *
 * - 401 → `unauthenticated`; 403 → `csrf` when a cookie-authenticated change was refused for no or a
 *   wrong CSRF token or a cross-site Origin (`markCsrfDenial`), else `forbidden`;
 * - 429 with Retry-After → `rate_limited` (the gateway's rate limits always set it); a 429 without is a
 *   quota (Repository.MaxVersionsPerUser), not a denial.
 */
export class DenialMetrics {
  private readonly denied = deniedCounter();

  /** Counts `res` when it finishes as a denial; once per response, however often it is called. */
  watch(res: ServerResponse): void {
    if (counted.has(res)) return;
    counted.add(res);
    res.once('finish', () => {
      const reason = reasonOf(res);
      if (reason) this.denied.inc({ reason });
    });
  }
}

/**
 * This response refuses a cookie-authenticated change as a possible cross-site request forgery
 * (its 403 counts as `csrf`): the guard's check, and the handlers that check a form's token themselves.
 */
export function markCsrfDenial(res: ServerResponse): void {
  csrf.add(res);
}

function reasonOf(res: ServerResponse): DenialReason | null {
  switch (res.statusCode) {
    case 401:
      return 'unauthenticated';
    case 403:
      return csrf.has(res) ? 'csrf' : 'forbidden';
    case 429:
      return res.hasHeader('retry-after') ? 'rate_limited' : null;
    default:
      return null;
  }
}
