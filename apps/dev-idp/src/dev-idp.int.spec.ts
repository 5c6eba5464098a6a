import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { DevIdpConfigSchema } from './dev-idp.config';
import { startDevIdp, type RunningDevIdp } from './dev-idp';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-dev-idp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real authorization-code flow against the dev provider, driven with plain HTTP (cookies by hand). */
describe('dev-idp (oidc-provider)', () => {
  let idp: RunningDevIdp;
  const redirect = 'http://127.0.0.1:9/auth/callback';
  const config = DevIdpConfigSchema.parse({
    Port: 0,
    ClientSecret: 'test-client-secret-0123456789',
    RedirectUris: [redirect],
    MachineClients: [{ ClientId: 'robot', ClientSecret: 'robot-secret-0123456789', Roles: ['full-access'] }],
    PasswordsFile: path.join(dir, 'passwords.json'),
  });
  const password = (username: string) => idp.users.find((u) => u.Username === username)!.Password;

  beforeAll(async () => {
    idp = await startDevIdp(config, { quiet: true });
  });
  afterAll(() => idp?.close());

  it('publishes discovery with the endpoints the gateway uses', async () => {
    const d = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(d).toMatchObject({ issuer: idp.issuer });
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'end_session_endpoint']) expect(d[k]).toMatch(/^http:\/\/127\.0\.0\.1/);
  });

  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  async function go(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  }

  async function login(username: string, password: string) {
    jar.clear();
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const q = new URLSearchParams({
      client_id: config.ClientId, response_type: 'code', redirect_uri: redirect, scope: 'openid profile email roles',
      state: 's1', nonce: 'n1', code_challenge: challenge, code_challenge_method: 'S256',
    });
    let res = await go(`${idp.issuer}/auth?${q}`);
    expect(res.status).toBe(303);
    const interaction = new URL(res.headers.get('location')!, idp.issuer).toString();
    res = await go(interaction);
    expect(await res.text()).toContain('name="password"');
    res = await go(`${interaction}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }).toString(),
    });
    return { res, verifier };
  }

  it('refuses a wrong password on its login form', async () => {
    const { res } = await login('alice', 'wrong');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Wrong username or password');
  });

  it('gives the default users generated passwords, kept (mode 0600) across restarts; the old fixed ones fail', async () => {
    const file = path.join(dir, 'passwords.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['admin', 'alice', 'bob', 'vic']);
    for (const u of idp.users) {
      expect(u.Password).toBe(stored[u.Username]);
      expect(u.Password.length).toBeGreaterThanOrEqual(16);
    }
    for (const u of ['admin', 'alice', 'bob', 'vic']) expect((await login(u, u)).res.status).toBe(401);
    const again = await startDevIdp(config, { quiet: true });
    try {
      expect(again.users).toEqual(idp.users);
    } finally {
      await again.close();
    }
    const elsewhere = await startDevIdp({ ...config, PasswordsFile: path.join(dir, 'other.json') }, { quiet: true });
    try {
      expect(elsewhere.users.find((u) => u.Username === 'admin')!.Password).not.toBe(password('admin'));
    } finally {
      await elsewhere.close();
    }
  });

  it('needs a client secret that is not the known default', () => {
    expect(DevIdpConfigSchema.safeParse({}).error?.issues[0]).toMatchObject({ path: ['ClientSecret'], message: expect.stringMatching(/required.*openssl rand -hex 32/) });
    expect(DevIdpConfigSchema.safeParse({ ClientSecret: 'wharf-dev-client-secret-change-me' }).error?.issues[0]?.message).toMatch(/publicly known default/);
  });

  it('signs a user in and issues a signed ID token with nonce and roles', async () => {
    const started = await login('alice', password('alice'));
    const { verifier } = started;
    let { res } = started;
    for (let i = 0; i < 5 && res.status >= 300 && res.status < 400; i++) {
      const loc = new URL(res.headers.get('location')!, idp.issuer).toString();
      if (loc.startsWith(redirect)) break;
      res = await go(loc);
    }
    const cb = new URL(res.headers.get('location')!);
    expect(cb.origin + cb.pathname).toBe(redirect);
    expect(cb.searchParams.get('state')).toBe('s1');
    const token = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: redirect,
        client_id: config.ClientId, client_secret: config.ClientSecret, code_verifier: verifier,
      }),
    });
    expect(token.status).toBe(200);
    const { id_token } = (await token.json()) as { id_token: string };
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    const { payload } = await jwtVerify(id_token, jwks, { issuer: idp.issuer, audience: config.ClientId });
    expect(payload).toMatchObject({ sub: 'alice', nonce: 'n1', preferred_username: 'alice', realm_access: { roles: ['full-access'] } });
  });

  it('issues JWT access tokens for the Wharf API audience to machine clients', async () => {
    const res = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'robot', client_secret: 'robot-secret-0123456789' }),
    });
    expect({ status: res.status, body: res.status === 200 ? 'ok' : await res.text() }).toEqual({ status: 200, body: 'ok' });
    const { access_token } = (await res.json()) as { access_token: string };
    expect(decodeJwt(access_token)).toMatchObject({ iss: idp.issuer, aud: 'urn:wharf:api', sub: 'robot', realm_access: { roles: ['full-access'] } });
  });
});
