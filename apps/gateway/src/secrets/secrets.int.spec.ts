import { buildBundle } from '@wharf/testing';
import { api, type Harness } from '../testing/identity.harness';
import { startGatewayWithScheduler, type GatewayWithScheduler } from '../testing/scheduler.harness';

jest.setTimeout(90_000);

const VALUE = 'sk-live-4f3e2d1c0b';

describe('secrets over REST: user secrets, platform secrets, audit', () => {
  let sys: GatewayWithScheduler;
  let h: Harness;
  const tokens: Record<'alice' | 'bob' | 'vic', string> = { alice: '', bob: '', vic: '' };
  const subs: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
  const as = (who: keyof typeof tokens | 'admin') => (who === 'admin' ? h.adminToken : tokens[who]);
  const call = (who: keyof typeof tokens | 'admin', method: string, p: string, body?: unknown) => api(h, method, `/api/v1${p}`, { token: as(who), body });
  const audit = async (action: string) =>
    (await api(h, 'GET', `/api/v1/audit?action=${action}&limit=50`, { token: h.adminToken })).body.items as { action: string; target: string; outcome: string; status: number; details: Record<string, unknown> }[];

  beforeAll(async () => {
    sys = await startGatewayWithScheduler('wharf_gw_secrets');
    h = sys.h;
    for (const user of ['alice', 'bob', 'vic'] as const) {
      const roles = user === 'vic' ? ['visitor'] : ['full-access'];
      tokens[user] = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user, roles } })).body.token;
    }
    subs.alice = (await call('alice', 'GET', '/me')).body.sub;
    subs.bob = (await call('bob', 'GET', '/me')).body.sub;
    const imported = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(await buildBundle({ app: { name: 'reads-own', version: '1.0.0', env: [{ name: 'API_KEY', secret: '~/openai', secretKey: 'API_KEY' }] } })),
    });
    expect(imported.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await sys?.close();
  });

  it('lets full-access users create, replace, read and list their own secrets, never their values', async () => {
    const created = await call('alice', 'POST', '/user-secrets', { name: 'openai', data: { API_KEY: VALUE } });
    expect(created).toMatchObject({ status: 201, body: { owner: { sub: subs.alice }, name: 'openai', ref: `${subs.alice}/openai`, keys: ['API_KEY'], visibility: 'PRIVATE', apps: [] } });
    expect((await call('alice', 'POST', '/user-secrets', { name: 'openai', data: { API_KEY: VALUE } })).status).toBe(409);
    const replaced = await call('alice', 'PUT', '/user-secrets/openai', { data: { API_KEY: VALUE, ORG: 'acme' } });
    expect(replaced).toMatchObject({ status: 200, body: { keys: ['API_KEY', 'ORG'], visibility: 'PRIVATE' } });
    const fresh = await call('alice', 'PUT', '/user-secrets/other', { data: { K: VALUE }, visibility: 'APP', apps: ['reads-own'] });
    expect(fresh).toMatchObject({ status: 201, body: { visibility: 'APP', apps: ['reads-own'] } });
    expect(await call('alice', 'PATCH', '/user-secrets/other', { visibility: 'ALL_USERS' })).toMatchObject({ status: 200, body: { keys: ['K'], visibility: 'ALL_USERS', apps: [] } });
    expect((await call('alice', 'GET', '/user-secrets/openai')).body.keys).toEqual(['API_KEY', 'ORG']);
    const mine = await call('alice', 'GET', '/user-secrets');
    expect(mine.body.items.map((s: { name: string }) => s.name)).toEqual(['openai', 'other']);
    for (const answer of [created, replaced, fresh, mine]) expect(JSON.stringify(answer.body)).not.toContain(VALUE);
    // a bad body names the field and leaves nothing behind
    const bad = await call('alice', 'POST', '/user-secrets', { name: 'Bad Name', data: { K: VALUE } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('name');
    expect(JSON.stringify(bad.body)).not.toContain(VALUE);
    expect((await call('alice', 'PUT', '/user-secrets/openai', { data: { K: 'v' }, visibility: 'APP' })).body.error.message).toMatch(/^visibility APP needs "apps"/);
    expect((await call('alice', 'GET', '/user-secrets')).body.items).toHaveLength(2);
  });

  it("keeps other users, visitors and anonymous callers away from a user's secrets; admins manage everyone's with ?owner=", async () => {
    const alices = `/user-secrets/openai?owner=${encodeURIComponent(subs.alice)}`;
    expect((await call('bob', 'GET', '/user-secrets/openai')).status).toBe(404); // bob's own namespace
    for (const [method, body] of [['GET'], ['PUT', { data: { API_KEY: 'stolen' } }], ['PATCH', { visibility: 'ALL_USERS' }], ['DELETE']] as const) {
      expect((await call('bob', method, alices, body)).status).toBe(403);
    }
    expect((await call('bob', 'GET', '/user-secrets?scope=all')).status).toBe(403);
    expect((await call('vic', 'POST', '/user-secrets', { name: 'x', data: { K: 'v' } })).status).toBe(403);
    expect((await call('vic', 'GET', '/user-secrets')).body.error.message).toMatch(/^visitors cannot keep secrets/);
    expect((await api(h, 'GET', '/api/v1/user-secrets')).status).toBe(401);
    expect((await call('admin', 'GET', alices)).body.keys).toEqual(['API_KEY', 'ORG']);
    const all = await call('admin', 'GET', '/user-secrets?scope=all');
    expect(all.body.items.map((s: { ref: string }) => s.ref)).toEqual([`${subs.alice}/openai`, `${subs.alice}/other`]);
    expect(await call('admin', 'PATCH', alices, { visibility: 'PRIVATE' })).toMatchObject({ status: 200, body: { owner: { sub: subs.alice } } });
    // platform secrets stay admins' only
    expect((await call('alice', 'PUT', '/secrets/openai', { data: { K: 'v' } })).status).toBe(403);
    expect((await call('admin', 'PUT', '/secrets/openai', { data: { K: 'v' } })).status).toBe(200);
    expect((await call('admin', 'DELETE', '/secrets/openai')).status).toBe(200);
  });

  it('answers 409 for a delete while an instance reads the secret, and audits every change without values', async () => {
    const run = await call('alice', 'POST', '/apps/reads-own@1.0.0/instances', {});
    expect(run.status).toBe(201);
    const refused = await call('alice', 'DELETE', '/user-secrets/openai');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'CONFLICT', details: { instances: [run.body.id], count: 1 } });
    expect(refused.body.error.message).toMatch(/terminate those instances first/);
    expect((await call('alice', 'DELETE', `/instances/${run.body.id}`)).status).toBe(200);
    expect(await call('alice', 'DELETE', '/user-secrets/openai')).toMatchObject({ status: 200, body: { name: 'openai', ref: `${subs.alice}/openai`, deleted: true } });
    expect((await call('alice', 'DELETE', '/user-secrets/openai')).status).toBe(404);

    const created = await audit('user-secret.create');
    expect(created.filter((e) => e.outcome === 'success').map((e) => e.target).sort()).toEqual([`${subs.alice}/openai`, `${subs.alice}/other`]);
    expect(created.find((e) => e.target === `${subs.alice}/openai` && e.outcome === 'success')).toMatchObject({ status: 201, details: { visibility: 'PRIVATE', keys: ['API_KEY'] } });
    expect(created.find((e) => e.outcome === 'failure' && e.status === 409)).toBeDefined();
    expect((await audit('user-secret.replace')).map((e) => [e.target, e.outcome])).toContainEqual([`${subs.alice}/openai`, 'success']);
    const denied = (await audit('user-secret.replace')).find((e) => e.outcome === 'denied');
    expect(denied).toMatchObject({ target: `${subs.alice}/openai`, status: 403 });
    expect((await audit('user-secret.update')).find((e) => e.details.owner === subs.alice)).toMatchObject({ target: `${subs.alice}/openai`, details: { visibility: 'PRIVATE' } });
    const deleted = await audit('user-secret.delete');
    expect(deleted.map((e) => [e.outcome, e.status])).toEqual(expect.arrayContaining([['success', 200], ['failure', 409], ['failure', 404]]));
    const everything = await api(h, 'GET', '/api/v1/audit?limit=200', { token: h.adminToken });
    expect(JSON.stringify(everything.body)).not.toContain(VALUE);
  });

  it('documents the user secret endpoints in the OpenAPI document', async () => {
    const doc = (await api(h, 'GET', '/api/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/user-secrets']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/user-secrets/{name}']!).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    expect(JSON.stringify(doc.paths['/api/v1/user-secrets/{name}'])).toContain('"409"');
  });
});
