import { signTicket, ticketKey, verifyTicket } from './ticket.codec';

describe('instance ticket codec', () => {
  const key = ticketKey('internal-secret-for-tests');
  it('verifies its own tickets for the bound host until they expire', () => {
    const { ticket, payload } = signTicket(key, 'abc.apps.localhost:8081', 'alice', 30, 1_000_000);
    expect(verifyTicket(key, ticket, 'abc.apps.localhost:8081', 1_000_000)).toEqual({ ok: true, payload });
    expect(verifyTicket(key, ticket, 'ABC.apps.localhost:8081', 1_000_000).ok).toBe(true);
    expect(verifyTicket(key, ticket, 'evil.apps.localhost:8081', 1_000_000)).toEqual({ ok: false, reason: 'ticket issued for another host' });
    expect(verifyTicket(key, ticket, 'abc.apps.localhost:8081', 1_000_000 + 30_000)).toEqual({ ok: false, reason: 'ticket expired' });
  });

  it('refuses forged, tampered and malformed tickets', () => {
    const { ticket } = signTicket(key, 'abc.apps.localhost', 'alice', 30);
    const [v, body, mac] = ticket.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), sub: 'admin' })).toString('base64url');
    expect(verifyTicket(key, `${v}.${forged}.${mac}`, 'abc.apps.localhost').ok).toBe(false);
    expect(verifyTicket(ticketKey('another-secret-xxxxxxxx'), ticket, 'abc.apps.localhost').ok).toBe(false);
    expect(verifyTicket(key, 'nonsense', 'abc.apps.localhost').ok).toBe(false);
  });
});
