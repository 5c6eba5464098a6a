import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { migrate } from '@wharf/db';
import { connectNats } from '@wharf/nats';
import { buildBundle, createTestDatabase, freePort } from '@wharf/testing';
// The repository is another app: this spec runs it in-process behind the gateway, over real NATS.
import { RepositoryModule } from '../../../repository/src/app.module';
import { MIGRATIONS_DIR } from '../../../repository/src/migrations-dir';
import { RepositoryConfigSchema } from '../../../repository/src/repository.config';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { api, startHarness, type Harness } from '../testing/identity.harness';

jest.setTimeout(60_000);

describe('catalog through the gateway and a real repository: name owners, secret references', () => {
  let h: Harness;
  let repo: INestApplication;
  let repoDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let repoOpen = false;
  const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

  beforeAll(async () => {
    const repoPort = await freePort();
    h = await startHarness({ RepositoryUrl: `http://127.0.0.1:${repoPort}`, CatalogCacheMs: 0, TokenRatePerMinute: 1000 }, { idp: false });
    const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
    repoDb = await createTestDatabase('wharf_gw_catalog');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-gw-catalog-'));
    await migrate({ url: repoDb.url, schema: 'repository', dir: MIGRATIONS_DIR });
    repo = await NestFactory.create(
      RepositoryModule.forRoot({
        platform: { ...platform, DataDir: dataDir },
        repository: RepositoryConfigSchema.parse({ DatabaseUrl: repoDb.url, Port: repoPort, Store: 'disk' }),
      }),
      { logger: ['error'], bodyParser: false },
    );
    await connectNats(repo);
    await repo.listen(repoPort, '127.0.0.1');
    repoOpen = true;
    for (const user of ['alice', 'bob'] as const) {
      tokens[user] = (await api(h, 'POST', '/api/v1/tokens', { token: h.adminToken, body: { user, name: user } })).body.token;
    }
  }, 60_000);

  afterAll(async () => {
    if (repoOpen) await repo?.close();
    await h?.close();
    await repoDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function importAs(token: string, name: string, version: string) {
    const zip = await buildBundle({
      app: { name, version, env: [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'payments', secretKey: 'stripe-key' }] },
    });
    const res = await fetch(`${h.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
      body: new Uint8Array(zip),
    });
    return { status: res.status, body: (await res.json()) as { id: string; env: unknown[]; error?: { message: string } } };
  }

  it('shows the secret names and keys of [[Env]] to the owner and admins only', async () => {
    const imported = await importAs(tokens.alice, 'pay', '1.0.0');
    expect(imported.status).toBe(201);
    await api(h, 'PATCH', `/api/v1/apps/${imported.body.id}`, { token: tokens.alice, body: { visibility: 'ALL_USERS' } });
    const full = [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: 'payments', secretKey: 'stripe-key' }];
    const hidden = [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret: null, secretKey: null }];
    for (const [token, env] of [
      [tokens.alice, full],
      [h.adminToken, full],
      [tokens.bob, hidden],
    ] as const) {
      expect((await api(h, 'GET', '/api/v1/apps/pay', { token })).body.env).toEqual(env);
      expect((await api(h, 'GET', `/api/v1/apps/${imported.body.id}`, { token })).body.env).toEqual(env);
      expect((await api(h, 'GET', '/api/v1/apps?q=pay', { token })).body.items[0].env).toEqual(env);
      expect((await api(h, 'GET', '/api/v1/apps/pay/versions', { token })).body.items[0].env).toEqual(env);
    }
    expect(JSON.stringify((await api(h, 'GET', '/api/v1/apps?allVersions=true', { token: tokens.bob })).body)).not.toMatch(/payments|stripe-key/);
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

  it('answers imports while the repository is down with 503 and no internal address', async () => {
    await repo.close();
    repoOpen = false;
    const down = await importAs(tokens.alice, 'pay', '3.0.0');
    expect(down.status).toBe(503);
    expect(down.body.error?.message).toBe('the repository is not reachable right now; try again in a moment');
  });
});
