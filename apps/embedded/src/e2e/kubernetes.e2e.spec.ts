import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubeBinaries, startFakeWharfCluster, startWharf, type FakeWharfCluster, type RunningSystem } from '@wharf/testing';
import NodeWebSocket from 'ws';

jest.setTimeout(90_000);

const EXAMPLES = path.resolve(__dirname, '../../../../examples/dist');
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live processes started for an instance: the launcher and the app inherit the pod's `WHARF_INSTANCE_ID`. */
function processesOf(id: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      if (!readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(`WHARF_INSTANCE_ID=${id}`)) continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(e));
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

/**
 * Wharf started as `npm start` starts it, with the scheduler's Kubernetes driver
 * (`WHARF_SCHEDULER_DRIVER=kubernetes`, the cluster from `KUBECONFIG`) against the fake cluster of
 * libs/testing: its kubelet runs each pod's launcher as a local process, and its kube-proxy serves
 * each Service on a loopback cluster IP (127.77.x.y:8080), the address the driver records and the
 * router proxies to. What a new user sees (Run, the page through the router), what an operator sees
 * with the real kubectl, and an operator's `kubectl delete deploy` taken as the end of the instance.
 *
 * No router configuration is needed for the cluster IPs here: `Router.InstanceNetworks` defaults to
 * 127.0.0.0/8, which holds the fake cluster's service CIDR (127.77.0.0/16). On a real cluster the
 * platform team must set it to the cluster's *Service* CIDR (the driver records the Service's
 * cluster IP, not a pod IP), or the router answers 502.
 */
describe('Wharf on Kubernetes (the fake cluster), end to end', () => {
  let cluster: FakeWharfCluster;
  let sys: RunningSystem;
  let kubectlPath = '';
  let alice = '';
  let ns = '';
  let id = '';
  let url = '';
  let echoId = '';
  let echoUrl = '';

  const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', cluster.kubeconfigPath, ...args])).stdout;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${sys.gateway}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${alice}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  const importSample = async (name: string) => {
    const res = await fetch(`${sys.gateway}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/zip' },
      body: new Uint8Array(readFileSync(path.join(EXAMPLES, `${name}.zip`))),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const runningInstance = async (app: string) => {
    const started = await call('POST', `/apps/${app}/instances`, { visibility: 'PRIVATE' });
    expect(started.status).toBe(201);
    const instanceId = started.body.id as string;
    let body = started.body;
    for (let i = 0; i < 400 && body.status !== 'RUNNING'; i++) {
      await sleep(50);
      body = (await call('GET', `/instances/${instanceId}`)).body;
    }
    expect(body).toMatchObject({ id: instanceId, status: 'RUNNING' });
    return { id: instanceId, url: body.url as string };
  };
  /** The app through the router, as users reach it: 127.0.0.1 with the instance's Host (Node cannot resolve *.localhost). */
  const viaRouter = (instanceUrl: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(instanceUrl);
      http
        .get({ host: '127.0.0.1', port: sys.routerPort, path: '/', headers: { host: u.host, authorization: `Bearer ${alice}` }, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });
  const objectsOf = (instanceId: string) =>
    ['deployments', 'pods', 'secrets', 'services', 'networkpolicies', 'persistentvolumeclaims'].flatMap((kind) =>
      cluster.kube.list(kind, ns).filter((o) => o.metadata.labels?.['wharf.dev/instance'] === instanceId).map((o) => `${kind}/${o.metadata.name}`),
    );

  beforeAll(async () => {
    const t0 = Date.now();
    [cluster, { kubectl: kubectlPath }] = await Promise.all([startFakeWharfCluster(), kubeBinaries()]);
    ns = cluster.namespace;
    sys = await startWharf({ WHARF_SCHEDULER_DRIVER: 'kubernetes', KUBECONFIG: cluster.kubeconfigPath });
    const minted = await fetch(`${sys.gateway}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sys.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'alice', roles: ['full-access'] }),
    });
    alice = ((await minted.json()) as { token: string }).token;
    console.log(`cluster + Wharf up in ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    // the system first (its scheduler watches the cluster), then the cluster (kills every pod's processes)
    if (sys?.proc.exitCode === null) await sys.stop();
    await cluster?.stop();
  });

  it('runs the hello sample over REST: RUNNING, and its page answers through the router', async () => {
    const t0 = Date.now();
    ({ id, url } = await runningInstance(await importSample('hello')));
    const page = await viaRouter(url);
    console.log(`hello: imported, RUNNING and served in ${Date.now() - t0} ms`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Hello from Wharf');
    // what it runs on: a Deployment whose Service has a cluster IP from the fake cluster's loopback range
    const svc = cluster.kube.get('services', ns, `wharf-${id}`);
    expect((svc?.spec as { clusterIP?: string } | undefined)?.clusterIP).toMatch(/^127\.77\.\d+\.\d+$/);
  });

  it('runs the echo-ws sample and talks to it over a websocket through the router', async () => {
    ({ id: echoId, url: echoUrl } = await runningInstance(await importSample('echo-ws')));
    const echoed = await new Promise<string>((resolve) => {
      const s = new NodeWebSocket(`ws://127.0.0.1:${sys.routerPort}/ws`, { headers: { host: new URL(echoUrl).host, authorization: `Bearer ${alice}` } });
      s.once('unexpected-response', (_q, res) => (resolve(`HTTP ${res.statusCode}`), s.terminate()));
      s.once('open', () => s.send('through the cluster'));
      s.once('message', (m) => (resolve(m.toString()), s.close()));
      s.once('error', (e) => resolve(e.message));
    });
    expect(echoed).toBe('through the cluster');
  });

  it("shows the operator the instance's objects with kubectl", async () => {
    const listed = await kubectl('get', 'deploy,svc,secret,networkpolicy', '-n', ns, '-l', 'app.kubernetes.io/managed-by=wharf', '-o', 'name');
    for (const kind of ['deployment.apps', 'service', 'secret', 'networkpolicy.networking.k8s.io']) {
      expect(listed).toContain(`${kind}/wharf-${id}`);
      expect(listed).toContain(`${kind}/wharf-${echoId}`);
    }
    const table = await kubectl('get', 'deploy', '-l', 'app.kubernetes.io/managed-by=wharf');
    expect(table).toMatch(new RegExp(`^wharf-${id}\\s+1/1\\s`, 'm'));

    const found = await kubectl('get', 'deploy', '-l', `wharf.dev/instance=${id}`, '-o', 'jsonpath={.items[*].metadata.name} {.items[*].metadata.labels.wharf\\.dev/owner}');
    // the owner label is the caller's sub when that is a label value, else its readable part and a hash
    // (a token an admin mints is a user of its own, `svc:alice:…`)
    const { sub } = (await call('GET', '/me')).body as { sub: string };
    const owner = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(sub) ? sub : `${sub.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 52)}-${createHash('sha256').update(sub).digest('hex').slice(0, 10)}`;
    expect(found).toBe(`wharf-${id} ${owner}`);
    expect((await kubectl('get', 'deploy', '-l', `wharf.dev/owner=${owner}`, '-o', 'name')).split('\n').filter(Boolean).sort()).toEqual(
      [`deployment.apps/wharf-${id}`, `deployment.apps/wharf-${echoId}`].sort(),
    );

    let logs = '';
    for (let i = 0; i < 40 && !logs.includes('hello: listening on port'); i++, await sleep(100)) logs = await kubectl('logs', `deploy/wharf-${id}`);
    expect(logs).toContain('hello: listening on port');
    expect(logs).toMatch(/hello: .*"GET \/ HTTP\/1\.1" 200/); // the request made through the router, in the app's own words
  });

  it('keeps the tokens in the Secret: the Deployment only refers to them', async () => {
    const secret = JSON.parse(await kubectl('get', 'secret', `wharf-${id}`, '-o', 'json')) as { data: Record<string, string> };
    const tokens = ['WHARF_BUNDLE_TOKEN', 'WHARF_STATUS_TOKEN'].map((k) => Buffer.from(secret.data[k] ?? '', 'base64').toString());
    for (const t of tokens) expect(t.length).toBeGreaterThan(16);
    const deployYaml = await kubectl('get', 'deploy', `wharf-${id}`, '-o', 'yaml');
    expect(deployYaml).toContain('secretKeyRef');
    expect(deployYaml).toContain(`name: wharf-${id}`);
    for (const t of tokens) {
      expect(deployYaml).not.toContain(t);
      expect(deployYaml).not.toContain(Buffer.from(t).toString('base64'));
    }
    const pods = await kubectl('get', 'pods', '-l', `wharf.dev/instance=${id}`, '-o', 'yaml');
    for (const t of tokens) expect(pods).not.toContain(t);
    // the Secret itself holds them (base64, as Secrets do)
    const secretYaml = await kubectl('get', 'secret', `wharf-${id}`, '-o', 'yaml');
    expect(secretYaml).toContain(Buffer.from(tokens[0]!).toString('base64'));
  });

  it("takes an operator's `kubectl delete deploy` as the end of the instance: 404, not served, its objects and processes gone", async () => {
    const processes = processesOf(id);
    expect(processes.length).toBeGreaterThanOrEqual(2); // the launcher and the app
    expect(cluster.kube.list('pods', ns).filter((p) => p.metadata.labels?.['wharf.dev/instance'] === id)).toHaveLength(1);

    const t0 = Date.now();
    expect(await kubectl('delete', 'deploy', `wharf-${id}`)).toContain(`deployment.apps "wharf-${id}" deleted`);
    let status = 0;
    while (Date.now() - t0 < 5000 && (status = (await call('GET', `/instances/${id}`)).status) !== 404) await sleep(50);
    const noticedMs = Date.now() - t0;
    let routed = 200;
    while (Date.now() - t0 < 5000 && (routed = await viaRouter(url).then((r) => r.status, () => 0)) === 200) await sleep(50);
    console.log(`kubectl delete deploy: API 404 after ${noticedMs} ms, router ${routed} after ${Date.now() - t0} ms`);
    expect(status).toBe(404);
    expect(routed).not.toBe(200);
    expect((await call('GET', '/instances')).body).not.toEqual(expect.objectContaining({ items: expect.arrayContaining([expect.objectContaining({ id })]) }));

    // its Secret, Service, NetworkPolicy (owned by the Deployment) and its pod went with it
    expect(objectsOf(id)).toEqual([]);
    expect(await kubectl('get', 'deploy,svc,secret,networkpolicy,pods', '-l', `wharf.dev/instance=${id}`, '-o', 'name')).toBe('');
    // and nothing of it runs: no pod, no launcher, no app (SIGTERM, SIGKILL after 2 s)
    expect(cluster.kube.list('pods', ns).filter((p) => p.metadata.labels?.['wharf.dev/instance'] === id)).toEqual([]);
    let left = processesOf(id);
    for (let i = 0; i < 60 && left.length; i++, await sleep(50)) left = processesOf(id);
    expect(left).toEqual([]);

    // the other instance is untouched
    expect((await call('GET', `/instances/${echoId}`)).body.status).toBe('RUNNING');
    expect(objectsOf(echoId)).toHaveLength(5); // deployment, pod, secret, service, networkpolicy
  });
});
