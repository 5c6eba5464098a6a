import type { Browser } from 'playwright-core';
import { IdentityContracts, WharfError } from '@wharf/contracts';
import { api, CLIENT_SECRET, launchChromium, NodeBrowser, ROBOT, sessionCookie, signIn, startHarness, type Harness } from '../../testing/identity.harness';

jest.setTimeout(60_000);

/** What a CLI does over SSH: start, print the URL and code, poll; the person approves in any browser. */
async function cliStart(h: Harness) {
  const res = await fetch(`${h.url}/auth/device`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'client_id=wharf-cli',
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number };
}
async function cliPoll(h: Harness, deviceCode: string) {
  const res = await fetch(`${h.url}/auth/device/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string | number> };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CLI device login (RFC 8628) with approval in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  const secrets: string[] = [CLIENT_SECRET, ROBOT.ClientSecret];

  beforeAll(async () => {
    [h, browser] = await Promise.all([
      startHarness({ DevicePollIntervalSeconds: 1, DeviceCodeMaxFailedAttempts: 3, DeviceCodeFailuresPerIp: 5, LoginRatePerMinute: 1000 }),
      launchChromium(),
    ]);
    secrets.push(h.adminToken);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('hands the CLI a new personal access token once the user approves in a browser; revoking it works at once', async () => {
    const start = await cliStart(h);
    secrets.push(start.device_code);
    expect(start).toMatchObject({ verification_uri: `${h.url}/auth/device/verify`, expires_in: 600, interval: 1 });
    expect(start.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(start.verification_uri_complete).toBe(`${start.verification_uri}?user_code=${start.user_code}`);

    expect(await cliPoll(h, start.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(await cliPoll(h, start.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });

    // the person opens the link on another machine's browser, signs in, sees the code, approves
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(start.verification_uri_complete);
    await page.fill('#username', 'bob');
    await page.fill('#password', 'bob');
    await Promise.all([page.waitForURL(`${h.url}/auth/device/verify?user_code=${start.user_code}`), page.click('button[type=submit]')]);
    expect(await page.inputValue('#user_code')).toBe(start.user_code);
    await page.click('#approve');
    expect(await page.textContent('#result')).toContain('signed in as bob');

    await sleep(6_100); // slow_down raised the interval to 6 s
    const done = await cliPoll(h, start.device_code);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ token_type: 'Bearer', access_token: expect.stringMatching(/^wharf_pat_/) });
    const token = String(done.body.access_token);
    secrets.push(token);
    const me = await api(h, 'GET', '/api/v1/me', { token });
    expect(me.body).toMatchObject({ sub: 'bob', roles: ['full-access'], auth: { kind: 'token' } });
    const list = await api(h, 'GET', '/api/v1/tokens', { token });
    expect(list.body.items.map((t: { name: string }) => t.name)).toContain(`device login ${new Date().toISOString().slice(0, 10)}`);
    expect(JSON.stringify(list.body)).not.toContain(token); // never shown again
    expect(await cliPoll(h, start.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } }); // single use

    // the token works over NATS for the router too, until it is revoked — which takes effect at once
    const verify = (t: string) => h.rpc.rpc(IdentityContracts.verifyToken, { token: t }, null).then((r) => r.caller.name, (e: WharfError) => e.code);
    expect(await verify(token)).toBe('bob');
    expect((await api(h, 'DELETE', `/api/v1/tokens/${done.body.token_id}`, { token })).status).toBe(200);
    expect((await api(h, 'GET', '/api/v1/me', { token })).status).toBe(401);
    expect(await verify(token)).toBe('UNAUTHENTICATED');
    await context.close();
  });

  it('tells the CLI when the user denies, and when the code expired', async () => {
    const start = await cliStart(h);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, 'alice', 'alice', `/auth/device/verify`);
    await page.fill('#user_code', start.user_code.toLowerCase().replace('-', ' '));
    await page.click('#deny');
    expect(await page.textContent('#result')).toContain('denied');
    expect(await cliPoll(h, start.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });

    const late = await cliStart(h);
    await h.prisma.deviceAuthorization.updateMany({ where: { userCode: late.user_code.replace('-', '') }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await cliPoll(h, late.device_code)).toMatchObject({ status: 400, body: { error: 'expired_token' } });
    expect(await cliPoll(h, 'wharf_dc_made-up')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const wrongGrant = await fetch(`${h.url}/auth/device/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password' }) });
    expect(wrongGrant.status).toBe(400);
    expect(await wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    await context.close();
  });

  it('leaves other pending codes alone after wrong tries and slows down an IP that keeps guessing', async () => {
    const victim = await cliStart(h);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, 'vic', 'vic', '/auth/device/verify');
    const cookie = await sessionCookie(context, h.url);
    const csrf = (await api(h, 'GET', '/auth/session', { cookie })).body.csrfToken as string;
    const attempt = (code: string) =>
      fetch(`${h.url}/auth/device/verify`, {
        redirect: 'manual',
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, user_code: code, decision: 'approve' }).toString(),
      });
    const guesses = ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD'].filter((g) => g !== victim.user_code);
    for (const g of guesses.slice(0, 3)) expect((await attempt(g)).status).toBe(400);
    // wrong codes are charged to this IP and user, never to other people's pending codes
    expect((await h.prisma.deviceAuthorization.findFirst({ where: { userCode: victim.user_code.replace('-', '') } }))?.status).toBe('PENDING');
    expect(await cliPoll(h, victim.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    // 5 wrong codes per IP and user per 10 minutes, then 429 with Retry-After
    expect((await attempt('FFFF-FFFF')).status).toBe(400);
    expect((await attempt('GGGG-GGGG')).status).toBe(400); // the 5th wrong code
    const limited = await attempt('HHHH-HHHH');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // a form without the CSRF token is refused
    const forged = await fetch(`${h.url}/auth/device/verify`, {
      redirect: 'manual',
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user_code: victim.user_code, decision: 'approve' }).toString(),
    });
    expect(forged.status).toBe(403);
    await context.close();
  });

  it('accepts OIDC access tokens (JWT) from the issuer for machine clients, but not ID tokens or forgeries', async () => {
    const res = await fetch(`${h.idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ROBOT.ClientId, client_secret: ROBOT.ClientSecret }).toString(),
    });
    const jwt = ((await res.json()) as { access_token: string }).access_token;
    secrets.push(jwt);
    expect((await api(h, 'GET', '/api/v1/me', { token: jwt })).body).toMatchObject({ sub: 'robot', roles: ['full-access'], auth: { kind: 'oidc' } });
    expect((await api(h, 'POST', '/api/v1/tokens', { token: jwt, body: { name: 'robot pat' } })).status).toBe(201);
    const [head, body] = jwt.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), realm_access: { roles: ['admin'] } })).toString('base64url')}.${jwt.split('.')[2]}`;
    expect((await api(h, 'GET', '/api/v1/me', { token: forged })).status).toBe(401);
    // an ID token (audience = the gateway's client id) is not an access token
    const c = new NodeBrowser();
    const cb = new URL(await c.loginUntilCallback(h, 'alice', 'alice'));
    const tokenRes = await fetch(`${h.idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: `${h.url}/auth/callback`, client_id: 'wharf-gateway', client_secret: CLIENT_SECRET }).toString(),
    });
    const idToken = ((await tokenRes.json()) as { id_token?: string }).id_token;
    if (idToken) expect((await api(h, 'GET', '/api/v1/me', { token: idToken })).status).toBe(401);
    expect((await h.rpc.rpc(IdentityContracts.verifyToken, { token: jwt }, null)).kind).toBe('oidc');
  });

  it('keeps an audit trail admins can filter and page, with no secret or token in it', async () => {
    const all = await api(h, 'GET', '/api/v1/audit?limit=200', { token: h.adminToken });
    const actions = new Set(all.body.items.map((e: { action: string }) => e.action));
    for (const a of ['auth.login', 'device.start', 'device.approve', 'device.deny', 'device.verify', 'token.create', 'token.revoke']) expect(actions).toContain(a);
    const approve = all.body.items.find((e: { action: string }) => e.action === 'device.approve');
    expect(approve).toMatchObject({ actor: { name: 'bob', kind: 'session' }, outcome: 'success', requestId: expect.any(String), ip: expect.stringMatching(/127\.0\.0\.1/) });

    const page1 = await api(h, 'GET', '/api/v1/audit?action=device.*&limit=2', { token: h.adminToken });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await api(h, 'GET', `/api/v1/audit?action=device.*&limit=2&cursor=${page1.body.nextCursor}`, { token: h.adminToken });
    expect(page2.body.items[0].id < page1.body.items[1].id).toBe(true);
    // cursors are the shared opaque ones: a raw id is refused, naming the parameter
    const raw = await api(h, 'GET', `/api/v1/audit?cursor=${page1.body.items[1].id}`, { token: h.adminToken });
    expect(raw).toMatchObject({ status: 400, body: { error: { code: 'INVALID', message: expect.stringMatching(/^cursor is not valid/) } } });
    const tokens1 = await api(h, 'GET', '/api/v1/tokens?all=true&limit=1', { token: h.adminToken });
    const tokens2 = await api(h, 'GET', `/api/v1/tokens?all=true&limit=1&cursor=${tokens1.body.nextCursor}`, { token: h.adminToken });
    expect(tokens2.body.items[0].id > tokens1.body.items[0].id).toBe(true);
    expect((await api(h, 'GET', `/api/v1/tokens?cursor=${tokens1.body.items[0].id}`, { token: h.adminToken })).status).toBe(400);
    const denied = await api(h, 'GET', '/api/v1/audit?outcome=denied&actor=vic', { token: h.adminToken });
    expect(denied.body.items.every((e: { outcome: string; actor: { name: string } }) => e.outcome === 'denied' && e.actor.name === 'vic')).toBe(true);
    expect(denied.body.items.length).toBeGreaterThan(0);
    const future = await api(h, 'GET', `/api/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: h.adminToken });
    expect(future.body.items).toEqual([]);
    expect((await api(h, 'GET', '/api/v1/audit?outcome=maybe', { token: h.adminToken })).status).toBe(400);

    const dump = JSON.stringify(await h.prisma.auditEvent.findMany());
    for (const s of secrets) expect(dump).not.toContain(s);
    expect(dump).not.toMatch(/wharf_pat_[A-Za-z0-9]{10}|wharf_dc_|eyJ[A-Za-z0-9_-]{10,}\./);
    const sessions = await h.prisma.session.findMany();
    for (const s of sessions) expect(dump).not.toContain(s.csrfToken);
  });
});

describe('identity without an OpenID provider, and rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ LoginRatePerMinute: 2, TokenRatePerMinute: 3 }, { idp: false });
  }, 60_000);
  afterAll(() => h?.close());

  it('answers browser and device login with a clear 503 naming the keys to set', async () => {
    const login = await api(h, 'GET', '/auth/login');
    expect(login.status).toBe(503);
    expect(login.body.error.message).toMatch(/Gateway\.OidcIssuer.*Gateway\.OidcClientSecret/);
    expect((await api(h, 'POST', '/auth/device', { body: {} })).status).toBe(503);
    expect((await api(h, 'GET', '/auth/session')).body).toMatchObject({ authenticated: false, loginConfigured: false });
    expect((await api(h, 'GET', '/api/v1/me', { token: h.adminToken })).status).toBe(200);
  });

  it('rate-limits login and token endpoints with 429 and Retry-After', async () => {
    await api(h, 'GET', '/auth/login');
    const limited = await api(h, 'GET', '/auth/login');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { name: `t${i}` } })).status);
    expect(codes.slice(0, 2)).toEqual([201, 201]); // (POST /auth/device above spent one of this IP's 3)
    expect(codes[3]).toBe(429);
  });
});
