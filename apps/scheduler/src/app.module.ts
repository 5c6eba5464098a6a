import path from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { NatsModule, natsConnectionOptions, natsOptions } from '@wharf/nats';
import { INSTANCE_DRIVER, type InstanceDriver } from './drivers/instance-driver';
import { findPrlimit } from './drivers/process/launcher-processes';
import { ProcessDriver } from './drivers/process/process.driver';
import { findSandboxTools } from './drivers/process/sandbox-users';
import { HealthController } from './health/health.controller';
import { InstanceHandlers } from './instances/instance.handlers';
import { InstanceChanges } from './instances/instance.changes';
import { InstanceService } from './instances/instance.service';
import { InstanceSupervisor } from './instances/instance.supervisor';
import { InternalController } from './instances/internal.controller';
import { KvLeaseStore } from './leases/kv-lease.store';
import { LEASE_STORE } from './leases/lease.store';
import { RuntimeCatalog } from './runtimes/runtime.catalog';
import { RuntimeHandlers } from './runtimes/runtime.handlers';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from './scheduler.config';
import { SecretHandlers } from './secrets/secret.handlers';
import { LocalSecretStore, SECRET_STORE } from './secrets/secret.store';

export function createDriver(settings: SchedulerSettings): InstanceDriver {
  const s = settings.scheduler;
  if (s.Driver === 'kubernetes') {
    throw new Error('Scheduler.Driver = "kubernetes" is not implemented yet; use "process"');
  }
  return new ProcessDriver({
    dataDir: s.dataDir,
    launcherPath: s.launcherPath,
    nodePath: process.execPath,
    prlimit: findPrlimit(s.ProcessPrlimit),
    stopGraceMs: s.ProcessStopGraceMs,
    logBytes: s.ProcessLogBytes,
    startTimeoutSeconds: s.StartTimeoutSeconds,
    standbyLaunchers: s.ProcessStandbyLaunchers,
    cacheKeepMs: s.ProcessCacheKeepHours * 3600_000,
    cacheSweepMs: s.ProcessCacheSweepSeconds * 1000,
    standbyPython: s.RuntimeVersions.find((r) => r.Default)?.Python ?? s.ProcessPython,
    sandbox: findSandboxTools(s.ProcessSandbox, s.ProcessBwrap),
    uidRange: s.ProcessUidRange,
  });
}

@Module({})
export class SchedulerModule {
  static forRoot(settings: SchedulerSettings, opts: { queue?: string } = {}): DynamicModule {
    const { platform, scheduler } = settings;
    return {
      module: SchedulerModule,
      imports: [NatsModule.forService(opts.queue ?? 'scheduler', platform)],
      controllers: [InstanceHandlers, RuntimeHandlers, SecretHandlers, InternalController, HealthController],
      providers: [
        { provide: SCHEDULER_SETTINGS, useValue: settings },
        { provide: RuntimeCatalog, useValue: new RuntimeCatalog(scheduler.RuntimeVersions, scheduler.ProcessPython) },
        {
          provide: LEASE_STORE,
          useFactory: async () => {
            const store = new KvLeaseStore(natsConnectionOptions(natsOptions(opts.queue ?? 'scheduler', platform)), scheduler.LeaseBucket);
            await store.init();
            return store;
          },
        },
        { provide: SECRET_STORE, useValue: new LocalSecretStore(path.join(scheduler.dataDir, 'secrets.json')) },
        {
          provide: INSTANCE_DRIVER,
          useFactory: async () => {
            const driver = createDriver(settings);
            await driver.init();
            return driver;
          },
        },
        InstanceChanges,
        InstanceService,
        InstanceSupervisor,
      ],
    };
  }
}
