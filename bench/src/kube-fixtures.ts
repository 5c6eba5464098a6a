import type { InstanceRecord, KubernetesDriverOptions } from './scheduler';

/**
 * What bench/kube's two processes share: the instance settings the driver runs with (as the
 * scheduler's defaults), the records of the populated namespace, and the messages between the
 * bench and its fake API server child (kube-server.ts).
 */

/** The launch phase runs on an empty namespace, the scale phase on a populated one. */
export const NS_EMPTY = 'wharf-empty';
export const NS_SCALE = 'wharf';

export const OBJECTS: KubernetesDriverOptions['objects'] = {
  launcherCommand: ['node', '/opt/wharf/launcher/dist/main.js'],
  launcherPort: 8080,
  serviceType: 'ClusterIP',
  storageClass: '',
  defaultVolumeSize: '1Gi',
  gpuTypes: [{ name: 'nvidia', resource: 'nvidia.com/gpu', nodeSelector: {}, tolerations: [] }],
  cpuRequest: '100m',
  cpuLimit: '1',
  runAsUser: 10001,
  platform: { namespace: '', router: { 'app.kubernetes.io/component': 'router' }, repository: { 'app.kubernetes.io/component': 'repository' }, scheduler: { 'app.kubernetes.io/component': 'scheduler' } },
  repositoryPort: 8082,
  schedulerPort: 8083,
  egress: 'none',
  imagePullSecrets: {},
  stopGraceSeconds: 5,
  startTimeoutSeconds: 300,
};

/** A deterministic pseudo-random sequence (the same population every run). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const userSub = (u: number): string => `user${String(u).padStart(4, '0')}@example.org`;
/** `[a-z][a-z0-9]{9}`, distinct per prefix and n. */
export const benchId = (prefix: string, n: number): string => `${prefix}${n.toString(36).padStart(10 - prefix.length, '0')}`;

/** A record as the scheduler writes it (fields as in a real start of an app version). */
export function benchRecord(id: string, over: { owner: string; createdAt: string; status: InstanceRecord['status']; app: number; volume?: boolean }): InstanceRecord {
  const appName = `app-${String(over.app).padStart(3, '0')}`;
  const running = over.status === 'RUNNING';
  return {
    id,
    appVersionId: `av_01J${String(over.app).padStart(6, '0')}QX7`,
    appName,
    appVersion: '1.4.2',
    appOwner: { sub: userSub(over.app), name: `user${over.app}` },
    owner: { sub: over.owner, name: over.owner.split('@')[0]! },
    visibility: over.app % 3 === 0 ? 'PUBLIC' : 'PRIVATE',
    runtime: 'python-3.11',
    status: over.status,
    statusReason: over.status === 'FAILED' ? 'the app exited with code 1 before it listened on its port' : over.status === 'SUSPENDED' ? 'suspended after 60 minutes idle' : null,
    address: running ? '10.96.12.34:8080' : null,
    createdAt: over.createdAt,
    updatedAt: over.createdAt,
    lastActivityAt: over.createdAt,
    warnings: [],
    generation: 1,
    idempotencyKey: null,
    launch: {
      module: `${appName.replace(/-/g, '_')}.app`,
      sha256: 'ab12'.repeat(16),
      image: 'registry.example.org/wharf/python:3.11',
      python: 'python3',
      memoryLimitBytes: 536870912,
      memoryReservationBytes: null,
      gpuCount: 0,
      volumeMount: over.volume ? '/data' : null,
      volumeSize: over.volume ? '1Gi' : null,
      env: [],
      files: [],
    },
  };
}

/** The launch plan's credentials: tokens of a realistic length. */
export function benchCredentials(r: InstanceRecord) {
  const token = (what: string) => `${what}.${Buffer.from(`${r.id}:${r.generation}:${what}`.repeat(6)).toString('base64url')}`;
  return {
    WHARF_BUNDLE_URL: `http://wharf-repository:8082/internal/bundles/${r.appVersionId}`,
    WHARF_BUNDLE_TOKEN: token('bundle'),
    WHARF_STATUS_URL: `http://wharf-scheduler:8083/internal/instances/${r.id}/status`,
    WHARF_STATUS_TOKEN: token('status'),
    WHARF_IDENTITY_KEY: token('identity'),
  };
}

export interface PopulateSpec {
  namespace: string;
  instances: number;
  users: number;
  others: number;
  seed: number;
}

export interface PopulateResult {
  ms: number;
  instances: { id: string; owner: string; status: string; pod: string | null }[];
  objects: Record<string, number>;
}

/** One entry of the fake API server's request log, as the child sends it. */
export interface LoggedRequest {
  method: string;
  verb?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  status?: number;
  ms?: number;
}

export type ToServer =
  | { op: 'populate'; id: number; spec: PopulateSpec }
  | { op: 'mark'; id: number }
  /** The server process's CPU time so far (user + system, ms). */
  | { op: 'cpu'; id: number }
  | { op: 'since'; id: number; from: number }
  | { op: 'namespace'; id: number; name: string }
  | { op: 'stop'; id: number };

export type FromServer =
  | { op: 'ready'; url: string; kubeconfig: string; token: string }
  | { op: 'reply'; id: number; value?: unknown; error?: string };
