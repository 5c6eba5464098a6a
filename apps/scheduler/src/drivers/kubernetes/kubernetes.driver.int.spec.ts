import { KubeConfig } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Logger } from '@nestjs/common';
import { startFakeKubeApiServer, startFakeKubelet, type FakeKubeApiServer, type FakeKubelet, type PodFailure } from '@wharf/testing';
import type { InstanceRecord } from '../../instances/instance.record';
import { instanceRecordFixture } from '../../test-support/instance-record';
import { KUBE_OBJECTS_FIXTURE } from '../../test-support/kube-objects';
import type { LaunchPlan, Observation } from '../instance-driver';
import { readRecord } from './instance-metadata';
import { instanceObjects, objectName } from './instance-objects';
import { KubeApi } from './kube-api';
import { KubernetesDriver, type KubernetesDriverOptions } from './kubernetes.driver';

/**
 * The Kubernetes driver on its own, against the fake API server and kubelet of libs/testing
 * (simulated containers: what they run does not matter here; the shared driver suite runs real
 * launchers through the whole scheduler). What it checks is what the cluster holds and what the
 * driver concludes from it.
 */

jest.setTimeout(60_000);
beforeAll(() => Logger.overrideLogger(['error']));

const NS = 'wharf';
const OBJECTS = KUBE_OBJECTS_FIXTURE;

const plan = async (r: InstanceRecord): Promise<LaunchPlan> => ({
  env: {
    WHARF_BUNDLE_URL: `http://repository:8082/internal/bundles/${r.appVersionId}`,
    WHARF_BUNDLE_TOKEN: `bundle-${r.generation}`,
    WHARF_STATUS_URL: `http://scheduler:8083/internal/instances/${r.id}/status`,
    WHARF_STATUS_TOKEN: `status-${r.generation}`,
    WHARF_IDENTITY_KEY: 'key',
  },
  appEnv: { GREETING: 'hi' },
  appSecrets: [{ env: 'TOKEN', secret: 'payments', key: 'stripe', value: 'never-copied' }],
  appFiles: [
    { path: '/etc/hello/config.ini', value: 'greeting = hi\n' },
    { path: '/srv/hello/key.pem', value: 'never-copied-file', secret: { name: 'payments', key: 'tls.key' } },
  ],
});

let kube: FakeKubeApiServer;
let kubelet: FakeKubelet;
const failures = new Map<string, PodFailure>();
const drivers: KubernetesDriver[] = [];
let seq = 0;

async function newDriver(over: Partial<KubernetesDriverOptions> = {}): Promise<KubernetesDriver> {
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  const d = new KubernetesDriver({
    api: new KubeApi(kc, NS),
    objects: OBJECTS,
    secretKeyRef: (ref) => ({ name: `wharf-secret-${ref.secret}`, key: ref.key }),
    maxGpus: 1,
    pageSize: 50,
    ...over,
  });
  await d.init();
  drivers.push(d);
  return d;
}

const fresh = (over: Partial<Omit<InstanceRecord, 'launch'>> & { launch?: Partial<InstanceRecord['launch']> } = {}) =>
  instanceRecordFixture({ id: `kinst${String(++seq).padStart(5, '0')}`, status: 'QUEUED', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), ...over });

const testApi = () => {
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  return new KubeApi(kc, NS);
};
const stored = (resource: string, id: string) => kube.get(resource, NS, objectName(id));
const until = async <T>(what: string, fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
};
/** Reconciles until an observation about `id` comes (the watch brings pod changes a moment later). */
const observed = (d: KubernetesDriver, id: string, ok: (o: Observation) => boolean = () => true) =>
  until(
    `an observation of ${id}`,
    async () => (await d.reconcile()).find((o) => (o.kind === 'changed' ? o.after.id : o.record.id) === id && ok(o)),
    (o) => !!o,
  ) as Promise<Observation>;

beforeAll(async () => {
  kube = await startFakeKubeApiServer({ namespace: NS });
  kubelet = startFakeKubelet(kube, { startDelayMs: 20, restartDelayMs: 100, fail: (pod) => failures.get(pod.metadata.labels?.['wharf.dev/instance'] ?? '') ?? null });
});

afterAll(async () => {
  for (const d of drivers) await d.close();
  await kubelet?.stop();
  await kube?.stop();
});

describe('KubernetesDriver', () => {
  it('creates an instance as a Deployment, Secret, Service, NetworkPolicy and claim, owned by the Deployment; reads come from the cache', async () => {
    const d = await newDriver();
    const r = fresh({ launch: { volumeMount: '/data', volumeSize: '2Gi', env: [{ name: 'TOKEN', secret: 'payments', secretKey: 'stripe' }] } });
    const started = await d.create(r, plan);
    expect(started).toMatchObject({ id: r.id, status: 'PROVISIONING', address: expect.stringMatching(/^[\d.]+:8080$/) });
    const dep = stored('deployments', r.id)!;
    expect(dep.spec).toMatchObject({ replicas: 1 });
    expect(readRecord(dep.metadata)).toMatchObject({ ok: true, record: { id: r.id, status: 'PROVISIONING' } });
    for (const kind of ['secrets', 'services', 'networkpolicies', 'persistentvolumeclaims']) {
      expect(stored(kind, r.id)?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', uid: dep.metadata.uid, controller: true })]);
    }
    // The admin secret is read by the pod from its own Secret: its value is never copied.
    expect(JSON.stringify(kube.list('secrets', NS))).not.toContain(Buffer.from('never-copied').toString('base64'));
    expect(JSON.stringify(dep)).toContain('wharf-secret-payments');
    // [[File]]: the literal one from the start's Secret, the secret one from the admin's, both read-only at their paths.
    expect(JSON.stringify(kube.list('secrets', NS))).not.toContain(Buffer.from('never-copied-file').toString('base64'));
    expect((stored('secrets', r.id) as unknown as { data: Record<string, string> }).data['file-0']).toBe(Buffer.from('greeting = hi\n').toString('base64'));
    const pod = (dep.spec as { template: { spec: { volumes: unknown[]; containers: { volumeMounts: unknown[] }[] } } }).template.spec;
    expect(pod.containers[0]!.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'file-0', mountPath: '/etc/hello/config.ini', subPath: 'file', readOnly: true },
        { name: 'file-1', mountPath: '/srv/hello/key.pem', subPath: 'file', readOnly: true },
      ]),
    );
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'file-0', secret: { secretName: objectName(r.id), items: [{ key: 'file-0', path: 'file' }], defaultMode: 0o444 } },
        { name: 'file-1', secret: { secretName: 'wharf-secret-payments', items: [{ key: 'tls.key', path: 'file' }], defaultMode: 0o440 } },
      ]),
    );
    const before = kube.requests.length;
    expect(await d.get(r.id)).toMatchObject({ id: r.id, status: 'PROVISIONING' });
    expect((await d.list()).map((x) => x.id)).toContain(r.id);
    expect(kube.requests.length).toBe(before); // no API call for reads
    await until('a running pod', () => kube.list('pods', NS).filter((p) => p.metadata.labels?.['wharf.dev/instance'] === r.id && (p.status as { phase?: string } | undefined)?.phase === 'Running'), (l) => l.length === 1);
  });

  it('refuses a second create of the same id (a retried create never makes a second instance)', async () => {
    const d = await newDriver();
    const r = fresh();
    await d.create(r, plan);
    await expect(d.create({ ...r, createdAt: new Date().toISOString() }, plan)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(kube.list('deployments', NS).filter((x) => x.metadata.name === objectName(r.id))).toHaveLength(1);
  });

  it('suspends to 0 replicas keeping the claim, resumes with a new generation, terminates removing everything', async () => {
    const d = await newDriver();
    const r = fresh({ launch: { volumeMount: '/data' } });
    await d.create(r, plan);
    const pvcUid = stored('persistentvolumeclaims', r.id)!.metadata.uid;
    const stop = await d.stop(r.id, (cur) => ({ ...cur, status: 'SUSPENDED', statusReason: 'suspended by alice', address: null }));
    expect(stop.after.status).toBe('SUSPENDED');
    expect(stored('deployments', r.id)!.spec).toMatchObject({ replicas: 0 });
    await until('no pods', () => kube.list('pods', NS).filter((p) => p.metadata.labels?.['wharf.dev/instance'] === r.id), (l) => l.length === 0);
    const start = await d.start(r.id, (cur) => ({ ...cur, generation: cur.generation + 1, status: 'PROVISIONING', statusReason: 'Starting' }), plan);
    expect(start.after).toMatchObject({ generation: 2, status: 'PROVISIONING' });
    const dep = stored('deployments', r.id)!;
    expect(dep.spec).toMatchObject({ replicas: 1, template: { metadata: { annotations: { 'wharf.dev/generation': '2' } } } });
    expect(Buffer.from(String((stored('secrets', r.id)!.data as Record<string, string>).WHARF_STATUS_TOKEN), 'base64').toString()).toBe('status-2');
    expect(stored('persistentvolumeclaims', r.id)!.metadata.uid).toBe(pvcUid); // the same volume
    const last = await d.terminate(r.id);
    expect(last).toMatchObject({ id: r.id, status: 'TERMINATED' });
    for (const kind of ['deployments', 'secrets', 'services', 'networkpolicies', 'persistentvolumeclaims']) expect(stored(kind, r.id)).toBeUndefined();
    expect(await d.get(r.id)).toBeNull();
    expect(await d.terminate(r.id)).toBeNull();
  });

  it('loses no update when two replicas change one record at once (resourceVersion preconditions)', async () => {
    const [a, b] = [await newDriver(), await newDriver()];
    const r = fresh();
    await a.create(r, plan);
    await until('the second replica sees it', () => b.get(r.id), (x) => !!x);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).update(r.id, (cur) => ({ ...cur, warnings: [...cur.warnings, `w${i}`] }))),
    );
    const rec = readRecord(stored('deployments', r.id)!.metadata);
    expect(rec.ok && rec.record.warnings.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `w${i}`).sort());
  });

  it('a create whose answer is lost (a timeout after the server made it) finds its Deployment and makes one instance', async () => {
    const d = await newDriver();
    const r = fresh();
    const api = (d as unknown as { api: KubeApi }).api;
    const real = api.apps.createNamespacedDeployment.bind(api.apps);
    api.apps.createNamespacedDeployment = async (p) => {
      await real(p);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    };
    try {
      expect(await d.create(r, plan)).toMatchObject({ id: r.id, status: 'PROVISIONING' });
    } finally {
      api.apps.createNamespacedDeployment = real;
    }
    expect(kube.list('deployments', NS).filter((x) => x.metadata.labels?.['wharf.dev/instance'] === r.id)).toHaveLength(1);
    // someone else's create of that id, lost the same way, is not taken for ours
    const other = fresh();
    await d.create(other, plan);
    api.apps.createNamespacedDeployment = () => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    try {
      await expect(d.create({ ...other, owner: { sub: 'svc:mallory', name: 'mallory' } }, plan)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      api.apps.createNamespacedDeployment = real;
    }
    expect((await d.get(other.id))!.owner.sub).toBe(other.owner.sub);
  });

  it('makes only objects that validate against the Kubernetes OpenAPI schema', async () => {
    const d = await newDriver();
    const r = fresh({ launch: { volumeMount: '/data', gpuCount: 1, env: [{ name: 'TOKEN', secret: 'payments', secretKey: 'stripe' }] } });
    await d.create(r, plan);
    const models = { deployments: Deployment, secrets: Secret, services: Service, networkpolicies: NetworkPolicy, persistentvolumeclaims: PersistentVolumeClaim };
    for (const [kind, Model] of Object.entries(models)) {
      const o = stored(kind, r.id);
      expect(o).toBeDefined();
      expect(() => new Model(o as never).validate()).not.toThrow();
    }
  });

  it('a create that fails half-way leaves nothing behind', async () => {
    const d = await newDriver();
    const r = fresh();
    const api = (d as unknown as { api: KubeApi }).api;
    const real = api.core.createNamespacedService.bind(api.core);
    api.core.createNamespacedService = () => Promise.reject(Object.assign(new Error('boom'), { code: 500, body: { reason: 'InternalError', message: 'etcd is sad' } }));
    try {
      await expect(d.create(r, plan)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('etcd is sad') });
    } finally {
      api.core.createNamespacedService = real;
    }
    for (const kind of ['deployments', 'secrets', 'services', 'networkpolicies']) expect(stored(kind, r.id)).toBeUndefined();
    expect(await d.get(r.id)).toBeNull();
  });

  it.each([
    ['ImagePullBackOff', /runtime image wharf\/python:3.11 could not be pulled \(ImagePullBackOff\)/],
    ['CrashLoopBackOff', /keeps crashing \(exit code 1, Error; restarted \d+ times?\)/],
    ['OOMKilled', /more than its memory limit \(256Mi\) and was killed \(OOMKilled\)/],
  ] as const)('turns %s into FAILED with a reason, and stops the pod', async (failure, reason) => {
    const d = await newDriver();
    const r = fresh();
    failures.set(r.id, failure);
    await d.create(r, plan);
    const o = await observed(d, r.id, (x) => x.kind === 'changed' && x.after.status === 'FAILED');
    expect(o.kind === 'changed' && o.after.statusReason).toMatch(reason);
    expect(stored('deployments', r.id)!.spec).toMatchObject({ replicas: 0 });
    expect((await d.get(r.id))!.status).toBe('FAILED');
  });

  it('says why a pod waits for a node, then fails it at the start timeout', async () => {
    const d = await newDriver({ objects: { ...OBJECTS, startTimeoutSeconds: 2 } });
    const r = fresh({ launch: { gpuCount: 1 } });
    failures.set(r.id, 'Unschedulable');
    await d.create(r, plan);
    const pending = await observed(d, r.id, (x) => x.kind === 'changed' && /waiting for a node/.test(x.after.statusReason ?? ''));
    expect(pending.kind === 'changed' && pending.after).toMatchObject({ status: 'PROVISIONING', statusReason: expect.stringContaining('Insufficient nvidia.com/gpu') });
    const failed = await observed(d, r.id, (x) => x.kind === 'changed' && x.after.status === 'FAILED');
    expect(failed.kind === 'changed' && failed.after.statusReason).toMatch(/did not start within 2 s: waiting for a node/);
  });

  it('reports an instance whose Deployment an operator deleted, and removes what it left behind', async () => {
    const d = await newDriver({ orphanGraceMs: 0 });
    const r = fresh();
    await d.create(r, plan);
    await d.reconcile();
    // as `kubectl delete deploy --cascade=orphan`: its parts stay
    await testApi().apps.deleteNamespacedDeployment({ name: objectName(r.id), namespace: NS, propagationPolicy: 'Orphan' });
    const o = await observed(d, r.id, (x) => x.kind === 'terminated');
    expect(o).toMatchObject({ kind: 'terminated', record: { id: r.id } });
    await until('the orphans removed', async () => (await d.reconcile(), ['secrets', 'services', 'networkpolicies'].map((k) => stored(k, r.id))), (l) => l.every((x) => !x));
  });

  it('makes a deleted NetworkPolicy again', async () => {
    const d = await newDriver();
    const r = fresh();
    await d.create(r, plan);
    await d.update(r.id, (cur) => ({ ...cur, status: 'RUNNING' }));
    await testApi().networking.deleteNamespacedNetworkPolicy({ name: objectName(r.id), namespace: NS });
    await until('the NetworkPolicy back', async () => (await d.reconcile(), stored('networkpolicies', r.id)), (x) => !!x);
  });

  it('rebuilds everything from the cluster after a restart, and restarts a launch a dead scheduler left unstarted', async () => {
    const d = await newDriver({ unstartedGraceMs: 0 });
    const r = fresh();
    await d.create(r, plan);
    // a create that died right after making its Deployment: 0 replicas, never started
    const half = fresh();
    const objects = instanceObjects({ record: half, credentials: (await plan(half)).env, appEnv: {}, secretRefs: [], files: [], running: false }, { ...OBJECTS, namespace: NS });
    await testApi().apps.createNamespacedDeployment({ namespace: NS, body: objects.deployment });
    await d.close();
    const again = await newDriver({ unstartedGraceMs: 0 });
    expect(await again.get(r.id)).toMatchObject({ id: r.id, status: 'PROVISIONING', address: expect.stringMatching(/:8080$/) });
    expect(await again.get(half.id)).toMatchObject({ id: half.id, status: 'QUEUED' });
    const o = await observed(again, half.id);
    expect(o).toEqual({ kind: 'unstarted', record: expect.objectContaining({ id: half.id }) });
    const started = await again.start(half.id, (cur) => ({ ...cur, generation: cur.generation + 1, status: 'PROVISIONING' }), plan);
    expect(started.after).toMatchObject({ generation: 2, address: expect.stringMatching(/:8080$/) });
    expect(stored('networkpolicies', half.id)).toBeDefined();
  });

  it('reads logs through the pod log API, with the run before a restart', async () => {
    const d = await newDriver();
    const r = fresh();
    await d.create(r, plan);
    const pod = await until('a running pod', () => kube.list('pods', NS).find((p) => p.metadata.labels?.['wharf.dev/instance'] === r.id && (p.status as { phase?: string } | undefined)?.phase === 'Running'), (p) => !!p);
    const name = pod!.metadata.name!;
    kubelet.appendLog(NS, name, 'first run says hello');
    expect(await until('the log', () => d.readLogs(r.id, 10), (l) => l.length > 0)).toEqual(['first run says hello']);
    const abort = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const chunk of d.followLogs(r.id, 10, abort.signal)) {
        seen.push(chunk);
        if (seen.join('').includes('after restart')) abort.abort();
      }
    })();
    await until('the follow to start', () => seen.length, (n) => n > 0);
    kubelet.exit(NS, name, 3);
    await until('the restart', () => (kube.get('pods', NS, name)?.status as { containerStatuses?: { restartCount: number; state?: { running?: unknown } }[] } | undefined)?.containerStatuses?.[0]?.restartCount ?? 0, (n) => n >= 1);
    await until('a running container', () => !!(kube.get('pods', NS, name)?.status as { containerStatuses?: { restartCount: number; state?: { running?: unknown } }[] } | undefined)?.containerStatuses?.[0]?.state?.running, (x) => x);
    kubelet.appendLog(NS, name, 'after restart');
    await following;
    expect(seen.join('')).toBe('first run says hello\nafter restart\n');
    const lines = await until('both runs', () => d.readLogs(r.id, 10), (l) => l.length >= 3);
    expect(lines).toEqual(['first run says hello', expect.stringMatching(/restarted \(exit code 3/), 'after restart']);
  });
});
