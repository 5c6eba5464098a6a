/* Test support (not part of the build): a real router beside the scheduler's test harness. */
import { Controller, Inject, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { IdentityContracts, unauthenticated, type Caller } from '@wharf/contracts';
import { Handle, NatsModule, natsServerOptions, WharfExceptionFilter, type Msg } from '@wharf/nats';
import { freePort } from '@wharf/testing';
import { startRouter } from '../bootstrap';
import { RouterConfigSchema, type RouterSettings } from '../router.config';

const TOKENS = Symbol('TOKENS');

/** The gateway's token check, played by the test: these tokens, as these callers. */
@Controller()
class Identity {
  constructor(@Inject(TOKENS) private readonly tokens: Map<string, Caller>) {}

  @Handle(IdentityContracts.verifyToken)
  verify(@Payload() m: Msg<typeof IdentityContracts.verifyToken>) {
    const caller = this.tokens.get(m.body.token);
    if (!caller) throw unauthenticated('unknown token');
    return { caller, kind: 'pat' as const, readOnly: false, expiresAt: null };
  }
}

export interface RouterOnScheduler {
  port: number;
  /** `<name>.apps.localhost:<port>`: what a request sends as Host to reach an instance or alias. */
  host(name: string): string;
  stop(): Promise<void>;
}

/**
 * A real router on the NATS of the scheduler's harness (`apps/scheduler/src/test-support`), the real
 * scheduler answering its lookups, and the gateway's token check answering `tokens`.
 */
export async function startRouterOnScheduler(
  nats: { url: string },
  opts: { secret: string; dataDir: string; tokens: Record<string, Caller>; router?: Partial<Record<keyof RouterSettings['router'], unknown>> },
): Promise<RouterOnScheduler> {
  @Module({
    imports: [NatsModule.forService('gateway', { NatsUrl: nats.url, RequestTimeoutMs: 5000, InternalSecret: opts.secret })],
    controllers: [Identity],
    providers: [{ provide: TOKENS, useValue: new Map(Object.entries(opts.tokens)) }],
  })
  class IdentityModule {}
  const identity: INestMicroservice = await NestFactory.createMicroservice(IdentityModule, {
    ...natsServerOptions({ service: 'gateway', servers: [nats.url], requestTimeoutMs: 5000 }),
    logger: false,
  });
  identity.useGlobalFilters(new WharfExceptionFilter());
  await identity.listen();
  const router = await startRouter({
    platform: { NatsUrl: nats.url, RequestTimeoutMs: 5000, InternalSecret: opts.secret, DataDir: opts.dataDir, LogLevel: 'error', ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 5 },
    router: RouterConfigSchema.parse({ Port: await freePort(), GatewayUrl: 'http://gateway.test:8080', ...opts.router }),
  });
  return {
    port: router.port,
    host: (name) => `${name}.apps.localhost:${router.port}`,
    stop: async () => {
      await router.app.close();
      await identity.close();
    },
  };
}
