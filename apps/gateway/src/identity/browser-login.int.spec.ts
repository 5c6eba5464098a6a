import type { Browser } from 'playwright-core';
import { IdentityContracts, WharfError } from '@wharf/contracts';
import { api, launchChromium, NodeBrowser, sessionCookie, signIn, startHarness, USERS, type Harness } from '../testing/identity.harness';

jest.setTimeout(60_000);

/** The whole browser flow in real Chromium against the dev OpenID provider. */
describe('browser sign-in (OIDC) in Chromium', () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness({ LoginRatePerMinute: 1000 }), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('signs in, calls the API with the session, creates a token with CSRF, and signs out (also at the provider)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const setCookies: string[] = [];
    page.on('response', async (r) => {
      if (r.url().startsWith(`${h.url}/auth/callback`)) setCookies.push(...((await r.headersArray()).filter((x) => x.name.toLowerCase() === 'set-cookie').map((x) => x.value)));
    });
    await signIn(page, h.url, 'alice', 'alice', '/api/v1/me');
    expect(new URL(page.url()).pathname).toBe('/api/v1/me');
    const me = JSON.parse((await page.textContent('body'))!);
    expect(me).toMatchObject({ sub: 'alice', name: 'alice', roles: ['full-access'], auth: { kind: 'session' } });

    // cookie: HttpOnly, SameSite=Lax, host-only (no Domain), not Secure on plain http
    const session = setCookies.find((c) => c.startsWith('wharf_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).not.toMatch(/Domain=/i);
    expect(session).not.toMatch(/Secure/);
    const [cookie] = (await context.cookies(h.url)).filter((c) => c.name === 'wharf_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', domain: '127.0.0.1' });
    expect(await page.evaluate('document.cookie')).not.toContain('wharf_session');

    // a mutating request with the cookie but without the CSRF token is refused; with it, it works
    const noCsrf = await page.evaluate(async () => (await fetch('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' })).status);
    expect(noCsrf).toBe(403);
    const created = await page.evaluate(async () => {
      const s = (await (await fetch('/auth/session')).json()) as { csrfToken: string };
      const r = await fetch('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken }, body: '{"name":"from the browser"}' });
      return { status: r.status, body: (await r.json()) as { token: string } };
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^wharf_pat_/);
    expect((await api(h, 'GET', '/api/v1/me', { token: created.body.token })).body).toMatchObject({ name: 'alice', roles: ['full-access'] });

    // sign out: the gateway session ends and the provider's too (RP-initiated logout)
    await page.goto(`${h.url}/auth/logout`);
    await page.click('#sign-out');
    await page.waitForURL((u) => u.origin === h.idp.issuer);
    await Promise.all([page.waitForURL(`${h.url}/auth/logged-out`), page.click('button[name=logout]')]);
    expect(await page.textContent('h1')).toBe('Signed out');
    expect(await page.evaluate(async () => (await fetch('/api/v1/me')).status)).toBe(401);
    await page.goto(`${h.url}/auth/login`);
    expect(await page.locator('#password').count()).toBe(1); // asked to sign in again
    await context.close();

    const audit = await api(h, 'GET', '/api/v1/audit?actor=alice', { token: h.adminToken });
    const actions = audit.body.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['auth.login:success', 'auth.logout:success', 'token.create:success', 'token.create:denied']));
  });

  it('never redirects off-site after login (open redirects)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, 'bob', 'bob', 'https://evil.example/steal');
    expect(page.url()).toBe(`${h.url}/`);
    for (const next of ['//evil.example/x', '/\\evil.example', 'javascript:alert(1)', `${h.idp.issuer}/x`]) {
      await page.goto(`${h.url}/auth/login?next=${encodeURIComponent(next)}`); // the provider session signs in silently
      await page.waitForURL((u) => u.origin === h.url && !u.pathname.startsWith('/auth'));
      expect(new URL(page.url()).origin).toBe(h.url);
    }
    await context.close();
  });

  it('refuses callbacks with forged, replayed or foreign state (login CSRF)', async () => {
    const forged = await api(h, 'GET', '/auth/callback?code=abc&state=forged');
    expect(forged.status).toBe(403);
    expect(String(forged.body)).toContain('unknown, used or expired');

    // a callback URL obtained in one browser does not sign in another; and its state is spent after one use
    const a = new NodeBrowser();
    const callback = await a.loginUntilCallback(h, 'alice', 'alice');
    const b = new NodeBrowser();
    const other = await b.get(callback);
    expect(other.status).toBe(403);
    expect(await other.text()).toContain('another browser');
    expect(b.cookie(h.url)).not.toContain('wharf_session');
    expect((await a.get(callback)).status).toBe(403); // the state was spent by the first attempt
    // control: the browser that started a fresh login completes it
    const c = new NodeBrowser();
    const ok = await c.get(await c.loginUntilCallback(h, 'alice', 'alice'));
    expect(ok.status).toBe(303);
    expect(c.cookie(h.url)).toContain('wharf_session=');
  });

  it('refuses cookie-authenticated changes without the CSRF token or from another origin; bearer requests need none', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, 'bob', 'bob');
    const cookie = await sessionCookie(context, h.url);
    const { csrfToken } = (await api(h, 'GET', '/auth/session', { cookie })).body;
    expect((await api(h, 'POST', '/api/v1/tokens', { cookie, body: {} })).status).toBe(403);
    expect((await api(h, 'POST', '/api/v1/tokens', { cookie, csrf: 'wrong', body: {} })).status).toBe(403);
    expect((await api(h, 'POST', '/api/v1/tokens', { cookie, csrf: csrfToken, origin: 'http://evil.example', body: {} })).status).toBe(403);
    expect((await api(h, 'POST', '/api/v1/tokens', { cookie, csrf: csrfToken, origin: h.url, body: {} })).status).toBe(201);
    expect((await api(h, 'GET', '/api/v1/tokens', { cookie })).status).toBe(200);
    expect((await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { name: 'no csrf needed' } })).status).toBe(201);
    // the logout form needs the token too
    expect((await api(h, 'POST', '/auth/logout', { cookie })).status).toBe(403);
    expect((await api(h, 'GET', '/api/v1/me', { cookie })).status).toBe(200);
    await context.close();
  });

  it('takes roles from the ID token claims: what a visitor, a full-access user and an admin may do', async () => {
    const as = async (user: string) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, h.url, user, user);
      const cookie = await sessionCookie(context, h.url);
      const csrf = (await api(h, 'GET', '/auth/session', { cookie })).body.csrfToken as string;
      await context.close();
      return { cookie, csrf };
    };
    const vic = await as('vic');
    expect((await api(h, 'GET', '/api/v1/me', vic)).body.roles).toEqual(['visitor']);
    expect((await api(h, 'GET', '/api/v1/audit', vic)).status).toBe(403);
    expect((await api(h, 'POST', '/api/v1/tokens', { ...vic, body: { user: 'someone', roles: ['admin'] } })).status).toBe(403);
    const nora = await as('nora'); // no roles claim values: Gateway.DefaultRole (visitor)
    expect((await api(h, 'GET', '/api/v1/me', nora)).body.roles).toEqual(['visitor']);
    const admin = await as('admin');
    expect((await api(h, 'GET', '/api/v1/me', admin)).body.roles).toEqual(['admin']);
    expect((await api(h, 'GET', '/api/v1/audit', admin)).status).toBe(200);
    expect((await api(h, 'GET', '/api/v1/tokens?all=true', admin)).status).toBe(200);
    expect((await api(h, 'GET', '/api/v1/tokens?all=true', vic)).status).toBe(403);
    const denied = await api(h, 'GET', '/api/v1/audit?actor=vic&outcome=denied', { token: h.adminToken });
    expect(denied.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['audit.read', 'token.create']));
  });

  it("refreshes a user's roles at each login, for the session and for their own tokens", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, 'bob', 'bob');
    const cookie = await sessionCookie(context, h.url);
    const csrf = (await api(h, 'GET', '/auth/session', { cookie })).body.csrfToken;
    const own = (await api(h, 'POST', '/api/v1/tokens', { cookie, csrf, body: { name: 'bob laptop' } })).body.token;
    const minted = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'bob', roles: ['full-access'], name: 'service' } })).body.token;
    // bob is moved to the visitor group at the provider; his next login carries it
    await h.restartIdp(USERS.map((u) => (u.Username === 'bob' ? { ...u, Roles: ['visitor'] } : u)));
    await context.clearCookies();
    await signIn(page, h.url, 'bob', 'bob');
    expect(JSON.parse((await page.textContent('body'))!).roles).toEqual(['visitor']);
    expect((await api(h, 'GET', '/api/v1/me', { token: own })).body.roles).toEqual(['visitor']);
    expect((await api(h, 'GET', '/api/v1/me', { token: minted })).body.roles).toEqual(['full-access']); // admin-minted: unchanged
    await h.restartIdp(USERS);
    await context.close();
  });

  it('issues single-use instance tickets bound to host and user, for apps-domain hosts only', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, h.url, 'alice', 'alice');
    const cookie = await sessionCookie(context, h.url);
    const go = await api(h, 'GET', `/auth/instance-ticket?host=abcde12345.apps.localhost:8081&next=${encodeURIComponent('/lab?x=1')}`, { cookie });
    expect(go.status).toBe(303);
    const u = new URL(go.headers.get('location')!);
    expect(u.origin + u.pathname).toBe('http://abcde12345.apps.localhost:8081/.wharf/ticket');
    expect(u.searchParams.get('next')).toBe('/lab?x=1');
    const ticket = u.searchParams.get('t')!;
    const C = IdentityContracts.redeemTicket;
    const fail = (p: Promise<unknown>) => p.then(() => null, (e: WharfError) => e.code);
    expect(await fail(h.rpc.rpc(C, { ticket, host: 'evil.apps.localhost:8081' }, null))).toBe('UNAUTHENTICATED');
    const redeemed = await h.rpc.rpc(C, { ticket, host: 'abcde12345.apps.localhost:8081' }, null);
    expect(redeemed).toEqual({
      caller: { sub: 'alice', name: 'alice', roles: ['full-access'] },
      host: 'abcde12345.apps.localhost:8081',
      session: expect.stringMatching(/^[0-9a-f]{64}$/),
      expiresAt: expect.any(String),
      share: null,
    });
    expect(await fail(h.rpc.rpc(C, { ticket, host: 'abcde12345.apps.localhost:8081' }, null))).toBe('UNAUTHENTICATED'); // single use
    // the router re-checks the session behind its cookie; signing out ends it
    const S = IdentityContracts.checkSession;
    await expect(h.rpc.rpc(S, { session: redeemed.session! }, null)).resolves.toEqual({ caller: redeemed.caller, expiresAt: redeemed.expiresAt });
    expect(await fail(h.rpc.rpc(S, { session: 'f'.repeat(64) }, null))).toBe('UNAUTHENTICATED');
    const bearer = await api(h, 'GET', '/auth/instance-ticket?host=abcde12345.apps.localhost:8081&next=/', { token: h.adminToken });
    expect(bearer.status).toBe(303); // a token is not a browser session: sign in first
    expect(bearer.headers.get('location')).toMatch(/^\/auth\/login/);
    expect(await fail(h.rpc.rpc(C, { ticket: ticket.replace(/.$/, 'A'), host: 'abcde12345.apps.localhost:8081' }, null))).toBe('UNAUTHENTICATED');

    expect((await api(h, 'GET', '/auth/instance-ticket?host=evil.example.com&next=/', { cookie })).status).toBe(400);
    expect((await api(h, 'GET', '/auth/instance-ticket?host=a.b.apps.localhost', { cookie })).status).toBe(400);
    const redirect = await api(h, 'GET', '/auth/instance-ticket?host=abcde12345.apps.localhost:8081&next=//evil', { cookie });
    expect(new URL(redirect.headers.get('location')!).searchParams.get('next')).toBe('/');
    const anon = await api(h, 'GET', '/auth/instance-ticket?host=abcde12345.apps.localhost:8081&next=/x');
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toMatch(/^\/auth\/login\?next=%2Fauth%2Finstance-ticket/);
    await context.close();
  });
});
