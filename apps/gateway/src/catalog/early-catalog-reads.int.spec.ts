import http from 'node:http';
import { buildBundle } from '@wharf/testing';
import { api, type Harness } from '../testing/identity.harness';
import { startGatewayWithRepository, type GatewayWithRepository } from '../testing/repository.harness';

jest.setTimeout(60_000);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One GET over node:http, headers as sent (fetch would add its own and hide some). */
function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The headers two answers must share: all but the date and the request's own id. */
const comparable = (a: Answer) => {
  const { date: _date, 'x-request-id': id, ...rest } = a.headers;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return { status: a.status, headers: rest, body: a.body };
};

describe('early catalog reads: cached answers before Express and Nest, as the framework answers them', () => {
  let sys: GatewayWithRepository;
  let h: Harness;
  const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
  let aliceTokenId = '';
  let versionId = '';

  /** wharf_gateway_catalog_answers_total by source, and the request histogram's count by route and status. */
  async function counts(): Promise<{ early: number; cache: number; repository: number; routes: Record<string, number> }> {
    const text = await (await fetch(`${h.url}/metrics`)).text(); // loopback: no metrics token needed
    const source = (s: string) => Number(new RegExp(`^wharf_gateway_catalog_answers_total\\{[^}]*source="${s}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const routes: Record<string, number> = {};
    for (const m of text.matchAll(/^wharf_http_request_duration_seconds_count\{([^}]*)\} (\S+)$/gm)) {
      const label = (n: string) => new RegExp(`${n}="([^"]*)"`).exec(m[1]!)?.[1];
      if (label('method') === 'GET' && label('route')!.startsWith('/api/v1/apps')) routes[`${label('route')} ${label('status')}`] = Number(m[2]);
    }
    return { early: source('early'), cache: source('cache'), repository: source('repository'), routes };
  }

  /** What a block of reads moved the counters by. */
  async function moved(reads: () => Promise<void>): Promise<{ early: number; cache: number; repository: number; routes: Record<string, number> }> {
    const before = await counts();
    await reads();
    const after = await counts();
    const routes: Record<string, number> = {};
    for (const [k, v] of Object.entries(after.routes)) if (v !== (before.routes[k] ?? 0)) routes[k] = v - (before.routes[k] ?? 0);
    return { early: after.early - before.early, cache: after.cache - before.cache, repository: after.repository - before.repository, routes };
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    sys = await startGatewayWithRepository('wharf_gw_early', { CatalogCacheMs: 60_000 });
    h = sys.h;
    for (const user of ['alice', 'bob'] as const) {
      const minted = await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user } });
      tokens[user] = minted.body.token;
      if (user === 'alice') aliceTokenId = minted.body.id;
    }
    const zip = await buildBundle({
      app: { name: 'early', version: '1.0.0', env: [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'payments', secretKey: 'stripe-key' }] },
    });
    const imported = await fetch(`${h.url}/api/v1/bundles`, { method: 'POST', headers: { ...bearer(tokens.alice), 'content-type': 'application/zip' }, body: new Uint8Array(zip) });
    expect(imported.status).toBe(201);
    versionId = ((await imported.json()) as { id: string }).id;
    expect((await api(h, 'PATCH', `/api/v1/apps/${versionId}`, { token: tokens.alice, body: { visibility: 'ALL_USERS' } })).status).toBe(200);
  });

  afterAll(async () => {
    await sys?.close();
  });

  it('answers a second read early, byte for byte and header for header the framework’s first; metrics under the same route', async () => {
    const paths = [
      ['/api/v1/apps', '/api/v1/apps'],
      ['/api/v1/apps?q=ear%6Cy+&limit=5&sort=name', '/api/v1/apps'], // encoded parameters, parsed as Express parses them
      ['/api/v1/apps?allVersions=true', '/api/v1/apps'],
      ['/api/v1/apps/early', '/api/v1/apps/:id'],
      ['/api/v1/apps/early%401.0.0', '/api/v1/apps/:id'], // the id decoded as Express decodes it
      [`/api/v1/apps/${versionId}`, '/api/v1/apps/:id'],
    ] as const;
    for (const [path, route] of paths) {
      let first: Answer | undefined;
      let second: Answer | undefined;
      const firstMoved = await moved(async () => void (first = await get(h.url, path, bearer(tokens.alice))));
      expect(firstMoved).toMatchObject({ early: 0, repository: 1, routes: { [`${route} 200`]: 1 } });
      const secondMoved = await moved(async () => void (second = await get(h.url, path, bearer(tokens.alice))));
      expect(secondMoved).toMatchObject({ early: 1, cache: 0, repository: 0, routes: { [`${route} 200`]: 1 } });
      expect(first!.status).toBe(200);
      expect(comparable(second!)).toEqual(comparable(first!));
    }
    // the same, anonymous: what the catalog shows to anyone (here nothing: no app is PUBLIC)
    const anonymous = await moved(async () => {
      const a = await get(h.url, '/api/v1/apps');
      const b = await get(h.url, '/api/v1/apps');
      expect(comparable(b)).toEqual(comparable(a));
      expect(JSON.parse(b.body)).toEqual({ items: [], nextCursor: null });
    });
    expect(anonymous).toMatchObject({ early: 1, repository: 1 });
  });

  it('echoes a sane X-Request-Id, answers a matching If-None-Match with 304 as Express does, and a stale one with the page', async () => {
    const page = await get(h.url, '/api/v1/apps/early', bearer(tokens.alice));
    const etag = page.headers.etag!;
    const m = await moved(async () => {
      const notModified = await get(h.url, '/api/v1/apps/early', { ...bearer(tokens.alice), 'if-none-match': etag, 'x-request-id': 'trace-me-123' });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBe('');
      expect(notModified.headers).toMatchObject({ etag, 'cache-control': 'private, no-cache', 'x-request-id': 'trace-me-123' });
      expect(notModified.headers['content-type']).toBeUndefined();
      expect(notModified.headers['content-length']).toBeUndefined();
      const weak = await get(h.url, '/api/v1/apps/early', { ...bearer(tokens.alice), 'if-none-match': `"other", W/${etag}` });
      expect(weak.status).toBe(304);
      const stale = await get(h.url, '/api/v1/apps/early', { ...bearer(tokens.alice), 'if-none-match': '"stale"' });
      expect(stale.status).toBe(200);
      expect(stale.body).toBe(page.body);
    });
    expect(m).toMatchObject({ early: 3, cache: 0, repository: 0, routes: { '/api/v1/apps/:id 304': 2, '/api/v1/apps/:id 200': 1 } });
  });

  it('never hands one caller’s answer to another: each caller’s first read is their own load', async () => {
    await get(h.url, '/api/v1/apps/early', bearer(tokens.alice));
    const bobs = await moved(async () => {
      const first = await get(h.url, '/api/v1/apps/early', bearer(tokens.bob));
      expect(JSON.parse(first.body).env).toEqual([{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: null, secretKey: null }]);
      const again = await get(h.url, '/api/v1/apps/early', bearer(tokens.bob));
      expect(again.body).toBe(first.body);
    });
    expect(bobs).toMatchObject({ early: 1, repository: 1 });
    const alices = await get(h.url, '/api/v1/apps/early', bearer(tokens.alice));
    expect(JSON.parse(alices.body).env).toEqual([{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'payments', secretKey: 'stripe-key' }]);
  });

  it('leaves to the framework what it cannot answer as the framework would: other methods, paths, credentials and refusals', async () => {
    await get(h.url, '/api/v1/apps', bearer(tokens.alice)); // cached for alice
    await get(h.url, '/api/v1/apps'); // and for anonymous
    const m = await moved(async () => {
      // HEAD, a trailing slash, another case: Express's own answers
      expect((await get(h.url, '/api/v1/apps', bearer(tokens.alice), 'HEAD')).status).toBe(200);
      expect((await get(h.url, '/api/v1/apps/', bearer(tokens.alice))).status).toBe(200);
      expect((await get(h.url, '/API/v1/apps', bearer(tokens.alice))).status).toBe(200);
      // a NUL, a bad escape: 400 from the framework, never a cached page
      expect((await get(h.url, '/api/v1/apps?q=%00', bearer(tokens.alice))).status).toBe(400);
      expect((await get(h.url, '/api/v1/apps/%E0%A4%A', bearer(tokens.alice))).status).toBe(400);
      // a refused query is never cached: refused again, by the framework
      for (let i = 0; i < 2; i++) expect((await get(h.url, '/api/v1/apps?limit=5&limit=6', bearer(tokens.alice))).status).toBe(400);
      // credentials the early path cannot check without waiting: a browser session cookie (unknown
      // here: the catalog then answers as to anyone), an unknown token, a malformed header
      expect((await get(h.url, '/api/v1/apps', { cookie: 'wharf_session=not-a-session' })).status).toBe(200);
      const unknown = await get(h.url, '/api/v1/apps', bearer('wharf_pat_notarealtoken0000000000000000000000'));
      expect(unknown.status).toBe(401);
      expect(JSON.parse(unknown.body).error.message).toBe('the token is unknown, revoked or expired');
      expect((await get(h.url, '/api/v1/apps', { authorization: 'Basic YWxpY2U6eA==' })).status).toBe(401);
    });
    expect(m.early).toBe(0);
    expect(m.cache).toBe(4); // HEAD, the trailing slash, the other case, the cookie
    expect(m.repository).toBe(2); // the refused query, twice
  });

  it('answers a change at once: a new visibility is the next read’s, a revoked token is refused on the next read', async () => {
    const before = await get(h.url, '/api/v1/apps/early', bearer(tokens.bob));
    expect(before.status).toBe(200);
    await get(h.url, '/api/v1/apps/early', bearer(tokens.bob)); // cached: the next would be early
    expect((await api(h, 'PATCH', `/api/v1/apps/${versionId}`, { token: tokens.alice, body: { visibility: 'PRIVATE' } })).status).toBe(200);
    const hidden = await moved(async () => expect((await get(h.url, '/api/v1/apps/early', bearer(tokens.bob))).status).toBe(404));
    expect(hidden).toMatchObject({ early: 0, repository: 1 });

    await get(h.url, '/api/v1/apps', bearer(tokens.alice));
    expect((await get(h.url, '/api/v1/apps', bearer(tokens.alice))).status).toBe(200); // early
    expect((await api(h, 'DELETE', `/api/v1/tokens/${aliceTokenId}`, { token: tokens.alice })).status).toBe(200);
    const revoked = await moved(async () => {
      const res = await get(h.url, '/api/v1/apps', bearer(tokens.alice));
      expect(res.status).toBe(401);
    });
    expect(revoked.early).toBe(0);
  });
});
