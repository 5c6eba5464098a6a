import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NATS_OPTIONS, splitServers, type NatsOptions } from './nats.options';
import { RpcClient } from './rpc.client';

@Global()
@Module({})
export class NatsModule {
  static forService(service: string, natsUrl: string, requestTimeoutMs: number): DynamicModule {
    const options: NatsOptions = { service, servers: splitServers(natsUrl), requestTimeoutMs };
    return {
      module: NatsModule,
      providers: [{ provide: NATS_OPTIONS, useValue: options }, RpcClient],
      exports: [NATS_OPTIONS, RpcClient],
    };
  }
}
