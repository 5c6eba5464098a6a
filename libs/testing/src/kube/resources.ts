import { labelSelectorString, rec, type Rec } from './json';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  description: string;
  cell(o: KubeObject): string | number;
}

export interface ResourceType {
  group: string;
  version: string;
  /** The URL segment, e.g. `deployments`. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  /** Has a `/status` subresource (PUT/PATCH of the main resource leave `.status` alone). */
  status: boolean;
  /** Has a `/scale` subresource. */
  scale: boolean;
  /** Columns between NAME and AGE in a `kubectl get` table. */
  columns: Omit<Column, 'type'>[];
  /** Defaults the real API server (or its admission chain) fills in on create. */
  defaults?(o: KubeObject, ctx: { nextClusterIp(): string }): void;
}

export function groupVersion(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** `deployments.apps`, `pods`: how the real server names a resource in messages. */
export function qualified(t: ResourceType): string {
  return t.group ? `${t.plural}.${t.group}` : t.plural;
}

const spec = (o: KubeObject) => rec(o.spec);
const status = (o: KubeObject) => rec(o.status);
const num = (x: unknown) => (typeof x === 'number' ? x : 0);

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function podReady(o: KubeObject): string {
  const containers = Array.isArray(spec(o).containers) ? (spec(o).containers as unknown[]) : [];
  const statuses = Array.isArray(status(o).containerStatuses) ? (status(o).containerStatuses as unknown[]) : [];
  return `${statuses.filter((s) => rec(s).ready === true).length}/${containers.length}`;
}

/** The STATUS column as kubectl's printer computes it: a container's waiting or terminated reason wins over the phase. */
function podStatus(o: KubeObject): string {
  let reason = String(status(o).reason ?? status(o).phase ?? 'Pending');
  const statuses = Array.isArray(status(o).containerStatuses) ? (status(o).containerStatuses as unknown[]).map(rec) : [];
  let hasRunning = false;
  for (const cs of [...statuses].reverse()) {
    const st = rec(cs.state);
    const waiting = rec(st.waiting);
    const terminated = rec(st.terminated);
    if (typeof waiting.reason === 'string' && waiting.reason !== '') reason = waiting.reason;
    else if (typeof terminated.reason === 'string' && terminated.reason !== '') reason = terminated.reason;
    else if (st.terminated !== undefined) reason = terminated.signal ? `Signal:${String(terminated.signal)}` : `ExitCode:${String(terminated.exitCode)}`;
    else if (cs.ready === true && st.running !== undefined) hasRunning = true;
  }
  if (reason === 'Completed' && hasRunning) reason = 'Running';
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function ports(o: KubeObject): string {
  const list = Array.isArray(spec(o).ports) ? (spec(o).ports as unknown[]) : [];
  if (list.length === 0) return '<none>';
  return list
    .map((p) => {
      const r = rec(p);
      return `${String(r.port)}${r.nodePort ? `:${String(r.nodePort)}` : ''}/${String(r.protocol ?? 'TCP')}`;
    })
    .join(',');
}

export const RESOURCE_TYPES: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    scale: false,
    columns: [{ name: 'Status', description: 'The status of the namespace', cell: (o) => String(status(o).phase ?? '') }],
    defaults: (o) => {
      o.spec = { finalizers: ['kubernetes'], ...rec(o.spec) };
      o.status = { phase: 'Active', ...rec(o.status) };
      o.metadata.labels = { 'kubernetes.io/metadata.name': o.metadata.name ?? '', ...o.metadata.labels };
    },
  },
  {
    group: '',
    version: 'v1',
    plural: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    status: true,
    scale: false,
    columns: [
      { name: 'Ready', description: 'The aggregate readiness state of this pod for accepting traffic.', cell: podReady },
      { name: 'Status', description: 'The aggregate status of the containers in this pod.', cell: podStatus },
      {
        name: 'Restarts',
        description: 'The number of times the containers in this pod have been restarted.',
        cell: (o) => (Array.isArray(status(o).containerStatuses) ? (status(o).containerStatuses as unknown[]) : []).reduce<number>((n, s) => n + num(rec(s).restartCount), 0),
      },
    ],
    defaults: (o) => {
      o.spec = { restartPolicy: 'Always', ...rec(o.spec) };
      o.status = { phase: 'Pending', qosClass: 'BestEffort', ...rec(o.status) };
    },
  },
  {
    group: '',
    version: 'v1',
    plural: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    status: true,
    scale: false,
    columns: [
      { name: 'Type', description: 'The type of the service.', cell: (o) => String(spec(o).type ?? 'ClusterIP') },
      { name: 'Cluster-IP', description: 'The IP address of the service.', cell: (o) => String(spec(o).clusterIP ?? '<none>') },
      { name: 'External-IP', description: 'The external IP address of the service.', cell: () => '<none>' },
      { name: 'Port(s)', description: 'The ports of the service.', cell: ports },
    ],
    defaults: (o, ctx) => {
      const s: Rec = { type: 'ClusterIP', sessionAffinity: 'None', ...rec(o.spec) };
      if (s.clusterIP === undefined) s.clusterIP = s.type === 'ExternalName' ? undefined : ctx.nextClusterIp();
      if (typeof s.clusterIP === 'string' && s.clusterIPs === undefined && s.clusterIP !== 'None') s.clusterIPs = [s.clusterIP];
      if (Array.isArray(s.ports)) s.ports = s.ports.map((p) => ({ protocol: 'TCP', ...rec(p), targetPort: rec(p).targetPort ?? rec(p).port }));
      o.spec = s;
      o.status = { loadBalancer: {}, ...rec(o.status) };
    },
  },
  {
    group: '',
    version: 'v1',
    plural: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    namespaced: true,
    shortNames: [],
    status: false,
    scale: false,
    columns: [
      { name: 'Type', description: 'The type of the secret', cell: (o) => String(o.type ?? 'Opaque') },
      { name: 'Data', description: 'The number of entries in the secret', cell: (o) => Object.keys(rec(o.data)).length },
    ],
    defaults: (o) => {
      o.type ??= 'Opaque';
    },
  },
  {
    group: '',
    version: 'v1',
    plural: 'persistentvolumeclaims',
    singular: 'persistentvolumeclaim',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    shortNames: ['pvc'],
    status: true,
    scale: false,
    columns: [
      { name: 'Status', description: 'The phase of the claim', cell: (o) => String(status(o).phase ?? 'Pending') },
      { name: 'Volume', description: 'The bound volume', cell: (o) => String(spec(o).volumeName ?? '') },
      { name: 'Capacity', description: 'The capacity of the claim', cell: (o) => String(rec(status(o).capacity).storage ?? '') },
      {
        name: 'Access Modes',
        description: 'The access modes of the claim',
        cell: (o) => (Array.isArray(spec(o).accessModes) ? (spec(o).accessModes as unknown[]).map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[String(m)] ?? String(m)).join(',') : ''),
      },
      { name: 'StorageClass', description: 'The storage class of the claim', cell: (o) => String(spec(o).storageClassName ?? '<unset>') },
    ],
    defaults: (o) => {
      o.spec = { volumeMode: 'Filesystem', ...rec(o.spec) };
      o.status = { phase: 'Pending', ...rec(o.status) };
    },
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    status: true,
    scale: true,
    columns: [
      { name: 'Ready', description: 'Number of the pod with ready state', cell: (o) => `${num(status(o).readyReplicas)}/${num(spec(o).replicas)}` },
      { name: 'Up-to-date', description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', cell: (o) => num(status(o).updatedReplicas) },
      { name: 'Available', description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', cell: (o) => num(status(o).availableReplicas) },
    ],
    defaults: (o) => {
      o.spec = { replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, ...rec(o.spec) };
      o.status ??= {};
    },
  },
  {
    group: '',
    version: 'v1',
    plural: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    status: false,
    scale: false,
    columns: [{ name: 'Data', description: 'The number of entries', cell: (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length }],
  },
  {
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    status: false,
    scale: false,
    columns: [],
  },
  {
    group: '',
    version: 'v1',
    plural: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    status: false,
    scale: false,
    columns: [
      { name: 'Type', description: 'Normal or Warning', cell: (o) => String(o.type ?? '') },
      { name: 'Reason', description: 'Why the action was taken', cell: (o) => String(o.reason ?? '') },
      { name: 'Object', description: 'The object this event is about', cell: (o) => `${String(rec(o.involvedObject).kind ?? '').toLowerCase()}/${String(rec(o.involvedObject).name ?? '')}` },
      { name: 'Message', description: 'A human-readable description', cell: (o) => String(o.message ?? '') },
    ],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'roles',
    singular: 'role',
    kind: 'Role',
    namespaced: true,
    shortNames: [],
    status: false,
    scale: false,
    columns: [],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    singular: 'rolebinding',
    kind: 'RoleBinding',
    namespaced: true,
    shortNames: [],
    status: false,
    scale: false,
    columns: [{ name: 'Role', description: 'The role bound', cell: (o) => `${String(rec(o.roleRef).kind ?? '')}/${String(rec(o.roleRef).name ?? '')}` }],
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    singular: 'networkpolicy',
    kind: 'NetworkPolicy',
    namespaced: true,
    shortNames: ['netpol'],
    status: false,
    scale: false,
    columns: [{ name: 'Pod-Selector', description: 'The pods the policy selects', cell: (o) => labelSelectorString(spec(o).podSelector) || '<none>' }],
  },
];

export function verbsOf(_t: ResourceType): string[] {
  return ALL_VERBS;
}

export function scaleSelector(o: KubeObject): string {
  return labelSelectorString(rec(o.spec).selector);
}

export function age(created: string | undefined, now = Date.now()): string {
  if (!created) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export type { Rec };
