import { siteNext, ticketAliasHost, ticketHost, ticketHostHint, ticketSite, ticketSiteHint } from './ticket-host';

describe('ticketHost', () => {
  const local = { domain: 'apps.localhost', scheme: 'http' as const, port: 8081 };
  const tls = { domain: 'apps.example.com', scheme: 'https' as const, port: 443 };

  it("accepts only <instance id>.<AppsDomain> at the router's public port", () => {
    expect(ticketHost('abcdefghij.apps.localhost:8081', local)).toBe('abcdefghij.apps.localhost:8081');
    expect(ticketHost('ABCDEFGHIJ.Apps.Localhost:8081', local)).toBe('abcdefghij.apps.localhost:8081');
    for (const bad of [
      'abcdefghij.apps.localhost:8082', // another port of the same host: an app could listen there
      'abcdefghij.apps.localhost', // no port is port 80
      'abcdefghij.apps.localhost:80',
      'abcdefghij.apps.localhost:08081',
      'abc123.apps.localhost:8081', // not an instance id
      'a.abcdefghij.apps.localhost:8081',
      'abcdefghij.evil.localhost:8081',
      'abcdefghij.apps.localhost.evil.com:8081',
      'abcdefghij.apps.localhost:8081/x',
      'abcdefghij.apps.localhost:8081@evil.com',
      '',
      null,
      ['abcdefghij.apps.localhost:8081'],
    ]) {
      expect([bad, ticketHost(bad, local)]).toEqual([bad, null]);
    }
  });

  it("uses the browser's form for the scheme's default port", () => {
    expect(ticketHost('abcdefghij.apps.example.com', tls)).toBe('abcdefghij.apps.example.com');
    expect(ticketHost('abcdefghij.apps.example.com:443', tls)).toBe('abcdefghij.apps.example.com');
    expect(ticketHost('abcdefghij.apps.example.com:8443', tls)).toBeNull();
    expect(ticketHostHint(tls)).toBe('<instance id or alias>.apps.example.com');
    expect(ticketHostHint(local)).toBe('<instance id or alias>.apps.localhost:8081');
  });

  it('reads alias hosts the same way (their names are looked up in the alias table before any ticket)', () => {
    expect(ticketAliasHost('Docs-Site.apps.localhost:8081', local)).toEqual({ host: 'docs-site.apps.localhost:8081', alias: 'docs-site' });
    expect(ticketAliasHost('docs.apps.example.com:443', tls)).toEqual({ host: 'docs.apps.example.com', alias: 'docs' });
    for (const bad of ['docs.apps.localhost:8082', 'docs.apps.localhost', '-docs.apps.localhost:8081', 'a.docs.apps.localhost:8081', 'docs.evil.localhost:8081', 'www.apps.localhost:8081', 'abcdefghij.apps.localhost:8081', null]) {
      expect([bad, ticketAliasHost(bad, local)]).toEqual([bad, null]);
    }
  });

  it('refuses a BASE_URL site as a host (it has a path)', () => {
    for (const site of ['apps.localhost:8081/instance/abcdefghij', 'apps.localhost:8081']) {
      expect([site, ticketHost(site, local), ticketAliasHost(site, local)]).toEqual([site, null, null]);
    }
  });
});

describe('ticketSite', () => {
  const local = { domain: 'apps.localhost', scheme: 'http' as const, port: 8081 };
  const tls = { domain: 'apps.example.com', scheme: 'https' as const, port: 443 };

  it("accepts only <AppsDomain>[:port]/instance/<instance id> at the router's public port, made out lower-case", () => {
    expect(ticketSite('apps.localhost:8081/instance/abcdefghij', local)).toEqual({ site: 'apps.localhost:8081/instance/abcdefghij', id: 'abcdefghij' });
    // read like a host, case-insensitively (ids are lower-case): the ticket is made out to the lower-case form
    expect(ticketSite('Apps.LOCALHOST:8081/Instance/ABCDEFGHIJ', local)).toEqual({ site: 'apps.localhost:8081/instance/abcdefghij', id: 'abcdefghij' });
    for (const bad of [
      'apps.localhost:8082/instance/abcdefghij', // another port: an app could listen there
      'apps.localhost/instance/abcdefghij', // no port is port 80
      'apps.localhost:80/instance/abcdefghij',
      'apps.localhost:08081/instance/abcdefghij',
      'apps.localhost:/instance/abcdefghij',
      'evil.localhost:8081/instance/abcdefghij', // another domain
      'x.apps.localhost:8081/instance/abcdefghij', // a host under the apps domain is not the bare one
      'apps.localhost.evil.com:8081/instance/abcdefghij',
      'evil.com@apps.localhost:8081/instance/abcdefghij',
      'apps.localhost:8081/instance/abc123', // not an instance id
      'apps.localhost:8081/instance/1bcdefghij',
      'apps.localhost:8081/instance/abcde_ghij',
      'apps.localhost:8081/instance/', // no id
      'apps.localhost:8081/instance/abcdefghij/', // trailing slash: the site is the form without it
      'apps.localhost:8081/instance/abcdefghij/x', // extra path
      'apps.localhost:8081/instance/abcdefghij?x=1', // trailing junk
      'apps.localhost:8081/instance/abcdefghij#x',
      'apps.localhost:8081/instance/abcdefghijk',
      'apps.localhost:8081/instance/abcdefghij%2f',
      'apps.localhost:8081/instances/abcdefghij', // another prefix
      'apps.localhost:8081//instance/abcdefghij',
      'apps.localhost:8081/x/instance/abcdefghij',
      'apps.localhost:8081/abcdefghij',
      'abcdefghij.apps.localhost:8081', // an instance host is not a site
      'http://apps.localhost:8081/instance/abcdefghij',
      '',
      null,
      ['apps.localhost:8081/instance/abcdefghij'],
    ]) {
      expect([bad, ticketSite(bad, local)]).toEqual([bad, null]);
    }
    expect(ticketSiteHint(local)).toBe('apps.localhost:8081/instance/<instance id>');
  });

  it("uses the browser's form for the scheme's default port", () => {
    expect(ticketSite('apps.example.com/instance/abcdefghij', tls)?.site).toBe('apps.example.com/instance/abcdefghij');
    expect(ticketSite('apps.example.com:443/instance/abcdefghij', tls)?.site).toBe('apps.example.com/instance/abcdefghij');
    expect(ticketSite('apps.example.com:8443/instance/abcdefghij', tls)).toBeNull();
    expect(ticketSiteHint(tls)).toBe('apps.example.com/instance/<instance id>');
  });
});

describe('siteNext', () => {
  it("keeps a path under the instance's /instance/<id>/ and sends anything else to /instance/<id>/", () => {
    for (const ok of ['/instance/abcdefghij/', '/instance/abcdefghij/lab?x=1#top', '/instance/abcdefghij/a/../b', '/instance/abcdefghij/%2e']) {
      expect([ok, siteNext(ok, 'abcdefghij')]).toEqual([ok, ok]);
    }
    for (const bad of [
      undefined,
      '',
      '/',
      '/lab',
      '/instance/abcdefghij', // the prefix without its slash is not under it
      '/instance/abcdefghij?x=1',
      '/instance/otherinst1/', // another instance
      '/instance/abcdefghijk/',
      '/instance/abcdefghij/../otherinst1/', // climbs out as the browser resolves it
      '/instance/abcdefghij/%2e%2e/otherinst1/',
      '/instance/abcdefghij/.%2E/otherinst1/',
      '//evil.com/instance/abcdefghij/',
      'https://evil.com/instance/abcdefghij/',
      '/instance/abcdefghij/\\evil.com',
      '/instance/abcdefghij/\n',
    ]) {
      expect([bad, siteNext(bad, 'abcdefghij')]).toEqual([bad, '/instance/abcdefghij/']);
    }
  });
});
