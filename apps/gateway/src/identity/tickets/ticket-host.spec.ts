import { ticketAliasHost, ticketHost, ticketHostHint } from './ticket-host';

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
});
