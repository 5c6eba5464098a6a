import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { isLive, type InstanceRecord } from '../../instances/instance.record';
import { GENERATION_ANNOTATION, LABELS, readRecord, STARTED_AT_ANNOTATION, STARTED_GENERATION_ANNOTATION, type RecordReading } from './instance-metadata';

/**
 * What the Kubernetes driver keeps of the cluster (small entries, not whole objects) and what it
 * concludes from them: pure functions, no I/O, so each rule has a unit spec.
 */

const iso = (t: unknown): string => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : '');

/** An instance's Deployment, as the cache keeps it. */
export interface DeploymentEntry {
  name: string;
  uid: string;
  rv: string;
  /** Desired replicas (0 = stopped). */
  replicas: number;
  createdAt: string;
  /** Being deleted (deletionTimestamp set). */
  deleting: boolean;
  reading: RecordReading;
  /** The generation its pod template was last started with (null: never started), and when. */
  startedGeneration: number | null;
  startedAt: string | null;
}

export function deploymentEntry(d: V1Deployment): DeploymentEntry {
  const m = d.metadata ?? {};
  const a = m.annotations ?? {};
  const started = Number(a[STARTED_GENERATION_ANNOTATION]);
  return {
    name: m.name ?? '',
    uid: m.uid ?? '',
    rv: m.resourceVersion ?? '',
    replicas: d.spec?.replicas ?? 1,
    createdAt: iso(m.creationTimestamp),
    deleting: !!m.deletionTimestamp,
    reading: readRecord(m),
    startedGeneration: Number.isInteger(started) && a[STARTED_GENERATION_ANNOTATION] ? started : null,
    startedAt: a[STARTED_AT_ANNOTATION] ?? null,
  };
}

/** The launcher container of a pod, as the cache keeps it. */
export interface ContainerEntry {
  ready: boolean;
  restartCount: number;
  running: boolean;
  waiting: { reason: string; message: string } | null;
  /** The current run ended (a pod that will not restart it). */
  terminated: { reason: string; exitCode: number; message: string } | null;
  /** The run before the last restart. */
  lastTerminated: { reason: string; exitCode: number; message: string } | null;
}

/** An instance's pod, as the cache keeps it. */
export interface PodEntry {
  name: string;
  rv: string;
  instance: string;
  /** The instance generation its template was made for (null: unknown). */
  generation: number | null;
  createdAt: string;
  deleting: boolean;
  phase: string;
  /** PodScheduled=False: why (Unschedulable, …) and the scheduler's sentence. */
  unschedulable: { reason: string; message: string } | null;
  container: ContainerEntry | null;
}

type StateLike = { reason?: string; exitCode?: number; message?: string } | undefined;
const term = (t: StateLike) => (t ? { reason: t.reason ?? '', exitCode: t.exitCode ?? 0, message: t.message ?? '' } : null);

export function podEntry(p: V1Pod): PodEntry {
  const m = p.metadata ?? {};
  const gen = Number(m.annotations?.[GENERATION_ANNOTATION]);
  const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const cs = p.status?.containerStatuses?.find((c) => c.name === 'launcher') ?? p.status?.containerStatuses?.[0];
  return {
    name: m.name ?? '',
    rv: m.resourceVersion ?? '',
    instance: m.labels?.[LABELS.instance] ?? '',
    generation: Number.isInteger(gen) && m.annotations?.[GENERATION_ANNOTATION] ? gen : null,
    createdAt: iso(m.creationTimestamp),
    deleting: !!m.deletionTimestamp,
    phase: p.status?.phase ?? 'Pending',
    unschedulable: scheduled && scheduled.status === 'False' ? { reason: scheduled.reason ?? '', message: scheduled.message ?? '' } : null,
    container: cs
      ? {
          ready: !!cs.ready,
          restartCount: cs.restartCount ?? 0,
          running: !!cs.state?.running,
          waiting: cs.state?.waiting ? { reason: cs.state.waiting.reason ?? '', message: cs.state.waiting.message ?? '' } : null,
          terminated: term(cs.state?.terminated),
          lastTerminated: term(cs.lastState?.terminated),
        }
      : null,
  };
}

/** What the driver should do about one instance, decided from its record, its Deployment and its pods. */
export type Verdict =
  | { kind: 'none' }
  /** Store this change of the record (a pending reason, or FAILED). `stop`: also scale to 0. `logs`: add the previous container's last lines. */
  | { kind: 'change'; patch: Partial<InstanceRecord>; stop: boolean; logsOf: string | null }
  /** Not live any more, yet pods are asked for (a stop half-done, or a restart by hand): scale to 0. */
  | { kind: 'scale-down' }
  /** Live, but its pod template was never started for this generation (the scheduler died in between). */
  | { kind: 'unstarted' };

export interface JudgeInput {
  record: InstanceRecord;
  deployment: DeploymentEntry;
  /** The instance's pods (any generation). */
  pods: PodEntry[];
  now: number;
  startTimeoutSeconds: number;
  /** How long a live record may wait for its first start before it counts as unstarted. */
  unstartedGraceMs: number;
}

const human = (bytes: number): string => {
  const mi = bytes / 1024 / 1024;
  return mi >= 1024 && Number.isInteger(mi / 1024) ? `${mi / 1024}Gi` : `${Math.round(mi)}Mi`;
};

/**
 * The rules: the launcher reports the steps of a healthy start itself (status reports); what it
 * cannot report — the pod not scheduled, its image not pulled, its container crashing or killed
 * for memory, a start that takes too long — is read here from the pod and becomes FAILED (and
 * the Deployment is scaled to 0, so nothing keeps retrying on the user's quota) or, while it may
 * still resolve, a pending reason that says what is being waited for.
 */
export function judge(i: JudgeInput): Verdict {
  const { record: r, deployment: d } = i;
  if (!isLive(r.status)) return d.replicas > 0 && !d.deleting ? { kind: 'scale-down' } : { kind: 'none' };
  if (d.startedGeneration !== r.generation) {
    const since = Date.parse(r.updatedAt);
    return i.now - (Number.isNaN(since) ? 0 : since) > i.unstartedGraceMs ? { kind: 'unstarted' } : { kind: 'none' };
  }
  if (d.replicas === 0) {
    return change({ status: 'SUSPENDED', statusReason: 'the instance was scaled to 0 replicas from outside Wharf; resume it to start it again', address: null }, false);
  }
  const pods = i.pods.filter((p) => !p.deleting && (p.generation === null || p.generation === r.generation));
  const pod = pods.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  const startedAt = Date.parse(d.startedAt ?? r.updatedAt);
  const overdue = i.now - (Number.isNaN(startedAt) ? i.now : startedAt) > i.startTimeoutSeconds * 1000;
  const pending = (reason: string): Verdict => {
    if (overdue) return change({ status: 'FAILED', statusReason: `the instance did not start within ${i.startTimeoutSeconds} s: ${reason}`, address: null }, true);
    if (r.statusReason === reason) return { kind: 'none' };
    return change({ statusReason: reason }, false);
  };
  if (!pod) return overdue ? pending('Kubernetes created no pod for it (see `kubectl describe deploy` for quota or admission errors)') : { kind: 'none' };
  if (pod.unschedulable) return pending(`waiting for a node that can run it: ${pod.unschedulable.message || pod.unschedulable.reason}`);
  const c = pod.container;
  const image = r.launch.image;
  if (c?.waiting) {
    const { reason, message } = c.waiting;
    if (reason === 'ImagePullBackOff' || reason === 'InvalidImageName' || reason === 'ErrImageNeverPull') {
      return change(
        {
          status: 'FAILED',
          statusReason: `the runtime image ${image} could not be pulled (${reason})${message ? `: ${message}` : ''}; an administrator must check the runtime ${r.runtime} and the registry's pull secret`,
          address: null,
        },
        true,
      );
    }
    if (reason === 'ErrImagePull') return pending(`pulling the runtime image ${image} failed once, retrying: ${message || reason}`);
    if (reason === 'CreateContainerConfigError' || reason === 'CreateContainerError' || reason === 'RunContainerError') {
      return change({ status: 'FAILED', statusReason: `the container could not be created (${reason}): ${message}`, address: null }, true);
    }
  }
  const last = c?.terminated ?? c?.lastTerminated;
  if (last && last.reason === 'OOMKilled') {
    return change(
      {
        status: 'FAILED',
        statusReason: `the app used more than its memory limit (${human(r.launch.memoryLimitBytes)}) and was killed (OOMKilled); raise MemoryLimit in app.toml, within the platform's MaxMemoryLimit`,
        address: null,
      },
      true,
      pod.name,
    );
  }
  if (c && (c.waiting?.reason === 'CrashLoopBackOff' || (c.terminated && pod.phase === 'Failed'))) {
    const code = last ? `exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''}` : 'it exited';
    return change(
      { status: 'FAILED', statusReason: `the launcher container keeps crashing (${code}; restarted ${c.restartCount} time${c.restartCount === 1 ? '' : 's'})`, address: null },
      true,
      pod.name,
    );
  }
  if (pod.phase === 'Pending' && c?.waiting?.reason !== 'ContainerCreating' && c?.waiting) return pending(`the pod is waiting: ${c.waiting.reason}${c.waiting.message ? `: ${c.waiting.message}` : ''}`);
  if (pod.phase === 'Pending' && overdue) return pending('the pod is still pending');
  // Once its container runs, the launcher times the start itself (StartTimeoutSeconds) and reports.
  return { kind: 'none' };
}

function change(patch: Partial<InstanceRecord>, stop: boolean, logsOf: string | null = null): Verdict {
  return { kind: 'change', patch, stop, logsOf };
}
