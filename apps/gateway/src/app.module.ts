import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { NatsModule } from '@wharf/nats';
import { AppsController } from './catalog/apps.controller';
import { AuthGuard } from './auth/auth.guard';
import { BundlesController } from './bundles/bundles.controller';
import { RepositoryHttpClient } from './bundles/repository-http.client';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { HealthController } from './health/health.controller';
import { PrismaService } from './prisma/prisma.service';
import { TagsController } from './tags/tags.controller';
import { TokenService } from './tokens/token.service';
import { TokensController } from './tokens/tokens.controller';

@Module({})
export class GatewayModule {
  static forRoot(settings: GatewaySettings): DynamicModule {
    const { platform } = settings;
    return {
      module: GatewayModule,
      imports: [NatsModule.forService('gateway', platform.NatsUrl, platform.RequestTimeoutMs)],
      controllers: [HealthController, TokensController, BundlesController, AppsController, TagsController],
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: settings },
        { provide: APP_GUARD, useClass: AuthGuard },
        PrismaService,
        TokenService,
        RepositoryHttpClient,
      ],
    };
  }
}
