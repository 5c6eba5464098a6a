import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadOrExit } from '@wharf/config';
import { migrate } from '@wharf/db';
import { connectNats, createServiceLogger, gracefulShutdown, natsServersOf, useServiceLogger } from '@wharf/nats';
import { RepositoryModule } from './app.module';
import { MIGRATIONS_DIR } from './migrations-dir';
import { loadRepositorySettings } from './repository.config';

async function main(): Promise<void> {
  const settings = loadOrExit('repository', () => loadRepositorySettings());
  const { repository, platform } = settings;
  const log = createServiceLogger('repository', platform);
  await migrate({ url: repository.DatabaseUrl, schema: repository.DatabaseSchema, dir: MIGRATIONS_DIR, log: (l) => log.info(l) });
  const app = await NestFactory.create(RepositoryModule.forRoot(settings), { bufferLogs: true, bodyParser: false });
  const logger = useServiceLogger(app);
  await connectNats(app);
  await app.listen(repository.Port, repository.Host);
  // SIGTERM: readiness false, drain uploads, downloads and NATS handlers, then close
  gracefulShutdown(app, platform, { http: app.getHttpServer(), nats: natsServersOf(app) });
  logger.log(`Repository: http://${repository.Host}:${repository.Port} (internal)`);
}

main().catch((e: unknown) => {
  console.error('repository failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
