import { vi } from 'vitest';
import type { AppVersion, Instance, Runtime, SessionInfo, Tag } from '../api/client';

type Json = unknown;
export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Json;
}
type Handler = (req: Seen, match: RegExpExecArray) => { status: number; body?: Json } | Promise<{ status: number; body?: Json }>;

/**
 * A stand-in for the gateway at the network boundary: `fetch` is replaced, requests are routed by
 * method and path to handlers that answer as the REST API does, and every request is recorded.
 */
export class FakeGateway {
  readonly seen: Seen[] = [];
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];

  on(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.unshift({ method, pattern, handler });
    return this;
  }

  install(): this {
    vi.stubGlobal('fetch', async (input: Request | string, init?: RequestInit) => {
      const request = typeof input === 'string' ? new Request(new URL(input, window.location.origin), init) : input;
      const url = new URL(request.url);
      const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
      const seen: Seen = { method: request.method, path: url.pathname, query: url.searchParams, headers: request.headers, body: text ? JSON.parse(text) : undefined };
      this.seen.push(seen);
      for (const r of this.routes) {
        const m = r.method === request.method ? r.pattern.exec(url.pathname) : null;
        if (!m) continue;
        const { status, body } = await r.handler(seen, m);
        return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
      }
      return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${url.pathname}` } }), { status: 404 });
    });
    return this;
  }

  requests(method: string, path: string | RegExp): Seen[] {
    return this.seen.filter((s) => s.method === method && (typeof path === 'string' ? s.path === path : path.test(s.path)));
  }
}

export const error = (status: number, code: string, message: string, details?: Json) => ({ status, body: { error: { code, message, ...(details ? { details } : {}) } } });

export const alice: Extract<SessionInfo, { authenticated: true }> = {
  authenticated: true,
  user: { sub: 'sub-alice', name: 'alice', roles: ['full-access'] },
  csrfToken: 'csrf-alice',
  expiresAt: '2030-01-01T00:00:00.000Z',
};

let n = 0;
export function appVersion(over: Partial<AppVersion> & { name: string }): AppVersion & { env: [] } {
  n++;
  return {
    id: `av${n}`,
    version: '1.0.0',
    title: over.name.charAt(0).toUpperCase() + over.name.slice(1),
    description: `What ${over.name} does`,
    longDescription: null,
    categories: ['Data Science'],
    keywords: [],
    owner: { sub: 'sub-alice', name: 'alice' },
    visibility: 'PRIVATE',
    tags: [],
    runtime: { module: 'app', runtimeVersion: null, memoryLimit: null, memoryReservation: null, volumeMount: null, volumeSize: null, gpuCount: 0, gpuType: null, instanceTimeoutMinutes: null, lifecycle: 'ON_DEMAND', linkAddress: null, routingMode: null },
    env: [],
    sha256: '0'.repeat(64),
    size: 2048,
    hasIcon: false,
    screenshotCount: 0,
    createdAt: `2026-01-${String((n % 28) + 1).padStart(2, '0')}T10:00:00.000Z`,
    ...over,
  };
}

export const tag = (name: string, title: string, color: string): Tag => ({ name, title, color, description: '', visitorRoles: [], createdAt: '2026-01-01T00:00:00.000Z' });

export const runtime = (name: string, state: Runtime['state'], over: Partial<Runtime> = {}): Runtime => ({ name, image: `img/${name}`, default: false, state, stateReason: null, ...over });

export function instance(over: Partial<Instance> = {}): Instance {
  return {
    id: 'abcde12345',
    appVersionId: 'av1',
    appName: 'hello',
    appVersion: '1.0.0',
    appOwner: { sub: 'sub-alice', name: 'alice' },
    owner: { sub: 'sub-alice', name: 'alice' },
    visibility: 'PRIVATE',
    lifecycle: 'ON_DEMAND',
    runtime: 'python-3.11',
    status: 'PROVISIONING',
    statusReason: null,
    url: 'http://abcde12345.apps.localhost:8081',
    routingMode: 'DOMAIN',
    basePath: '/',
    aliases: [],
    primaryAlias: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastActivityAt: '2026-01-01T00:00:00.000Z',
    idle: { timeoutMinutes: 60, disabledByAdmin: false, keepAliveUntil: null },
    warnings: [],
    ...over,
  };
}

/** A gateway with a signed-in alice, a catalog that filters and sorts like the server's (q, category, tag; by name or `sort=newest`; cursor pages). */
export function gatewayWith(apps: AppVersion[], opts: { session?: SessionInfo; tags?: Tag[] } = {}): FakeGateway {
  return new FakeGateway()
    .on('GET', /^\/auth\/session$/, () => ({ status: 200, body: opts.session ?? alice }))
    .on('GET', /^\/api\/v1\/tags$/, () => ({ status: 200, body: { items: opts.tags ?? [], nextCursor: null } }))
    .on('GET', /^\/api\/v1\/apps$/, ({ query }) => {
      const q = query.get('q')?.toLowerCase();
      const matching = apps
        .filter((a) => !q || `${a.name} ${a.title} ${a.description}`.toLowerCase().includes(q))
        .filter((a) => !query.get('category') || a.categories.includes(query.get('category') as never))
        .filter((a) => !query.get('tag') || a.tags.some((t) => t.name === query.get('tag')))
        .sort(query.get('sort') === 'newest' ? (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id) : (a, b) => a.name.localeCompare(b.name));
      const start = Number(query.get('cursor') ?? 0);
      const limit = Number(query.get('limit') ?? 50);
      const items = matching.slice(start, start + limit);
      return { status: 200, body: { items, nextCursor: start + limit < matching.length ? String(start + limit) : null } };
    })
    .install();
}
