import { constantTimeEqual, parseCookies, serializeCookie, sessionCookieName } from './cookies';

describe('cookies', () => {
  it('parses a Cookie header, first value wins', () => {
    const c = parseCookies('a=1; wharf_session=abc.def; a=2; junk; =x');
    expect(c.get('a')).toBe('1');
    expect(c.get('wharf_session')).toBe('abc.def');
    expect(c.size).toBe(2);
  });

  it('serializes host-only, HttpOnly, SameSite=Lax cookies, Secure on HTTPS', () => {
    const plain = serializeCookie('wharf_session', 'v', { secure: false, maxAgeSeconds: 60 });
    expect(plain).toBe('wharf_session=v; Path=/; SameSite=Lax; HttpOnly; Max-Age=60');
    expect(plain).not.toMatch(/Domain=/i);
    expect(serializeCookie(sessionCookieName(true), 'v', { secure: true })).toBe('__Host-wharf_session=v; Path=/; SameSite=Lax; HttpOnly; Secure');
  });

  it('compares secrets in constant time', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });
});
