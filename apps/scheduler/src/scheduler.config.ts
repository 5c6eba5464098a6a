import path from 'node:path';
import { loadPlatformConfig, loadSection, type PlatformConfig } from '@wharf/config';
import { QuantitySchema, ROUTING_MODES, RUNTIME_NAME_PATTERN, RuntimeStateSchema } from '@wharf/contracts';
import { parseQuantity } from '@wharf/manifest';
import { z } from 'zod';
import { imageAllowed } from './runtimes/image-ref';

/** CPU as Kubernetes writes it: cores (`2`, `0.5`) or millicores (`100m`). */
const cpu = z.string().regex(/^([0-9]+(\.[0-9]+)?|[0-9]+m)$/, 'must be CPU cores such as 0.5 or 2, or millicores such as 100m');
const quantity = QuantitySchema.refine((q) => !QuantitySchema.safeParse(q).success || parseQuantity(q) > 0, 'must be more than 0');

/** One `[[Scheduler.RuntimeVersions]]` entry. */
export const RuntimeVersionConfigSchema = z.strictObject({
  Name: z.string().regex(RUNTIME_NAME_PATTERN, 'must match [a-z0-9][a-z0-9.-]* (e.g. python-3.11)'),
  /** Container image (Kubernetes driver); its registry must be in AllowedRegistries. */
  Image: z.string().min(1),
  Default: z.boolean().default(false),
  State: RuntimeStateSchema.default('ACTIVE'),
  StateReason: z.string().default(''),
  /** Process driver: the interpreter standing in for Image (default: ProcessPython). */
  Python: z.string().min(1).optional(),
});
export type RuntimeVersionConfig = z.output<typeof RuntimeVersionConfigSchema>;

export const DEFAULT_RUNTIMES: RuntimeVersionConfig[] = [
  { Name: 'python-3.11', Image: 'wharf/python:3.11', Default: true, State: 'ACTIVE', StateReason: '' },
];

/** `[Scheduler]` in wharf.toml; every key also as env `WHARF_SCHEDULER_<KEY>`. */
export const SchedulerConfigSchema = z
  .object({
    /** Internal HTTP port: health, launcher status reports, log streams. */
    Port: z.number().int().min(0).max(65535).default(8083),
    Host: z.string().default('127.0.0.1'),
    /** How launchers reach this port; default `http://127.0.0.1:<Port>`. */
    InternalUrl: z.string().default(''),
    /** The repository's internal HTTP port (bundle downloads); default `http://127.0.0.1:8082` (or env WHARF_REPOSITORY_PORT). */
    RepositoryUrl: z.string().default(''),
    /** `process`: local launcher processes (the embedded default); `kubernetes`: instances as Deployments on a cluster (the `Kube*` keys). */
    Driver: z.enum(['process', 'kubernetes']).default('process'),
    /** Instances are at `<RouterScheme>://<id>.<AppsDomain>:<RouterPort>`. */
    AppsDomain: z.string().min(1).default('apps.localhost'),
    RouterPort: z.number().int().min(1).max(65535).default(8081),
    RouterScheme: z.enum(['http', 'https']).default('http'),
    /**
     * Where instances of apps whose app.toml sets no `[Runtime] RoutingMode` are served. DOMAIN:
     * `<id>.<AppsDomain>`, each instance its own origin (needs wildcard DNS and certificate).
     * BASE_URL: `<AppsDomain>/instance/<id>/`, one host for every BASE_URL instance (they share its
     * origin in the browser, never the gateway's: see docs/security.md).
     */
    RoutingMode: z.enum(ROUTING_MODES).default('DOMAIN'),
    /**
     * The modes an app may choose with `[Runtime] RoutingMode`; Run refuses the others. Default:
     * `RoutingMode` alone. List DOMAIN only where wildcard DNS reaches the router, BASE_URL only
     * where `<AppsDomain>` itself does.
     */
    RoutingModes: z.array(z.enum(ROUTING_MODES)).min(1, 'list at least one routing mode (DOMAIN, BASE_URL), or leave RoutingModes out').optional(),
    /** Live instances (QUEUED…RUNNING) per user by role; 0 = unlimited. */
    MaxInstancesFullAccess: z.number().int().min(0).default(10),
    MaxInstancesVisitor: z.number().int().min(0).default(5),
    MaxInstancesAdmin: z.number().int().min(0).default(0),
    /** Memory limit of apps whose app.toml sets none. */
    DefaultMemoryLimit: quantity.default('512Mi'),
    /** Ceilings: an app asking for more is refused. */
    MaxMemoryLimit: quantity.default('4Gi'),
    MaxMemoryReservation: quantity.default('2Gi'),
    MaxGpus: z.number().int().min(0).default(0),
    /** Registries (`docker.io`) or repository prefixes (`ghcr.io/acme`) runtime images may come from. */
    AllowedRegistries: z.array(z.string().min(1)).default(['docker.io']),
    RuntimeVersions: z.array(RuntimeVersionConfigSchema).default(DEFAULT_RUNTIMES),
    /** Lets owners make instances PUBLIC (opened without signing in). */
    AllowPublicInstances: z.boolean().default(false),
    /** JetStream KV bucket holding per-user instance leases (the race-free limit counter shared by replicas). */
    LeaseBucket: z.string().regex(/^[a-zA-Z0-9_-]+$/).default('wharf-scheduler-leases'),
    /** JetStream KV bucket holding the alias table (one value, changed only by compare-and-set). */
    AliasBucket: z.string().regex(/^[a-zA-Z0-9_-]+$/).default('wharf-scheduler-aliases'),
    /** How long a lease may exist without its instance before reconciliation frees it. */
    LeaseGraceSeconds: z.number().int().min(1).default(60),
    /** How often instances are observed (process exits, launcher status files). */
    ReconcileIntervalMs: z.number().int().min(100).default(1000),
    /** Validity of the bundle download token given to a launcher. */
    BundleTokenTtlSeconds: z.number().int().min(30).default(3600),
    /** Validity of a launcher's status-report token (re-minted on every start). */
    StatusTokenTtlSeconds: z.number().int().min(60).default(30 * 24 * 3600),
    /** Process driver: the interpreter for runtimes without a `Python` key (stands in for their Image). */
    ProcessPython: z.string().min(1).default('python3'),
    /** Process driver: the launcher's entry point; default apps/launcher/dist/main.js next to this app. */
    ProcessLauncher: z.string().default(''),
    /** Process driver: `prlimit` for memory limits (`--as`); empty = find it on PATH; `off` = do not limit. */
    ProcessPrlimit: z.string().default(''),
    /**
     * Process driver: how apps are confined. `bwrap` (bubblewrap): each app and the install of its
     * requirements in its own mount, PID and network namespaces, seeing only the runtime and its own
     * folders, with no network; as root also as its own uid. `none`: apps run with Wharf's own
     * rights, so one user's apps at a time (others are refused): only for a machine of your own.
     */
    ProcessSandbox: z.enum(['bwrap', 'none']).default('bwrap'),
    /** Process driver: bubblewrap's path; empty = find `bwrap` on PATH. */
    ProcessBwrap: z.string().default(''),
    /** Process driver, as root with the bwrap sandbox: the uids (and gids) instances run as, one each; no /etc/passwd entries needed. */
    ProcessUidRange: z
      .tuple([z.number().int().min(1000), z.number().int().max(2 ** 31 - 1)])
      .refine(([a, b]) => a <= b, 'the first uid must not be above the last')
      .default([200_000, 299_999]),
    /**
     * Process driver: the loopback ports launchers listen on (and, without a sandbox, their apps),
     * one or two per running instance (a resume takes the same ones again while they are free).
     * Keep it outside net.ipv4.ip_local_port_range
     * (32768-60999 by default on Linux): ports in there go to outgoing connections too, and one may
     * take an instance's port before its launcher listens.
     */
    ProcessPortRange: z
      .tuple([z.number().int().min(1024), z.number().int().max(65535)])
      .refine(([a, b]) => a <= b, 'the first port must not be above the last')
      .default([20_000, 29_999]),
    /** Process driver: SIGTERM → SIGKILL grace when stopping an instance. */
    ProcessStopGraceMs: z.number().int().min(0).default(5000),
    /** Process driver: bytes per log file (two files per instance). */
    ProcessLogBytes: z.number().int().min(4096).default(1024 * 1024),
    /**
     * Process driver: launchers started ahead of time, waiting for an instance (each ~45 MB idle).
     * A launch that finds one skips Node's start (~90 ms of CPU); 0 starts every launcher on demand.
     */
    ProcessStandbyLaunchers: z.number().int().min(0).max(64).default(10),
    /**
     * Process driver: unpacked bundles and venvs that no instance refers to (terminated ones do
     * not) are removed once unused for this long.
     */
    ProcessCacheKeepHours: z.number().min(0).default(24),
    /** Process driver: how often those caches are swept. */
    ProcessCacheSweepSeconds: z.number().int().min(1).default(600),
    /**
     * On a clean shutdown (SIGTERM), suspend every live instance instead of leaving it running for
     * the next scheduler to adopt. For the single-machine embedded default only (one replica).
     */
    SuspendOnShutdown: z.boolean().default(false),
    /**
     * Minutes without proxied traffic (HTTP either way, websocket frames either way) after which a
     * RUNNING instance is suspended, for apps whose app.toml sets no `InstanceTimeout`; -1 never.
     * Its volume is kept; the owner's next visit (or `resume`) starts it again.
     */
    IdleTimeoutMinutes: z
      .number()
      .int()
      .refine((v) => v === -1 || (v >= 1 && v <= 43_200), 'must be between 1 and 43200 minutes, or -1 to never suspend idle instances')
      .default(60),
    /**
     * Added to every idle timeout before an instance is suspended: routers report traffic every
     * `Router.ActivityReportSeconds`, so this must be at least that (default 30 s) for traffic a
     * router has not reported yet to count.
     */
    IdleGraceSeconds: z.number().int().min(0).max(3600).default(60),
    /** The longest keep-alive lease an app may take in one call (`POST /keep-alive` on its control socket). */
    MaxKeepAliveMinutes: z.number().int().min(1).max(43_200).default(24 * 60),
    /** How long the app may take to listen on its port (Kubernetes: also how long a pod may stay unscheduled or pulling). */
    StartTimeoutSeconds: z.number().int().min(1).default(300),
    /**
     * Kubernetes driver: the namespace instances live in; empty = the namespace of the current
     * kubeconfig context, or the scheduler's own namespace in a pod. The cluster comes from
     * KubeConfig, else `KUBECONFIG` (or `~/.kube/config`), else the pod's service account.
     */
    KubeNamespace: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, 'must be a namespace name (DNS-1123 label) or empty').max(63).default(''),
    /** Kubernetes driver: a kubeconfig file; empty = `KUBECONFIG`, `~/.kube/config` or the pod's service account. */
    KubeConfig: z.string().default(''),
    /** Kubernetes driver: the launcher's command in every runtime image. */
    KubeLauncherCommand: z.array(z.string().min(1)).min(1).default(['node', '/opt/wharf/launcher/dist/main.js']),
    /** Kubernetes driver: the port the launcher listens on in the pod, and the port of the instance's Service. */
    KubeLauncherPort: z.number().int().min(1024).max(65535).default(8080),
    KubeServiceType: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
    /** Kubernetes driver: the storage class of instance volumes; empty = the cluster's default. */
    KubeStorageClass: z.string().default(''),
    /** Kubernetes driver: the size of a volume whose app.toml sets no VolumeSize. */
    DefaultVolumeSize: quantity.default('1Gi'),
    /** Kubernetes driver: the CPU request of every instance, and its limit (empty = none). */
    DefaultCpuRequest: cpu.default('100m'),
    DefaultCpuLimit: z.union([z.literal(''), cpu]).default('2'),
    /**
     * Kubernetes driver: the kinds of GPU instances may ask for (`[Runtime] GPUType` in app.toml;
     * the first when an app names none): the extended resource they are requested as, and the
     * node selector and tolerations that put a pod on a node with that GPU.
     */
    GpuTypes: z
      .array(
        z.strictObject({
          Name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be lower-case letters, digits, "-" or "." (e.g. a100)'),
          Resource: z.string().min(1).default('nvidia.com/gpu'),
          NodeSelector: z.record(z.string(), z.string()).default({}),
          Tolerations: z
            .array(
              z.strictObject({
                Key: z.string().default(''),
                Operator: z.enum(['Exists', 'Equal']).default('Exists'),
                Value: z.string().default(''),
                Effect: z.enum(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']).default(''),
              }),
            )
            .default([{ Key: 'nvidia.com/gpu', Operator: 'Exists', Value: '', Effect: 'NoSchedule' }]),
        }),
      )
      .min(1, 'configure at least one GPU type (or leave GpuTypes out for the default)')
      .default([{ Name: 'nvidia', Resource: 'nvidia.com/gpu', NodeSelector: {}, Tolerations: [{ Key: 'nvidia.com/gpu', Operator: 'Exists', Value: '', Effect: 'NoSchedule' }] }]),
    /** Kubernetes driver: the uid (and gid) the launcher and the app run as. */
    KubeRunAsUser: z.number().int().min(1).default(10001),
    /** Kubernetes driver: image pull secrets by registry or repository prefix of AllowedRegistries, e.g. `{ "ghcr.io/acme" = "acme-pull" }`. */
    KubeImagePullSecrets: z.record(z.string(), z.string()).default({}),
    /** Kubernetes driver: `none`: an app reaches only the two platform ports its launcher needs; `internet`: also public addresses (never private ones). */
    KubeEgress: z.enum(['none', 'internet']).default('none'),
    /** Kubernetes driver: the namespace of the platform's pods (router, repository, scheduler); empty = the instances' namespace. */
    KubePlatformNamespace: z.string().default(''),
    /** Kubernetes driver: the labels of the router's, repository's and scheduler's pods (as the Helm chart sets them). */
    KubeRouterPodLabels: z.record(z.string(), z.string()).default({ 'app.kubernetes.io/name': 'wharf', 'app.kubernetes.io/component': 'router' }),
    KubeRepositoryPodLabels: z.record(z.string(), z.string()).default({ 'app.kubernetes.io/name': 'wharf', 'app.kubernetes.io/component': 'repository' }),
    KubeSchedulerPodLabels: z.record(z.string(), z.string()).default({ 'app.kubernetes.io/name': 'wharf', 'app.kubernetes.io/component': 'scheduler' }),
    /** Kubernetes driver: SIGTERM → SIGKILL grace of an instance's pod. */
    KubeStopGraceSeconds: z.number().int().min(1).max(3600).default(10),
    /** Kubernetes driver: how often objects labelled as Wharf's are checked against the instances (orphans removed, missing ones restored). */
    KubeSweepSeconds: z.number().int().min(5).default(60),
    /** Kubernetes driver: objects listed per page when the cache (re)fills. */
    KubePageSize: z.number().int().min(10).max(5000).default(500),
  })
  .superRefine((c, ctx) => {
    if (c.RoutingModes && !c.RoutingModes.includes(c.RoutingMode)) {
      ctx.addIssue({ code: 'custom', path: ['RoutingModes'], message: `must include RoutingMode (${c.RoutingMode}), the mode of apps that choose none` });
    }
    const defaults = c.RuntimeVersions.filter((r) => r.Default);
    if (c.RuntimeVersions.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['RuntimeVersions'], message: 'configure at least one runtime version' });
    } else if (defaults.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['RuntimeVersions'],
        message: `exactly one runtime version must have Default = true (found ${defaults.length}: ${defaults.map((r) => r.Name).join(', ') || 'none'})`,
      });
    }
    const gpuNames = new Set<string>();
    c.GpuTypes.forEach((g, i) => {
      if (gpuNames.has(g.Name)) ctx.addIssue({ code: 'custom', path: ['GpuTypes', i, 'Name'], message: `duplicate GPU type ${g.Name}` });
      gpuNames.add(g.Name);
    });
    const seen = new Set<string>();
    c.RuntimeVersions.forEach((r, i) => {
      if (seen.has(r.Name)) ctx.addIssue({ code: 'custom', path: ['RuntimeVersions', i, 'Name'], message: `duplicate runtime name ${r.Name}` });
      seen.add(r.Name);
      if (r.Default && r.State === 'DISABLED') {
        ctx.addIssue({ code: 'custom', path: ['RuntimeVersions', i, 'State'], message: 'the default runtime cannot be DISABLED' });
      }
      if (!imageAllowed(r.Image, c.AllowedRegistries)) {
        ctx.addIssue({
          code: 'custom',
          path: ['RuntimeVersions', i, 'Image'],
          message: `${r.Image} is not from an allowed registry (AllowedRegistries: ${c.AllowedRegistries.join(', ') || 'none'})`,
        });
      }
    });
    const mem = (k: 'DefaultMemoryLimit' | 'MaxMemoryLimit') => (QuantitySchema.safeParse(c[k]).success ? parseQuantity(c[k]) : NaN);
    if (mem('DefaultMemoryLimit') > mem('MaxMemoryLimit')) {
      ctx.addIssue({ code: 'custom', path: ['DefaultMemoryLimit'], message: `must not exceed MaxMemoryLimit (${c.MaxMemoryLimit})` });
    }
  });
export type SchedulerConfig = z.output<typeof SchedulerConfigSchema>;

export interface SchedulerSettings {
  platform: PlatformConfig;
  scheduler: SchedulerConfig & {
    /** Resolved: InternalUrl, RepositoryUrl, ProcessLauncher (absolute). */
    internalUrl: string;
    repositoryUrl: string;
    launcherPath: string;
    dataDir: string;
  };
}

export const SCHEDULER_SETTINGS = Symbol('SCHEDULER_SETTINGS');

export function loadSchedulerSettings(env: NodeJS.ProcessEnv = process.env): SchedulerSettings {
  const platform = loadPlatformConfig(env);
  const scheduler = loadSection('Scheduler', SchedulerConfigSchema, env);
  const trim = (u: string) => u.replace(/\/+$/, '');
  return {
    platform,
    scheduler: {
      ...scheduler,
      AllowPublicInstances: scheduler.AllowPublicInstances || platform.AllowPublic === true,
      internalUrl: trim(scheduler.InternalUrl || `http://127.0.0.1:${scheduler.Port}`),
      repositoryUrl: trim(scheduler.RepositoryUrl || `http://127.0.0.1:${env.WHARF_REPOSITORY_PORT ?? 8082}`),
      launcherPath: path.resolve(scheduler.ProcessLauncher || path.resolve(__dirname, '../../launcher/dist/main.js')),
      dataDir: path.resolve(platform.DataDir),
    },
  };
}
