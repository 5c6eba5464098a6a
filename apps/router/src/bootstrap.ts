import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { gracefulShutdown, natsOptions, natsServerOptions, natsServersOf, Shutdown, useServiceLogger, WharfExceptionFilter } from '@wharf/nats';
import { RouterServer } from './proxy/router.server';
import type { RouterSettings } from './router.config';
import { RouterModule } from './router.module';

/**
 * One router process: a Nest microservice (NATS: lookups, events) that owns a plain node http
 * server for the data path — faster than going through the Nest HTTP adapter (see bench/router).
 */
export async function startRouter(settings: RouterSettings, opts: { signals?: boolean } = {}): Promise<{ app: INestMicroservice; port: number }> {
  const { platform } = settings;
  const nats = natsServerOptions(natsOptions('router', platform));
  const app = await NestFactory.createMicroservice(RouterModule.forRoot(settings), { ...nats, bufferLogs: true });
  useServiceLogger(app);
  app.useGlobalFilters(new WharfExceptionFilter());
  await app.listen();
  const server = app.get(RouterServer);
  if (opts.signals) {
    // SIGTERM: readiness false, drain requests and websockets, then close (docs/operations.md)
    gracefulShutdown(app, platform, { http: server.server, nats: natsServersOf(app) });
    app.get(Shutdown).register(server.websocketDrain());
  }
  return { app, port: server.port() };
}
