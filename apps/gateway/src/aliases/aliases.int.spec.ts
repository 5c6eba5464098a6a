import { buildBundle } from '@wharf/testing';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { api, type Harness } from '../testing/identity.harness';
import { startGatewayWithScheduler, type GatewayWithScheduler } from '../testing/scheduler.harness';

jest.setTimeout(120_000);

describe('aliases over REST (admins): create, move, promote, delete, audit, tickets for alias hosts', () => {
  let sys: GatewayWithScheduler;
  let h: Harness;
  let alice = '';
  let blue = '';
  let green = '';
  let apps = { domain: '', port: 0 };
  const call = (token: string, method: string, p: string, body?: unknown) => api(h, method, `/api/v1${p}`, { token, body });
  const admin = (method: string, p: string, body?: unknown) => call(h.adminToken, method, p, body);
  const url = (label: string) => `http://${label}.${apps.domain}:${apps.port}`;

  beforeAll(async () => {
    sys = await startGatewayWithScheduler('wharf_gw_aliases');
    h = sys.h;
    const g = h.app.get<GatewaySettings>(GATEWAY_SETTINGS).gateway;
    apps = { domain: g.AppsDomain, port: g.AppsPort };
    alice = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user: 'alice', name: 'alice', roles: ['full-access'] } })).body.token;
    const imported = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await buildBundle({ app: { name: 'site', version: '1.0.0' } })),
    });
    expect(imported.status).toBe(201);
    blue = (await call(alice, 'POST', '/apps/site@1.0.0/instances', {})).body.id;
    green = (await call(alice, 'POST', '/apps/site@1.0.0/instances', {})).body.id;
    expect([blue, green]).toEqual([expect.stringMatching(/^[a-z][a-z0-9]{9}$/), expect.stringMatching(/^[a-z][a-z0-9]{9}$/)]);
  }, 120_000);

  afterAll(async () => {
    await sys?.close();
  });

  it('refuses names that are not DNS labels, look like instance ids or are reserved, and unknown or terminated instances, leaving nothing behind', async () => {
    for (const [name, pattern] of [
      ['Docs Site', /DNS label/],
      ['-docs', /DNS label/],
      ['abcdefghij', /looks like an instance id/],
      ['www', /reserved/],
    ] as const) {
      const r = await admin('POST', '/aliases', { name });
      expect([name, r.status]).toEqual([name, 400]);
      expect(JSON.stringify(r.body)).toMatch(pattern);
    }
    const unknown = await admin('POST', '/aliases', { name: 'docs', instanceId: 'zzzzzzzzzz' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('instance zzzzzzzzzz not found');
    expect((await admin('POST', '/aliases', { name: 'docs', primary: true })).body.error.message).toMatch(/primary needs an instanceId/);
    expect((await admin('GET', '/aliases')).body.items).toEqual([]);
  });

  it('is for admins only', async () => {
    expect((await call(alice, 'GET', '/aliases')).status).toBe(403);
    expect((await call(alice, 'POST', '/aliases', { name: 'mine', instanceId: blue })).status).toBe(403);
    expect((await api(h, 'GET', '/api/v1/aliases')).status).toBe(401);
    expect((await admin('GET', '/aliases')).body.items).toEqual([]);
  });

  it('creates aliases, shows them on the instance (url = the primary), moves a primary alias blue → green, promotes and deletes', async () => {
    const docs = await admin('POST', '/aliases', { name: 'docs', instanceId: blue, primary: true });
    expect(docs).toMatchObject({ status: 201, body: { name: 'docs', url: url('docs'), instanceId: blue, primary: true, createdBy: { name: expect.any(String) } } });
    expect((await admin('POST', '/aliases', { name: 'docs' })).status).toBe(409);
    expect((await admin('POST', '/aliases', { name: 'www2', instanceId: blue })).body).toMatchObject({ primary: false });
    expect((await admin('POST', '/aliases', { name: 'spare' })).body).toMatchObject({ instanceId: null, primary: false });
    // the owner sees the URLs
    expect((await call(alice, 'GET', `/instances/${blue}`)).body).toMatchObject({
      url: url('docs'),
      primaryAlias: 'docs',
      aliases: [
        { name: 'docs', url: url('docs'), primary: true },
        { name: 'www2', url: url('www2'), primary: false },
      ],
    });
    expect((await call(alice, 'GET', `/instances/${green}`)).body).toMatchObject({ url: url(green), primaryAlias: null, aliases: [] });

    // blue/green: the primary alias moves and stays primary
    const moved = await admin('PUT', '/aliases/docs', { instanceId: green });
    expect(moved).toMatchObject({ status: 200, body: { instanceId: green, primary: true } });
    expect((await call(alice, 'GET', `/instances/${green}`)).body).toMatchObject({ url: url('docs'), primaryAlias: 'docs' });
    expect((await call(alice, 'GET', `/instances/${blue}`)).body).toMatchObject({ url: url(blue), primaryAlias: null, aliases: [{ name: 'www2' }] });

    // promote: www2 (moved along) becomes green's primary, docs a normal alias
    expect((await admin('PUT', '/aliases/www2', { instanceId: green })).body).toMatchObject({ primary: false });
    expect((await admin('POST', '/aliases/www2/promote')).body).toMatchObject({ instanceId: green, primary: true });
    const list = (await admin('GET', '/aliases')).body.items as { name: string; instanceId: string | null; primary: boolean }[];
    expect(list.map(({ name, instanceId, primary }) => ({ name, instanceId, primary }))).toEqual([
      { name: 'docs', instanceId: green, primary: false },
      { name: 'spare', instanceId: null, primary: false },
      { name: 'www2', instanceId: green, primary: true },
    ]);
    expect((await admin('POST', '/aliases/spare/promote')).status).toBe(409);
    expect((await admin('POST', '/aliases/nope/promote')).status).toBe(404);
    expect((await admin('PUT', '/aliases/nope', { instanceId: green })).status).toBe(404);
    expect((await admin('PUT', '/aliases/docs', { instanceId: 'not an id' })).status).toBe(400);
    expect((await admin('PUT', '/aliases/docs', {})).status).toBe(400);

    // unassign, delete: the name is free again
    expect((await admin('PUT', '/aliases/spare', { instanceId: null })).body).toMatchObject({ instanceId: null });
    expect(await admin('DELETE', '/aliases/spare')).toMatchObject({ status: 200, body: { name: 'spare', deleted: true } });
    expect((await admin('DELETE', '/aliases/spare')).status).toBe(404);
    expect((await admin('POST', '/aliases', { name: 'spare' })).status).toBe(201);

    const audit = (await admin('GET', '/audit?limit=100')).body.items as { action: string; target: string; outcome: string }[];
    const aliasActions = audit.filter((e) => e.action.startsWith('alias.') && e.outcome === 'success').map((e) => `${e.action} ${e.target}`);
    for (const want of ['alias.create docs', 'alias.assign docs', 'alias.promote www2', 'alias.delete spare']) expect(aliasActions).toContain(want);
  });

  it('accepts existing alias hosts for instance tickets, and no other name under the apps domain', async () => {
    // (this gateway has no sign-in provider: a host that passes the check goes on to sign-in, which answers 503 here)
    const ticket = (host: string) => api(h, 'GET', `/auth/instance-ticket?host=${encodeURIComponent(host)}&next=/`);
    for (const host of [`docs.${apps.domain}:${apps.port}`, `${blue}.${apps.domain}:${apps.port}`]) {
      const r = await ticket(host);
      expect([host, r.status]).toEqual([host, 503]);
    }
    for (const host of [`nosuch.${apps.domain}:${apps.port}`, `docs.${apps.domain}:${apps.port + 1}`, `www.${apps.domain}:${apps.port}`]) {
      const r = await ticket(host);
      expect([host, r.status]).toEqual([host, 400]);
      expect(r.body.error.message).toContain('an alias must exist');
    }
  });

  it('unassigns the aliases of a terminated instance (they answer 404 until moved) and refuses to point one at it', async () => {
    expect((await call(alice, 'DELETE', `/instances/${green}`)).status).toBe(200);
    const list = (await admin('GET', '/aliases')).body.items as { name: string; instanceId: string | null; primary: boolean }[];
    expect(list.filter((a) => a.name === 'docs' || a.name === 'www2').map((a) => [a.name, a.instanceId, a.primary])).toEqual([
      ['docs', null, false],
      ['www2', null, false],
    ]);
    const r = await admin('PUT', '/aliases/docs', { instanceId: green });
    expect(r.status).toBeGreaterThanOrEqual(404);
    expect(r.body.error.message).toMatch(new RegExp(`instance ${green} (is terminated|not found)`));
    expect((await admin('PUT', '/aliases/docs', { instanceId: blue, primary: true })).body).toMatchObject({ instanceId: blue, primary: true });
  });
});
