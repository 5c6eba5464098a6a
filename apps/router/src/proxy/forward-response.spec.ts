import { appCookie, responseHead } from './forward-response';

describe('appCookie', () => {
  it('makes app cookies host-only, removing every Domain attribute (browsers honour the last)', () => {
    expect(appCookie('a=1; Domain=apps.example.com; Path=/', ['wharf_instance'])).toBe('a=1; Path=/');
    expect(appCookie('a=1; Path=/; domain=.example.com; Secure; DOMAIN = example.com', ['wharf_instance'])).toBe('a=1; Path=/; Secure');
    expect(appCookie('plain=1', ['wharf_instance'])).toBe('plain=1');
    expect(appCookie('a=b; HttpOnly', ['wharf_instance'])).toBe('a=b; HttpOnly');
  });

  it("drops cookies that would set the router's own, keeps look-alikes", () => {
    expect(appCookie('wharf_instance=forged; Path=/', ['wharf_instance'])).toBeNull();
    expect(appCookie('  wharf_instance=forged', ['wharf_instance'])).toBeNull();
    expect(appCookie('__Host-wharf_instance=x; Secure; Path=/', ['__Host-wharf_instance'])).toBeNull();
    expect(appCookie('wharf_instance_theme=dark', ['wharf_instance'])).toBe('wharf_instance_theme=dark');
  });

  it("drops the router's cookie however an app spaces or cases it, or hides it in a nameless cookie", () => {
    for (const c of ['\twharf_instance=x', 'wharf_instance =x', ' WHARF_INSTANCE=x; Path=/', '=wharf_instance=x', ' = wharf_instance=x', 'wharf_instance', 'Wharf_Instance ; Path=/']) {
      expect([c, appCookie(c, ['wharf_instance'])]).toEqual([c, null]);
    }
    expect(appCookie('__host-WHARF_instance=x; Secure; Path=/', ['__Host-wharf_instance'])).toBeNull();
    expect(appCookie('=theme=dark', ['wharf_instance'])).toBe('=theme=dark');
  });

  it('drops every name the router uses (the host cookie and the BASE_URL path cookie over HTTPS)', () => {
    const names = ['__Host-wharf_instance', '__Secure-wharf_instance'];
    expect(appCookie('__Secure-wharf_instance=x; Secure; Path=/instance/abcdefghij/', names)).toBeNull();
    expect(appCookie('__Host-wharf_instance=x; Secure; Path=/', names)).toBeNull();
    expect(appCookie('theme=dark', names)).toBe('theme=dark');
  });

  it("BASE_URL: keeps app cookies on the instance path, so the apps sharing the host never get each other's", () => {
    const p = '/instance/abcdefghij';
    expect(appCookie('a=1; Path=/', ['wharf_instance'], p)).toBe('a=1; Path=/instance/abcdefghij/');
    expect(appCookie('a=1; Path=/instance/otherinsta/', ['wharf_instance'], p)).toBe('a=1; Path=/instance/abcdefghij/');
    // a look-alike prefix is another instance's path
    expect(appCookie('a=1; Path=/instance/abcdefghijk', ['wharf_instance'], p)).toBe('a=1; Path=/instance/abcdefghij/');
    // browsers honour the last Path: an allowed first one does not hide a wider last one
    expect(appCookie('a=1; Path=/instance/abcdefghij/x; HttpOnly; path = /', ['wharf_instance'], p)).toBe('a=1; HttpOnly; Path=/instance/abcdefghij/');
    expect(appCookie('a=1; Path=/instance/abcdefghij/api; Secure', ['wharf_instance'], p)).toBe('a=1; Path=/instance/abcdefghij/api; Secure');
    expect(appCookie('a=1; Path=/instance/abcdefghij', ['wharf_instance'], p)).toBe('a=1; Path=/instance/abcdefghij');
    // no Path: the browser takes the request's folder, which lies under the prefix
    expect(appCookie('a=1; Domain=apps.localhost; HttpOnly', ['wharf_instance'], p)).toBe('a=1; HttpOnly');
    expect(appCookie('a=1', ['wharf_instance'], p)).toBe('a=1');
  });
});

describe('responseHead', () => {
  it('drops hop-by-hop headers and those the app names in Connection, keeps the rest in order and spelling', () => {
    const raw = [
      'Content-Type', 'text/plain',
      'Connection', 'keep-alive, X-Debug-Hop',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'X-Debug-Hop', 'secret',
      'Upgrade', 'h2c',
      'Trailer', 'Expires',
      'ETag', '"abc"',
    ];
    expect(responseHead(raw, ['wharf_instance'])).toEqual(['Content-Type', 'text/plain', 'ETag', '"abc"']);
  });

  it('keeps repeated headers repeated and rewrites each Set-Cookie', () => {
    const raw = ['Set-Cookie', 'a=1; Domain=example.com', 'Set-Cookie', 'wharf_instance=x', 'set-cookie', 'b=2', 'Vary', 'Accept', 'Vary', 'Origin'];
    expect(responseHead(raw, ['wharf_instance'])).toEqual(['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'Vary', 'Accept', 'Vary', 'Origin']);
  });

  it('BASE_URL: drops headers that reach beyond the instance path on the shared host', () => {
    const raw = ['Service-Worker-Allowed', '/', 'Clear-Site-Data', '"cookies"', 'Set-Cookie', 'sid=1; Path=/', 'Content-Type', 'text/html'];
    expect(responseHead(raw, ['wharf_instance'], '/instance/abcdefghij')).toEqual(['Set-Cookie', 'sid=1; Path=/instance/abcdefghij/', 'Content-Type', 'text/html']);
    // an instance with its own origin (DOMAIN) keeps them: they reach nobody else's pages
    expect(responseHead(raw, ['wharf_instance'])).toEqual(raw);
  });

  it('returns an empty head for an empty one', () => {
    expect(responseHead([], ['wharf_instance'])).toEqual([]);
  });
});
