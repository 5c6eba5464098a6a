import type { INestApplication } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { NATS_OPTIONS, natsConnectionOptions, type NatsOptions } from './nats.options';
import { requestIdMiddleware, requestLogMiddleware, serviceLogger } from './logging';
import { metricsEndpoint, serviceMetrics } from './metrics';
import { WharfExceptionFilter } from './wharf-exception.filter';

/**
 * Wires a Nest app to NATS as a server: queue group = service name, reconnects forever
 * (the default gives up after ~20 s and the replica silently stops serving).
 * The global filter is registered before the microservice so that it applies to both.
 */
export async function connectNats(app: INestApplication, opts: { queue?: string } = {}): Promise<void> {
  const options = app.get<NatsOptions>(NATS_OPTIONS);
  // every HTTP request timed, and the service's metrics at /metrics (metrics.ts)
  const metrics = serviceMetrics(options.service);
  app.use(metrics.httpMiddleware());
  // every request's id (X-Request-Id), on its log lines and its NATS requests (logging.ts)
  app.use(requestIdMiddleware);
  // one line per answered request (logging.ts), when the service logs through its own logger
  const logger = serviceLogger(options.service);
  if (logger) app.use(requestLogMiddleware(logger));
  app.use('/metrics', metricsEndpoint(metrics, options.metricsToken ?? ''));
  app.useGlobalFilters(new WharfExceptionFilter());
  app.connectMicroservice<MicroserviceOptions>(natsServerOptions(options, opts.queue), { inheritAppConfig: true });
  await app.startAllMicroservices();
}

/** The NATS server transport of a service (also for services that are only a microservice, the router). */
export function natsServerOptions(
  options: Pick<NatsOptions, 'service' | 'servers' | 'user' | 'password'> & Partial<NatsOptions>,
  queue?: string,
): MicroserviceOptions {
  return {
    transport: Transport.NATS,
    options: {
      ...natsConnectionOptions(options),
      queue: queue ?? options.service,
      name: `${options.service}-server`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
    },
  };
}
