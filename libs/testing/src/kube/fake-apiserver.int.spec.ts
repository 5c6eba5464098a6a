import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Secret } from '@kubernetes/client-node';
import { kubeBinaries, type KubeBinaries } from './binaries';
import { startFakeKubeApiServer, type FakeKubeApiServer } from './fake-apiserver';

const MANAGED = { 'app.kubernetes.io/managed-by': 'wharf' };

function deployment(name: string, labels: Record<string, string> = MANAGED): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { ...labels, app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'python:3.12' }] } },
    },
  };
}

/** The HTTP status a client-node call failed with. */
async function failure(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; body?: string };
    return { code: err.code ?? 0, body: JSON.parse(err.body ?? '{}') as Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
}

function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((ok, ko) => {
    const tick = () => {
      if (cond()) return ok();
      if (Date.now() - start > ms) return ko(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('fake Kubernetes API server, with @kubernetes/client-node', () => {
  let kube: FakeKubeApiServer;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let ns: string;

  beforeAll(async () => {
    kube = await startFakeKubeApiServer();
    ns = kube.namespace;
    const kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(() => kube.stop());

  it('creates, gets and lists with label selectors; a second create is 409 AlreadyExists; unknown names are 404', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('crud-a') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('crud-b', { tier: 'web' }) });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('crud-c', { ...MANAGED, tier: 'worker' }) });

    const got = await apps.readNamespacedDeployment({ namespace: ns, name: 'crud-a' });
    expect(got.metadata?.uid).toBe(created.metadata?.uid);
    expect(got.spec?.template.spec?.containers[0].image).toBe('python:3.12');

    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await apps.listNamespacedDeployment({ namespace: ns, labelSelector, fieldSelector })).items.map((d) => d.metadata?.name).filter((n) => n?.startsWith('crud-'));
    expect(await names()).toEqual(['crud-a', 'crud-b', 'crud-c']);
    expect(await names('app.kubernetes.io/managed-by=wharf')).toEqual(['crud-a', 'crud-c']);
    expect(await names('app.kubernetes.io/managed-by==wharf,tier')).toEqual(['crud-c']);
    expect(await names('app.kubernetes.io/managed-by!=wharf')).toEqual(['crud-b']);
    expect(await names('tier in (web, worker)')).toEqual(['crud-b', 'crud-c']);
    expect(await names('tier notin (web)')).toEqual(['crud-a', 'crud-c']);
    expect(await names('!tier')).toEqual(['crud-a']);
    expect(await names(undefined, 'metadata.name=crud-b')).toEqual(['crud-b']);
    const list = await apps.listNamespacedDeployment({ namespace: ns });
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Number(created.metadata?.resourceVersion) + 2);
    expect((await failure(apps.listNamespacedDeployment({ namespace: ns, labelSelector: 'tier in (web' }))).code).toBe(400);

    const dup = await failure(apps.createNamespacedDeployment({ namespace: ns, body: deployment('crud-a') }));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'deployments.apps "crud-a" already exists' });

    const missing = await failure(core.readNamespacedSecret({ namespace: ns, name: 'nope' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'secrets "nope" not found' });
    expect((await failure(core.readNamespacedSecret({ namespace: 'no-such-ns', name: 'x' }))).code).toBe(404);
    const nsObject = await core.readNamespace({ name: ns });
    expect(nsObject.status?.phase).toBe('Active');
    expect((await core.readNamespaceStatus({ name: ns })).metadata?.uid).toBe(nsObject.metadata?.uid);
    expect((await core.listNamespacedPod({ namespace: ns })).items).toEqual([]);
  });

  it('answers 422 Invalid for a missing or bad name, 400 for a kind that does not match the URL; generateName names', async () => {
    const noName = await failure(core.createNamespacedSecret({ namespace: ns, body: { metadata: {}, stringData: { a: 'b' } } }));
    expect(noName.code).toBe(422);
    expect(noName.body).toMatchObject({ reason: 'Invalid', message: expect.stringContaining('name or generateName is required') });
    const badName = await failure(core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'Not_A_Name' } } }));
    expect(badName.code).toBe(422);
    expect(badName.body.message).toContain('metadata.name: Invalid value: "Not_A_Name"');
    const wrongKind = await failure(core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } as V1Secret }));
    expect(wrongKind.code).toBe(400);
    expect(wrongKind.body.message).toContain('does not match the expected kind (Secret)');

    const generated = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { generateName: 'gen-' }, stringData: { token: 's3cret' } } });
    expect(generated.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(generated.data).toEqual({ token: Buffer.from('s3cret').toString('base64') });
    expect(generated.stringData).toBeUndefined();
    expect(generated.type).toBe('Opaque');
  });

  it('replaces with optimistic concurrency (409 Conflict on a stale resourceVersion), merge- and JSON-patches', async () => {
    const first = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'rep', labels: { v: '1' } }, stringData: { k: 'v1' } } });
    const replaced = await core.replaceNamespacedSecret({ namespace: ns, name: 'rep', body: { ...first, metadata: { ...first.metadata, labels: { v: '2' } } } });
    expect(replaced.metadata?.labels).toEqual({ v: '2' });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(first.metadata?.resourceVersion));
    expect(replaced.metadata?.uid).toBe(first.metadata?.uid);

    const stale = await failure(core.replaceNamespacedSecret({ namespace: ns, name: 'rep', body: { ...first, metadata: { ...first.metadata, labels: { v: '3' } } } }));
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('the object has been modified') });
    expect((await core.readNamespacedSecret({ namespace: ns, name: 'rep' })).metadata?.labels).toEqual({ v: '2' });

    const merged = await core.patchNamespacedSecret(
      { namespace: ns, name: 'rep', body: { metadata: { labels: { v: null, extra: 'yes' } }, data: { k2: Buffer.from('two').toString('base64') } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.metadata?.labels).toEqual({ extra: 'yes' });
    expect(Object.keys(merged.data ?? {}).sort()).toEqual(['k', 'k2']);

    const jsonPatched = await core.patchNamespacedSecret(
      { namespace: ns, name: 'rep', body: [{ op: 'test', path: '/metadata/labels/extra', value: 'yes' }, { op: 'remove', path: '/data/k' }, { op: 'add', path: '/metadata/labels/j', value: 'p' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(Object.keys(jsonPatched.data ?? {})).toEqual(['k2']);
    expect(jsonPatched.metadata?.labels).toEqual({ extra: 'yes', j: 'p' });
    const failedTest = await failure(
      core.patchNamespacedSecret({ namespace: ns, name: 'rep', body: [{ op: 'test', path: '/metadata/labels/extra', value: 'no' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)),
    );
    expect(failedTest.code).toBe(422);

    // A replace of the main resource leaves .status alone; /status changes only .status.
    const d = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('stat') });
    const withStatus = await apps.replaceNamespacedDeploymentStatus({ namespace: ns, name: 'stat', body: { ...d, spec: { ...d.spec!, replicas: 7 }, status: { readyReplicas: 1, replicas: 1 } } });
    expect(withStatus.status).toMatchObject({ readyReplicas: 1, replicas: 1 });
    expect(withStatus.spec?.replicas).toBe(1);
    expect(withStatus.metadata?.generation).toBe(1);
    const specChange = await apps.patchNamespacedDeployment(
      { namespace: ns, name: 'stat', body: { spec: { replicas: 3 }, status: { readyReplicas: 9 } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(specChange.spec?.replicas).toBe(3);
    expect(specChange.status?.readyReplicas).toBe(1);
    expect(specChange.metadata?.generation).toBe(2);
  });

  it('deletes with garbage collection of owned objects (Background, Foreground) and orphans them on Orphan', async () => {
    for (const policy of ['Background', 'Foreground', 'Orphan'] as const) {
      const name = `gc-${policy.toLowerCase()}`;
      const owner = await apps.createNamespacedDeployment({ namespace: ns, body: deployment(name) });
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
      await core.createNamespacedService({ namespace: ns, body: { metadata: { name, ownerReferences: [ref] }, spec: { selector: { app: name }, ports: [{ port: 80 }] } } });
      const pvc = await core.createNamespacedPersistentVolumeClaim({
        namespace: ns,
        body: { metadata: { name, ownerReferences: [ref] }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      });
      // second-level dependent: owned by the PVC
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, uid: pvc.metadata!.uid! }] } } });
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `${name}-unrelated` } } });

      await apps.deleteNamespacedDeployment({ namespace: ns, name, propagationPolicy: policy });
      expect(kube.get('deployments', ns, name)).toBeUndefined();
      if (policy === 'Orphan') {
        expect(kube.get('services', ns, name)?.metadata.ownerReferences).toBeUndefined();
        expect(kube.get('persistentvolumeclaims', ns, name)).toBeDefined();
        expect(kube.get('secrets', ns, name)).toBeDefined();
      } else {
        expect(kube.get('services', ns, name)).toBeUndefined();
        expect(kube.get('persistentvolumeclaims', ns, name)).toBeUndefined();
        expect(kube.get('secrets', ns, name)).toBeUndefined();
      }
      expect(kube.get('secrets', ns, `${name}-unrelated`)).toBeDefined();
    }
    const gone = await failure(apps.deleteNamespacedDeployment({ namespace: ns, name: 'gc-background' }));
    expect(gone.code).toBe(404);
  });

  it('informer: sees ADDED, MODIFIED, DELETED, and relists after 410 Gone', async () => {
    const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
    const kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfig);
    const informer = makeInformer(kc, path, () => apps.listNamespacedDeployment({ namespace: ns, labelSelector: 'informed=yes' }), 'informed=yes');
    const seen: string[] = [];
    informer.on('add', (d) => seen.push(`add ${d.metadata?.name}`));
    informer.on('update', (d) => seen.push(`update ${d.metadata?.name} ${d.spec?.replicas}`));
    informer.on('delete', (d) => seen.push(`delete ${d.metadata?.name}`));
    const errors: unknown[] = [];
    // client-node reports its own abort of the watch on informer.stop() as an error: not ours.
    informer.on('error', (e) => (e as Error).name === 'AbortError' || errors.push(e));
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('inf-before', { informed: 'yes' }) });
    await informer.start();
    try {
      await until(() => seen.includes('add inf-before'), 'the listed object');
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment('inf-a', { informed: 'yes' }) });
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment('inf-ignored', { informed: 'no' }) });
      await apps.patchNamespacedDeployment({ namespace: ns, name: 'inf-a', body: { spec: { replicas: 4 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'inf-a' });
      await until(() => seen.includes('delete inf-a'), 'the DELETED event');
      expect(seen).toEqual(['add inf-before', 'add inf-a', 'update inf-a 4', 'delete inf-a']);

      // While the informer is stopped, an object goes away and the history is compacted: its
      // watch from the old resourceVersion answers 410 Gone, it relists and notices the deletion.
      await informer.stop();
      const listsBefore = kube.requests.filter((r) => r.path === path && r.verb === 'list').length;
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'inf-before' });
      kube.compactHistory();
      await informer.start();
      await until(() => seen.includes('delete inf-before'), 'the relist');
      const watches = kube.requests.filter((r) => r.path === path && r.verb === 'watch');
      expect(watches.length).toBeGreaterThanOrEqual(2);
      expect(kube.requests.filter((r) => r.path === path && r.verb === 'list').length).toBe(listsBefore + 1);
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment('inf-after', { informed: 'yes' }) });
      await until(() => seen.includes('add inf-after'), 'an event after the relist');
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('watch: resumes from a resourceVersion, sends BOOKMARKs, answers 410 Gone for a compacted one, ends at timeoutSeconds', async () => {
    const base = `${kube.url}/api/v1/namespaces/${ns}/secrets`;
    const headers = { Authorization: `Bearer ${kube.token}` };
    const a = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'w-a' } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'w-b' } } });
    await core.deleteNamespacedSecret({ namespace: ns, name: 'w-a' });
    const started = Date.now();
    const res = await fetch(`${base}?watch=true&resourceVersion=${a.metadata?.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dw-a`, { headers });
    const events = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; resourceVersion: string } } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`.trim())).toEqual(['DELETED w-a', 'BOOKMARK']);

    // a streaming list: the current state (even from the latest resourceVersion), then the bookmark that ends the initial events
    const latest = (await core.listNamespacedSecret({ namespace: ns })).metadata?.resourceVersion;
    const streamed = await fetch(`${base}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${latest}&timeoutSeconds=1&fieldSelector=metadata.name%3Dw-b`, { headers });
    const initial = (await streamed.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } });
    expect(initial.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(initial[0].object.metadata.name).toBe('w-b');
    expect(initial[1].object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });

    // the old /watch/ path form
    const oldForm = await fetch(`${kube.url}/api/v1/watch/namespaces/${ns}/secrets?timeoutSeconds=1&fieldSelector=metadata.name%3Dw-b`, { headers });
    expect(JSON.parse(await oldForm.text())).toMatchObject({ type: 'ADDED', object: { kind: 'Secret', metadata: { name: 'w-b' } } });
    expect(await (await fetch(`${kube.url}/readyz`)).text()).toBe('ok');

    kube.compactHistory();
    const gone = await fetch(`${base}?watch=true&resourceVersion=${a.metadata?.resourceVersion}`, { headers });
    expect(gone.status).toBe(200);
    expect(JSON.parse(await gone.text())).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });

    expect((await fetch(base, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('scale subresource: get and patch, with the Deployment following', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('scaled') });
    const scale = await apps.readNamespacedDeploymentScale({ namespace: ns, name: 'scaled' });
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { replicas: 0, selector: 'app=scaled' } });
    const patched = await apps.patchNamespacedDeploymentScale({ namespace: ns, name: 'scaled', body: { spec: { replicas: 0 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(patched.spec?.replicas).toBe(0);
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'scaled' })).spec?.replicas).toBe(0);
    const replaced = await apps.replaceNamespacedDeploymentScale({ namespace: ns, name: 'scaled', body: { ...patched, spec: { replicas: 2 } } });
    expect(replaced.spec?.replicas).toBe(2);
    expect((await failure(apps.replaceNamespacedDeploymentScale({ namespace: ns, name: 'scaled', body: { ...patched, spec: { replicas: 5 } } }))).code).toBe(409);
    expect(kube.requests.filter((r) => r.subresource === 'scale').map((r) => r.verb)).toEqual(['get', 'patch', 'update', 'update']);
  });
});

describe('fake Kubernetes API server, with the real kubectl', () => {
  let kube: FakeKubeApiServer;
  let bin: KubeBinaries;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  const kubectl = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(bin.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args], { timeout: 30_000 });
    return stdout;
  };
  const kubectlFails = async (...args: string[]) => {
    try {
      await kubectl(...args);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded`);
  };

  beforeAll(async () => {
    bin = await kubeBinaries();
    kube = await startFakeKubeApiServer();
    const kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
    const ns = kube.namespace;
    const owner = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('hello') });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello', uid: owner.metadata!.uid!, controller: true };
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'hello', labels: MANAGED, ownerReferences: [ref] }, spec: { selector: { app: 'hello' }, ports: [{ port: 8080 }] } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'hello-env', labels: MANAGED, ownerReferences: [ref] }, stringData: { A: '1', B: '2' } } });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: { metadata: { name: 'hello-data', labels: MANAGED, ownerReferences: [ref] }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('other', { team: 'x' }) });
  }, 180_000);
  afterAll(() => kube?.stop());

  it('kubectl version shows the fake server version', async () => {
    const out = await kubectl('version');
    expect(out).toMatch(/Client Version: v1\.35\./);
    expect(out).toContain('Server Version: v1.35.0');
  });

  it('kubectl get deploy,svc,secret,pvc -l prints tables of the selected objects', async () => {
    const out = await kubectl('get', 'deploy,svc,secret,pvc', '-l', 'app.kubernetes.io/managed-by=wharf');
    const lines = out.split('\n');
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/), expect.stringMatching(/^deployment\.apps\/hello\s+0\/1\s+0\s+0\s+\d+s$/)]));
    expect(out).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    expect(out).toMatch(/^service\/hello\s+ClusterIP\s+127\.77\.\d+\.\d+\s+<none>\s+8080\/TCP\s+\d+s$/m);
    expect(out).toMatch(/^secret\/hello-env\s+Opaque\s+2\s+\d+s$/m);
    expect(out).toMatch(/^persistentvolumeclaim\/hello-data\s+Pending\s+.*RWO/m);
    expect(out).not.toContain('other');
    // namespaced default from the kubeconfig context
    expect(kube.requests.some((r) => r.verb === 'list' && r.resource === 'persistentvolumeclaims' && r.namespace === kube.namespace)).toBe(true);
    const single = await kubectl('get', 'deployments');
    expect(single).toMatch(/^hello\s+0\/1\s+0\s+0\s+\d+s$/m);
    expect(single).toMatch(/^other\s+0\/1/m);
  });

  it('kubectl get -o json round-trips; errors print the server Status message', async () => {
    const out = JSON.parse(await kubectl('get', 'deploy', 'hello', '-o', 'json')) as V1Deployment;
    const stored = kube.get('deployments', kube.namespace, 'hello');
    expect(out).toEqual(JSON.parse(JSON.stringify(stored)));
    expect(out.metadata?.labels).toMatchObject(MANAGED);
    expect(await kubectlFails('get', 'deploy', 'nope')).toContain('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('kubectl scale deploy --replicas=0 patches the scale subresource', async () => {
    expect(await kubectl('scale', 'deploy', 'other', '--replicas=0')).toContain('deployment.apps/other scaled');
    expect(kube.get('deployments', kube.namespace, 'other')?.spec).toMatchObject({ replicas: 0 });
    expect(kube.requests.some((r) => r.resource === 'deployments' && r.subresource === 'scale' && r.verb === 'patch')).toBe(true);
    // kubectl wait watches with a streaming list (sendInitialEvents + the initial-events-end bookmark)
    expect(await kubectl('wait', '--for=jsonpath={.spec.replicas}=0', 'deploy/other', '--timeout=5s')).toBe('deployment.apps/other condition met\n');
    expect(kube.requests.some((r) => r.verb === 'watch' && r.resource === 'deployments' && r.query.sendInitialEvents === 'true')).toBe(true);
  });

  it('kubectl apply -f creates, then leaves unchanged, then patches; kubectl describe reads it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-kubectl-'));
    try {
      const manifest = (replicas: number) =>
        // a YAML stream of JSON documents (a `kind: List` would make kubectl validate against /openapi/v2, which the fake lacks)
        [{ ...deployment('applied'), spec: { ...deployment('applied').spec, replicas } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied-cfg' }, data: { k: 'v' } }].map((d) => JSON.stringify(d)).join('\n---\n');
      await writeFile(join(dir, 'm.json'), manifest(2));
      expect(await kubectl('apply', '-f', join(dir, 'm.json'))).toBe('deployment.apps/applied created\nconfigmap/applied-cfg created\n');
      expect(await kubectl('apply', '-f', join(dir, 'm.json'))).toBe('deployment.apps/applied unchanged\nconfigmap/applied-cfg unchanged\n');
      await writeFile(join(dir, 'm.json'), manifest(3));
      expect(await kubectl('apply', '-f', join(dir, 'm.json'))).toBe('deployment.apps/applied configured\nconfigmap/applied-cfg unchanged\n');
      expect(kube.get('deployments', kube.namespace, 'applied')?.spec).toMatchObject({ replicas: 3 });
      expect(kube.get('deployments', kube.namespace, 'applied')?.metadata.generation).toBe(2);
      expect(await kubectl('describe', 'deploy', 'applied')).toMatch(/Replicas:\s+3 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kubectl create secret generic (a protobuf body) works; a kind the fake cannot decode is refused with a clear 415', async () => {
    expect(await kubectl('create', 'secret', 'generic', 'typed', '--from-literal=password=s3cret')).toBe('secret/typed created\n');
    const secret = kube.get('secrets', kube.namespace, 'typed');
    expect(secret?.data).toEqual({ password: Buffer.from('s3cret').toString('base64') });
    expect(secret?.type).toBe('Opaque');
    expect(await kubectl('get', 'secret', 'typed', '-o', 'jsonpath={.data.password}')).toBe(Buffer.from('s3cret').toString('base64'));
    expect(await kubectlFails('create', 'deployment', 'typed', '--image=nginx')).toContain('protobuf bodies of kind Deployment are not supported by the fake API server');
    expect(await kubectl('auth', 'can-i', 'delete', 'deployments')).toBe('yes\n');
  });

  it('kubectl get -w prints the changes it is told about', async () => {
    await apps.createNamespacedDeployment({ namespace: kube.namespace, body: deployment('watched') });
    const child = spawn(bin.kubectl, ['--kubeconfig', kube.kubeconfigPath, 'get', 'deploy', 'watched', '-w', '--request-timeout=2s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((ok) => child.on('exit', ok));
    try {
      await until(() => /watched\s+0\/1/.test(out), 'the first row');
      await apps.patchNamespacedDeployment({ namespace: kube.namespace, name: 'watched', body: { spec: { replicas: 5 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await until(() => /watched\s+0\/5/.test(out), 'the modified row');
    } finally {
      child.kill();
      await exited;
    }
  });

  it('kubectl delete deploy removes it and the objects it owns', async () => {
    expect(await kubectl('delete', 'deploy', 'hello')).toContain('deployment.apps "hello" deleted');
    expect(kube.get('deployments', kube.namespace, 'hello')).toBeUndefined();
    expect(kube.get('services', kube.namespace, 'hello')).toBeUndefined();
    expect(kube.get('secrets', kube.namespace, 'hello-env')).toBeUndefined();
    expect(kube.get('persistentvolumeclaims', kube.namespace, 'hello-data')).toBeUndefined();
    expect(kube.get('secrets', kube.namespace, 'typed')).toBeDefined();
    expect(kube.get('deployments', kube.namespace, 'other')).toBeDefined();
    const left = await kubectl('get', 'deploy,svc,secret,pvc', '-l', 'app.kubernetes.io/managed-by=wharf');
    expect(left).toMatch(/^deployment\.apps\/applied\s/m);
    expect(left).not.toContain('hello');
  });
});

describe('fake Kubernetes API server, with the real helm', () => {
  let kube: FakeKubeApiServer;
  let bin: KubeBinaries;
  let dir: string;

  const helm = async (...args: string[]) => {
    const env = { ...process.env, HELM_CACHE_HOME: join(dir, 'cache'), HELM_CONFIG_HOME: join(dir, 'config'), HELM_DATA_HOME: join(dir, 'data') };
    const { stdout } = await promisify(execFile)(bin.helm, ['--kubeconfig', kube.kubeconfigPath, ...args], { timeout: 30_000, env });
    return stdout;
  };

  beforeAll(async () => {
    bin = await kubeBinaries();
    kube = await startFakeKubeApiServer();
    dir = await mkdtemp(join(tmpdir(), 'wharf-helm-'));
    await mkdir(join(dir, 'chart', 'templates'), { recursive: true });
    await writeFile(join(dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
    await writeFile(
      join(dir, 'chart', 'templates', 'all.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: "{{ .Release.Name }}-web"}',
        'spec:',
        '  replicas: {{ .Values.replicas | default 1 }}',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec: {containers: [{name: app, image: nginx}]}',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: "{{ .Release.Name }}-web"}',
        'spec: {selector: {app: web}, ports: [{port: 80}]}',
        '',
      ].join('\n'),
    );
  }, 180_000);
  afterAll(async () => {
    await kube?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('helm install, upgrade, status, uninstall (release Secrets in protobuf, objects by server-side apply)', async () => {
    expect(await helm('install', 'demo', join(dir, 'chart'))).toContain('STATUS: deployed');
    expect(kube.get('deployments', kube.namespace, 'demo-web')?.spec).toMatchObject({ replicas: 1 });
    expect(kube.get('secrets', kube.namespace, 'sh.helm.release.v1.demo.v1')?.metadata.labels).toMatchObject({ owner: 'helm', name: 'demo', status: 'deployed' });
    expect(await helm('upgrade', 'demo', join(dir, 'chart'), '--set', 'replicas=3')).toContain('REVISION: 2');
    expect(kube.get('deployments', kube.namespace, 'demo-web')?.spec).toMatchObject({ replicas: 3 });
    expect(await helm('list')).toMatch(/^demo\s+wharf\s+2\s+.*deployed\s+demo-0\.1\.0/m);
    expect(await helm('status', 'demo')).toMatch(/demo-web\s+0\/3/);
    expect(await helm('uninstall', 'demo')).toContain('release "demo" uninstalled');
    expect(kube.list('deployments', kube.namespace)).toEqual([]);
    expect(kube.list('services', kube.namespace)).toEqual([]);
    expect(kube.list('secrets', kube.namespace)).toEqual([]);
  });
});
