import { IdentityContracts, instanceAccess, type Caller } from '@wharf/contracts';
import { freePort } from '@wharf/testing';
import { startGateway } from '../bootstrap';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { OidcClient } from '../identity/oidc/oidc.client';
import { api, NodeBrowser, startHarness, USERS, type Harness } from '../testing/identity.harness';

jest.setTimeout(60_000);

/** Signs `username` in through the real OIDC flow (dev provider, no browser); returns the session cookie and CSRF token. */
async function login(h: Harness, username: string) {
  const c = new NodeBrowser();
  const callback = await c.loginUntilCallback(h, username, username);
  const res = await c.get(callback);
  expect(res.status).toBe(303);
  const cookie = c.cookie(h.url);
  const csrf = (await api(h, 'GET', '/auth/session', { cookie })).body.csrfToken as string;
  return { cookie, csrf };
}

describe('who a session or token is: minted users, current roles, device codes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ DevicePollIntervalSeconds: 1, DeviceCodeMaxFailedAttempts: 3, DeviceCodeFailuresPerIp: 100, LoginRatePerMinute: 1000, TokenRatePerMinute: 1000 });
  }, 60_000);
  afterAll(() => h?.close());

  it('gives a token an admin mints for "alice" a user of its own (svc:alice), which cannot open her PRIVATE instance', async () => {
    const minted = await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'alice', roles: ['full-access'], name: 'automation' } });
    expect(minted.status).toBe(201);
    expect(minted.body.user).toEqual({ sub: 'svc:alice', name: 'alice' });
    const me = await api(h, 'GET', '/api/v1/me', { token: minted.body.token });
    expect(me.body).toMatchObject({ sub: 'svc:alice', name: 'alice', roles: ['full-access'], auth: { kind: 'token' } });
    // what the router learns about the bearer, and its instance rule
    const viaRouter = (await h.rpc.rpc(IdentityContracts.verifyToken, { token: minted.body.token }, null)).caller;
    expect(viaRouter.sub).toBe('svc:alice');
    const alice = await login(h, 'alice');
    const realAlice = (await api(h, 'GET', '/api/v1/me', { cookie: alice.cookie })).body as Caller;
    expect(realAlice.sub).toBe('alice');
    const hers = { owner: { sub: realAlice.sub }, appOwner: { sub: realAlice.sub }, visibility: 'PRIVATE' as const };
    const opens = (c: Caller) => instanceAccess(c, hers, false, { allowPublic: false, adminsOpenPrivate: false }).open;
    expect(opens(realAlice)).toBe(true);
    expect(opens(viaRouter)).toBe(false);
    // the first admin token is such a user too, not an OIDC account named "admin"
    expect((await api(h, 'GET', '/api/v1/me', { token: h.adminToken })).body).toMatchObject({ sub: 'svc:admin', name: 'admin', roles: ['admin', 'full-access'] });
    // her own tokens are hers
    const own = await api(h, 'POST', '/api/v1/tokens', { ...alice, body: { name: 'laptop' } });
    expect((await api(h, 'GET', '/api/v1/me', { token: own.body.token })).body.sub).toBe('alice');
  });

  it('refuses OIDC subjects in the svc: namespace, so no provider account can become a minted user', () => {
    const oidc = h.app.get(OidcClient);
    expect(oidc.callerFromClaims({ sub: 'alice', realm_access: { roles: ['full-access'] } })).toMatchObject({ sub: 'alice' });
    expect(() => oidc.callerFromClaims({ sub: 'svc:alice', realm_access: { roles: ['admin'] } })).toThrow(/reserves for admin-minted tokens/);
  });

  it("applies a login's lowered roles to the user's other sessions, own tokens and approved device logins at their next use", async () => {
    const first = await login(h, 'bob');
    const token = (await api(h, 'POST', '/api/v1/tokens', { ...first, body: { name: 'bob laptop' } })).body.token as string;
    expect((await api(h, 'GET', '/api/v1/me', { token })).body.roles).toEqual(['full-access']); // now cached
    // a device login bob approved but the CLI has not collected yet
    const device = (await api(h, 'POST', '/auth/device', { body: { client_id: 'wharf-cli' } })).body as { device_code: string; user_code: string };
    const approve = await fetch(`${h.url}/auth/device/verify`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: first.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: first.csrf, user_code: device.user_code, decision: 'approve' }).toString(),
    });
    expect(approve.status).toBe(200);

    // bob is moved to the visitor group at the provider; he signs in again elsewhere
    await h.restartIdp(USERS.map((u) => (u.Username === 'bob' ? { ...u, Roles: ['visitor'] } : u)));
    try {
      const second = await login(h, 'bob');
      expect((await api(h, 'GET', '/api/v1/me', { cookie: second.cookie })).body.roles).toEqual(['visitor']);
      expect((await api(h, 'GET', '/api/v1/me', { cookie: first.cookie })).body.roles).toEqual(['visitor']); // the older session too
      expect((await api(h, 'GET', '/api/v1/me', { token })).body.roles).toEqual(['visitor']);
      expect((await h.rpc.rpc(IdentityContracts.verifyToken, { token }, null)).caller.roles).toEqual(['visitor']);
      const polled = await fetch(`${h.url}/auth/device/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code }).toString(),
      });
      const cli = ((await polled.json()) as { access_token: string }).access_token;
      expect((await api(h, 'GET', '/api/v1/me', { token: cli })).body).toMatchObject({ sub: 'bob', roles: ['visitor'] });
    } finally {
      await h.restartIdp(USERS);
    }
  });

  it("applies lowered roles to a token cached on another gateway replica at its next use there", async () => {
    const settings = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    const port = await freePort();
    const other = await startGateway({ ...settings, gateway: { ...settings.gateway, Port: port } }, { quiet: true });
    const replica = { url: `http://127.0.0.1:${port}` };
    try {
      const alice = await login(h, 'alice');
      const token = (await api(h, 'POST', '/api/v1/tokens', { ...alice, body: { name: 'alice laptop' } })).body.token as string;
      expect((await api(replica, 'GET', '/api/v1/me', { token })).body.roles).toEqual(['full-access']); // now in that replica's cache
      await h.restartIdp(USERS.map((u) => (u.Username === 'alice' ? { ...u, Roles: ['visitor'] } : u)));
      await login(h, 'alice'); // on the first replica
      const deadline = Date.now() + 5_000; // the broadcast event, not the cache's 10 s TTL
      let roles: unknown;
      while (Date.now() < deadline && JSON.stringify(roles) !== '["visitor"]') {
        roles = (await api(replica, 'GET', '/api/v1/me', { token })).body.roles;
        if (JSON.stringify(roles) !== '["visitor"]') await new Promise((r) => setTimeout(r, 50));
      }
      expect(roles).toEqual(['visitor']);
    } finally {
      await h.restartIdp(USERS);
      await other.app.close();
    }
  });

  it('charges a wrong device code to no other pending code: they stay approvable after many wrong tries', async () => {
    const start = async () => (await api(h, 'POST', '/auth/device', { body: { client_id: 'wharf-cli' } })).body as { device_code: string; user_code: string };
    const [a, b] = [await start(), await start()];
    const vic = await login(h, 'vic');
    const attempt = (code: string) =>
      fetch(`${h.url}/auth/device/verify`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: vic.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: vic.csrf, user_code: code, decision: 'approve' }).toString(),
      });
    const wrong = ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD', 'FFFF-FFFF', 'GGGG-GGGG'].filter((c) => c !== a.user_code && c !== b.user_code);
    for (const code of wrong) expect((await attempt(code)).status).toBe(400); // more than DeviceCodeMaxFailedAttempts (3)
    const rows = await h.prisma.deviceAuthorization.findMany({ where: { userCode: { in: [a.user_code, b.user_code].map((c) => c.replace('-', '')) } } });
    expect(rows.map((r) => [r.status, r.failedAttempts])).toEqual([
      ['PENDING', 0],
      ['PENDING', 0],
    ]);
    const ok = await attempt(a.user_code);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('approved');
    // an expired code that is tried again and again is locked: only that one
    await h.prisma.deviceAuthorization.updateMany({ where: { userCode: b.user_code.replace('-', '') }, data: { expiresAt: new Date(Date.now() - 1000) } });
    for (let i = 0; i < 3; i++) expect((await attempt(b.user_code)).status).toBe(400);
    const c = await start();
    const after = await h.prisma.deviceAuthorization.findMany({ where: { userCode: { in: [b.user_code, c.user_code].map((x) => x.replace('-', '')) } }, orderBy: { createdAt: 'asc' } });
    expect(after.map((r) => r.status)).toEqual(['LOCKED', 'PENDING']);
  });

  it('counts each refused request once in /metrics by reason: 401, a role check\'s 403, a CSRF 403; nothing for an allowed one', async () => {
    const denied = async (): Promise<Record<string, number>> => {
      const res = await fetch(`${h.url}/metrics`); // loopback: no metrics token needed
      expect(res.status).toBe(200);
      const counts: Record<string, number> = {};
      for (const m of (await res.text()).matchAll(/^wharf_gateway_denied_total\{([^}]*)\} (\S+)$/gm)) {
        const reason = /reason="([^"]*)"/.exec(m[1]!)?.[1] ?? '';
        counts[reason] = (counts[reason] ?? 0) + Number(m[2]);
      }
      return counts;
    };
    const vic = await login(h, 'vic');
    const before = await denied();
    expect(Object.keys(before).sort()).toEqual(['csrf', 'forbidden', 'rate_limited', 'unauthenticated']);
    expect((await api(h, 'GET', '/api/v1/me', { token: 'wharf_pat_notarealtoken0000000000000000000000' })).status).toBe(401);
    expect((await api(h, 'GET', '/api/v1/audit', vic)).status).toBe(403); // the audit log is for admins
    expect((await api(h, 'POST', '/api/v1/tokens', { cookie: vic.cookie, body: { name: 'no csrf' } })).status).toBe(403);
    expect((await api(h, 'GET', '/api/v1/me', vic)).status).toBe(200);
    const after = await denied();
    const moved = Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]));
    expect(moved).toEqual({ unauthenticated: 1, forbidden: 1, csrf: 1, rate_limited: 0 });
  });
});
