import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const PayloadSchema = z.object({ jti: z.string().min(16).max(64), host: z.string(), sub: z.string(), exp: z.number() });
export type TicketPayload = z.infer<typeof PayloadSchema>;

/** A key only for tickets, derived from the platform's internal secret. */
export function ticketKey(internalSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', internalSecret, 'wharf', 'wharf instance ticket v1', 32));
}

/** `wt1.<payload>.<hmac>`: the signature lets the gateway reject forgeries before touching the database. */
export function signTicket(key: Buffer, host: string, sub: string, ttlSeconds: number, now = Date.now()): { ticket: string; payload: TicketPayload } {
  const payload: TicketPayload = { jti: randomBytes(16).toString('hex'), host, sub, exp: Math.floor(now / 1000) + ttlSeconds };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', key).update(`wt1.${body}`).digest('base64url');
  return { ticket: `wt1.${body}.${mac}`, payload };
}

export type TicketCheck = { ok: true; payload: TicketPayload } | { ok: false; reason: string };

/** Checks signature, expiry and host; consumption (single use) is the caller's job. */
export function verifyTicket(key: Buffer, ticket: string, host: string, now = Date.now()): TicketCheck {
  const [v, body, mac] = ticket.split('.');
  if (v !== 'wt1' || !body || !mac) return { ok: false, reason: 'malformed ticket' };
  const want = createHmac('sha256', key).update(`wt1.${body}`).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'bad ticket signature' };
  let payload: TicketPayload;
  try {
    payload = PayloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    return { ok: false, reason: 'malformed ticket' };
  }
  if (payload.exp * 1000 <= now) return { ok: false, reason: 'ticket expired' };
  if (payload.host !== host.toLowerCase()) return { ok: false, reason: 'ticket issued for another host' };
  return { ok: true, payload };
}
