// Test-only (excluded from the build): an in-process gateway wired to an in-process dev OpenID
// provider, real Postgres (createTestDatabase) and a private nats-server, plus Chromium helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { PlatformConfigSchema } from '@wharf/config';
import { RpcClient } from '@wharf/nats';
import { createTestDatabase, reservePort, startNatsServer } from '@wharf/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
// The dev provider is another app: specs may start it in-process; production code never imports it.
import { DEFAULT_USER_PROFILES, DevIdpConfigSchema, type DevIdpConfig } from '../../../dev-idp/src/dev-idp.config';
import { startDevIdp, type RunningDevIdp } from '../../../dev-idp/src/dev-idp';
import { startGateway } from '../bootstrap';
import { GatewayConfigSchema, type GatewayConfig } from '../gateway.config';
import { PrismaService } from '../prisma/prisma.service';

export const CLIENT_SECRET = 'harness-client-secret-0123456789';
export const ROBOT = { ClientId: 'robot', ClientSecret: 'robot-secret-0123456789', Roles: ['full-access'] };
/** The dev provider's default users, with passwords of this harness only (the provider itself generates them). */
export const USERS = [...DEFAULT_USER_PROFILES.map((u) => ({ ...u, Roles: [...u.Roles], Password: u.Username })), { Username: 'nora', Password: 'nora', Roles: [] }];

export interface Harness {
  url: string;
  idp: RunningDevIdp;
  app: INestApplication;
  adminToken: string;
  rpc: RpcClient;
  prisma: PrismaService;
  /** Restarts the provider on the same port and key with other users (roles changed "in Keycloak"). */
  restartIdp(users: DevIdpConfig['Users']): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(gateway: Partial<Record<keyof GatewayConfig, unknown>> = {}, opts: { idp?: boolean } = {}): Promise<Harness> {
  const nats = await startNatsServer();
  const db = await createTestDatabase('wharf_identity');
  const { port, release } = await reservePort();
  const url = `http://127.0.0.1:${port}`;
  const keysDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-idp-'));
  const idpConfig = (users: DevIdpConfig['Users'], idpPort = 0) =>
    DevIdpConfigSchema.parse({
      Port: idpPort,
      ClientSecret: CLIENT_SECRET,
      RedirectUris: [`${url}/auth/callback`],
      PostLogoutRedirectUris: [`${url}/auth/logged-out`],
      MachineClients: [ROBOT],
      Users: users,
      KeysFile: path.join(keysDir, 'key.json'),
    });
  let idp = await startDevIdp(idpConfig(USERS), { quiet: true });
  const settings = {
    platform: PlatformConfigSchema.parse({ NatsUrl: nats.url, LogLevel: 'error', InternalSecret: 'harness-internal-secret-0123456789' }),
    gateway: GatewayConfigSchema.parse({
      Port: port,
      DatabaseUrl: db.url,
      ...(opts.idp === false ? {} : { OidcIssuer: idp.issuer, OidcClientSecret: CLIENT_SECRET, OidcAudience: 'urn:wharf:api' }),
      ...gateway,
    }),
  };
  const { app, adminToken } = await startGateway(settings, { quiet: true, listen: false });
  await release();
  await app.listen(port, settings.gateway.Host);
  const rpc = app.get(RpcClient);
  await rpc.connect();
  return {
    url,
    get idp() {
      return idp;
    },
    app,
    adminToken: adminToken!,
    rpc,
    prisma: app.get(PrismaService),
    restartIdp: async (users) => {
      const p = idp.port;
      await idp.close();
      idp = await startDevIdp(idpConfig(users, p), { quiet: true });
    },
    close: async () => {
      await app.close();
      await idp.close();
      await nats.stop();
      await db.drop();
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens `${gateway}/auth/login?next=…`, signs in on the provider's form, and waits to be back on the gateway. */
export async function signIn(page: Page, gateway: string, username: string, password: string, next = '/api/v1/me'): Promise<void> {
  await page.goto(`${gateway}/auth/login?next=${encodeURIComponent(next)}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => u.origin === new URL(gateway).origin, { timeout: 15_000 }), page.click('button[type=submit]')]);
}

/** The page's session cookie, for driving the API like the browser does but from the test. */
export async function sessionCookie(context: BrowserContext, gateway: string): Promise<string> {
  const c = (await context.cookies(gateway)).find((x) => x.name === 'wharf_session');
  if (!c) throw new Error('no session cookie');
  return `wharf_session=${c.value}`;
}

export async function api(
  h: { url: string },
  method: string,
  p: string,
  opts: { token?: string; cookie?: string; csrf?: string; body?: unknown; origin?: string } = {},
): Promise<{ status: number; body: ReturnType<typeof JSON.parse>; headers: Headers }> {
  const res = await fetch(`${h.url}${p}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  let body: ReturnType<typeof JSON.parse> = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // HTML
  }
  return { status: res.status, body, headers: res.headers };
}

/** A cookie-keeping HTTP client (per origin), for flows driven without Chromium. */
export class NodeBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  cookie(origin: string): string {
    return [...(this.jars.get(new URL(origin).origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: this.cookie(origin) } });
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      if (/Max-Age=0/i.test(c)) jar.delete(name);
      else jar.set(name, pair!.slice(i + 1));
    }
    return res;
  }

  /** Starts a login at the gateway and signs in at the provider; returns the callback URL without opening it. */
  async loginUntilCallback(h: { url: string }, username: string, password: string, next = '/'): Promise<string> {
    let res = await this.get(`${h.url}/auth/login?next=${encodeURIComponent(next)}`);
    let url = new URL(res.headers.get('location')!, h.url).toString();
    for (let i = 0; i < 10; i++) {
      if (url.startsWith(`${h.url}/auth/callback`)) return url;
      res = await this.get(url);
      if (res.status === 200 && /name="password"/.test(await res.text())) {
        res = await this.get(`${url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username, password }).toString(),
        });
      }
      url = new URL(res.headers.get('location')!, url).toString();
    }
    throw new Error('no callback');
  }
}
