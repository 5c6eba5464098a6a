import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadOrExit } from '@wharf/config';
import { connectNats, gracefulShutdown, natsServersOf, useServiceLogger } from '@wharf/nats';
import { SchedulerModule } from './app.module';
import { loadSchedulerSettings } from './scheduler.config';

async function main(): Promise<void> {
  const settings = loadOrExit('scheduler', () => loadSchedulerSettings());
  const { scheduler, platform } = settings;
  const app = await NestFactory.create(SchedulerModule.forRoot(settings), { bufferLogs: true });
  const logger = useServiceLogger(app);
  await connectNats(app);
  await app.listen(scheduler.Port, scheduler.Host);
  // SIGTERM: readiness false, drain requests (a Run in progress finishes), then close. It stops
  // the scheduler, never the instances: they run on and the next scheduler adopts them.
  gracefulShutdown(app, platform, { http: app.getHttpServer(), nats: natsServersOf(app) });
  logger.log(`Scheduler: http://${scheduler.Host}:${scheduler.Port} (internal; driver ${scheduler.Driver}, data ${scheduler.dataDir})`);
}

main().catch((e: unknown) => {
  console.error('scheduler failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
