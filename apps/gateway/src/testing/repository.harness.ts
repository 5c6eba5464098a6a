import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { migrate } from '@wharf/db';
import { connectNats } from '@wharf/nats';
import { createTestDatabase, reservePort } from '@wharf/testing';
// The repository is another app: specs run it in-process behind the gateway, over real NATS.
import { RepositoryModule } from '../../../repository/src/app.module';
import { MIGRATIONS_DIR } from '../../../repository/src/migrations-dir';
import { RepositoryConfigSchema } from '../../../repository/src/repository.config';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { startHarness, type Harness } from './identity.harness';

export interface GatewayWithRepository {
  h: Harness;
  /** The real repository (own database, disk blobs), on the gateway's NATS with its internal secret. */
  repo: INestApplication;
  /** Stops the repository (idempotent): for specs of a gateway whose repository went away. */
  stopRepository(): Promise<void>;
  /** Stops everything and removes the database and the data dir. */
  close(): Promise<void>;
}

/** A gateway (identity harness, no OpenID provider) with a real repository behind it. `name` names the database. */
export async function startGatewayWithRepository(name: string, gateway: Record<string, unknown> = {}): Promise<GatewayWithRepository> {
  const { port: repoPort, release } = await reservePort();
  const h = await startHarness({ RepositoryUrl: `http://127.0.0.1:${repoPort}`, CatalogCacheMs: 0, TokenRatePerMinute: 1000, ...gateway }, { idp: false });
  const { platform } = h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
  const repoDb = await createTestDatabase(name);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `${name.replace(/_/g, '-')}-`));
  await migrate({ url: repoDb.url, schema: 'repository', dir: MIGRATIONS_DIR });
  const repo = await NestFactory.create(
    RepositoryModule.forRoot({
      platform: { ...platform, DataDir: dataDir },
      repository: RepositoryConfigSchema.parse({ DatabaseUrl: repoDb.url, Port: repoPort, Store: 'disk' }),
    }),
    { logger: ['error'], bodyParser: false },
  );
  await connectNats(repo);
  await release();
  await repo.listen(repoPort, '127.0.0.1');
  let repoOpen = true;
  const stopRepository = async () => {
    if (!repoOpen) return;
    repoOpen = false;
    await repo.close();
  };
  return {
    h,
    repo,
    stopRepository,
    close: async () => {
      await stopRepository();
      await h.close();
      await repoDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
