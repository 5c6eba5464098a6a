import path from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { AnswerCache, NatsModule, serviceLoggerModule } from '@wharf/nats';
import { AppHandlers } from './catalog/app.handlers';
import { AppService } from './catalog/app.service';
import { AppVersionRepository } from './catalog/app-version.repository';
import { BLOB_STORE } from './blobs/blob-store';
import { createBlobStore } from './blobs/blob-store.factory';
import { BundleController } from './bundles/bundle.controller';
import { OrphanBlobSweeper } from './bundles/orphan-blobs';
import { ImportService } from './bundles/import.service';
import { HealthController } from './health/health.controller';
import { PrismaService } from './prisma/prisma.service';
import { REPOSITORY_SETTINGS, type RepositorySettings } from './repository.config';
import { TagHandlers } from './tags/tag.handlers';
import { TagService } from './tags/tag.service';
import { UsageHandlers } from './usage/usage.handlers';

@Module({})
export class RepositoryModule {
  static forRoot(settings: RepositorySettings): DynamicModule {
    const { platform, repository } = settings;
    return {
      module: RepositoryModule,
      imports: [NatsModule.forService('repository', platform), serviceLoggerModule('repository', platform)],
      controllers: [AppHandlers, TagHandlers, UsageHandlers, BundleController, HealthController],
      providers: [
        { provide: REPOSITORY_SETTINGS, useValue: settings },
        {
          provide: BLOB_STORE,
          useFactory: async () => {
            const store = createBlobStore({
              ...repository,
              DiskPath: repository.DiskPath || path.resolve(platform.DataDir, 'blobs'),
            });
            await store.init();
            return store;
          },
        },
        PrismaService,
        AppVersionRepository,
        AppService,
        { provide: AnswerCache, useValue: new AnswerCache() },
        ImportService,
        OrphanBlobSweeper,
        TagService,
      ],
    };
  }
}
