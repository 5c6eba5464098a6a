import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { migrate } from '@wharf/db';
import { AnswerCache, clearBodyErrors, connectNats, createServiceLogger, serviceLogger, useServiceLogger } from '@wharf/nats';
import express from 'express';
import type { Server } from 'node:http';
import path from 'node:path';
import { GatewayModule } from './app.module';
import { answerFirst, EarlyCatalogReads } from './catalog/early-catalog-reads';
import { SessionService } from './identity/session/session.service';
import type { GatewaySettings } from './gateway.config';
import { refuseNul } from './common/refuse-nul';
import { setupOpenApi } from './openapi/openapi';
import { TokenService } from './tokens/token.service';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../prisma/migrations');

/** Builds and starts the gateway (used by main.ts and by tests). */
export async function startGateway(settings: GatewaySettings, opts: { listen?: boolean; quiet?: boolean } = {}) {
  const { gateway, platform } = settings;
  const log = opts.quiet ? undefined : createServiceLogger('gateway', platform);
  await migrate({ url: gateway.DatabaseUrl, schema: gateway.DatabaseSchema, dir: MIGRATIONS_DIR, log: log && ((l) => log.info(l)) });
  const app: INestApplication = await NestFactory.create(GatewayModule.forRoot(settings), {
    ...(opts.quiet ? { logger: false } : { bufferLogs: true }),
    bodyParser: false,
    // app.close() ends the connections still open: by then a stopping gateway has drained its
    // requests (gracefulShutdown), and idle keep-alive connections last Gateway.KeepAliveTimeoutSeconds
    forceCloseConnections: true,
  });
  if (!opts.quiet) useServiceLogger(app);
  const http = app.getHttpAdapter().getInstance() as express.Express;
  http.set('trust proxy', gateway.TrustProxy);
  http.disable('x-powered-by');
  // JSON bodies, and small forms (sign-in pages, RFC 8628 device endpoints); bundle uploads are
  // streamed by their controller, never parsed here.
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  app.use(clearBodyErrors);
  app.use(refuseNul);
  setupOpenApi(app, gateway.PublicUrl);
  await connectNats(app);
  // cached catalog reads are answered before Express and Nest (early-catalog-reads.ts)
  const early = new EarlyCatalogReads({
    cache: app.get(AnswerCache),
    tokens: app.get(TokenService),
    sessionCookie: app.get(SessionService).cookieName,
    logger: serviceLogger('gateway'),
  });
  answerFirst(app.getHttpServer() as Server, (req, res) => early.answer(req, res));
  const adminToken = await app.get(TokenService).bootstrapAdmin();
  // a client's idle connection outlives a proxy's idle timeout in front (see KeepAliveTimeoutSeconds)
  (app.getHttpServer() as Server).keepAliveTimeout = gateway.KeepAliveTimeoutSeconds * 1000;
  if (opts.listen !== false) await app.listen(gateway.Port, gateway.Host);
  return { app, adminToken };
}
