import path from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { natsConnectionOptions, NatsModule, natsOptions, serviceLoggerModule } from '@wharf/nats';
import { INSTANCE_DRIVER, type InstanceDriver } from './drivers/instance-driver';
import { KubeApi } from './drivers/kubernetes/kube-api';
import { KubernetesDriver } from './drivers/kubernetes/kubernetes.driver';
import { findPrlimit } from './drivers/process/launcher-processes';
import { ProcessDriver } from './drivers/process/process.driver';
import { findSandboxTools } from './drivers/process/sandbox-users';
import { AliasHandlers } from './aliases/alias.handlers';
import { AliasService } from './aliases/alias.service';
import { ALIAS_STORE, KvAliasStore } from './aliases/kv-alias.store';
import { HealthController } from './health/health.controller';
import { InstanceHandlers } from './instances/instance.handlers';
import { InstanceChanges } from './instances/instance.changes';
import { InstanceService } from './instances/instance.service';
import { CLOCK, systemClock } from './common/clock';
import { InstanceSupervisor } from './instances/instance.supervisor';
import { InternalController } from './instances/internal.controller';
import { KvLeaseStore } from './leases/kv-lease.store';
import { LEASE_STORE } from './leases/lease.store';
import { RuntimeCatalog } from './runtimes/runtime.catalog';
import { RuntimeHandlers } from './runtimes/runtime.handlers';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from './scheduler.config';
import { SecretHandlers } from './secrets/secret.handlers';
import { KubeSecretStore, secretKeyRef } from './secrets/kube-secret.store';
import { LocalSecretStore, SECRET_STORE } from './secrets/secret.store';

/** The cluster of the Kubernetes driver (and of its secret store): one per scheduler. */
const kubeApis = new WeakMap<SchedulerSettings, KubeApi>();
function kubeApi(settings: SchedulerSettings): KubeApi {
  let api = kubeApis.get(settings);
  if (!api) {
    api = KubeApi.fromEnvironment(settings.scheduler.KubeNamespace, settings.scheduler.KubeConfig);
    kubeApis.set(settings, api);
  }
  return api;
}

/** The port of a URL (`http://repository:8082` → 8082), for the NetworkPolicy's egress rules. */
function portOf(url: string): number {
  const u = new URL(url);
  return Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
}

export function createDriver(settings: SchedulerSettings): InstanceDriver {
  const s = settings.scheduler;
  if (s.Driver === 'kubernetes') {
    return new KubernetesDriver({
      api: kubeApi(settings),
      secretKeyRef,
      maxGpus: s.MaxGpus,
      pageSize: s.KubePageSize,
      objects: {
        launcherCommand: s.KubeLauncherCommand,
        launcherPort: s.KubeLauncherPort,
        serviceType: s.KubeServiceType,
        storageClass: s.KubeStorageClass,
        defaultVolumeSize: s.DefaultVolumeSize,
        gpuTypes: s.GpuTypes.map((g) => ({
          name: g.Name,
          resource: g.Resource,
          nodeSelector: g.NodeSelector,
          tolerations: g.Tolerations.map((t) => ({
            ...(t.Key ? { key: t.Key } : {}),
            operator: t.Operator,
            ...(t.Value ? { value: t.Value } : {}),
            ...(t.Effect ? { effect: t.Effect } : {}),
          })),
        })),
        cpuRequest: s.DefaultCpuRequest,
        cpuLimit: s.DefaultCpuLimit,
        runAsUser: s.KubeRunAsUser,
        platform: {
          namespace: s.KubePlatformNamespace,
          router: s.KubeRouterPodLabels,
          repository: s.KubeRepositoryPodLabels,
          scheduler: s.KubeSchedulerPodLabels,
        },
        repositoryPort: portOf(s.repositoryUrl),
        schedulerPort: portOf(s.internalUrl),
        egress: s.KubeEgress,
        imagePullSecrets: s.KubeImagePullSecrets,
        stopGraceSeconds: s.KubeStopGraceSeconds,
        startTimeoutSeconds: s.StartTimeoutSeconds,
      },
    });
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
    portRange: s.ProcessPortRange,
  });
}

@Module({})
export class SchedulerModule {
  static forRoot(settings: SchedulerSettings, opts: { queue?: string } = {}): DynamicModule {
    const { platform, scheduler } = settings;
    return {
      module: SchedulerModule,
      imports: [NatsModule.forService(opts.queue ?? 'scheduler', platform), serviceLoggerModule('scheduler', platform)],
      controllers: [InstanceHandlers, RuntimeHandlers, SecretHandlers, AliasHandlers, InternalController, HealthController],
      providers: [
        { provide: SCHEDULER_SETTINGS, useValue: settings },
        { provide: CLOCK, useValue: systemClock },
        { provide: RuntimeCatalog, useValue: new RuntimeCatalog(scheduler.RuntimeVersions, scheduler.ProcessPython) },
        {
          provide: LEASE_STORE,
          useFactory: async () => {
            const store = new KvLeaseStore(natsConnectionOptions(natsOptions(opts.queue ?? 'scheduler', platform)), scheduler.LeaseBucket);
            await store.init();
            return store;
          },
        },
        {
          provide: ALIAS_STORE,
          useFactory: async () => {
            const store = new KvAliasStore(natsConnectionOptions(natsOptions(opts.queue ?? 'scheduler', platform)), scheduler.AliasBucket);
            await store.init();
            return store;
          },
        },
        {
          provide: SECRET_STORE,
          useFactory: () =>
            scheduler.Driver === 'kubernetes'
              ? new KubeSecretStore(kubeApi(settings).kc, kubeApi(settings).namespace)
              : new LocalSecretStore(path.join(scheduler.dataDir, 'secrets.json')),
        },
        {
          provide: INSTANCE_DRIVER,
          useFactory: async () => {
            const driver = createDriver(settings);
            await driver.init();
            return driver;
          },
        },
        InstanceChanges,
        AliasService,
        InstanceService,
        InstanceSupervisor,
      ],
    };
  }
}
