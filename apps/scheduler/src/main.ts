import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadOrExit, logLevels } from '@wharf/config';
import { connectNats } from '@wharf/nats';
import { SchedulerModule } from './app.module';
import { loadSchedulerSettings } from './scheduler.config';

async function main(): Promise<void> {
  const settings = loadOrExit('scheduler', () => loadSchedulerSettings());
  const { scheduler, platform } = settings;
  const app = await NestFactory.create(SchedulerModule.forRoot(settings), { logger: logLevels(platform.LogLevel) });
  // SIGTERM stops the scheduler, never the instances: they run on and the next scheduler adopts them.
  app.enableShutdownHooks();
  await connectNats(app);
  await app.listen(scheduler.Port, scheduler.Host);
  console.log(`Scheduler: http://${scheduler.Host}:${scheduler.Port} (internal; driver ${scheduler.Driver}, data ${scheduler.dataDir})`);
}

main().catch((e: unknown) => {
  console.error('scheduler failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
