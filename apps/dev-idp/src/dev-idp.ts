import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Account, ClientMetadata, Configuration, JWK, KoaContextWithOIDC } from 'oidc-provider';
import { DEFAULT_USER_PROFILES, type DevIdpConfig, type DevUser } from './dev-idp.config';
import { errorPage, loggedOutPage, loginPage, logoutPage } from './pages';

type ProviderClass = typeof import('oidc-provider').default;

/**
 * oidc-provider is ESM-only. Node 20.19+ loads it with require() (no flag); under Jest it is
 * transformed. Its import-time "Unsupported runtime" notice on Node 20 is dropped: every API it
 * needs (URL.parse, crypto.hash, structuredClone) is present in Node 20.19.
 */
function loadProvider(): ProviderClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = quietly(() => require('oidc-provider') as { default?: ProviderClass; Provider?: ProviderClass });
  return (mod.Provider ?? mod.default)!;
}

/** Runs fn without oidc-provider's two expected start-up warnings (Node 20; in-memory storage, which is the point here). */
function quietly<T>(fn: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /Unsupported runtime|in-memory adapter/.test(args[0])) return;
    warn(...args);
  };
  try {
    return fn();
  } finally {
    console.warn = warn;
  }
}

export interface RunningDevIdp {
  /** The issuer, e.g. http://127.0.0.1:8090 */
  issuer: string;
  port: number;
  /** Who may sign in, with their passwords. */
  users: DevUser[];
  close(): Promise<void>;
}

const SCOPES = ['openid', 'profile', 'email', 'roles', 'offline_access'];

/** A signing key: from `KeysFile` (created on first start), else a fresh one. */
function signingKey(file: string | undefined): JWK {
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  }
  return jwk;
}

/**
 * The users: `Users` when configured; else the default users, whose passwords are generated once
 * and kept in `PasswordsFile` (mode 0600), or generated at every start without one. No user ever
 * has a password that is written in the code.
 */
export function resolveDevUsers(config: Pick<DevIdpConfig, 'Users' | 'PasswordsFile'>): DevUser[] {
  if (config.Users) return config.Users;
  const file = config.PasswordsFile;
  let stored: Record<string, unknown> = {};
  if (file && existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`DevIdp.PasswordsFile ${file} is not valid JSON (${(e as Error).message}); remove it to generate new passwords`);
    }
  }
  const passwords: Record<string, string> = {};
  for (const u of DEFAULT_USER_PROFILES) {
    const p = stored[u.Username];
    passwords[u.Username] = typeof p === 'string' && p.length >= 12 ? p : randomBytes(12).toString('base64url');
  }
  if (file && DEFAULT_USER_PROFILES.some((u) => stored[u.Username] !== passwords[u.Username])) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  }
  if (file) chmodSync(file, 0o600);
  return DEFAULT_USER_PROFILES.map((u) => ({ ...u, Roles: [...u.Roles], Password: passwords[u.Username]! }));
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function userClaims(u: DevUser) {
  return {
    sub: u.Username,
    name: u.Name ?? u.Username,
    preferred_username: u.Username,
    email: u.Email ?? `${u.Username}@wharf.test`,
    email_verified: true,
    // Keycloak's shape (realm roles) and a flat `groups`, so either claim path can be configured.
    realm_access: { roles: u.Roles },
    groups: u.Roles,
  };
}

async function readForm(req: http.IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > limit) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function send(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
  res.end(html);
}

/** Starts the development OpenID provider: a real oidc-provider with users and clients from `[DevIdp]`. */
export async function startDevIdp(config: DevIdpConfig, opts: { quiet?: boolean } = {}): Promise<RunningDevIdp> {
  const Provider = loadProvider();
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.Port, config.Host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = (config.Issuer ?? `http://127.0.0.1:${port}`).replace(/\/$/, '');
  const userList = resolveDevUsers(config);
  const users = new Map(userList.map((u) => [u.Username, u]));
  const machines = new Map(config.MachineClients.map((m) => [m.ClientId, m]));

  const clients: ClientMetadata[] = [
    {
      client_id: config.ClientId,
      client_secret: config.ClientSecret,
      client_name: 'Wharf',
      redirect_uris: config.RedirectUris,
      post_logout_redirect_uris: config.PostLogoutRedirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
    ...config.MachineClients.map(
      (m): ClientMetadata => ({
        client_id: m.ClientId,
        client_secret: m.ClientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
      }),
    ),
  ];

  const ttl = config.AccessTokenTtlSeconds;
  const configuration: Configuration = {
    clients,
    jwks: { keys: [signingKey(config.KeysFile)] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: SCOPES,
    claims: {
      // Roles come with every token, as with Keycloak's default `roles` client scope.
      openid: ['sub', 'realm_access', 'groups'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Scope-requested claims go into the ID token too (the gateway reads roles from it).
    conformIdTokenClaims: false,
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form, ctx.host);
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = loggedOutPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        // Client credentials without `resource` get a token for the Wharf API, as Keycloak's audience mapper does.
        defaultResource: (ctx: KoaContextWithOIDC, _client: unknown, oneOf?: readonly string[]) =>
          oneOf?.[0] ?? (ctx.oidc.params?.grant_type === 'client_credentials' ? config.Audience : undefined),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, indicator: string) => {
          if (indicator !== config.Audience) throw new Error(`unknown resource ${indicator}`);
          return { scope: 'openid profile email roles', audience: config.Audience, accessTokenFormat: 'jwt', accessTokenTTL: ttl };
        },
      },
    },
    extraTokenClaims: (_ctx: KoaContextWithOIDC, token: { accountId?: string; clientId?: string }) => {
      // Roles in access tokens as Keycloak puts them, for users and machine clients alike.
      const roles = token.accountId ? users.get(token.accountId)?.Roles : token.clientId ? machines.get(token.clientId)?.Roles : undefined;
      return roles ? { realm_access: { roles }, preferred_username: token.accountId ?? token.clientId } : undefined;
    },
    findAccount: (_ctx: KoaContextWithOIDC, sub: string): Account | undefined => {
      const u = users.get(sub);
      if (!u) return undefined;
      return { accountId: sub, claims: () => userClaims(u) };
    },
    // First-party client: consent is implied, so the user only sees the login form.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(SCOPES.join(' '));
      grant.addOIDCClaims(['realm_access', 'groups', 'name', 'preferred_username', 'email', 'email_verified']);
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    renderError: (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = errorPage({ ...out });
    },
    clientBasedCORS: () => false,
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      IdToken: ttl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      RefreshToken: 8 * 3600,
    },
  };

  const provider = quietly(() => new Provider(issuer, configuration));
  provider.proxy = issuer.startsWith('https:');
  const log = opts.quiet ? () => {} : (line: string) => console.log(line);
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error(`dev-idp: ${err.stack ?? err.message}`));
  const handle = provider.callback();

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(url.pathname);
    if (!m) return void handle(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        const clientId = String(details.params.client_id ?? '');
        const action = `/interaction/${details.uid}/login`;
        if (details.prompt.name !== 'login') {
          // Consent is implied for configured clients (loadExistingGrant); anything else ends the interaction.
          return await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'consent is not available' });
        }
        if (req.method === 'GET' && !m[2]) return send(res, 200, loginPage({ action, clientId }));
        if (req.method !== 'POST' || !m[2]) return send(res, 405, errorPage({ error: 'method not allowed' }));
        const form = await readForm(req);
        const username = form.get('username') ?? '';
        const user = users.get(username);
        if (!user || !sameSecret(form.get('password') ?? '', user.Password)) {
          log(`dev-idp: failed sign-in for ${JSON.stringify(username)}`);
          return send(res, 401, loginPage({ action, clientId, username, error: 'Wrong username or password.' }));
        }
        log(`dev-idp: ${user.Username} signed in`);
        await provider.interactionFinished(req, res, { login: { accountId: user.Username } }, { mergeWithLastSubmission: false });
      } catch (e) {
        if (!res.headersSent) send(res, 400, errorPage({ error: e instanceof Error ? e.message : String(e) }));
      }
    })();
  });

  return {
    issuer,
    port,
    users: userList,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
