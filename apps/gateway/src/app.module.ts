import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AnswerCache, NatsModule, serviceLoggerModule } from '@wharf/nats';
import { AppsController } from './catalog/apps.controller';
import { CatalogEventsHandler } from './catalog/catalog-events.handler';
import { AuditController } from './audit/audit.controller';
import { AuditWatch } from './audit/audit.watch';
import { AuditRepository } from './audit/audit.repository';
import { AuditService } from './audit/audit.service';
import { AuthGuard } from './auth/auth.guard';
import { BundlesController } from './bundles/bundles.controller';
import { EventsFeature } from './events/events.module';
import { InternalHttpClient } from './bundles/internal-http.client';
import { InstanceRedirectController } from './instances/instance-redirect.controller';
import { InstancesController } from './instances/instances.controller';
import { SecretsController } from './secrets/secrets.controller';
import { AliasesController } from './aliases/aliases.controller';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { HealthController } from './health/health.controller';
import { AuthController } from './identity/auth.controller';
import { Authenticator } from './identity/authenticator.service';
import { DeviceController } from './identity/device/device.controller';
import { DeviceRepository } from './identity/device/device.repository';
import { DeviceService } from './identity/device/device.service';
import { LoginService } from './identity/login/login.service';
import { OidcClient } from './identity/oidc/oidc.client';
import { RateLimiter } from './identity/rate-limit/rate-limiter.service';
import { RateLimitGuard } from './identity/rate-limit/rate-limit.guard';
import { SessionRepository } from './identity/session/session.repository';
import { SessionService } from './identity/session/session.service';
import { IdentityHandlers } from './identity/tickets/identity.handlers';
import { TicketService } from './identity/tickets/ticket.service';
import { PrismaService } from './prisma/prisma.service';
import { ShareHandlers } from './shares/share.handlers';
import { ShareLinkController } from './shares/share-link.controller';
import { ShareService } from './shares/share.service';
import { SharesController } from './shares/shares.controller';
import { TagsController } from './tags/tags.controller';
import { TokenService } from './tokens/token.service';
import { TokenCache } from './tokens/token-cache';
import { TokenEventsHandler } from './tokens/token-events.handler';
import { TokensController } from './tokens/tokens.controller';
import { WebModule } from './web/web.module';
import { UsageController } from './usage/usage.controller';
import { UsageService } from './usage/usage.service';

@Module({})
export class GatewayModule {
  static forRoot(settings: GatewaySettings): DynamicModule {
    const { platform } = settings;
    return {
      module: GatewayModule,
      imports: [NatsModule.forService('gateway', platform), serviceLoggerModule('gateway', platform), WebModule.forRoot(settings)],
      controllers: [
        HealthController,
        TokensController,
        BundlesController,
        AppsController,
        TagsController,
        InstancesController,
        InstanceRedirectController,
        SecretsController,
        AliasesController,
        TokenEventsHandler,
        CatalogEventsHandler,
        AuthController,
        DeviceController,
        AuditController,
        UsageController,
        IdentityHandlers,
        SharesController,
        ShareLinkController,
        ShareHandlers,
        ...EventsFeature.controllers,
      ],
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: settings },
        // in this order: who the caller is, then the audit log watches what the request does
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: AuditWatch },
        PrismaService,
        TokenService,
        TokenCache,
        { provide: AnswerCache, useValue: new AnswerCache(settings.gateway.CatalogCacheMs) },
        InternalHttpClient,
        // identity
        OidcClient,
        Authenticator,
        SessionRepository,
        SessionService,
        LoginService,
        TicketService,
        ShareService,
        DeviceRepository,
        DeviceService,
        RateLimiter,
        RateLimitGuard,
        // audit
        AuditRepository,
        AuditService,
        UsageService,
        ...EventsFeature.providers,
      ],
    };
  }
}
