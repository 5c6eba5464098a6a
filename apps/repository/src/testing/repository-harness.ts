import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { INTERNAL_TOKEN_HEADER, signInternalToken, type Caller } from '@wharf/contracts';
import { migrate } from '@wharf/db';
import { connectNats, RpcClient } from '@wharf/nats';
import { buildBundle, createTestDatabase, startNatsServer, type NatsServer } from '@wharf/testing';
import { RepositoryModule } from '../app.module';
import { MIGRATIONS_DIR } from '../migrations-dir';
import { RepositoryConfigSchema, type RepositoryConfig } from '../repository.config';

export const TEST_SECRET = 'test-internal-secret-0123456789';

/** A repository service of its own for an integration spec: real PostgreSQL (a throw-away database), real NATS, blobs on disk. */
export interface RepositoryHarness {
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  nats: NatsServer;
  app: INestApplication;
  /** its HTTP base URL (the internal bundle upload) */
  base: string;
  /** a NATS client that calls it as any caller */
  rpc: RpcClient;
  dataDir: string;
  /** `POST /internal/bundles` as `caller` with a bundle built from these app.toml values (as the gateway forwards an import) */
  upload(caller: Caller, app: { name: string; version: string; title?: string }): Promise<{ status: number; body: { id: string; owner: { sub: string }; error?: { code: string; message: string } } }>;
  stop(): Promise<void>;
}

/** Starts it: `name` names the database and data dir; `repository` sets [Repository] keys over the test defaults (disk store). */
export async function startRepository(name: string, repository: Partial<RepositoryConfig> = {}): Promise<RepositoryHarness> {
  const [db, nats] = await Promise.all([createTestDatabase(`wharf_${name.replace(/-/g, '_')}`), startNatsServer()]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `wharf-${name}-`));
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await Promise.all([nats.stop(), db.drop()]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await migrate({ url: db.url, schema: 'repository', dir: MIGRATIONS_DIR });
    const app = await NestFactory.create(
      RepositoryModule.forRoot({
        platform: { NatsUrl: nats.url, RequestTimeoutMs: 3000, InternalSecret: TEST_SECRET, DataDir: dataDir, LogLevel: 'error', ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 10 },
        repository: RepositoryConfigSchema.parse({ DatabaseUrl: db.url, Port: 0, Store: 'disk', ...repository }),
      }),
      { logger: ['error'], bodyParser: false },
    );
    stops.push(() => app.close());
    await connectNats(app);
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const rpc = new RpcClient({ service: 'test', servers: [nats.url], requestTimeoutMs: 5000, secret: TEST_SECRET });
    stops.push(() => rpc.onApplicationShutdown());
    await rpc.connect();
    return {
      db,
      nats,
      app,
      base,
      rpc,
      dataDir,
      async upload(caller, appToml) {
        const res = await fetch(`${base}/internal/bundles`, {
          method: 'POST',
          headers: { 'content-type': 'application/zip', [INTERNAL_TOKEN_HEADER]: signInternalToken(TEST_SECRET, caller, 'bundle:import') },
          body: new Uint8Array(await buildBundle({ app: appToml })),
        });
        return { status: res.status, body: (await res.json()) as never };
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
