import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { rec } from './json';
import { startFakeKubeApiServer, type FakeKubeApiServer } from './fake-apiserver';
import { startFakeKubelet, type FakeKubelet } from './kubelet';
import { until } from './until';


/**
 * `/` answers the pod's name, `/ready` 200 until `/unready` is asked, and an `Upgrade: echo`
 * request switches the connection to an echo (as a websocket would switch protocols).
 */
const SERVER = `
const http = require('node:http');
let ready = true;
const server = http.createServer((req, res) => {
  if (req.url === '/ready') { res.statusCode = ready ? 200 : 503; return res.end(); }
  if (req.url === '/unready') ready = false;
  res.end('pod ' + process.env.HOSTNAME);
});
server.on('upgrade', (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\n\\r\\n');
  socket.pipe(socket);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
`;

function deployment(name: string, replicas = 1): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'node:20',
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
            },
          ],
        },
      },
    },
  };
}

function service(name: string, port: number, targetPort: number | string = 'http', clusterIP?: string): V1Service {
  return { metadata: { name }, spec: { selector: { app: name }, ...(clusterIP ? { clusterIP } : {}), ports: [{ name: 'http', port, targetPort: targetPort as never }] } };
}

/** The body of a GET on a new connection (an established one outlives its endpoint's readiness), or the connection error's code. */
function get(host: string, port: number, path = '/'): Promise<string> {
  return new Promise((ok) => {
    const req = request({ host, port, path, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => ok(body));
      res.on('error', (e: NodeJS.ErrnoException) => ok(e.code ?? String(e)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => ok(e.code ?? String(e)));
    req.end();
  });
}

describe('fake kube-proxy', () => {
  let kube: FakeKubeApiServer;
  let kubelet: FakeKubelet;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let ns: string;

  beforeAll(async () => {
    kube = await startFakeKubeApiServer();
    ns = kube.namespace;
    kubelet = startFakeKubelet(kube, { run: () => ({ command: process.execPath, args: ['-e', SERVER] }), probeIntervalMs: 50 });
    const kc = new KubeConfig();
    kc.loadFromString(kube.kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(() => kube.stop());
  const clusterIp = (name: string) => String(rec(kube.get('services', ns, name)?.spec).clusterIP);

  it('cluster IPs come from 127.77.0.0/16; nothing listens until an endpoint is ready (connections are refused)', async () => {
    const svc = await core.createNamespacedService({ namespace: ns, body: service('web', 8080) });
    const ip = svc.spec?.clusterIP ?? '';
    expect(ip).toMatch(/^127\.77\.\d+\.\d+$/);
    expect(Number(ip.split('.')[3])).toBeGreaterThan(1);
    expect(svc.spec?.clusterIPs).toEqual([ip]);
    await new Promise((r) => setTimeout(r, 100));
    expect(kubelet.serviceProxies()).toEqual([{ namespace: ns, service: 'web', address: ip, port: 8080, listening: false }]);
    expect(await get(ip, 8080)).toBe('ECONNREFUSED');
  });

  it('forwards HTTP to the ready pods (targetPort by name, round robin) and switches protocols (websocket-like upgrade)', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 2) });
    const ip = clusterIp('web');
    const names = (await until(async () => {
      const pods = kube.list('pods', ns).filter((p) => p.metadata.labels?.app === 'web');
      const ready = pods.filter((p) => (rec(p.status).conditions as { type: string; status: string }[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 ? ready : undefined;
    }, 'two ready pods')).map((p) => `pod ${p.metadata.name ?? ''}`);
    await until(() => kubelet.serviceProxies()[0]?.listening, 'the listener');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await get(ip, 8080));
    expect([...seen].sort()).toEqual(names.sort());

    const echoed = await new Promise<string>((ok, ko) => {
      const s = connect(8080, ip, () => s.write(`GET /chat HTTP/1.1\r\nHost: ${ip}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`));
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        if (buf.includes('\r\n\r\n') && !buf.includes('ping')) s.write('ping');
        if (buf.endsWith('ping')) {
          s.destroy();
          ok(buf);
        }
      });
      s.on('error', ko);
    });
    expect(echoed).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n[\s\S]*\r\n\r\nping$/);
  });

  it('follows readiness and the Service: unready pods leave, a changed port moves the listener, a deleted Service cuts its connections', async () => {
    const ip = clusterIp('web');
    await apps.patchNamespacedDeploymentScale({ namespace: ns, name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 1 }] });
    await until(() => kube.list('pods', ns).filter((p) => p.metadata.labels?.app === 'web').length === 1, 'one pod');
    const pod = kube.list('pods', ns).find((p) => p.metadata.labels?.app === 'web')?.metadata.name ?? '';
    expect(await until(async () => ((await get(ip, 8080)) === `pod ${pod}` ? 'ok' : undefined), 'the one pod answering')).toBe('ok');
    await get(ip, 8080, '/unready');
    await until(async () => (await get(ip, 8080)) === 'ECONNREFUSED', 'refused once the pod is unready');
    expect(kubelet.serviceProxies()[0]).toMatchObject({ listening: false });

    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'web' });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web') });
    await until(async () => (await get(ip, 8080)).startsWith('pod web-'), 'a new pod answering');
    // Numeric targetPort, new service port.
    await core.patchNamespacedService({ namespace: ns, name: 'web', body: [{ op: 'replace', path: '/spec/ports/0', value: { name: 'http', port: 8081, targetPort: 8080, protocol: 'TCP' } }] });
    await until(async () => (await get(ip, 8081)).startsWith('pod web-'), 'the new port');
    expect(await get(ip, 8080)).toBe('ECONNREFUSED');

    const open = connect(8081, ip);
    await new Promise((r) => open.once('connect', r));
    const closed = new Promise((r) => open.once('close', r));
    await core.deleteNamespacedService({ namespace: ns, name: 'web' });
    await closed;
    expect(await get(ip, 8081)).toBe('ECONNREFUSED');
    expect(kubelet.serviceProxies()).toEqual([]);
  });

  it('records an address it cannot bind, and retries once the Service changes', async () => {
    const ip = '127.77.255.254';
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(9090, ip, r));
    await core.createNamespacedService({ namespace: ns, body: service('taken', 9090, 8080, ip) });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('taken') });
    const state = await until(() => kubelet.serviceProxies().find((s) => s.service === 'taken' && s.error), 'the bind error');
    expect(state).toEqual({ namespace: ns, service: 'taken', address: ip, port: 9090, listening: false, error: expect.stringMatching(/^EADDRINUSE: /) });
    await new Promise<void>((r) => squatter.close(() => r()));
    await core.patchNamespacedService({ namespace: ns, name: 'taken', body: [{ op: 'replace', path: '/spec/ports/0/port', value: 9091 }] });
    // A changed port is a new listener: it binds.
    await until(async () => (await get(ip, 9091)).startsWith('pod taken-'), 'the moved listener');
  });

  it('serviceCidr sets the range; a full range is an error; stop() closes every listener', async () => {
    const small = await startFakeKubeApiServer({ serviceCidr: '127.78.9.0/29' });
    const proxyKubelet = startFakeKubelet(small);
    try {
      const ips = [1, 2, 3, 4, 5].map((i) => rec(small.controllers.create('services', small.namespace, { metadata: { name: `s${i}` }, spec: { ports: [{ port: 80 }] } }).spec).clusterIP);
      expect([...ips].sort()).toEqual(['127.78.9.2', '127.78.9.3', '127.78.9.4', '127.78.9.5', '127.78.9.6']);
      expect(() => small.controllers.create('services', small.namespace, { metadata: { name: 's6' }, spec: { ports: [{ port: 80 }] } })).toThrow('failed to allocate a serviceIP: range is full');
    } finally {
      await proxyKubelet.stop();
      await small.stop();
    }
    await expect(startFakeKubeApiServer({ serviceCidr: '127.78.9.0' })).rejects.toThrow('serviceCidr "127.78.9.0" is not an IPv4 CIDR');

    const ip = clusterIp('taken');
    await kubelet.stop();
    expect(await get(ip, 9091)).toBe('ECONNREFUSED');
  });
});
