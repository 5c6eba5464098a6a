import { safeInstancePath } from '@wharf/contracts';
import { aliasOf, basePathOf, headerSafe, hostPorts, instanceIdOf, InstanceNetworks, isAppsHost, isCidr, isPlatformHeader, portAllowed } from './hosts';

describe('hosts', () => {
  it('reads alias hosts: DNS labels under the apps domain that are no instance id and not reserved', () => {
    expect(aliasOf('Docs-Site.apps.localhost:8081', 'apps.localhost')).toBe('docs-site');
    expect(aliasOf('docs.apps.localhost', 'apps.localhost')).toBe('docs');
    for (const h of ['abcdefghij.apps.localhost:8081', 'www.apps.localhost', 'a.b.apps.localhost', '-x.apps.localhost', 'docs.other.test', 'apps.localhost', `${'a'.repeat(64)}.apps.localhost`]) {
      expect([h, aliasOf(h, 'apps.localhost')]).toEqual([h, null]);
    }
  });

  it('maps instance hosts to ids, other hosts to null, impossible ids to ""', () => {
    expect(instanceIdOf('abcdefghij.apps.localhost:8081', 'apps.localhost')).toBe('abcdefghij');
    expect(instanceIdOf('ABCDEFGHIJ.Apps.Localhost', 'apps.localhost')).toBe('abcdefghij');
    expect(instanceIdOf('127.0.0.1:8081', 'apps.localhost')).toBeNull();
    expect(instanceIdOf('apps.localhost:8081', 'apps.localhost')).toBeNull();
    expect(instanceIdOf('evilapps.localhost', 'apps.localhost')).toBeNull();
    expect(instanceIdOf('a.b.apps.localhost', 'apps.localhost')).toBe('');
    expect(instanceIdOf('1bcdefghij.apps.localhost', 'apps.localhost')).toBe('');
  });

  it('reads BASE_URL paths on the apps host itself', () => {
    expect(isAppsHost('apps.localhost:8081', 'apps.localhost')).toBe(true);
    expect(isAppsHost('Apps.Localhost', 'apps.localhost')).toBe(true);
    for (const h of ['abcdefghij.apps.localhost:8081', 'evilapps.localhost', 'localhost:8081', '']) expect([h, isAppsHost(h, 'apps.localhost')]).toEqual([h, false]);
    expect(basePathOf('/instance/abcdefghij/ws?x=1')).toEqual({ id: 'abcdefghij', rest: '/ws?x=1' });
    expect(basePathOf('/instance/abcdefghij/')).toEqual({ id: 'abcdefghij', rest: '/' });
    expect(basePathOf('/instance/abcdefghij')).toEqual({ id: 'abcdefghij', rest: '' });
    expect(basePathOf('/instance/abcdefghij?x=1')).toEqual({ id: 'abcdefghij', rest: '?x=1' });
    expect(basePathOf('/instance/')).toEqual({ id: '', rest: '' });
    for (const u of ['/', '/instances/abcdefghij/', '/x/instance/abcdefghij/', '/instanceabcdefghij']) expect([u, basePathOf(u)]).toEqual([u, null]);
  });

  it('returns only to same-host paths', () => {
    expect(safeInstancePath('/a?b=1')).toBe('/a?b=1');
    for (const bad of [null, '', 'http://evil', '//evil', '/\\evil', '/a\r\nSet-Cookie: x']) expect(safeInstancePath(bad)).toBe('/');
  });

  it('keeps header values Latin-1 safe', () => {
    expect(headerSafe('alice')).toBe('alice');
    expect(headerSafe('李')).toBe('%E6%9D%8E');
  });

  it("accepts only the router's public port in Host (no port only for the scheme's default)", () => {
    const p = hostPorts('http', 8081);
    expect(portAllowed('abcdefghij.apps.localhost:8081', p)).toBe(true);
    for (const h of ['abcdefghij.apps.localhost:8082', 'abcdefghij.apps.localhost', 'abcdefghij.apps.localhost:80', 'abcdefghij.apps.localhost:08081']) expect([h, portAllowed(h, p)]).toEqual([h, false]);
    const tls = hostPorts('https', 443);
    expect(portAllowed('abcdefghij.apps.example.com', tls)).toBe(true);
    expect(portAllowed('abcdefghij.apps.example.com:443', tls)).toBe(true);
    expect(portAllowed('abcdefghij.apps.example.com:8443', tls)).toBe(false);
  });

  it('knows the platform headers however they are spelled (node lower-cases names)', () => {
    for (const k of ['x-wharf-user', 'x_wharf_user', 'x-wharf_identity', 'x_wharf-anything']) expect([k, isPlatformHeader(k)]).toEqual([k, true]);
    for (const k of ['x-wharfish', 'x-wharf', 'wharf-user', 'x-forwarded-for', 'xx-wharf-user']) expect([k, isPlatformHeader(k)]).toEqual([k, false]);
  });

  it('checks instance addresses against CIDRs; names never match', () => {
    const n = new InstanceNetworks(['127.0.0.0/8', 'fd00::/8']);
    expect(n.contains('127.0.0.1')).toBe(true);
    expect(n.contains('127.255.1.2')).toBe(true);
    expect(n.contains('128.0.0.1')).toBe(false);
    expect(n.contains('[fd00::5]')).toBe(true);
    expect(n.contains('::1')).toBe(false);
    expect(n.contains('localhost')).toBe(false);
    expect(n.contains('169.254.169.254')).toBe(false);
    expect(isCidr('10.42.0.0/16')).toBe(true);
    expect(isCidr('10.42.0.0')).toBe(false);
    expect(isCidr('10.42.0.0/40')).toBe(false);
    expect(isCidr('pods/16')).toBe(false);
  });
});
