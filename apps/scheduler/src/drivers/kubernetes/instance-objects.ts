import type { V1Deployment, V1EnvVar, V1NetworkPolicy, V1PersistentVolumeClaim, V1Secret, V1Service, V1Toleration, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { appSecretEnvName, launcherEnvVars, type LauncherCredentials } from '@wharf/contracts/launcher';
import { routingModeOf, type InstanceRecord } from '../../instances/instance.record';
import { instanceBasePath } from '@wharf/contracts';
import { GENERATION_ANNOTATION, instanceLabels, LABELS, recordAnnotations } from './instance-metadata';

/**
 * The Kubernetes objects of one instance, as plain data (no I/O): what the Kubernetes driver
 * creates, and what an operator sees with `kubectl`. Each is named `wharf-<id>`:
 *
 * - **Deployment**: one replica (0 when suspended) of the runtime's image, the launcher as its
 *   command, listening on every interface of the pod (the pod is the sandbox). Non-root, no
 *   privilege escalation, every capability dropped, seccomp `RuntimeDefault`, a read-only root
 *   file system (the launcher works in an emptyDir, `/tmp` is one too), no service-account token,
 *   no service links in its environment. It carries the instance record (annotation).
 * - **Secret**: what the launcher is given for this start (bundle and status tokens, the identity
 *   key) and the app's own `[[Env]]` values; admin secrets named in `[[Env]]` are read straight
 *   from their Kubernetes Secrets (`secretKeyRef`), as `WHARF_APP_SECRET__<NAME>` which the
 *   launcher hands to the app alone. It also holds the contents of literal `[[File]]` entries
 *   (`file-<n>`); each `[[File]]` is a secret volume of one item mounted read-only at its path
 *   (`subPath`): from this Secret (mode 0444), or from the admin secret it names (0440, group
 *   `fsGroup`), never copied.
 * - **Service** in front of the launcher's port (the same port number): the router proxies to its
 *   cluster IP.
 * - **PersistentVolumeClaim** when the app asks for a volume, mounted at its `VolumeMount`.
 * - **NetworkPolicy**: only the router's pods may connect, on the launcher's port; the pod may reach
 *   DNS and the two platform ports its launcher needs (the repository's bundle download and the
 *   scheduler's status report, each demanding this instance's own token), and, when configured,
 *   the internet but no private address (cluster, node or cloud metadata).
 *
 * Every object has the instance's labels; all but the Deployment are owned by it, so deleting the
 * Deployment (terminate, or an operator's `kubectl delete deploy wharf-<id>`) deletes the rest.
 */
export interface InstanceObjectSettings {
  namespace: string;
  /** The launcher's command in the runtime image. */
  launcherCommand: string[];
  /** The port the launcher listens on in the pod, and the Service's target. */
  launcherPort: number;
  serviceType: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** '' = the cluster's default storage class. */
  storageClass: string;
  /** Used when a record predates VolumeSize. */
  defaultVolumeSize: string;
  /** The GPU types by name (the first one for records without a type): the extended resource, and where pods with such GPUs may go. */
  gpuTypes: GpuTypeSettings[];
  cpuRequest: string;
  /** '' = no CPU limit. */
  cpuLimit: string;
  /** The uid and gid the launcher and the app run as. */
  runAsUser: number;
  /** Pods of the platform, by the labels the chart gives them; `namespace` '' = the instances' own. */
  platform: {
    namespace: string;
    router: Record<string, string>;
    repository: Record<string, string>;
    scheduler: Record<string, string>;
  };
  /** The repository's and the scheduler's ports the launcher reaches (bundle download, status reports). */
  repositoryPort: number;
  schedulerPort: number;
  /** `internet`: the app may also reach public addresses (never private ones); `none`: only the platform ports above. */
  egress: 'none' | 'internet';
  /** Image pull secrets by registry prefix, e.g. `{ "ghcr.io/acme": "acme-pull" }`. */
  imagePullSecrets: Record<string, string>;
  /** SIGTERM → SIGKILL grace of the pod (the launcher stops the app within it). */
  stopGraceSeconds: number;
  startTimeoutSeconds: number;
}

export interface GpuTypeSettings {
  name: string;
  resource: string;
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
}

export interface InstanceObjects {
  deployment: V1Deployment;
  secret: V1Secret;
  service: V1Service;
  pvc: V1PersistentVolumeClaim | null;
  networkPolicy: V1NetworkPolicy;
}

/** Everything for one start of `r`: `credentials` and `appEnv` come from the launch plan (never stored in the record). */
export interface InstanceObjectInput {
  record: InstanceRecord;
  credentials: LauncherCredentials;
  /** The app's `[[Env]]` plain values. */
  appEnv: Record<string, string>;
  /** The app's `[[Env]]` secret references: env name → Kubernetes Secret name and key. */
  secretRefs: { env: string; secret: string; key: string }[];
  /** The app's `[[File]]` entries: literal contents, or the Kubernetes Secret name and key to mount. */
  files: ({ path: string; value: string } | { path: string; secret: string; key: string })[];
  /** Replicas: 1 to run, 0 when suspended. */
  running: boolean;
  /** The request this start belongs to (WHARF_REQUEST_ID: the launcher's first line and status reports). */
  requestId?: string;
}

export const objectName = (id: string): string => `wharf-${id}`;

const WORK_DIR = '/work';
/** A `[[File]]`'s key in the start's Secret, its volume, and the one item of that volume. */
const fileKey = (i: number) => `file-${i}`;
const fileVolumeName = (i: number) => `file-${i}`;
const FILE_ITEM = 'file';
/** Private address ranges an instance never reaches, whatever `egress` says (the cluster, nodes, cloud metadata). */
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '127.0.0.0/8'];

export function instanceObjects(input: InstanceObjectInput, s: InstanceObjectSettings): InstanceObjects {
  const r = input.record;
  const name = objectName(r.id);
  const labels = instanceLabels(r);
  const selector = { [LABELS.instance]: r.id };
  const meta = { name, namespace: s.namespace, labels };
  const volume = r.launch.volumeMount
    ? { mount: r.launch.volumeMount, size: r.launch.volumeSize ?? s.defaultVolumeSize }
    : null;

  // The launcher's environment: its own settings in the clear, the signed values from the Secret.
  const plain = launcherEnvVars({
    PORT: s.launcherPort,
    WHARF_INSTANCE_ID: r.id,
    WHARF_BASE_PATH: instanceBasePath(r.id, routingModeOf(r)),
    WHARF_REQUEST_ID: input.requestId,
    WHARF_GENERATION: r.generation,
    WHARF_BUNDLE_URL: input.credentials.WHARF_BUNDLE_URL,
    WHARF_BUNDLE_SHA256: r.launch.sha256,
    WHARF_MODULE: r.launch.module,
    WHARF_RUNTIME: r.runtime,
    WHARF_PYTHON: r.launch.python,
    WHARF_STATUS_URL: input.credentials.WHARF_STATUS_URL,
    WHARF_WORK_DIR: WORK_DIR,
    ...(volume ? { WHARF_VOLUME_DIR: volume.mount } : {}),
    WHARF_START_TIMEOUT_SECONDS: s.startTimeoutSeconds,
    WHARF_STOP_GRACE_MS: Math.max(0, s.stopGraceSeconds * 1000 - 1000),
    WHARF_LISTEN_HOST: '0.0.0.0',
    WHARF_SANDBOX: 'none',
  });
  const fromSecret = ['WHARF_BUNDLE_TOKEN', 'WHARF_STATUS_TOKEN', 'WHARF_IDENTITY_KEY', 'WHARF_APP_ENV'] as const;
  const env: V1EnvVar[] = [
    ...Object.entries(plain).map(([k, value]) => ({ name: k, value })),
    ...fromSecret.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name, key } } })),
    ...input.secretRefs.map((ref) => ({ name: appSecretEnvName(ref.env), valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } })),
    { name: 'HOME', value: WORK_DIR },
  ];

  // One volume of one item per [[File]], mounted read-only at its path (subPath: nothing else of the Secret shows).
  const fileVolumes: V1Volume[] = input.files.map((f, i) =>
    'secret' in f
      ? { name: fileVolumeName(i), secret: { secretName: f.secret, items: [{ key: f.key, path: FILE_ITEM }], defaultMode: 0o440 } }
      : { name: fileVolumeName(i), secret: { secretName: name, items: [{ key: fileKey(i), path: FILE_ITEM }], defaultMode: 0o444 } },
  );
  const fileMounts: V1VolumeMount[] = input.files.map((f, i) => ({ name: fileVolumeName(i), mountPath: f.path, subPath: FILE_ITEM, readOnly: true }));

  const memory = String(r.launch.memoryLimitBytes);
  const requests: Record<string, string> = { cpu: s.cpuRequest, memory: String(r.launch.memoryReservationBytes ?? r.launch.memoryLimitBytes) };
  const limits: Record<string, string> = { memory, ...(s.cpuLimit ? { cpu: s.cpuLimit } : {}) };
  const gpu = r.launch.gpuCount > 0 ? (s.gpuTypes.find((g) => g.name === r.launch.gpuType) ?? s.gpuTypes[0]) : undefined;
  if (r.launch.gpuCount > 0 && !gpu) throw new Error(`instance ${r.id} asks for GPUs, and no GPU type is configured (Scheduler.GpuTypes)`);
  if (gpu) {
    requests[gpu.resource] = String(r.launch.gpuCount);
    limits[gpu.resource] = String(r.launch.gpuCount);
  }
  const pullSecret = Object.entries(s.imagePullSecrets)
    .filter(([prefix]) => r.launch.image === prefix || r.launch.image.startsWith(`${prefix.replace(/\/+$/, '')}/`))
    .sort(([a], [b]) => b.length - a.length)[0]?.[1];

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta, annotations: recordAnnotations(r) },
    spec: {
      replicas: input.running ? 1 : 0,
      selector: { matchLabels: selector },
      // One pod at a time: the volume is ReadWriteOnce, and two launchers of one instance would race.
      strategy: { type: 'Recreate' },
      template: {
        // The generation tells a pod of this start from one of an earlier start still stopping.
        metadata: { labels, annotations: { [GENERATION_ANNOTATION]: String(r.generation) } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: s.stopGraceSeconds,
          securityContext: { runAsNonRoot: true, runAsUser: s.runAsUser, runAsGroup: s.runAsUser, fsGroup: s.runAsUser, seccompProfile: { type: 'RuntimeDefault' } },
          ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
          ...(gpu && Object.keys(gpu.nodeSelector).length ? { nodeSelector: gpu.nodeSelector } : {}),
          ...(gpu && gpu.tolerations.length ? { tolerations: gpu.tolerations } : {}),
          containers: [
            {
              name: 'launcher',
              image: r.launch.image,
              command: s.launcherCommand,
              ports: [{ name: 'http', containerPort: s.launcherPort, protocol: 'TCP' }],
              env,
              resources: { requests, limits },
              // The launcher holds its port from its first second (a progress page until the app is up).
              readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 2, failureThreshold: 3 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'work', mountPath: WORK_DIR },
                { name: 'tmp', mountPath: '/tmp' },
                ...(volume ? [{ name: 'data', mountPath: volume.mount }] : []),
                ...fileMounts,
              ],
            },
          ],
          volumes: [
            { name: 'work', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
            ...(volume ? [{ name: 'data', persistentVolumeClaim: { claimName: name } }] : []),
            ...fileVolumes,
          ],
        },
      },
    },
  };

  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta,
    type: 'Opaque',
    stringData: {
      WHARF_BUNDLE_TOKEN: input.credentials.WHARF_BUNDLE_TOKEN,
      WHARF_STATUS_TOKEN: input.credentials.WHARF_STATUS_TOKEN,
      WHARF_IDENTITY_KEY: input.credentials.WHARF_IDENTITY_KEY,
      WHARF_APP_ENV: JSON.stringify(input.appEnv),
      ...Object.fromEntries(input.files.flatMap((f, i) => ('value' in f ? [[fileKey(i), f.value]] : []))),
    },
  };

  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: { type: s.serviceType, selector, ports: [{ name: 'http', port: s.launcherPort, targetPort: 'http', protocol: 'TCP' }] },
  };

  const pvc: V1PersistentVolumeClaim | null = volume
    ? {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: meta,
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: volume.size } },
          ...(s.storageClass ? { storageClassName: s.storageClass } : {}),
        },
      }
    : null;

  const platform = (podLabels: Record<string, string>) => ({
    podSelector: { matchLabels: podLabels },
    ...(s.platform.namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': s.platform.namespace } } } : {}),
  });
  const networkPolicy: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta,
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: [platform(s.platform.router)], ports: [{ protocol: 'TCP', port: s.launcherPort }] }],
      egress: [
        // DNS, to find the platform's Services by name
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        { to: [platform(s.platform.repository)], ports: [{ protocol: 'TCP', port: s.repositoryPort }] },
        { to: [platform(s.platform.scheduler)], ports: [{ protocol: 'TCP', port: s.schedulerPort }] },
        ...(s.egress === 'internet' ? [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE } }] }] : []),
      ],
    },
  };

  return { deployment, secret, service, pvc, networkPolicy };
}

/** The owner reference that makes the Deployment take its instance's other objects with it. */
export function ownedBy(deployment: { metadata?: { name?: string; uid?: string } }) {
  const { name, uid } = deployment.metadata ?? {};
  if (!name || !uid) throw new Error('the Deployment has no name or uid yet: create it first');
  return [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true, blockOwnerDeletion: true }];
}
