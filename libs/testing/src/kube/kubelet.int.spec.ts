import { execFile, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, Log, type V1Container, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { kubeBinaries, type KubeBinaries } from './binaries';
import { startFakeKubeApiServer, type FakeKubeApiServer, type KubeObject } from './fake-apiserver';
import { FAKE_KUBELET_PORTS_ANNOTATION, startFakeKubelet, type FakeKubelet, type PodFailure } from './kubelet';
import { until } from './until';

function deployment(name: string, extra: { image?: string; container?: V1Container } = {}): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [{ name: 'app', image: extra.image ?? 'python:3.12', ...extra.container }] } },
    },
  };
}


/** A tiny HTTP server: `/ready` answers 200, `/` answers the secret it was given; it logs to stdout and stderr. */
const SERVER = `
const http = require('node:http');
const port = Number(process.env.PORT);
http.createServer((req, res) => res.end(req.url === '/ready' ? 'ok' : 'hello ' + process.env.TOKEN + ' ' + process.env.FROM_ENVFROM)).listen(port, '127.0.0.1', () => {
  console.log('listening on ' + port);
  console.error('run ' + process.pid);
});
`;

describe('fake kubelet, with @kubernetes/client-node', () => {
  let kube: FakeKubeApiServer;
  let kubelet: FakeKubelet;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let kc: KubeConfig;
  let ns: string;
  const failures = new Map<string, PodFailure>();

  beforeAll(async () => {
    kube = await startFakeKubeApiServer();
    ns = kube.namespace;
    kubelet = startFakeKubelet(kube, {
      fail: (pod) => failures.get(pod.metadata.labels?.app ?? '') ?? null,
      run: (pod) => (pod.metadata.labels?.app?.startsWith('proc-') ? { command: process.execPath, args: ['-e', SERVER] } : null),
    });
    kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(() => kube.stop());

  const podsOf = async (app: string) => (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
  const onePod = (app: string, test: (p: V1Pod) => boolean) =>
    until(async () => {
      const items = await podsOf(app);
      return items.length === 1 && test(items[0]) ? items[0] : undefined;
    }, `a pod of ${app}`);

  it('a Deployment gets a Running, ready Pod owned by it, and its status turns Available', async () => {
    const d = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('healthy') });
    const pod = await onePod('healthy', (p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0].ready === true);
    expect(pod.metadata?.name).toMatch(/^healthy-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(pod.metadata?.labels).toEqual({ app: 'healthy', tier: 'web', 'pod-template-hash': expect.stringMatching(/^[a-z0-9]{10}$/) });
    expect(pod.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'healthy', uid: d.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(pod.spec?.nodeName).toBe('fake-node');
    expect(pod.spec?.containers[0].image).toBe('python:3.12');
    expect(pod.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(pod.status?.containerStatuses?.[0].state?.running?.startedAt).toBeInstanceOf(Date);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    const status = await until(async () => {
      const s = (await apps.readNamespacedDeployment({ namespace: ns, name: 'healthy' })).status;
      return s?.availableReplicas === 1 ? s : undefined;
    }, 'Available');
    expect(status).toMatchObject({ replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1, observedGeneration: 1 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    const events = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod.metadata?.name}` })).items.map((e) => e.reason);
    expect(events).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']));
  });

  it('a changed template replaces the Pod; scale to 0 removes it; deleting the Deployment collects it', async () => {
    const first = await onePod('healthy', (p) => p.status?.phase === 'Running');
    await apps.patchNamespacedDeployment({ namespace: ns, name: 'healthy', body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'python:3.13' }] });
    const second = await onePod('healthy', (p) => p.metadata?.name !== first.metadata?.name && p.status?.phase === 'Running');
    expect(second.spec?.containers[0].image).toBe('python:3.13');
    expect(second.metadata?.labels?.['pod-template-hash']).not.toBe(first.metadata?.labels?.['pod-template-hash']);
    await until(async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'healthy' })).status?.observedGeneration === 2, 'observedGeneration 2');

    await apps.patchNamespacedDeploymentScale({ namespace: ns, name: 'healthy', body: [{ op: 'replace', path: '/spec/replicas', value: 0 }] });
    await until(async () => (await podsOf('healthy')).length === 0, 'no pods');
    const s = await until(async () => {
      const st = (await apps.readNamespacedDeployment({ namespace: ns, name: 'healthy' })).status;
      return st?.observedGeneration === 3 ? st : undefined;
    }, 'scaled status');
    expect(s.replicas ?? 0).toBe(0);
    expect(s.availableReplicas ?? 0).toBe(0);

    await apps.patchNamespacedDeploymentScale({ namespace: ns, name: 'healthy', body: [{ op: 'replace', path: '/spec/replicas', value: 1 }] });
    await onePod('healthy', (p) => p.status?.phase === 'Running');
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'healthy' });
    expect(await podsOf('healthy')).toEqual([]);
  });

  it('ImagePullBackOff: ErrImagePull then ImagePullBackOff waiting reasons with messages, Pending, Deployment unavailable', async () => {
    failures.set('nopull', 'ImagePullBackOff');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('nopull', { image: 'ghcr.io/acme/missing:1' }) });
    const errPull = await onePod('nopull', (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'ErrImagePull');
    expect(errPull.status?.containerStatuses?.[0].state?.waiting?.message).toContain('failed to pull and unpack image "ghcr.io/acme/missing:1"');
    const backoff = await onePod('nopull', (p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'ImagePullBackOff');
    expect(backoff.status?.phase).toBe('Pending');
    expect(backoff.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0, state: { waiting: { message: 'Back-off pulling image "ghcr.io/acme/missing:1"' } } });
    const d = (await apps.readNamespacedDeployment({ namespace: ns, name: 'nopull' })).status;
    expect(d?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(d?.unavailableReplicas).toBe(1);
    const logs = await core.readNamespacedPodLog({ namespace: ns, name: backoff.metadata!.name! }).then(
      () => undefined,
      (e: { code?: number; body?: string }) => e,
    );
    expect(logs?.code).toBe(400);
    expect(logs?.body).toContain('is waiting to start: trying and failing to pull image');
    const events = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${backoff.metadata?.name}` })).items.map((e) => `${e.type}/${e.reason}`);
    expect(events).toEqual(expect.arrayContaining(['Normal/Pulling', 'Warning/Failed', 'Normal/BackOff']));
  });

  it('CrashLoopBackOff and OOMKilled: restartCount grows, lastState.terminated has the exit code and reason', async () => {
    failures.set('crashy', 'CrashLoopBackOff');
    failures.set('hungry', 'OOMKilled');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('crashy') });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('hungry') });
    const crash = await onePod('crashy', (p) => (p.status?.containerStatuses?.[0].restartCount ?? 0) >= 2 && p.status?.containerStatuses?.[0].state?.waiting !== undefined);
    const cs = crash.status!.containerStatuses![0];
    expect(crash.status?.phase).toBe('Running');
    expect(cs.ready).toBe(false);
    expect(cs.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(cs.state?.waiting?.message).toMatch(/^back-off \d+s restarting failed container=app pod=crashy-/);
    expect(cs.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const oom = await onePod('hungry', (p) => (p.status?.containerStatuses?.[0].restartCount ?? 0) >= 1 && p.status?.containerStatuses?.[0].lastState?.terminated !== undefined);
    expect(oom.status?.containerStatuses?.[0].lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('Unschedulable: PodScheduled=False with the scheduler reason and message, no node, a FailedScheduling event', async () => {
    failures.set('gpu', 'Unschedulable');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('gpu') });
    const pod = await onePod('gpu', (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled') === true);
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.status?.conditions).toEqual([
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: expect.any(Date), reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' },
    ]);
    const ev = await until(async () => (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod.metadata?.name}` })).items[0], 'event');
    expect(ev).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', source: { component: 'default-scheduler' } });
  });

  it('logs: tailLines, follow until the container ends, previous after a restart (400 before)', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('talky') });
    const pod = await onePod('talky', (p) => p.status?.phase === 'Running');
    const name = pod.metadata!.name!;
    for (const l of ['one', 'two', 'three']) kubelet.appendLog(ns, name, l);
    expect(await core.readNamespacedPodLog({ namespace: ns, name })).toBe('one\ntwo\nthree\n');
    expect(await core.readNamespacedPodLog({ namespace: ns, name, container: 'app', tailLines: 2 })).toBe('two\nthree\n');
    const none = await core.readNamespacedPodLog({ namespace: ns, name, previous: true }).then(
      () => undefined,
      (e: { code?: number; body?: string }) => e,
    );
    expect(none?.code).toBe(400);
    expect(JSON.parse(none?.body ?? '{}')).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: `previous terminated container "app" in pod "${name}" not found` });
    const wrong = await core.readNamespacedPodLog({ namespace: ns, name, container: 'nope' }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(wrong?.code).toBe(400);

    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const ended = new Promise<void>((ok) => out.on('end', () => ok()));
    await new Log(kc).log(ns, name, 'app', out, { follow: true });
    await until(() => text === 'one\ntwo\nthree\n', 'the existing log');
    kubelet.appendLog(ns, name, 'four');
    await until(() => text.endsWith('four\n'), 'a followed line');
    kubelet.exit(ns, name, 2);
    await ended;
    expect(text).toBe('one\ntwo\nthree\nfour\n');

    const restarted = await onePod('talky', (p) => p.status?.containerStatuses?.[0].restartCount === 1 && p.status.containerStatuses[0].state?.running !== undefined);
    expect(restarted.status?.containerStatuses?.[0].lastState?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    kubelet.appendLog(ns, name, 'second run');
    expect(await core.readNamespacedPodLog({ namespace: ns, name, previous: true })).toBe('one\ntwo\nthree\nfour\n');
    expect(await core.readNamespacedPodLog({ namespace: ns, name })).toBe('second run\n');
  });

  it('runs a container as a local process: env from secrets, ready by probe, serves, restarts when killed, killed with its Deployment', async () => {
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'proc-secret' }, stringData: { token: 's3cret', FROM_ENVFROM: 'yes' } } });
    const body = deployment('proc-web', {
      container: {
        name: 'app',
        image: 'node:20',
        ports: [{ containerPort: 8080, name: 'http' }],
        env: [
          { name: 'LITERAL', value: 'x' },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'proc-secret', key: 'token' } } },
        ],
        envFrom: [{ secretRef: { name: 'proc-secret' } }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
      },
    });
    await apps.createNamespacedDeployment({ namespace: ns, body });
    const pod = await onePod('proc-web', (p) => p.status?.containerStatuses?.[0].ready === true);
    const name = pod.metadata!.name!;
    expect(pod.status?.podIP).toBe('127.0.0.1');
    const ports = JSON.parse(pod.metadata?.annotations?.[FAKE_KUBELET_PORTS_ANNOTATION] ?? '{}') as Record<string, number>;
    const port = ports['app/8080'];
    expect(port).toBe(kubelet.port(ns, name, 8080));
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello s3cret yes');
    await until(async () => (await core.readNamespacedPodLog({ namespace: ns, name })).includes(`listening on ${port}\n`), 'stdout in the log');
    const pid = kubelet.pid(ns, name)!;
    expect(await core.readNamespacedPodLog({ namespace: ns, name })).toContain(`run ${pid}\n`);
    await until(async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'proc-web' })).status?.availableReplicas === 1, 'Available');

    process.kill(pid, 'SIGKILL');
    const again = await onePod('proc-web', (p) => p.status?.containerStatuses?.[0].restartCount === 1 && p.status.containerStatuses[0].ready === true);
    expect(again.status?.containerStatuses?.[0].lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    const pid2 = kubelet.pid(ns, name)!;
    expect(pid2).not.toBe(pid);
    expect(await core.readNamespacedPodLog({ namespace: ns, name, previous: true })).toContain(`run ${pid}\n`);
    await until(async () => (await core.readNamespacedPodLog({ namespace: ns, name })).includes(`run ${pid2}\n`), 'the new run log');
    expect(await (await fetch(`http://127.0.0.1:${port}/ready`)).text()).toBe('ok');

    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'proc-web' });
    await until(() => {
      try {
        process.kill(pid2, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the process to be killed');
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('stop() kills every process it started', async () => {
    const kube2 = await startFakeKubeApiServer();
    startFakeKubelet(kube2, { run: () => ({ command: process.execPath, args: ['-e', SERVER] }) });
    const kc2 = new KubeConfig();
    kc2.loadFromString(kube2.kubeconfig);
    await kc2.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: kube2.namespace, body: deployment('left') });
    const pod = await until(() => kube2.list('pods').find((p: KubeObject) => p.metadata.annotations?.[FAKE_KUBELET_PORTS_ANNOTATION]), 'a process pod');
    const port = (JSON.parse(pod.metadata.annotations![FAKE_KUBELET_PORTS_ANNOTATION]) as Record<string, number>)['app/0'];
    await until(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 'serving');
    await kube2.stop();
    await expect(fetch(`http://127.0.0.1:${port}/ready`)).rejects.toThrow();
  });
});

describe('fake kubelet, with the real kubectl', () => {
  let kube: FakeKubeApiServer;
  let kubelet: FakeKubelet;
  let bin: KubeBinaries;
  let apps: AppsV1Api;

  const kubectl = async (...args: string[]) => (await promisify(execFile)(bin.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args], { timeout: 30_000 })).stdout;

  beforeAll(async () => {
    bin = await kubeBinaries();
    kube = await startFakeKubeApiServer();
    kubelet = startFakeKubelet(kube, {
      fail: (pod) => ({ pull: 'ImagePullBackOff', crash: 'CrashLoopBackOff' }) [pod.metadata.labels?.app ?? ''] as PodFailure | undefined,
    });
    const kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
  });
  afterAll(() => kube.stop());

  it('kubectl get pods shows Running / ImagePullBackOff / CrashLoopBackOff; rollout status succeeds for a healthy one', async () => {
    for (const n of ['web', 'pull', 'crash']) await apps.createNamespacedDeployment({ namespace: kube.namespace, body: deployment(n) });
    expect(await kubectl('rollout', 'status', 'deploy/web', '--timeout=20s')).toContain('deployment "web" successfully rolled out');
    const status = async (app: string) => (await kubectl('get', 'pods', '-l', `app=${app}`, '--no-headers')).trim().split(/\s+/)[2];
    await until(async () => (await status('pull')) === 'ImagePullBackOff', 'ImagePullBackOff');
    await until(async () => (await status('crash')) === 'CrashLoopBackOff', 'CrashLoopBackOff');
    expect(await status('web')).toBe('Running');
    const table = await kubectl('get', 'pods');
    expect(table).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(table).toMatch(/\nweb-\S+\s+1\/1\s+Running\s+0\s+/);
  });

  it('kubectl wait --for=condition=Ready and kubectl describe pod (with its events) work; replicas: 2 makes two pods', async () => {
    const body = deployment('pair');
    body.spec!.replicas = 2;
    await apps.createNamespacedDeployment({ namespace: kube.namespace, body });
    expect(await kubectl('wait', '--for=condition=Ready', 'pod', '-l', 'app=pair', '--timeout=20s')).toMatch(/^pod\/pair-\S+ condition met\npod\/pair-\S+ condition met\n$/);
    expect(await kubectl('rollout', 'status', 'deploy/pair', '--timeout=20s')).toContain('successfully rolled out');
    expect(await kubectl('get', 'deploy', 'pair', '--no-headers')).toMatch(/^pair\s+2\/2\s+2\s+2\s+/);
    const name = kube.list('pods').find((p) => p.metadata.labels?.app === 'pair')!.metadata.name!;
    const described = await kubectl('describe', 'pod', name);
    expect(described).toMatch(/Status:\s+Running/);
    expect(described).toMatch(/Node:\s+fake-node\/10\.0\.0\.10/);
    expect(described).toMatch(/Controlled By:\s+Deployment\/pair/);
    expect(described).toMatch(/Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned wharf\/pair-/);
  });

  it('kubectl logs and kubectl logs --previous', async () => {
    const pod = kube.list('pods').find((p) => p.metadata.labels?.app === 'web')!;
    const name = pod.metadata.name!;
    kubelet.appendLog(kube.namespace, name, 'hello from the first run');
    expect(await kubectl('logs', name)).toBe('hello from the first run\n');
    kubelet.exit(kube.namespace, name, 1);
    await until(() => kube.get('pods', kube.namespace, name)?.status && (kube.get('pods', kube.namespace, name)!.status as { containerStatuses: { restartCount: number; state: { running?: unknown } }[] }).containerStatuses[0].state.running !== undefined, 'restarted');
    kubelet.appendLog(kube.namespace, name, 'second');
    expect(await kubectl('logs', `pod/${name}`)).toBe('second\n');
    expect(await kubectl('logs', '--previous', name)).toBe('hello from the first run\n');
    expect(await kubectl('logs', 'deploy/web', '--tail=1')).toBe('second\n');

    const follow = spawn(bin.kubectl, ['--kubeconfig', kube.kubeconfigPath, 'logs', '-f', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = new Promise<number | null>((ok) => follow.on('close', ok));
    await until(() => out === 'second\n', 'kubectl logs -f to print the log');
    kubelet.appendLog(kube.namespace, name, 'third');
    await until(() => out === 'second\nthird\n', 'kubectl logs -f to print a new line');
    kubelet.exit(kube.namespace, name, 0);
    expect(await code).toBe(0);
    expect(out).toBe('second\nthird\n');
  });
});
