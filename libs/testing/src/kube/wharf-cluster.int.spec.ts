import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { buildBundle } from '../bundle-builder';
import { rec } from './json';
import type { KubeObject } from './fake-apiserver';
import { DEFAULT_LAUNCHER_COMMAND, startFakeWharfCluster, type FakeWharfCluster } from './wharf-cluster';
import { until as waitUntil } from './until';

jest.setTimeout(30_000);

const ROOT = resolve(__dirname, '../../../..');

/** Counts its visits in `$WHARF_VOLUME_DIR/visits` and answers with the count and where it runs. */
const APP_PY = `import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.join(os.environ["WHARF_VOLUME_DIR"], "visits")
        with open(path, "a") as f:
            f.write("visit\\n")
        with open(path) as f:
            visits = len(f.readlines())
        body = json.dumps({"visits": visits, "cwd": os.getcwd(), "volume": os.environ["WHARF_VOLUME_DIR"]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

const until = <T>(get: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 15_000) => waitUntil(get, what, ms, 50);

/** A GET on a new connection: status and body, or the connection error's code. */
function get(host: string, port: number): Promise<{ status: number; body: string } | string> {
  return new Promise((ok) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => ok(e.code ?? String(e)));
    req.end();
  });
}

describe('fake Wharf cluster', () => {
  let cluster: FakeWharfCluster;
  let bundles: Server;
  let ns: string;

  beforeAll(async () => {
    const built = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/launcher/tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building the launcher failed: ${built.stdout}${built.stderr}`);
    const zip = await buildBundle({ app: { module: 'counter.app', env: [] }, files: { 'counter/__init__.py': '', 'counter/app.py': APP_PY, 'requirements.txt': null, 'hello/app.py': null, 'hello/__init__.py': null } });
    bundles = createServer((req, res) => {
      if (req.url !== '/internal/bundles/counter' || req.headers['x-wharf-internal-token'] !== 'bundle-token') return void res.writeHead(401).end();
      res.writeHead(200, { 'Content-Length': zip.length }).end(zip);
    });
    await new Promise<void>((r) => bundles.listen(0, '127.0.0.1', r));
    const bundleUrl = `http://127.0.0.1:${(bundles.address() as AddressInfo).port}/internal/bundles/counter`;

    cluster = await startFakeWharfCluster({ probeIntervalMs: 100 });
    ns = cluster.namespace;
    const api = cluster.kube.controllers;
    api.create('secrets', ns, { metadata: { name: 'wharf-abc' }, stringData: { WHARF_BUNDLE_TOKEN: 'bundle-token' } });
    api.create('persistentvolumeclaims', ns, { metadata: { name: 'wharf-abc' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    api.create('services', ns, { metadata: { name: 'wharf-abc' }, spec: { selector: { 'wharf.dev/instance': 'abc' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] } });
    const plain = {
      PORT: '8080',
      WHARF_INSTANCE_ID: 'abc',
      WHARF_BUNDLE_URL: bundleUrl,
      WHARF_BUNDLE_SHA256: createHash('sha256').update(zip).digest('hex'),
      WHARF_MODULE: 'counter.app',
      WHARF_WORK_DIR: '/work',
      WHARF_VOLUME_DIR: '/data',
      WHARF_LISTEN_HOST: '0.0.0.0',
      WHARF_SANDBOX: 'none',
      HOME: '/work',
    };
    api.create('deployments', ns, {
      metadata: { name: 'wharf-abc' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'wharf.dev/instance': 'abc' } },
        template: {
          metadata: { labels: { 'wharf.dev/instance': 'abc' } },
          spec: {
            containers: [
              {
                name: 'launcher',
                image: 'ghcr.io/wharf/runtime-python:3.12',
                command: [...DEFAULT_LAUNCHER_COMMAND],
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                env: [...Object.entries(plain).map(([name, value]) => ({ name, value })), { name: 'WHARF_BUNDLE_TOKEN', valueFrom: { secretKeyRef: { name: 'wharf-abc', key: 'WHARF_BUNDLE_TOKEN' } } }],
                readinessProbe: { tcpSocket: { port: 'http' } },
                volumeMounts: [
                  { name: 'work', mountPath: '/work' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'data', mountPath: '/data' },
                ],
              },
              { name: 'sidecar', image: 'busybox' },
            ],
            volumes: [
              { name: 'work', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              { name: 'data', persistentVolumeClaim: { claimName: 'wharf-abc' } },
            ],
          },
        },
      },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await new Promise((r) => bundles?.close(r));
  });

  const thePod = () => until(() => cluster.kube.list('pods', ns).find((p: KubeObject) => !p.metadata.deletionTimestamp), 'a pod');
  const clusterIp = () => String(rec(cluster.kube.get('services', ns, 'wharf-abc')?.spec).clusterIP);
  /** Visits the app through the Service until it answers (the launcher serves its progress page, 503, until then). */
  const visit = async () => {
    let last: Awaited<ReturnType<typeof get>> = '';
    try {
      return await until(async () => {
        last = await get(clusterIp(), 8080);
        return typeof last !== 'string' && last.status === 200 ? (JSON.parse(last.body) as { visits: number; cwd: string; volume: string }) : undefined;
      }, 'the app answering through the Service');
    } catch (e) {
      // Say why: the last answer, the pod's container statuses and the launcher's log.
      const pod = cluster.kube.list('pods', ns).find((p: KubeObject) => !p.metadata.deletionTimestamp);
      const log = pod ? await fetch(`${cluster.kube.url}/api/v1/namespaces/${ns}/pods/${pod.metadata.name ?? ''}/log?container=launcher`).then((r) => r.text()) : 'no pod';
      throw new Error(`${(e as Error).message}; last answer: ${JSON.stringify(last)}; containers: ${JSON.stringify(rec(pod?.status).containerStatuses)}; proxies: ${JSON.stringify(cluster.kubelet.serviceProxies())}; conditions: ${JSON.stringify(rec(pod?.status).conditions)}; launcher log:\n${log}`);
    }
  };

  it('runs the launcher for the launcher container (the sidecar is simulated) and serves the app through clusterIP:8080', async () => {
    const pod = await thePod();
    const name = pod.metadata.name ?? '';
    const first = await visit();
    const data = cluster.kubelet.volumeDir(ns, name, 'data') as string;
    const work = cluster.kubelet.volumeDir(ns, name, 'work') as string;
    expect(first).toEqual({ visits: 1, cwd: join(work, 'app'), volume: data });
    expect(data).toBe(join(cluster.kubelet.volumesDir, 'pvcs', ns, 'wharf-abc'));
    expect(readFileSync(join(data, 'visits'), 'utf8')).toBe('visit\n');
    const pid = cluster.kubelet.pid(ns, name, 'launcher') as number;
    // Container paths in its environment became the volumes' host folders; the rest is as given.
    const env = Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const tmp = cluster.kubelet.volumeDir(ns, name, 'tmp') as string;
    expect(env).toMatchObject({ WHARF_WORK_DIR: work, HOME: work, WHARF_VOLUME_DIR: data, TMPDIR: tmp, WHARF_MODULE: 'counter.app', WHARF_BUNDLE_TOKEN: 'bundle-token', PORT: String(cluster.kubelet.port(ns, name, 8080, 'launcher')) });
    expect(tmp).toBe(join(cluster.kubelet.volumesDir, 'pods', ns, name, 'tmp'));
    expect(cluster.kubelet.pid(ns, name, 'sidecar')).toBeUndefined();
    const ports = JSON.parse(cluster.kube.get('pods', ns, name)?.metadata.annotations?.['fake-kubelet.wharf.dev/ports'] ?? '{}') as Record<string, number>;
    expect(Object.keys(ports)).toEqual(['launcher/8080']);
    expect(cluster.kubelet.serviceProxies()).toEqual([{ namespace: ns, service: 'wharf-abc', address: clusterIp(), port: 8080, listening: true }]);
    expect(readFileSync(cluster.kubeconfigPath, 'utf8')).toBe(cluster.kube.kubeconfig);
  });

  it('a new pod after a pod deletion sees the PVC file; the old pod emptyDirs are gone', async () => {
    const old = await thePod();
    const work = cluster.kubelet.volumeDir(ns, old.metadata.name ?? '', 'work') as string;
    const tmp = cluster.kubelet.volumeDir(ns, old.metadata.name ?? '', 'tmp') as string;
    expect(existsSync(join(work, 'app', 'counter', 'app.py'))).toBe(true);
    cluster.kube.controllers.remove('pods', ns, old.metadata.name ?? '');
    await until(() => !existsSync(work) && !existsSync(tmp), 'the emptyDirs removed');
    const next = await until(() => cluster.kube.list('pods', ns).find((p: KubeObject) => p.metadata.name !== old.metadata.name), 'the replacement pod');
    const second = await visit();
    expect(second.visits).toBe(2);
    expect(second.cwd).toBe(join(cluster.kubelet.volumeDir(ns, next.metadata.name ?? '', 'work') as string, 'app'));
  });

  it('stop() kills the launcher and its app, closes the Service address, removes the volumes and the kubeconfig', async () => {
    const pod = await thePod();
    const pid = cluster.kubelet.pid(ns, pod.metadata.name ?? '', 'launcher') as number;
    const volumes = cluster.kubelet.volumesDir;
    const ip = clusterIp();
    await cluster.stop();
    expect(() => process.kill(-pid, 0)).toThrow();
    expect(await get(ip, 8080)).toBe('ECONNREFUSED');
    expect(existsSync(volumes)).toBe(false);
    expect(existsSync(cluster.kubeconfigPath)).toBe(false);
  });

  it('refuses to start without a built launcher, saying how to build it', async () => {
    await expect(startFakeWharfCluster({ launcherPath: join(ROOT, 'no-such-launcher.js') })).rejects.toThrow(/the launcher is not built .* run `npx tsc -b apps\/launcher\/tsconfig.json`/);
  });
});
