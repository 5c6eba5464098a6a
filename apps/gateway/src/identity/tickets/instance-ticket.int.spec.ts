import { IdentityContracts, WharfError } from '@wharf/contracts';
import { api, NodeBrowser, startHarness, type Harness } from '../../testing/identity.harness';

jest.setTimeout(60_000);

/** A browser session for `username` through the real OIDC flow (dev provider, no browser needed). */
async function sessionCookie(h: Harness, username: string): Promise<string> {
  const c = new NodeBrowser();
  const callback = await c.loginUntilCallback(h, username, username);
  expect((await c.get(callback)).status).toBe(303);
  return c.cookie(h.url);
}

/** What the router does with a ticket redirect: redeems it over NATS, presenting `at` (its host, or a BASE_URL instance's site). */
function redeem(h: Harness, location: string, at: string) {
  return h.rpc.rpc(IdentityContracts.redeemTicket, { ticket: new URL(location).searchParams.get('t')!, host: at }, null);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (WharfError.is(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('not refused');
}

describe("instance tickets: only for <id>.<AppsDomain> at the router's public port", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ LoginRatePerMinute: 1000, AppsPort: 8081 });
  }, 60_000);
  afterAll(() => h?.close());

  it('issues a ticket for an instance host at Gateway.AppsPort and refuses every other port or host with a clear 400', async () => {
    const cookie = await sessionCookie(h, 'alice');
    const ok = await api(h, 'GET', `/auth/instance-ticket?host=abcde12345.apps.localhost:8081&next=/lab`, { cookie });
    expect(ok.status).toBe(303);
    expect(new URL(ok.headers.get('location')!).origin).toBe('http://abcde12345.apps.localhost:8081');
    const before = await h.prisma.instanceTicket.count();
    // an app listening on another port of the victim's host would receive the ticket (browsers do
    // not bind cookies to ports): never issued
    for (const host of ['abcde12345.apps.localhost:8082', 'abcde12345.apps.localhost:9', 'abcde12345.apps.localhost', 'abc_123.apps.localhost:8081', 'www.apps.localhost:8081', 'abcde12345.elsewhere.test:8081']) {
      const r = await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent(host)}&next=/`, { cookie });
      expect([host, r.status]).toEqual([host, 400]);
      expect(r.body.error.message).toContain('<instance id or alias>.apps.localhost:8081');
      expect(r.headers.get('location')).toBeNull();
    }
    expect(await h.prisma.instanceTicket.count()).toBe(before);
  });

  it('issues a ticket for a BASE_URL instance’s site, <AppsDomain>:<AppsPort>/instance/<id>, sent to the ticket path under it', async () => {
    const cookie = await sessionCookie(h, 'alice');
    const site = 'apps.localhost:8081/instance/abcde12345';
    const cases: [string, string][] = [
      ['/instance/abcde12345/lab?x=1', '/instance/abcde12345/lab?x=1'],
      ['/instance/abcde12345/', '/instance/abcde12345/'],
      // anything not under the instance's prefix goes to its start, never to another instance's path
      ['/lab', '/instance/abcde12345/'],
      ['/instance/fghij67890/', '/instance/abcde12345/'],
      ['/instance/abcde12345/../fghij67890/', '/instance/abcde12345/'],
      ['/instance/abcde12345', '/instance/abcde12345/'],
      ['//evil.example/', '/instance/abcde12345/'],
    ];
    for (const [next, want] of cases) {
      const r = await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent(site)}&next=${encodeURIComponent(next)}`, { cookie });
      expect([next, r.status]).toEqual([next, 303]);
      const to = new URL(r.headers.get('location')!);
      expect([next, `${to.origin}${to.pathname}`, to.searchParams.get('next')]).toEqual([next, 'http://apps.localhost:8081/instance/abcde12345/.wharf/ticket', want]);
      expect(r.headers.get('cache-control')).toBe('no-store');
      const { jti } = JSON.parse(Buffer.from(to.searchParams.get('t')!.split('.')[1]!, 'base64url').toString()) as { jti: string };
      expect((await h.prisma.instanceTicket.findUniqueOrThrow({ where: { id: jti } })).host).toBe(site);
    }
    // upper case is read like a host's and made out lower-case
    const upper = await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent('APPS.localhost:8081/Instance/ABCDE12345')}`, { cookie });
    expect(upper.status).toBe(303);
    expect(new URL(upper.headers.get('location')!).pathname).toBe('/instance/abcde12345/.wharf/ticket');
    expect(new URL(upper.headers.get('location')!).searchParams.get('next')).toBe('/instance/abcde12345/');
  });

  it('refuses every other site with a 400 that shows both forms', async () => {
    const cookie = await sessionCookie(h, 'alice');
    const before = await h.prisma.instanceTicket.count();
    for (const site of [
      'apps.localhost:8082/instance/abcde12345',
      'apps.localhost/instance/abcde12345',
      'elsewhere.test:8081/instance/abcde12345',
      'www.apps.localhost:8081/instance/abcde12345',
      'apps.localhost:8081/instance/abc_12345',
      'apps.localhost:8081/instance/abcde12345/',
      'apps.localhost:8081/instance/abcde12345/lab',
      'apps.localhost:8081/instance/abcde12345?x',
      'apps.localhost:8081/apps/abcde12345',
    ]) {
      const r = await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent(site)}&next=/`, { cookie });
      expect([site, r.status]).toEqual([site, 400]);
      expect(r.body.error.message).toContain('<instance id or alias>.apps.localhost:8081');
      expect(r.body.error.message).toContain('apps.localhost:8081/instance/<instance id>');
      expect(r.headers.get('location')).toBeNull();
    }
    expect(await h.prisma.instanceTicket.count()).toBe(before);
  });

  it('signs in first and comes back to the same site and next', async () => {
    const site = 'apps.localhost:8081/instance/abcde12345';
    const c = new NodeBrowser();
    const first = await c.get(`${h.url}/auth/instance-ticket?host=${encodeURIComponent(site)}&next=${encodeURIComponent('/instance/abcde12345/notes?id=7')}`);
    expect(first.status).toBe(303);
    const login = new URL(first.headers.get('location')!, h.url);
    expect(login.pathname).toBe('/auth/login');
    const back = login.searchParams.get('next')!;
    const callback = await c.loginUntilCallback(h, 'bob', 'bob', back);
    const done = await c.get(callback);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(back);
    const ticket = await c.get(new URL(back, h.url).toString());
    expect(ticket.status).toBe(303);
    const to = new URL(ticket.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe('http://apps.localhost:8081/instance/abcde12345/.wharf/ticket');
    expect(to.searchParams.get('next')).toBe('/instance/abcde12345/notes?id=7');
    const redeemed = await redeem(h, to.toString(), site);
    expect(redeemed).toMatchObject({ host: site, caller: { name: 'bob' }, share: null });
  });

  it('redeems a site’s ticket for that site only: never for another instance’s site, the bare host or the instance host', async () => {
    const cookie = await sessionCookie(h, 'alice');
    const site = 'apps.localhost:8081/instance/abcde12345';
    const issue = async (host: string) => (await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent(host)}`, { cookie })).headers.get('location')!;
    for (const elsewhere of ['apps.localhost:8081/instance/fghij67890', 'apps.localhost:8081', 'abcde12345.apps.localhost:8081', `${site}/`]) {
      expect([elsewhere, await refusal(redeem(h, await issue(site), elsewhere))]).toEqual([elsewhere, 'UNAUTHENTICATED: instance ticket refused: ticket issued for another host']);
    }
    // nor an instance host's ticket at the site of the same id
    expect(await refusal(redeem(h, await issue('abcde12345.apps.localhost:8081'), site))).toMatch(/another host/);
    const ok = await redeem(h, await issue(site), site);
    expect(ok).toMatchObject({ host: site, caller: { name: 'alice' }, share: null });
    expect(ok.session).toEqual(expect.any(String));
  });
});

describe('instance tickets behind TLS on the default port', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ LoginRatePerMinute: 1000, AppsDomain: 'apps.example.com', AppsScheme: 'https', AppsPort: 443 });
  }, 60_000);
  afterAll(() => h?.close());

  it('makes tickets out to the host as browsers send it (no port)', async () => {
    const cookie = await sessionCookie(h, 'bob');
    for (const host of ['abcde12345.apps.example.com', 'abcde12345.apps.example.com:443']) {
      const r = await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent(host)}&next=/`, { cookie });
      expect(r.status).toBe(303);
      expect(new URL(r.headers.get('location')!).origin).toBe('https://abcde12345.apps.example.com');
    }
    expect((await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent('abcde12345.apps.example.com:8443')}&next=/`, { cookie })).status).toBe(400);
    for (const site of ['apps.example.com/instance/abcde12345', 'apps.example.com:443/instance/abcde12345']) {
      const r = await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent(site)}&next=/instance/abcde12345/x`, { cookie });
      expect(r.status).toBe(303);
      const to = new URL(r.headers.get('location')!);
      expect(`${to.origin}${to.pathname}`).toBe('https://apps.example.com/instance/abcde12345/.wharf/ticket');
      expect(to.searchParams.get('next')).toBe('/instance/abcde12345/x');
      expect((await redeem(h, to.toString(), 'apps.example.com/instance/abcde12345')).host).toBe('apps.example.com/instance/abcde12345');
    }
    const r = await api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent('apps.example.com:8443/instance/abcde12345')}`, { cookie });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('apps.example.com/instance/<instance id>');
  });
});
