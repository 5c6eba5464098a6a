import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { clone, isRec, rec, type Rec } from './json';
import { KubeApiError, type FakeKubeApiServer, type KubeObject } from './fake-apiserver';
import { startFakeKubeProxy, type ServiceProxyState } from './kube-proxy';

export type { ServiceProxyState } from './kube-proxy';

/** How a pod fails, with the status shapes the real scheduler and kubelet write. */
export type PodFailure = 'ImagePullBackOff' | 'CrashLoopBackOff' | 'OOMKilled' | 'Unschedulable';

/** A local process standing for a container. */
export interface ContainerProcess {
  command: string;
  args?: string[];
  /** Added to the container's resolved env (and `PORT`). */
  env?: Record<string, string>;
  cwd?: string;
}

/** What the kubelet prepared for a container before `run` is asked about it. */
export interface ContainerContext {
  /** The container's `volumeMounts` that are backed by a folder: mountPath → host folder (`emptyDir` and `persistentVolumeClaim` volumes; `subPath` applied). */
  mounts: Record<string, string>;
  /** A folder of the container's own (a stand-in for its writable layer, e.g. a working folder), removed with the pod. */
  dir: string;
}

export interface FakeKubeletOptions {
  /** The one node (default `fake-node`). */
  nodeName?: string;
  /** Chooses a failure for a new pod (null: healthy). */
  fail?(pod: KubeObject): PodFailure | null | undefined;
  /** Runs a container as a local process (null: simulated). */
  run?(pod: KubeObject, container: Rec, ctx: ContainerContext): ContainerProcess | null | undefined;
  /**
   * Where volumes live: `pods/<ns>/<pod>/<volume>` for each `emptyDir` (removed with the pod),
   * `pvcs/<ns>/<claim>` for each `persistentVolumeClaim` (removed with the PVC object),
   * `containers/<ns>/<pod>/<container>` for `ContainerContext.dir`. Default: a temporary folder,
   * removed by `stop()`.
   */
  volumesDir?: string;
  /** Pending → Running (default 50 ms; the image is "pulled" in this time). */
  startDelayMs?: number;
  /** The back-off before a restart and between simulated crash-loop runs (default 200 ms; the real kubelet: 10 s, doubling). */
  restartDelayMs?: number;
  /** The period of readiness probes of real processes (default 100 ms). */
  probeIntervalMs?: number;
}

/** The annotation on a Pod whose containers run as local processes: JSON `{"<container>/<containerPort>": <loopback port>}`. */
export const FAKE_KUBELET_PORTS_ANNOTATION = 'fake-kubelet.wharf.dev/ports';

export interface FakeKubelet {
  nodeName: string;
  /** Appends lines to the current log of a container (a simulated one, or a real one besides its output). */
  appendLog(namespace: string, pod: string, line: string, container?: string): void;
  /** Ends a simulated container's run with `exitCode` (its log becomes the previous one; it restarts per `restartPolicy`). */
  exit(namespace: string, pod: string, exitCode: number, container?: string): void;
  /** The loopback port a container's port is served on when it runs as a process. */
  port(namespace: string, pod: string, containerPort?: number, container?: string): number | undefined;
  /** The pid of a container's current process. */
  pid(namespace: string, pod: string, container?: string): number | undefined;
  /** The folder volumes live in (see `FakeKubeletOptions.volumesDir`). */
  volumesDir: string;
  /** The host folder of a pod's volume (`emptyDir` or `persistentVolumeClaim`) once the pod is scheduled. */
  volumeDir(namespace: string, pod: string, volume: string): string | undefined;
  /** What the kube-proxy serves: one entry per TCP port of each Service with a selector and a cluster IP. */
  serviceProxies(): ServiceProxyState[];
  /**
   * Kills every process, stops every timer and every kube-proxy listener, removes the pods'
   * folders (and `volumesDir` when the kubelet made it), unsubscribes (the API server keeps running).
   */
  stop(): Promise<void>;
}

interface LogBuffer {
  chunks: string[];
  ended: boolean;
  followers: Set<{ data(s: string): void; end(): void }>;
}

interface Container {
  name: string;
  spec: Rec;
  restartCount: number;
  state: Rec;
  lastState: Rec;
  ready: boolean;
  started: boolean;
  log: LogBuffer;
  previous?: LogBuffer;
  containerId: string;
  proc?: ChildProcess;
  exited?: Promise<void>;
  ports: Map<number, number>;
  timers: Set<NodeJS.Timeout>;
}

interface PodState {
  namespace: string;
  name: string;
  uid: string;
  failure: PodFailure | null;
  podIP?: string;
  scheduled: boolean;
  startTime?: string;
  containers: Map<string, Container>;
  gone: boolean;
  /** Condition transition times, kept while a condition's status holds. */
  conditionTimes: Map<string, { status: string; time: string }>;
  /** Volume name → host folder, set when the pod is scheduled. */
  volumes: Map<string, string>;
  /** The PVCs its volumes claim. */
  claims: string[];
  /** The claim the pod waits for (FailedScheduling: not found). */
  waitingForClaim?: string;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const POD_CIDR_BASE = [10, 244, 0];

function newLog(): LogBuffer {
  return { chunks: [], ended: false, followers: new Set() };
}

function write(log: LogBuffer, s: string): void {
  if (log.ended || s === '') return;
  log.chunks.push(s);
  for (const f of log.followers) f.data(s);
}

function endLog(log: LogBuffer): void {
  if (log.ended) return;
  log.ended = true;
  for (const f of log.followers) f.end();
  log.followers.clear();
}

async function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once('error', ko);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

function probe(spec: Rec, port: (p: unknown) => number | undefined): Promise<boolean> {
  const httpGet = rec(spec.httpGet);
  const tcp = rec(spec.tcpSocket);
  return new Promise((ok) => {
    if (isRec(spec.httpGet)) {
      const p = port(httpGet.port);
      if (p === undefined) return ok(false);
      const req = request({ host: '127.0.0.1', port: p, path: typeof httpGet.path === 'string' ? httpGet.path : '/', timeout: 1000 }, (res) => {
        res.resume();
        ok((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.on('error', () => ok(false));
      req.on('timeout', () => req.destroy());
      req.end();
    } else if (isRec(spec.tcpSocket)) {
      const p = port(tcp.port);
      if (p === undefined) return ok(false);
      const sock = connect(p, '127.0.0.1', () => {
        sock.destroy();
        ok(true);
      });
      sock.on('error', () => ok(false));
    } else ok(true);
  });
}

/** The loopback port a process container serves `targetPort` on (a number, or a declared port's name). */
function containerPort(c: Container, targetPort: number | string): number | undefined {
  if (typeof targetPort === 'number') return c.ports.get(targetPort) ?? c.ports.get(0);
  const named = (Array.isArray(c.spec.ports) ? (c.spec.ports as unknown[]).map(rec) : []).find((d) => d.name === targetPort);
  return named ? c.ports.get(Number(named.containerPort)) : undefined;
}

function templateHash(template: unknown): string {
  // The real controller writes a 10-character hash in the `pod-template-hash` label; same alphabet (no vowels).
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(JSON.stringify(template ?? {})).digest();
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * A Deployment controller, scheduler and kubelet running in-process beside a fake API server,
 * acting through its store (so watches, tables and garbage collection see everything they do):
 * Deployments get Pods, Pods get scheduled and run (simulated, or as local processes), fail as
 * told, and serve their logs through `/pods/<name>/log`.
 */
export function startFakeKubelet(kube: FakeKubeApiServer, options: FakeKubeletOptions = {}): FakeKubelet {
  const api = kube.controllers;
  const nodeName = options.nodeName ?? 'fake-node';
  const startDelayMs = options.startDelayMs ?? 50;
  const restartDelayMs = options.restartDelayMs ?? 200;
  const probeIntervalMs = options.probeIntervalMs ?? 100;
  const pods = new Map<string, PodState>();
  const timers = new Set<NodeJS.Timeout>();
  let ipCounter = 1;
  let stopped = false;
  let scheduled = false;
  const ownVolumesDir = options.volumesDir === undefined;
  const volumesDir = options.volumesDir === undefined ? mkdtempSync(join(tmpdir(), 'wharf-fake-kubelet-')) : resolvePath(options.volumesDir);
  /** Deleted PVCs whose folder goes once no pod uses it: `<ns>/<claim>`. */
  const deletedClaims = new Set<string>();
  const proxy = startFakeKubeProxy(kube, backends);

  const later = (ms: number, fn: () => void, owner?: Set<NodeJS.Timeout>): void => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      owner?.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
    owner?.add(t);
  };

  const reconcileSoon = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (!stopped) reconcile();
    });
  };

  // Never leave a process behind, even when a test forgets stop().
  const killAll = () => {
    for (const st of pods.values())
      for (const c of st.containers.values())
        if (c.proc?.pid !== undefined)
          try {
            process.kill(-c.proc.pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
  };
  process.once('exit', killAll);

  const unsubscribe = api.subscribe((type, resource, object) => {
    if (resource === 'pods' && type === 'DELETED') {
      const st = pods.get(object.metadata.uid ?? '');
      if (st) void teardown(st);
    }
    if (resource === 'persistentvolumeclaims' && type === 'DELETED') {
      deletedClaims.add(`${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`);
      void collectClaims();
    }
    if (resource === 'deployments' || resource === 'pods' || resource === 'persistentvolumeclaims') reconcileSoon();
    if (resource === 'services' || resource === 'pods') proxy.sync();
  });

  // ---- Volumes ---------------------------------------------------------------------------

  const podDir = (ns: string, pod: string) => join(volumesDir, 'pods', ns, pod);
  const containersDir = (ns: string, pod: string) => join(volumesDir, 'containers', ns, pod);
  const claimDir = (ns: string, claim: string) => join(volumesDir, 'pvcs', ns, claim);

  /** Removes the folders of deleted PVCs that no pod uses any more. */
  async function collectClaims(): Promise<void> {
    for (const key of [...deletedClaims]) {
      const [ns, claim] = key.split('/');
      if ([...pods.values()].some((st) => st.namespace === ns && st.claims.includes(claim))) continue;
      if (kube.get('persistentvolumeclaims', ns, claim)) {
        // Created again under the same name: its data starts empty.
        deletedClaims.delete(key);
        continue;
      }
      deletedClaims.delete(key);
      await rm(claimDir(ns, claim), { recursive: true, force: true });
    }
  }

  /** Each volume's folder (made now), as the kubelet mounts them when a pod starts. */
  function mountVolumes(st: PodState, pod: KubeObject): void {
    for (const v of Array.isArray(rec(pod.spec).volumes) ? (rec(pod.spec).volumes as unknown[]).map(rec) : []) {
      const name = String(v.name ?? '');
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`volume name "${name}" is not a DNS-1123 label`);
      let dir: string | undefined;
      if (isRec(v.emptyDir)) dir = join(podDir(st.namespace, st.name), name);
      else if (isRec(v.persistentVolumeClaim)) dir = claimDir(st.namespace, String(v.persistentVolumeClaim.claimName));
      if (!dir) continue;
      mkdirSync(dir, { recursive: true });
      st.volumes.set(name, dir);
    }
    for (const c of st.containers.values()) mkdirSync(join(containersDir(st.namespace, st.name), c.name), { recursive: true });
  }

  function contextOf(st: PodState, c: Container): ContainerContext {
    const mounts: Record<string, string> = {};
    for (const m of Array.isArray(c.spec.volumeMounts) ? (c.spec.volumeMounts as unknown[]).map(rec) : []) {
      const dir = st.volumes.get(String(m.name));
      if (!dir || typeof m.mountPath !== 'string') continue;
      const sub = typeof m.subPath === 'string' && m.subPath !== '' ? join(dir, m.subPath) : dir;
      if (!resolvePath(sub).startsWith(dir)) continue;
      mkdirSync(sub, { recursive: true });
      mounts[m.mountPath.replace(/(?<=.)\/+$/, '')] = sub;
    }
    return { mounts, dir: join(containersDir(st.namespace, st.name), c.name) };
  }

  // ---- kube-proxy ------------------------------------------------------------------------

  /** The loopback ports of the ready pods matching `selector` whose container runs as a process and serves `targetPort`. */
  function backends(namespace: string, selector: Record<string, string>, targetPort: number | string): number[] {
    const out: number[] = [];
    for (const p of kube.list('pods', namespace)) {
      const labels = p.metadata.labels ?? {};
      if (p.metadata.deletionTimestamp || !Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
      const ready = (Array.isArray(rec(p.status).conditions) ? (rec(p.status).conditions as unknown[]).map(rec) : []).some((c) => c.type === 'Ready' && c.status === 'True');
      const st = pods.get(p.metadata.uid ?? '');
      if (!ready || !st || st.gone) continue;
      for (const c of st.containers.values()) {
        const port = c.proc ? containerPort(c, targetPort) : undefined;
        if (port !== undefined) {
          out.push(port);
          break;
        }
      }
    }
    return out;
  }

  function event(pod: KubeObject | PodState, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal', fieldPath?: string, component = 'kubelet'): void {
    const ns = 'namespace' in pod && typeof pod.namespace === 'string' ? pod.namespace : (pod as KubeObject).metadata.namespace;
    const name = 'name' in pod && typeof pod.name === 'string' ? pod.name : (pod as KubeObject).metadata.name;
    const uid = 'uid' in pod && typeof pod.uid === 'string' ? pod.uid : (pod as KubeObject).metadata.uid;
    const t = now();
    try {
      api.create('events', ns, {
        metadata: { name: `${name ?? ''}.${randomBytes(8).toString('hex')}`, namespace: ns },
        involvedObject: { kind: 'Pod', namespace: ns, name, uid, apiVersion: 'v1', ...(fieldPath ? { fieldPath } : {}) },
        reason,
        message,
        type,
        source: component === 'kubelet' ? { component, host: nodeName } : { component },
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
        reportingComponent: component,
        reportingInstance: component === 'kubelet' ? nodeName : '',
      });
    } catch {
      // The namespace is going away.
    }
  }

  // ---- Deployment controller -------------------------------------------------------------

  function reconcile(): void {
    for (const d of kube.list('deployments')) reconcileDeployment(d);
    for (const p of kube.list('pods')) if (!pods.has(p.metadata.uid ?? '') && !p.metadata.deletionTimestamp) admit(p);
    for (const st of pods.values()) if (!st.scheduled && st.waitingForClaim !== undefined) schedule(st);
  }

  function reconcileDeployment(d: KubeObject): void {
    if (d.metadata.deletionTimestamp) return;
    const ns = d.metadata.namespace ?? '';
    const spec = rec(d.spec);
    const template = rec(spec.template);
    const hash = templateHash(template);
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const owned = kube.list('pods', ns).filter((p) => (p.metadata.ownerReferences ?? []).some((r) => r.uid === d.metadata.uid));
    for (const p of owned) if (p.metadata.labels?.['pod-template-hash'] !== hash) api.remove('pods', ns, p.metadata.name ?? '');
    const current = owned.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
    for (const p of current.slice(desired)) api.remove('pods', ns, p.metadata.name ?? '');
    for (let i = current.length; i < desired; i++) {
      const meta = rec(template.metadata);
      const name = `${d.metadata.name ?? ''}-${hash}-${randomSuffix()}`;
      current.push(
        api.create('pods', ns, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name,
            namespace: ns,
            labels: { ...(rec(meta.labels) as Record<string, string>), 'pod-template-hash': hash },
            ...(isRec(meta.annotations) ? { annotations: meta.annotations as Record<string, string> } : {}),
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name ?? '', uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
          },
          spec: clone(rec(template.spec)),
        }),
      );
    }
    const live = current.slice(0, desired).map((p) => kube.get('pods', ns, p.metadata.name ?? '')).filter((p): p is KubeObject => p !== undefined);
    const ready = live.filter((p) => (rec(p.status).conditions as unknown[] | undefined)?.some((c) => rec(c).type === 'Ready' && rec(c).status === 'True')).length;
    const all = kube.list('pods', ns).filter((p) => (p.metadata.ownerReferences ?? []).some((r) => r.uid === d.metadata.uid)).length;
    const rsName = `${d.metadata.name ?? ''}-${hash}`;
    const old = rec(d.status);
    const oldConds = Array.isArray(old.conditions) ? (old.conditions as unknown[]).map(rec) : [];
    const cond = (type: string, status: string, reason: string, message: string): Rec => {
      const prev = oldConds.find((c) => c.type === type);
      const same = prev && prev.status === status && prev.reason === reason && prev.message === message;
      const t = now();
      return {
        type,
        status,
        lastUpdateTime: same ? prev.lastUpdateTime : t,
        lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : t,
        reason,
        message,
      };
    };
    const maxUnavailable = Math.floor(desired * 0.25);
    const available = ready >= desired - maxUnavailable;
    const complete = live.length === desired && all === desired && ready === desired;
    const status: Rec = {
      observedGeneration: d.metadata.generation ?? 1,
      ...(all > 0 ? { replicas: all } : {}),
      ...(live.length > 0 ? { updatedReplicas: live.length } : {}),
      ...(ready > 0 ? { readyReplicas: ready, availableReplicas: ready } : {}),
      ...(all - ready > 0 ? { unavailableReplicas: all - ready } : {}),
      conditions: [
        available ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.') : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        complete ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`) : cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`),
      ],
    };
    if (JSON.stringify(status) !== JSON.stringify(old)) {
      try {
        api.update('deployments', ns, d.metadata.name ?? '', { ...d, status }, 'status');
      } catch {
        // Deleted meanwhile.
      }
    }
  }

  // ---- Scheduler and kubelet -------------------------------------------------------------

  function livePod(st: PodState): KubeObject | undefined {
    return st.gone ? undefined : kube.get('pods', st.namespace, st.name);
  }

  function writeStatus(st: PodState, fn: (pod: KubeObject) => Rec): void {
    const pod = livePod(st);
    if (!pod) return;
    try {
      api.update('pods', st.namespace, st.name, { ...pod, status: fn(pod) }, 'status');
    } catch {
      // Deleted meanwhile.
    }
  }

  function condition(st: PodState, type: string, status: boolean, extra: Rec = {}): Rec {
    const s = status ? 'True' : 'False';
    const prev = st.conditionTimes.get(type);
    const time = prev && prev.status === s ? prev.time : now();
    st.conditionTimes.set(type, { status: s, time });
    return { type, status: s, lastProbeTime: null, lastTransitionTime: time, ...extra };
  }

  /** Writes the pod's status from the kubelet's view of its containers. */
  function sync(st: PodState): void {
    if (stopped) return;
    writeStatus(st, (pod) => {
      const spec = rec(pod.spec);
      const cs = [...st.containers.values()].map((c) => ({
        name: c.name,
        image: String(c.spec.image ?? ''),
        imageID: c.started || c.restartCount > 0 ? `docker.io/library/${String(c.spec.image ?? '')}@sha256:${createHash('sha256').update(String(c.spec.image)).digest('hex')}` : '',
        ...(c.started || c.restartCount > 0 ? { containerID: `containerd://${c.containerId}` } : {}),
        ready: c.ready,
        started: c.started,
        restartCount: c.restartCount,
        state: c.state,
        lastState: c.lastState,
      }));
      const allReady = cs.length > 0 && cs.every((c) => c.ready);
      const terminal = [...st.containers.values()].every((c) => isRec(c.state.terminated));
      const restartPolicy = String(spec.restartPolicy ?? 'Always');
      let phase = 'Pending';
      if (cs.some((c) => c.started || c.restartCount > 0 || isRec(c.state.running))) phase = 'Running';
      if (terminal && restartPolicy !== 'Always' && cs.length > 0) phase = [...st.containers.values()].every((c) => rec(c.state.terminated).exitCode === 0) ? 'Succeeded' : restartPolicy === 'Never' ? 'Failed' : phase;
      return {
        ...rec(pod.status),
        phase,
        conditions: [
          condition(st, 'PodReadyToStartContainers', st.podIP !== undefined),
          condition(st, 'Initialized', true),
          condition(st, 'Ready', allReady, allReady ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${cs.filter((c) => !c.ready).map((c) => c.name).join(' ')}]` }),
          condition(st, 'ContainersReady', allReady, allReady ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${cs.filter((c) => !c.ready).map((c) => c.name).join(' ')}]` }),
          condition(st, 'PodScheduled', true),
        ],
        hostIP: '10.0.0.10',
        hostIPs: [{ ip: '10.0.0.10' }],
        ...(st.podIP ? { podIP: st.podIP, podIPs: [{ ip: st.podIP }] } : {}),
        startTime: st.startTime,
        containerStatuses: cs,
      };
    });
  }

  function admit(pod: KubeObject): void {
    const containers = Array.isArray(rec(pod.spec).containers) ? (rec(pod.spec).containers as unknown[]).map(rec) : [];
    const st: PodState = {
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      failure: options.fail?.(pod) ?? null,
      scheduled: false,
      containers: new Map(),
      gone: false,
      conditionTimes: new Map(),
      volumes: new Map(),
      claims: [],
    };
    pods.set(st.uid, st);
    for (const c of containers) {
      const name = String(c.name ?? '');
      st.containers.set(name, {
        name,
        spec: c,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        started: false,
        log: newLog(),
        containerId: randomBytes(32).toString('hex'),
        ports: new Map(),
        timers: new Set(),
      });
    }
    if (st.failure === 'Unschedulable') {
      const message = '0/1 nodes are available: 1 Insufficient nvidia.com/gpu. no new claims to deallocate, preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
      writeStatus(st, (p) => ({
        ...rec(p.status),
        phase: 'Pending',
        conditions: [condition(st, 'PodScheduled', false, { reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' })],
      }));
      event(st, 'FailedScheduling', message, 'Warning', undefined, 'default-scheduler');
      return;
    }
    schedule(st);
  }

  /** Binds the pod to the node, unless a PVC it claims is missing (then it waits for it, Pending). */
  function schedule(st: PodState): void {
    const pod = livePod(st);
    if (!pod || st.scheduled || stopped) return;
    const volumes = Array.isArray(rec(pod.spec).volumes) ? (rec(pod.spec).volumes as unknown[]).map(rec) : [];
    st.claims = volumes.filter((v) => isRec(v.persistentVolumeClaim)).map((v) => String(rec(v.persistentVolumeClaim).claimName ?? ''));
    const missing = st.claims.find((claim) => !kube.get('persistentvolumeclaims', st.namespace, claim));
    if (missing !== undefined) {
      if (st.waitingForClaim === missing) return;
      st.waitingForClaim = missing;
      const reason = `persistentvolumeclaim "${missing}" not found`;
      writeStatus(st, (p) => ({
        ...rec(p.status),
        phase: 'Pending',
        conditions: [condition(st, 'PodScheduled', false, { reason: 'Unschedulable', message: `0/1 nodes are available: ${reason}.` })],
      }));
      event(st, 'FailedScheduling', `0/1 nodes are available: ${reason}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`, 'Warning', undefined, 'default-scheduler');
      return;
    }
    st.waitingForClaim = undefined;
    // Scheduled: bound to the node (the real scheduler posts a Binding; the result is the same).
    try {
      api.update('pods', st.namespace, st.name, { ...pod, spec: { ...rec(pod.spec), nodeName } });
    } catch {
      return;
    }
    st.scheduled = true;
    event(st, 'Scheduled', `Successfully assigned ${st.namespace}/${st.name} to ${nodeName}`, 'Normal', undefined, 'default-scheduler');
    st.startTime = now();
    for (const claim of st.claims) bindClaim(st.namespace, claim);
    try {
      mountVolumes(st, pod);
    } catch (e) {
      event(st, 'FailedMount', `MountVolume.SetUp failed: ${e instanceof Error ? e.message : String(e)}`, 'Warning');
      return;
    }
    const runsProcess = [...st.containers.values()].some((c) => options.run?.(pod, c.spec, contextOf(st, c)));
    st.podIP = runsProcess ? '127.0.0.1' : `${POD_CIDR_BASE.join('.').replace(/\.0$/, '')}.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
    sync(st);
    later(startDelayMs, () => {
      for (const c of st.containers.values()) void startContainer(st, c);
    });
  }

  /** A claimed PVC turns Bound (as with a `WaitForFirstConsumer` storage class's provisioner). */
  function bindClaim(ns: string, claim: string): void {
    const pvc = kube.get('persistentvolumeclaims', ns, claim);
    if (!pvc || rec(pvc.status).phase === 'Bound') return;
    const spec = rec(pvc.spec);
    try {
      api.update('persistentvolumeclaims', ns, claim, {
        ...pvc,
        status: { ...rec(pvc.status), phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: rec(rec(spec.resources).requests).storage ?? '1Gi' } },
      }, 'status');
    } catch {
      // Deleted meanwhile.
    }
  }

  async function startContainer(st: PodState, c: Container): Promise<void> {
    const pod = livePod(st);
    if (!pod || stopped) return;
    const image = String(c.spec.image ?? '');
    const field = `spec.containers{${c.name}}`;
    if (st.failure === 'ImagePullBackOff') {
      const ref = image.includes('/') ? image : `docker.io/library/${image}`;
      c.state = { waiting: { reason: 'ErrImagePull', message: `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found` } };
      event(st, 'Pulling', `Pulling image "${image}"`, 'Normal', field);
      event(st, 'Failed', `Failed to pull image "${image}": ${String(rec(c.state.waiting).message)}`, 'Warning', field);
      event(st, 'Failed', 'Error: ErrImagePull', 'Warning', field);
      sync(st);
      later(restartDelayMs, () => {
        c.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } };
        event(st, 'BackOff', `Back-off pulling image "${image}"`, 'Normal', field);
        event(st, 'Failed', 'Error: ImagePullBackOff', 'Warning', field);
        sync(st);
      }, c.timers);
      return;
    }
    if (c.restartCount === 0) {
      event(st, 'Pulled', `Container image "${image}" already present on machine`, 'Normal', field);
      event(st, 'Created', `Created container: ${c.name}`, 'Normal', field);
    }
    event(st, 'Started', `Started container ${c.name}`, 'Normal', field);
    const startedAt = now();
    c.containerId = randomBytes(32).toString('hex');
    if (st.failure === 'CrashLoopBackOff' || st.failure === 'OOMKilled') {
      c.state = { running: { startedAt } };
      c.started = true;
      sync(st);
      later(restartDelayMs / 2, () => exited(st, c, st.failure === 'OOMKilled' ? 137 : 1, startedAt, st.failure === 'OOMKilled' ? 'OOMKilled' : 'Error'), c.timers);
      return;
    }
    let proc: ContainerProcess | null | undefined;
    try {
      proc = options.run?.(pod, c.spec, contextOf(st, c));
    } catch (e) {
      c.state = { waiting: { reason: 'CreateContainerError', message: e instanceof Error ? e.message : String(e) } };
      event(st, 'Failed', `Error: ${String(rec(c.state.waiting).message)}`, 'Warning', field);
      sync(st);
      return;
    }
    if (!proc) {
      c.state = { running: { startedAt } };
      c.started = true;
      c.ready = true;
      sync(st);
      return;
    }
    await spawnProcess(st, c, pod, proc, startedAt);
  }

  function resolveEnv(pod: KubeObject, c: Container): Record<string, string> {
    const ns = pod.metadata.namespace;
    const env: Record<string, string> = {};
    const secret = (name: unknown) => kube.get('secrets', ns, String(name));
    const configMap = (name: unknown) => kube.get('configmaps', ns, String(name));
    const decode = (v: unknown) => Buffer.from(String(v), 'base64').toString('utf8');
    for (const from of Array.isArray(c.spec.envFrom) ? (c.spec.envFrom as unknown[]).map(rec) : []) {
      const prefix = typeof from.prefix === 'string' ? from.prefix : '';
      if (isRec(from.secretRef)) for (const [k, v] of Object.entries(rec(secret(from.secretRef.name)?.data))) env[prefix + k] = decode(v);
      if (isRec(from.configMapRef)) for (const [k, v] of Object.entries(rec(configMap(from.configMapRef.name)?.data))) env[prefix + k] = String(v);
    }
    for (const e of Array.isArray(c.spec.env) ? (c.spec.env as unknown[]).map(rec) : []) {
      const name = String(e.name);
      if (typeof e.value === 'string') env[name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
      const ref = rec(rec(e.valueFrom).secretKeyRef);
      if (ref.name !== undefined) {
        const v = rec(secret(ref.name)?.data)[String(ref.key)];
        if (v === undefined && ref.optional !== true) throw new Error(`secret "${String(ref.name)}" not found or has no key "${String(ref.key)}"`);
        if (v !== undefined) env[name] = decode(v);
      }
      const cm = rec(rec(e.valueFrom).configMapKeyRef);
      if (cm.name !== undefined) {
        const v = rec(configMap(cm.name)?.data)[String(cm.key)];
        if (v !== undefined) env[name] = String(v);
      }
      const f = rec(rec(e.valueFrom).fieldRef);
      if (f.fieldPath === 'metadata.name') env[name] = pod.metadata.name ?? '';
      if (f.fieldPath === 'metadata.namespace') env[name] = pod.metadata.namespace ?? '';
      if (f.fieldPath === 'status.podIP') env[name] = '127.0.0.1';
    }
    return env;
  }

  async function spawnProcess(st: PodState, c: Container, pod: KubeObject, proc: ContainerProcess, startedAt: string): Promise<void> {
    const field = `spec.containers{${c.name}}`;
    let env: Record<string, string>;
    try {
      env = resolveEnv(pod, c);
    } catch (e) {
      c.state = { waiting: { reason: 'CreateContainerConfigError', message: e instanceof Error ? e.message : String(e) } };
      event(st, 'Failed', `Error: ${String(rec(c.state.waiting).message)}`, 'Warning', field);
      sync(st);
      later(restartDelayMs, () => void startContainer(st, c), c.timers);
      return;
    }
    const declared = Array.isArray(c.spec.ports) ? (c.spec.ports as unknown[]).map(rec) : [];
    for (const p of declared) if (typeof p.containerPort === 'number' && !c.ports.has(p.containerPort)) c.ports.set(p.containerPort, await freePort());
    if (c.ports.size === 0) c.ports.set(0, await freePort());
    if (stopped || !livePod(st)) return;
    const first = [...c.ports.values()][0];
    const annotations = { ...(livePod(st)?.metadata.annotations ?? {}) };
    const mapping: Record<string, number> = JSON.parse(annotations[FAKE_KUBELET_PORTS_ANNOTATION] ?? '{}') as Record<string, number>;
    for (const [cp, hp] of c.ports) mapping[`${c.name}/${cp}`] = hp;
    const live = livePod(st);
    if (live) {
      try {
        api.update('pods', st.namespace, st.name, { ...live, metadata: { ...live.metadata, annotations: { ...annotations, [FAKE_KUBELET_PORTS_ANNOTATION]: JSON.stringify(mapping) } } });
      } catch {
        return;
      }
    }
    const child = spawn(proc.command, proc.args ?? [], {
      cwd: proc.cwd,
      env: { ...process.env, ...env, ...proc.env, PORT: String(first), HOSTNAME: st.name },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.proc = child;
    const log = c.log;
    child.stdout.setEncoding('utf8').on('data', (s: string) => write(log, s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => write(log, s));
    c.exited = new Promise((ok) => {
      child.once('error', (e) => {
        write(log, `${e.message}\n`);
        ok();
      });
      child.once('close', (code, signal) => {
        if (c.proc === child) {
          c.proc = undefined;
          const exitCode = code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1) : 1);
          exited(st, c, exitCode, startedAt, exitCode === 0 ? 'Completed' : 'Error');
        }
        ok();
      });
    });
    c.state = { running: { startedAt } };
    c.started = true;
    c.ready = false;
    sync(st);
    const portOf = (p: unknown): number | undefined => {
      if (typeof p === 'number') return c.ports.get(p) ?? (c.ports.size === 1 ? first : undefined);
      const named = declared.find((d) => d.name === p);
      return named ? c.ports.get(Number(named.containerPort)) : undefined;
    };
    const readiness = rec(c.spec.readinessProbe);
    const tick = () => {
      if (c.proc !== child || stopped) return;
      void probe(readiness, portOf).then((ok) => {
        if (c.proc !== child || stopped) return;
        if (ok !== c.ready) {
          c.ready = ok;
          sync(st);
        }
        later(probeIntervalMs, tick, c.timers);
      });
    };
    tick();
  }

  /** A container run ended: its log becomes the previous one; restart per `restartPolicy`. */
  function exited(st: PodState, c: Container, exitCode: number, startedAt: string, reason: string): void {
    if (st.gone || stopped) return;
    const pod = livePod(st);
    if (!pod) return;
    c.lastState = { terminated: { exitCode, reason, startedAt, finishedAt: now(), containerID: `containerd://${c.containerId}` } };
    endLog(c.log);
    c.previous = c.log;
    c.log = newLog();
    c.ready = false;
    const policy = String(rec(pod.spec).restartPolicy ?? 'Always');
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      c.restartCount++;
      c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${10 * 2 ** Math.min(c.restartCount - 1, 5)}s restarting failed container=${c.name} pod=${st.name}_${st.namespace}(${st.uid})` } };
      event(st, 'BackOff', 'Back-off restarting failed container ' + c.name + ' in pod ' + `${st.name}_${st.namespace}(${st.uid})`, 'Warning', `spec.containers{${c.name}}`);
      sync(st);
      later(restartDelayMs, () => void startContainer(st, c), c.timers);
    } else {
      // Not restarted: the terminated container's log stays the current one.
      c.state = clone(c.lastState);
      c.lastState = {};
      c.log = c.previous;
      c.previous = undefined;
      sync(st);
    }
  }

  async function killProcess(c: Container, graceMs: number): Promise<void> {
    const child = c.proc;
    c.proc = undefined;
    if (!child || child.pid === undefined) return;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), s);
      } catch {
        // Already gone.
      }
    };
    if (child.exitCode !== null || child.signalCode !== null) {
      signal('SIGKILL');
      return;
    }
    const closed = new Promise<void>((ok) => child.once('close', () => ok()));
    signal('SIGTERM');
    const t = setTimeout(() => signal('SIGKILL'), graceMs);
    await closed;
    clearTimeout(t);
    signal('SIGKILL');
  }

  async function teardown(st: PodState, graceMs = 2000): Promise<void> {
    st.gone = true;
    pods.delete(st.uid);
    const waits: Promise<void>[] = [];
    for (const c of st.containers.values()) {
      for (const t of c.timers) {
        clearTimeout(t);
        timers.delete(t);
      }
      endLog(c.log);
      waits.push(killProcess(c, graceMs));
    }
    await Promise.all(waits);
    // The pod's emptyDirs and containers' folders go with it; a PVC's folder stays with the PVC.
    await Promise.all([rm(podDir(st.namespace, st.name), { recursive: true, force: true }), rm(containersDir(st.namespace, st.name), { recursive: true, force: true })]);
    await collectClaims();
  }

  // ---- Logs ------------------------------------------------------------------------------

  function containerOf(namespace: string, pod: string, container?: string): { st: PodState; c: Container } {
    const live = kube.get('pods', namespace, pod);
    const st = live && pods.get(live.metadata.uid ?? '');
    if (!live || !st) throw new KubeApiError(404, 'NotFound', `pods "${pod}" not found`);
    const names = [...st.containers.keys()];
    if (!container) {
      if (names.length !== 1) throw new KubeApiError(400, 'BadRequest', `a container name must be specified for pod ${pod}, choose one of: [${names.join(' ')}]`);
      container = names[0];
    }
    const c = st.containers.get(container);
    if (!c) throw new KubeApiError(400, 'BadRequest', `container ${container} is not valid for pod ${pod}`);
    return { st, c };
  }

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killAll);
    unsubscribe();
    api.setPodLogHandler(undefined);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await Promise.all([proxy.stop(), ...[...pods.values()].map((st) => teardown(st, 500))]);
    if (ownVolumesDir) await rm(volumesDir, { recursive: true, force: true });
  };
  api.onStop(stop);

  api.setPodLogHandler((namespace, podName, q, req, res) => {
    const { c } = containerOf(namespace, podName, q.get('container') ?? undefined);
    const previous = q.get('previous') === 'true';
    const follow = q.get('follow') === 'true';
    let log: LogBuffer;
    if (previous) {
      if (!c.previous) throw new KubeApiError(400, 'BadRequest', `previous terminated container "${c.name}" in pod "${podName}" not found`);
      log = c.previous;
    } else {
      const waiting = rec(c.state.waiting);
      if (!c.started && c.restartCount === 0) {
        const why = waiting.reason === 'ErrImagePull' || waiting.reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : String(waiting.reason ?? 'ContainerCreating');
        throw new KubeApiError(400, 'BadRequest', `container "${c.name}" in pod "${podName}" is waiting to start: ${why}`);
      }
      // While a crashed container waits to restart, its last run's log is served.
      log = waiting.reason === 'CrashLoopBackOff' && c.previous && c.log.chunks.length === 0 ? c.previous : c.log;
    }
    let text = log.chunks.join('');
    const tail = q.get('tailLines');
    if (tail !== null && /^\d+$/.test(tail)) {
      const lines = text.split(/(?<=\n)/);
      text = Number(tail) === 0 ? '' : lines.slice(-Number(tail)).join('');
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.write(text);
    if (!follow || log.ended) return void res.end();
    const follower = { data: (s: string) => void res.write(s), end: () => void res.end() };
    log.followers.add(follower);
    const leave = () => log.followers.delete(follower);
    req.on('close', leave);
    res.on('close', leave);
  });

  return {
    nodeName,
    appendLog: (namespace, pod, line, container) => {
      const { c } = containerOf(namespace, pod, container);
      write(c.log, line.endsWith('\n') ? line : `${line}\n`);
    },
    exit: (namespace, pod, exitCode, container) => {
      const { st, c } = containerOf(namespace, pod, container);
      if (c.proc) throw new Error('the container runs a process: kill it instead');
      exited(st, c, exitCode, String(rec(c.state.running).startedAt ?? now()), exitCode === 0 ? 'Completed' : 'Error');
    },
    port: (namespace, pod, containerPort, container) => {
      const { c } = containerOf(namespace, pod, container);
      return containerPort === undefined ? [...c.ports.values()][0] : c.ports.get(containerPort);
    },
    pid: (namespace, pod, container) => containerOf(namespace, pod, container).c.proc?.pid,
    volumesDir,
    volumeDir: (namespace, pod, volume) => {
      const live = kube.get('pods', namespace, pod);
      return live ? pods.get(live.metadata.uid ?? '')?.volumes.get(volume) : undefined;
    },
    serviceProxies: () => proxy.states(),
    stop,
  };
}
