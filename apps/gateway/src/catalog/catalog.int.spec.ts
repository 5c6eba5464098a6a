import http from 'node:http';
import { buildBundle } from '@wharf/testing';
import { api, type Harness } from '../testing/identity.harness';
import { startGatewayWithRepository, type GatewayWithRepository } from '../testing/repository.harness';

jest.setTimeout(60_000);

describe('catalog through the gateway and a real repository: name owners, secret references', () => {
  let sys: GatewayWithRepository;
  let h: Harness;
  const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

  beforeAll(async () => {
    sys = await startGatewayWithRepository('wharf_gw_catalog');
    h = sys.h;
    for (const user of ['alice', 'bob'] as const) {
      tokens[user] = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user } })).body.token;
    }
  });

  afterAll(async () => {
    await sys?.close();
  });

  async function importAs(token: string, name: string, version: string) {
    const zip = await buildBundle({
      app: {
        name,
        version,
        env: [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'payments', secretKey: 'stripe-key' }],
        files: [{ path: '/etc/pay/config.ini', value: 'mode = live\n' }, { path: '/etc/pay/cert.pem', secret: 'payments', secretKey: 'tls.crt' }],
      },
    });
    const res = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
      body: new Uint8Array(zip),
    });
    return { status: res.status, body: (await res.json()) as { id: string; env: unknown[]; error?: { message: string } } };
  }

  it('shows the secret names and keys of [[Env]] and [[File]] to the owner and admins only, literal values to all', async () => {
    const imported = await importAs(tokens.alice, 'pay', '1.0.0');
    expect(imported.status).toBe(201);
    await api(h, 'PATCH', `/api/v1/apps/${imported.body.id}`, { token: tokens.alice, body: { visibility: 'ALL_USERS' } });
    const full = [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'payments', secretKey: 'stripe-key' }];
    const hidden = [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: null, secretKey: null }];
    const fullFiles = [{ path: '/etc/pay/config.ini', value: 'mode = live\n' }, { path: '/etc/pay/cert.pem', secret: 'payments', secretKey: 'tls.crt' }];
    const hiddenFiles = [{ path: '/etc/pay/config.ini', value: 'mode = live\n' }, { path: '/etc/pay/cert.pem', secret: null, secretKey: null }];
    for (const [token, env, files] of [
      [tokens.alice, full, fullFiles],
      [h.adminToken, full, fullFiles],
      [tokens.bob, hidden, hiddenFiles],
    ] as const) {
      expect((await api(h, 'GET', '/api/v1/apps/pay', { token })).body.env).toEqual(env);
      expect((await api(h, 'GET', '/api/v1/apps/pay', { token })).body.files).toEqual(files);
      expect((await api(h, 'GET', '/api/v1/apps?q=pay', { token })).body.items[0].files).toEqual(files);
      expect((await api(h, 'GET', `/api/v1/apps/${imported.body.id}`, { token })).body.env).toEqual(env);
      expect((await api(h, 'GET', '/api/v1/apps?q=pay', { token })).body.items[0].env).toEqual(env);
      expect((await api(h, 'GET', '/api/v1/apps/pay/versions', { token })).body.items[0].env).toEqual(env);
    }
    expect(JSON.stringify((await api(h, 'GET', '/api/v1/apps?allVersions=true', { token: tokens.bob })).body)).not.toMatch(/payments|stripe-key|tls\.crt/);
  });

  it("refuses a version of someone else's name (403), and lets an admin transfer the name (audited)", async () => {
    const squat = await importAs(tokens.bob, 'pay', '99.0.0');
    expect(squat.status).toBe(403);
    expect(squat.body.error?.message).toMatch(/the app name pay belongs to another user/);
    expect((await api(h, 'PUT', '/api/v1/apps/pay/owner', { token: tokens.alice, body: { owner: 'svc:bob' } })).status).toBe(403);
    expect((await api(h, 'PUT', '/api/v1/apps/pay/owner', { token: h.adminToken, body: { user: 'svc:bob' } })).status).toBe(400);
    const moved = await api(h, 'PUT', '/api/v1/apps/pay/owner', { token: h.adminToken, body: { owner: 'svc:bob' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ name: 'pay', owner: { sub: 'svc:bob' } });
    expect((await importAs(tokens.bob, 'pay', '2.0.0')).status).toBe(201);
    const audit = await api(h, 'GET', '/api/v1/audit?action=app.owner', { token: h.adminToken });
    expect(audit.body.items.map((e: { target: string; outcome: string; details?: { owner?: string } }) => [e.target, e.outcome, e.details?.owner])).toEqual([
      ['pay', 'success', 'svc:bob'],
      ['pay', 'failure', undefined], // the body without `owner`
      ['pay', 'denied', 'svc:bob'],
    ]);
  });

  it('sorts the catalog by name or newest (?sort=), and refuses another sort with 400 naming the parameter and its values', async () => {
    const names = async (query: string) =>
      (await api(h, 'GET', `/api/v1/apps${query}`, { token: h.adminToken })).body.items.map((a: { name: string }) => a.name);
    expect((await importAs(tokens.alice, 'aaa-newest', '1.0.0')).status).toBe(201);
    expect(await names('?allVersions=true&sort=newest&limit=1')).toEqual(['aaa-newest']);
    expect((await names('?sort=name'))[0]).toBe('aaa-newest');
    expect(await names('?sort=name')).toEqual(await names(''));
    const bad = await api(h, 'GET', '/api/v1/apps?sort=oldest', { token: tokens.bob });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID');
    expect(bad.body.error.message).toMatch(/sort: .*"name".*"newest"/);
    expect(bad.body.error.details.problems).toEqual([{ path: 'sort', message: expect.stringMatching(/"name"\|"newest"/) }]);
    // a cursor of one sort is refused with the other
    const page = await api(h, 'GET', '/api/v1/apps?limit=1', { token: h.adminToken });
    const mixed = await api(h, 'GET', `/api/v1/apps?sort=newest&cursor=${page.body.nextCursor}`, { token: h.adminToken });
    expect(mixed).toMatchObject({ status: 400, body: { error: { code: 'INVALID', message: expect.stringMatching(/^cursor is not valid for sort=newest/) } } });
  });

  it('answers catalog reads with an ETag per caller and a 304 for a matching If-None-Match; a change gives a new one', async () => {
    // node:http, as a browser's cache revalidates (fetch adds Cache-Control: no-cache to a conditional request)
    const get = (path: string, token: string, etag?: string) =>
      new Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string>; json(): Promise<unknown> }>((resolve, reject) => {
        const req = http.get(`${h.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...(etag ? { 'if-none-match': etag } : {}) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            const header = (name: string) => (res.headers[name] as string | undefined) ?? null;
            resolve({ status: res.statusCode!, headers: { get: header }, text: async () => text, json: async () => JSON.parse(text) as unknown });
          });
        });
        req.on('error', reject);
      });
    const first = await get('/api/v1/apps/pay', tokens.alice);
    const etag = first.headers.get('etag')!;
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    const again = await get('/api/v1/apps/pay', tokens.alice, etag);
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // bob sees the secret references hidden: another answer, another tag
    const bobs = await get('/api/v1/apps/pay', tokens.bob, etag);
    expect(bobs.status).toBe(200);
    expect(bobs.headers.get('etag')).not.toBe(etag);
    expect((await get('/api/v1/apps/pay', tokens.alice, '"stale"')).status).toBe(200);
    // a change through the gateway drops the cached answer: the old tag no longer matches
    const list = await get('/api/v1/apps?q=pay', tokens.alice);
    const id = ((await list.json()) as { items: { id: string; visibility: string }[] }).items.find((a) => a.visibility === 'ALL_USERS')!.id;
    expect((await api(h, 'PATCH', `/api/v1/apps/${id}`, { token: h.adminToken, body: { visibility: 'PRIVATE' } })).status).toBe(200);
    const changed = await get('/api/v1/apps?q=pay', tokens.alice, list.headers.get('etag')!);
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(list.headers.get('etag'));
    expect((await api(h, 'PATCH', `/api/v1/apps/${id}`, { token: h.adminToken, body: { visibility: 'ALL_USERS' } })).status).toBe(200);
  });

  it('answers imports while the repository is down with 503 and no internal address', async () => {
    await sys.stopRepository();
    const down = await importAs(tokens.alice, 'pay', '3.0.0');
    expect(down.status).toBe(503);
    expect(down.body.error?.message).toBe('the repository is not reachable right now; try again in a moment');
  });
});
