import { cookieKey, cookieValues, setCookieHeader, signCookie, verifyCookie, withoutCookie } from './router-cookie';

const key = cookieKey('a-secret-of-sixteen+');
const host = 'abcdefghij.apps.localhost:8081';

describe('router cookie', () => {
  it('verifies only genuine, unexpired cookies for their own host', () => {
    const v = signCookie(key, { s: 'sess', h: host, e: 2_000_000_000 });
    expect(verifyCookie(key, v, host)).toEqual({ s: 'sess', h: host, e: 2_000_000_000 });
    expect(verifyCookie(key, v, 'bbbbbbbbbb.apps.localhost:8081')).toBeNull();
    expect(verifyCookie(cookieKey('another-secret-16+'), v, host)).toBeNull();
    expect(verifyCookie(key, signCookie(key, { s: 'sess', h: host, e: 1 }), host)).toBeNull();
    const [body, mac] = v.split('.');
    const tampered = Buffer.from(JSON.stringify({ s: 'other', h: host, e: 2_000_000_000 })).toString('base64url');
    expect(verifyCookie(key, `${tampered}.${mac}`, host)).toBeNull();
    expect(verifyCookie(key, `${body}.`, host)).toBeNull();
    expect(verifyCookie(key, 'garbage', host)).toBeNull();
  });

  it('carries a share link (sh) with a session, or with a guest key (g) instead of one; never neither', () => {
    const viaShare = signCookie(key, { s: 'sess', sh: 'sh_1', h: host, e: 2_000_000_000 });
    expect(verifyCookie(key, viaShare, host)).toEqual({ s: 'sess', sh: 'sh_1', h: host, e: 2_000_000_000 });
    const guest = signCookie(key, { s: '', sh: 'sh_1', g: 'guest:abc', h: host, e: 2_000_000_000 });
    expect(verifyCookie(key, guest, host)).toMatchObject({ sh: 'sh_1', g: 'guest:abc' });
    expect(verifyCookie(key, signCookie(key, { s: '', h: host, e: 2_000_000_000 }), host)).toBeNull();
    expect(verifyCookie(key, signCookie(key, { s: '', g: 'guest:abc', h: host, e: 2_000_000_000 }), host)).toBeNull();
    expect(verifyCookie(key, signCookie(key, { s: 'sess', sh: 7 as unknown as string, h: host, e: 2_000_000_000 }), host)).toBeNull();
  });

  it('finds every value of the cookie and removes it from the header', () => {
    expect(cookieValues('a=1; wharf_instance=x; b=2; wharf_instance=y', 'wharf_instance')).toEqual(['x', 'y']);
    expect(cookieValues('xwharf_instance=1', 'wharf_instance')).toEqual([]);
    expect(cookieValues(undefined, 'wharf_instance')).toEqual([]);
    expect(withoutCookie('a=1; wharf_instance=x; b=2', 'wharf_instance')).toBe('a=1; b=2');
    expect(withoutCookie('wharf_instance=x', 'wharf_instance')).toBeUndefined();
  });

  it('is host-only, HttpOnly and SameSite=Lax; Secure on HTTPS', () => {
    expect(setCookieHeader('wharf_instance', 'v', { secure: false, maxAgeSeconds: 60.7 })).toBe('wharf_instance=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax');
    expect(setCookieHeader('__Host-wharf_instance', 'v', { secure: true, maxAgeSeconds: 60 })).toMatch(/; Secure$/);
  });
});
