import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { pgAdapter } from '@wharf/db';
import { PrismaClient } from '../generated/prisma/client';
import { REPOSITORY_SETTINGS, type RepositorySettings } from '../repository.config';

/** The repository's Prisma client, bound to its own Postgres schema. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(REPOSITORY_SETTINGS) { repository }: RepositorySettings) {
    super({ adapter: pgAdapter(repository.DatabaseUrl, repository.DatabaseSchema) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
