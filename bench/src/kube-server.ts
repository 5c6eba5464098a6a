import { startFakeKubeApiServer, type FakeKubeApiServer, type KubeObject } from '@wharf/testing';
import { benchCredentials, benchId, benchRecord, NS_EMPTY, NS_SCALE, OBJECTS, rng, userSub, type FromServer, type LoggedRequest, type PopulateResult, type PopulateSpec, type ToServer } from './kube-fixtures';
import { instanceObjects, ownedBy, STARTED_AT_ANNOTATION, STARTED_GENERATION_ANNOTATION } from './scheduler';

/**
 * bench/kube's fake API server, in a child process of its own so that its store (tens of
 * thousands of objects) and its CPU time are not counted as the driver's. Started by kube.ts over
 * IPC; fills the namespace with `controllers.create` (direct inserts, no HTTP) and answers the
 * request log. Exits when told to, or when the bench goes away.
 */

const send = (m: FromServer) => process.send?.(m);
const obj = (o: object) => o as unknown as KubeObject;
let kube: FakeKubeApiServer;

async function stop(code: number): Promise<never> {
  await kube?.stop().catch(() => undefined);
  process.exit(code);
}

/** Wharf's instances (made with the driver's own instanceObjects(), owned and started as the driver leaves them) and other apps' objects. */
function populate(spec: PopulateSpec): PopulateResult {
  const t0 = performance.now();
  const ns = spec.namespace;
  const random = rng(spec.seed);
  const now = Date.now();
  const counts: Record<string, number> = {};
  const put = (resource: string, body: object): KubeObject => {
    counts[resource] = (counts[resource] ?? 0) + 1;
    return kube.controllers.create(resource, ns, obj(body));
  };
  const settings = { ...OBJECTS, namespace: ns };
  const instances: PopulateResult['instances'] = [];
  for (let i = 0; i < spec.instances; i++) {
    // A skewed spread of owners: a few users hold dozens of instances, most hold a handful.
    const owner = userSub(Math.floor(spec.users * random() ** 1.3));
    const roll = random();
    const status = roll < 0.8 ? 'RUNNING' : roll < 0.95 ? 'SUSPENDED' : 'FAILED';
    const createdAt = new Date(now - Math.floor(random() * 90 * 86_400_000)).toISOString();
    const record = benchRecord(benchId('s', i), { owner, createdAt, status, app: Math.floor(random() * 200), volume: random() < 0.2 });
    const running = status === 'RUNNING';
    const objects = instanceObjects({ record, credentials: benchCredentials(record), appEnv: { GREETING: 'hello', MODE: 'production' }, secretRefs: [], files: [], running }, settings);
    const d = objects.deployment;
    d.metadata!.annotations = { ...d.metadata!.annotations, [STARTED_GENERATION_ANNOTATION]: String(record.generation), [STARTED_AT_ANNOTATION]: createdAt };
    const dep = put('deployments', d);
    const ownerReferences = ownedBy(dep as { metadata?: { name?: string; uid?: string } });
    const owned = <T extends { metadata?: object }>(o: T) => ({ ...o, metadata: { ...o.metadata, ownerReferences } });
    put('networkpolicies', owned(objects.networkPolicy));
    put('secrets', owned(objects.secret));
    if (objects.pvc) put('persistentvolumeclaims', owned(objects.pvc));
    put('services', owned(objects.service));
    let pod: string | null = null;
    if (running) {
      const template = d.spec!.template!;
      pod = `${d.metadata!.name!}-7d9f8c6b5-${benchId('p', i).slice(-5)}`;
      put('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod,
          labels: { ...template.metadata!.labels, 'pod-template-hash': '7d9f8c6b5' },
          annotations: template.metadata!.annotations,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata!.name!, uid: dep.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: { ...template.spec, nodeName: `node-${i % 20}` },
        status: runningPodStatus(createdAt, i),
      });
    }
    instances.push({ id: record.id, owner, status, pod });
  }
  for (let i = 0; i < spec.others; i++) put(...otherObject(i));
  return { ms: performance.now() - t0, instances, objects: counts };
}

function runningPodStatus(startedAt: string, i: number) {
  const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: startedAt });
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
    hostIP: `10.0.0.${(i % 20) + 10}`,
    podIP: `10.244.${Math.floor(i / 250) % 256}.${(i % 250) + 2}`,
    startTime: startedAt,
    containerStatuses: [
      {
        name: 'launcher',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'registry.example.org/wharf/python:3.11',
        imageID: `registry.example.org/wharf/python@sha256:${'0f'.repeat(32)}`,
        containerID: `containerd://${i.toString(16).padStart(64, '0')}`,
        state: { running: { startedAt } },
        lastState: {},
      },
    ],
  };
}

/** One object of another app in the same namespace (not Wharf's: no managed-by=wharf label). */
function otherObject(i: number): [string, object] {
  const app = `other-${i % 400}`;
  const labels = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': `${app}-prod`, 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': `${app}-2.3.1` };
  const metadata = { name: `${app}-${i}`, labels, annotations: { 'meta.helm.sh/release-name': `${app}-prod`, 'meta.helm.sh/release-namespace': NS_SCALE } };
  const container = { name: 'main', image: `registry.example.org/${app}:2.3.1`, ports: [{ containerPort: 8000 }], env: [{ name: 'LOG_LEVEL', value: 'info' }], resources: { requests: { cpu: '250m', memory: '256Mi' } } };
  switch (i % 20) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
      return ['configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'settings.yaml': `app: ${app}\n${'option: value\n'.repeat(60)}` } }];
    case 6:
    case 7:
    case 8:
    case 9:
    case 10:
      return ['secrets', { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data: { password: Buffer.from(`secret-${i}`.repeat(20)).toString('base64') } }];
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
      return [
        'pods',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { ...metadata, labels: { ...labels, 'pod-template-hash': '5c8d7f9b4' } },
          spec: { containers: [container], nodeName: `node-${i % 20}` },
          status: { phase: 'Running', podIP: `10.245.${Math.floor(i / 250) % 256}.${(i % 250) + 2}`, containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-01T00:00:00Z' } } }] },
        },
      ];
    default:
      return [
        'deployments',
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata,
          spec: { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/instance': `${app}-prod` } }, template: { metadata: { labels }, spec: { containers: [container] } } },
        },
      ];
  }
}

async function main(): Promise<void> {
  kube = await startFakeKubeApiServer({ namespace: NS_SCALE });
  kube.controllers.create('namespaces', undefined, obj({ metadata: { name: NS_EMPTY } }));
  process.on('disconnect', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  process.on('message', (m: ToServer) => {
    try {
      switch (m.op) {
        case 'populate':
          return send({ op: 'reply', id: m.id, value: populate(m.spec) });
        case 'mark':
          return send({ op: 'reply', id: m.id, value: kube.requests.length });
        case 'cpu': {
          const u = process.cpuUsage();
          return send({ op: 'reply', id: m.id, value: (u.user + u.system) / 1000 });
        }
        case 'since': {
          const value: LoggedRequest[] = kube.requests
            .slice(m.from)
            .map((r) => ({ method: r.method, verb: r.verb, resource: r.resource, subresource: r.subresource, namespace: r.namespace, status: r.status, ms: r.ms }));
          return send({ op: 'reply', id: m.id, value });
        }
        case 'namespace':
          kube.controllers.create('namespaces', undefined, obj({ metadata: { name: m.name } }));
          return send({ op: 'reply', id: m.id, value: true });
        case 'stop':
          send({ op: 'reply', id: m.id, value: true });
          return void stop(0);
      }
    } catch (e) {
      send({ op: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
  send({ op: 'ready', url: kube.url, kubeconfig: kube.kubeconfig, token: kube.token });
}

main().catch((e: unknown) => {
  console.error(e);
  void stop(1);
});
