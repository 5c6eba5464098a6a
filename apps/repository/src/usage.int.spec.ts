import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { INTERNAL_TOKEN_HEADER, RepositoryContracts as C, signInternalToken, WharfError, type Caller } from '@wharf/contracts';
import { migrate } from '@wharf/db';
import { connectNats, RpcClient } from '@wharf/nats';
import { buildBundle, createTestDatabase, startNatsServer, type NatsServer } from '@wharf/testing';
import { RepositoryModule } from './app.module';
import { MIGRATIONS_DIR } from './migrations-dir';
import { RepositoryConfigSchema } from './repository.config';

const SECRET = 'test-internal-secret-0123456789';
const alice: Caller = { sub: 'u-alice', name: 'alice', roles: ['full-access'] };
const bob: Caller = { sub: 'u-bob', name: 'bob', roles: ['full-access'] };
const admin: Caller = { sub: 'u-root', name: 'root', roles: ['admin'] };
const vic: Caller = { sub: 'u-vic', name: 'vic', roles: ['visitor'] };

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: WharfError) => ({ code: e.code, message: e.message }),
  );

/** Imported versions against Repository.MaxVersionsPerUser: what the import check counts and allows (real PostgreSQL and NATS). */
describe('repository usage', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let nats: NatsServer;
  let app: INestApplication;
  let base: string;
  let rpc: RpcClient;
  let dataDir: string;

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('wharf_repo_usage'), startNatsServer()]);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-repo-usage-'));
    await migrate({ url: db.url, schema: 'repository', dir: MIGRATIONS_DIR });
    app = await NestFactory.create(
      RepositoryModule.forRoot({
        platform: { NatsUrl: nats.url, RequestTimeoutMs: 3000, InternalSecret: SECRET, DataDir: dataDir, LogLevel: 'error', ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 10 },
        repository: RepositoryConfigSchema.parse({ DatabaseUrl: db.url, Port: 0, MaxVersionsPerUser: 2, Store: 'disk' }),
      }),
      { logger: ['error'], bodyParser: false },
    );
    await connectNats(app);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    rpc = new RpcClient({ service: 'test', servers: [nats.url], requestTimeoutMs: 5000, secret: SECRET });
    await rpc.connect();
  }, 60_000);

  afterAll(async () => {
    await rpc?.onApplicationShutdown();
    await app?.close();
    await Promise.all([nats?.stop(), db?.drop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function upload(caller: Caller, name: string, version: string): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
    const res = await fetch(`${base}/internal/bundles`, {
      method: 'POST',
      headers: { 'content-type': 'application/zip', [INTERNAL_TOKEN_HEADER]: signInternalToken(SECRET, caller, 'bundle:import') },
      body: new Uint8Array(await buildBundle({ app: { name, version } })),
    });
    return { status: res.status, body: (await res.json()) as never };
  }

  it("reports the caller's versions and limit, and the import is refused exactly when they say the limit is reached", async () => {
    expect(await rpc.rpc(C.usage, {}, alice)).toEqual({
      users: [{ sub: alice.sub, name: null, versions: 0, limit: { max: 2, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' } }],
    });
    expect((await upload(alice, 'counted', '1.0.0')).status).toBe(201);
    expect((await upload(alice, 'counted', '1.1.0')).status).toBe(201);
    expect((await rpc.rpc(C.usage, {}, alice)).users).toEqual([
      { sub: alice.sub, name: 'alice', versions: 2, limit: { max: 2, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' } },
    ]);
    const refused = await upload(alice, 'counted', '1.2.0');
    expect([refused.status, refused.body.error?.code]).toEqual([429, 'LIMIT_EXCEEDED']);
    expect(refused.body.error?.message).toMatch(/you have imported 2 app versions, the limit is 2/);

    const [v] = (await rpc.rpc(C.versions, { name: 'counted', limit: 1 }, alice)).items;
    await rpc.rpc(C.delete, { id: v!.id }, alice);
    expect((await rpc.rpc(C.usage, {}, alice)).users[0]!.versions).toBe(1);
    expect((await upload(alice, 'counted', '1.2.0')).status).toBe(201);
  });

  it('says admins import without a limit and visitors not at all', async () => {
    expect((await rpc.rpc(C.usage, {}, admin)).users[0]!.limit).toEqual({ max: null, setting: null, reason: 'admins' });
    expect((await rpc.rpc(C.usage, {}, vic)).users[0]!.limit).toEqual({ max: 0, setting: null, reason: 'importing needs the full-access role' });
    expect((await upload(vic, 'vics', '1.0.0')).status).toBe(403);
  });

  it("gives admins everyone's usage: limits for the roles given, unknown for owners whose roles were not given", async () => {
    expect((await upload(bob, 'bobs', '1.0.0')).status).toBe(201);
    const all = await rpc.rpc(C.usageList, { users: [{ sub: alice.sub, roles: ['full-access'] }, { sub: vic.sub, roles: ['visitor'] }] }, admin);
    expect(all.users.map((u) => [u.sub, u.name, u.versions, u.limit?.max])).toEqual([
      [alice.sub, 'alice', 2, 2],
      [bob.sub, 'bob', 1, undefined],
      [vic.sub, null, 0, 0],
    ]);
    expect(all.users.find((u) => u.sub === bob.sub)!.limit).toBeNull();
  });

  it('refuses anyone but admins the list, and anonymous callers their own', async () => {
    expect(await refusal(rpc.rpc(C.usageList, { users: [] }, alice))).toEqual({ code: 'FORBIDDEN', message: "only admins see other users' usage" });
    expect(await refusal(rpc.rpc(C.usage, {}, null))).toEqual({ code: 'UNAUTHENTICATED', message: 'sign in to see your usage' });
  });
});
