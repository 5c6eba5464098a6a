import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { pgAdapter } from '@wharf/db';
import { PrismaClient } from '../generated/prisma/client';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';

/** The gateway's Prisma client (tokens, sessions, audit), bound to its own Postgres schema. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(GATEWAY_SETTINGS) { gateway }: GatewaySettings) {
    super({ adapter: pgAdapter(gateway.DatabaseUrl, gateway.DatabaseSchema) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
