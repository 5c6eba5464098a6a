import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NATS_OPTIONS, natsOptions, type NatsPlatform } from './nats.options';
import { RpcClient } from './rpc.client';
import { RpcInFlight, Shutdown } from './shutdown';

@Global()
@Module({})
export class NatsModule {
  /** `platform`: NatsUrl, RequestTimeoutMs, InternalSecret and the service's NatsUser/NatsPassword. */
  static forService(service: string, platform: NatsPlatform): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        { provide: NATS_OPTIONS, useValue: natsOptions(service, platform) },
        RpcClient,
        Shutdown,
        // counts the NATS handlers running, for a graceful shutdown (handle.decorator.ts)
        RpcInFlight,
      ],
      exports: [NATS_OPTIONS, RpcClient, Shutdown, RpcInFlight],
    };
  }
}
