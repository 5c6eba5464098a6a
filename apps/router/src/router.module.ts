import { Module, type DynamicModule } from '@nestjs/common';
import { NatsModule, serviceLoggerModule } from '@wharf/nats';
import { AccessService } from './auth/access.service';
import { Authenticator } from './auth/authenticator.service';
import { AliasDirectory } from './directory/alias.directory';
import { InstanceDirectory } from './directory/instance.directory';
import { RouterEvents } from './events/router.events';
import { RouterServer } from './proxy/router.server';
import { ROUTER_SETTINGS, type RouterSettings } from './router.config';

@Module({})
export class RouterModule {
  static forRoot(settings: RouterSettings): DynamicModule {
    return {
      module: RouterModule,
      imports: [NatsModule.forService('router', settings.platform), serviceLoggerModule('router', settings.platform)],
      controllers: [RouterEvents],
      providers: [{ provide: ROUTER_SETTINGS, useValue: settings }, InstanceDirectory, AliasDirectory, Authenticator, AccessService, RouterServer],
    };
  }
}
