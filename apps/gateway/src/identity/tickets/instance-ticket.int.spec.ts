import { api, NodeBrowser, startHarness, type Harness } from '../../testing/identity.harness';

jest.setTimeout(60_000);

/** A browser session for `username` through the real OIDC flow (dev provider, no browser needed). */
async function sessionCookie(h: Harness, username: string): Promise<string> {
  const c = new NodeBrowser();
  const callback = await c.loginUntilCallback(h, username, username);
  expect((await c.get(callback)).status).toBe(303);
  return c.cookie(h.url);
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
  });
});
