/* Test support for the scheduler's integration specs (not part of the build). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Controller, Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  bundleReadScope,
  forbidden,
  INTERNAL_TOKEN_HEADER,
  notFound,
  RepositoryContracts,
  SchedulerContracts,
  verifyInternalToken,
  type AppVersion,
  type Caller,
  type Instance,
  type RoutedInstance,
} from '@wharf/contracts';
import { inspectBundle } from '@wharf/manifest';
import { connectNats, Handle, NatsModule, RpcClient, type Msg } from '@wharf/nats';
import {
  freePort,
  launcherPids,
  procStat,
  startFakeWharfCluster,
  startNatsServer,
  uniqueId,
  type FakeWharfCluster,
  type FakeWharfClusterOptions,
  type NatsServer,
} from '@wharf/testing';

export { launcherPids };
import { SchedulerModule } from '../app.module';
import { CLOCK, type Clock } from '../common/clock';
import { loadSchedulerSettings } from '../scheduler.config';

export const ROOT = path.resolve(__dirname, '../../../..');
export const SECRET = 'test-internal-secret-0123456789abcdef';

export const alice: Caller = { sub: 'u-alice', name: 'alice', roles: ['full-access'] };
export const bob: Caller = { sub: 'u-bob', name: 'bob', roles: ['full-access'] };
export const vera: Caller = { sub: 'u-vera', name: 'vera', roles: ['visitor'] };
export const admin: Caller = { sub: 'u-admin', name: 'admin', roles: ['admin'] };
/** Owns every app version the fake repository serves. */
export const author: Caller = { sub: 'u-author', name: 'author', roles: ['full-access'] };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the launcher and the scheduler (tsc -b is incremental: a no-op when nothing changed). */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/scheduler/tsconfig.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}

export async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (e) {
      lastError = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}${lastError ? `; last error: ${String(lastError)}` : ''}`);
}

export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// ----------------------------------------------------------------------------- fake repository

export interface FakeApp {
  app: AppVersion;
  zip: string;
  /** Delay before the bundle's bytes are served (to catch a launch half-way). */
  delayMs?: number;
  /** Who may see it (default everyone signed in). */
  visibleTo?: (c: Caller | null) => boolean;
}

@Injectable()
export class FakeApps {
  readonly byId = new Map<string, FakeApp>();
  gets = 0;
}

@Controller()
class FakeRepositoryHandlers {
  constructor(@Inject(FakeApps) private readonly apps: FakeApps) {}

  @Handle(RepositoryContracts.get)
  get(@Payload() m: Msg<typeof RepositoryContracts.get>) {
    this.apps.gets++;
    const a = this.apps.byId.get(m.body.id);
    if (!a) throw notFound(`app version ${m.body.id} not found`);
    if (a.visibleTo && !a.visibleTo(m.caller)) {
      if (m.caller) throw forbidden(`you may not see app version ${m.body.id}`);
      throw notFound(`app version ${m.body.id} not found`);
    }
    return a.app;
  }
}

/** An AppVersion for a bundle, with the manifest read from the zip the way the repository does. */
export async function appVersionOf(id: string, zip: string, overrides: Partial<AppVersion> = {}): Promise<AppVersion> {
  const { manifest } = await inspectBundle(zip);
  const data = readFileSync(zip);
  return {
    id,
    name: manifest.name,
    version: manifest.version,
    title: manifest.title,
    description: manifest.description,
    longDescription: null,
    categories: manifest.categories,
    keywords: manifest.keywords,
    owner: { sub: author.sub, name: author.name },
    visibility: 'ALL_USERS',
    tags: [],
    runtime: manifest.runtime,
    env: manifest.env,
    files: manifest.files,
    sha256: createHash('sha256').update(data).digest('hex'),
    size: data.length,
    hasIcon: false,
    screenshotCount: 0,
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

/** Serves `GET /internal/bundles/:id` like the repository's internal port: only with a valid instance token. */
function startBundleServer(apps: FakeApps, advertise = '127.0.0.1'): Promise<{ url: string; server: http.Server; downloads: string[] }> {
  const downloads: string[] = [];
  const server = http.createServer((req, res) => {
    const m = /^\/internal\/bundles\/([^/?]+)$/.exec(req.url ?? '');
    const id = m ? decodeURIComponent(m[1]!) : '';
    const a = apps.byId.get(id);
    if (!a) return void res.writeHead(404).end('no such bundle');
    const claims = verifyInternalToken(SECRET, req.headers[INTERNAL_TOKEN_HEADER] as string | undefined, bundleReadScope(id));
    if (!claims) return void res.writeHead(401).end('bad token');
    downloads.push(id);
    const send = () => {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(statSync(a.zip).size) });
      createReadStream(a.zip).pipe(res);
    };
    if (a.delayMs) setTimeout(send, a.delayMs);
    else send();
  });
  return new Promise((resolve) =>
    server.listen(0, listenHost(advertise), () => resolve({ url: `http://${advertise}:${(server.address() as net.AddressInfo).port}`, server, downloads })),
  );
}

// ----------------------------------------------------------------------------- the system under test

export interface Replica {
  app: INestApplication;
  port: number;
  close(): Promise<void>;
}

export interface Harness {
  /** The fake cluster (driver `kubernetes`), else null. */
  cluster: FakeWharfCluster | null;
  /** The cluster the scheduler uses (the fake one, or WHARF_TEST_KUBECONFIG's), else null. */
  kube: { kubeconfigPath: string; namespace: string } | null;
  nats: NatsServer;
  dataDir: string;
  bucket: string;
  queue: string;
  apps: FakeApps;
  bundles: { url: string; downloads: string[] };
  /** The "gateway": a typed client on the same NATS. */
  client: RpcClient;
  env(extra?: Record<string, string>, port?: number): Promise<NodeJS.ProcessEnv>;
  /** An in-process replica; `clock` stands in for the system clock (idle suspension, keep-alive leases). */
  startReplica(extra?: Record<string, string>, opts?: { clock?: Clock }): Promise<Replica>;
  startChild(extra?: Record<string, string>, port?: number): Promise<{ proc: ChildProcess; port: number; output: string[]; kill9(): Promise<void>; stop(): Promise<void> }>;
  addApp(id: string, zip: string, opts?: Omit<FakeApp, 'app' | 'zip'> & { overrides?: Partial<AppVersion> }): Promise<AppVersion>;
  /**
   * Polls the instance (as admin, who sees every instance) until its status is one of `want`;
   * answers it as the router sees it, with the address users never get.
   */
  untilStatus(id: string, want: Instance['status'][], timeoutMs?: number): Promise<RoutedInstance>;
  /** The instance as the router's lookup answers it (with its address). */
  routed(id: string): Promise<RoutedInstance>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * `kubernetes`: the scheduler runs its Kubernetes driver against a fake cluster (libs/testing's
   * API server and kubelet, which runs each pod's launcher as a local process and serves Services
   * on loopback cluster IPs); `process` (default): local launcher processes.
   */
  driver?: 'process' | 'kubernetes';
  /** Chooses a failure for a new pod (kubernetes only). */
  fail?: FakeWharfClusterOptions['fail'];
  /**
   * `kubernetes` only: use the cluster of `WHARF_TEST_KUBECONFIG` when that is set, instead of a
   * fake one (see EXTERNAL_CLUSTER). The driver suite does; specs that look inside the fake do not.
   */
  external?: boolean;
}

/**
 * The driver suite against a cluster of your own (a real one, or `npm run fake-cluster`):
 * `WHARF_TEST_KUBECONFIG` (its kubeconfig), `WHARF_TEST_KUBE_NAMESPACE` (default: the context's),
 * `WHARF_TEST_ADVERTISE_HOST` (this machine's address as the pods reach it: the bundle server and
 * the scheduler listen on every interface then; default 127.0.0.1), `WHARF_TEST_RUNTIME_IMAGE` (a
 * runtime image with the launcher, from a registry the cluster pulls from). The test itself must
 * reach Service cluster IPs (run it on a node or in a pod of the cluster).
 */
export const EXTERNAL_CLUSTER = {
  kubeconfig: process.env.WHARF_TEST_KUBECONFIG ?? '',
  namespace: process.env.WHARF_TEST_KUBE_NAMESPACE ?? '',
  advertise: process.env.WHARF_TEST_ADVERTISE_HOST ?? '127.0.0.1',
  image: process.env.WHARF_TEST_RUNTIME_IMAGE ?? '',
};

const listenHost = (advertise: string) => (advertise === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0');

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  /** The instance as the router's lookup answers it (with its address). */
  const routed = async (id: string): Promise<RoutedInstance> => {
    const [r] = (await client.rpc(SchedulerContracts.route, { ids: [id] }, null)).instances;
    if (!r) throw new Error(`instance ${id} is not there`);
    return r;
  };
  const nats = await startNatsServer();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-sched-'));
  const external = options.driver === 'kubernetes' && options.external && EXTERNAL_CLUSTER.kubeconfig ? EXTERNAL_CLUSTER : null;
  const advertise = external?.advertise ?? '127.0.0.1';
  const cluster = options.driver === 'kubernetes' && !external ? await startFakeWharfCluster({ fail: options.fail, stateDir: path.join(dataDir, 'cluster') }) : null;
  const kube = cluster ? { kubeconfigPath: cluster.kubeconfigPath, namespace: cluster.namespace } : external ? { kubeconfigPath: external.kubeconfig, namespace: external.namespace } : null;
  const driverEnv: Record<string, string> = kube
    ? {
        WHARF_SCHEDULER_DRIVER: 'kubernetes',
        WHARF_SCHEDULER_KUBE_CONFIG: kube.kubeconfigPath,
        WHARF_SCHEDULER_KUBE_NAMESPACE: kube.namespace,
        WHARF_SCHEDULER_KUBE_STOP_GRACE_SECONDS: '3',
        ...(external?.image
          ? {
              WHARF_SCHEDULER_RUNTIME_VERSIONS: `[{Name="python-3.11",Image=${JSON.stringify(external.image)},Default=true}]`,
              WHARF_SCHEDULER_ALLOWED_REGISTRIES: JSON.stringify([external.image.split('/')[0]]),
            }
          : {}),
      }
    : {};
  const bucket = uniqueId('leases');
  const queue = uniqueId('scheduler');
  const apps = new FakeApps();
  const bundles = await startBundleServer(apps, advertise);

  @Module({ imports: [NatsModule.forService(uniqueId('repository'), { NatsUrl: nats.url, RequestTimeoutMs: 8000, InternalSecret: SECRET })], controllers: [FakeRepositoryHandlers], providers: [{ provide: FakeApps, useValue: apps }] })
  class FakeRepositoryModule {}
  const repoMod = await Test.createTestingModule({ imports: [FakeRepositoryModule] }).compile();
  const repo = repoMod.createNestApplication({ logger: ['error'] });
  await connectNats(repo, { queue: uniqueId('repository') });
  await repo.init();
  const client = repo.get(RpcClient);
  await client.connect();

  const replicas: Replica[] = [];
  const children: { stop(): Promise<void> }[] = [];

  const env = async (extra: Record<string, string> = {}, port?: number): Promise<NodeJS.ProcessEnv> => ({
    PATH: process.env.PATH,
    NATS_URL: nats.url,
    WHARF_DATA_DIR: dataDir,
    WHARF_PLATFORM_INTERNAL_SECRET: SECRET,
    WHARF_PLATFORM_REQUEST_TIMEOUT_MS: '8000',
    WHARF_PLATFORM_LOG_LEVEL: 'warn',
    ...(await (async () => {
      const p = port ?? (await freePort());
      return {
        WHARF_SCHEDULER_PORT: String(p),
        WHARF_SCHEDULER_HOST: listenHost(advertise),
        WHARF_SCHEDULER_INTERNAL_URL: `http://${advertise}:${p}`,
      };
    })()),
    WHARF_SCHEDULER_LEASE_BUCKET: bucket,
    WHARF_SCHEDULER_REPOSITORY_URL: bundles.url,
    WHARF_SCHEDULER_RECONCILE_INTERVAL_MS: '300',
    WHARF_SCHEDULER_PROCESS_STOP_GRACE_MS: '3000',
    // Two warm launchers per replica (the default is ten): the specs start many replicas.
    WHARF_SCHEDULER_PROCESS_STANDBY_LAUNCHERS: '2',
    ...driverEnv,
    ...extra,
  });

  const h: Harness = {
    cluster,
    kube,
    nats,
    dataDir,
    bucket,
    queue,
    apps,
    bundles,
    client,
    env,
    async startReplica(extra = {}, opts = {}) {
      const port = await freePort();
      const settings = loadSchedulerSettings(await env(extra, port));
      const builder = Test.createTestingModule({ imports: [SchedulerModule.forRoot(settings, { queue })] });
      if (opts.clock) builder.overrideProvider(CLOCK).useValue(opts.clock);
      const mod = await builder.compile();
      const app = mod.createNestApplication({ logger: ['error', 'warn'] });
      await connectNats(app, { queue });
      await app.listen(port, listenHost(advertise));
      const replica: Replica = { app, port, close: () => app.close() };
      replicas.push(replica);
      return replica;
    },
    async startChild(extra = {}, fixedPort?: number) {
      const port = fixedPort ?? (await freePort());
      const childEnv = await env(extra, port);
      const proc = spawn(process.execPath, [path.join(ROOT, 'apps/scheduler/dist/main.js')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const output: string[] = [];
      proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
      proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      await waitFor(
        'the scheduler child to be ready',
        () => httpGet(`http://127.0.0.1:${port}/readyz`).then((r) => r.status),
        (s) => s === 200,
        20_000,
      ).catch((e: Error) => {
        proc.kill('SIGKILL');
        throw new Error(`${e.message}\n${output.join('')}`);
      });
      const handle = {
        proc,
        port,
        output,
        kill9: async () => {
          proc.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          if (proc.exitCode === null && proc.signalCode === null) {
            proc.kill('SIGTERM');
            await exited;
          }
        },
      };
      children.push(handle);
      return handle;
    },
    async addApp(id, zip, opts = {}) {
      const app = await appVersionOf(id, zip, opts.overrides);
      apps.byId.set(id, { app, zip, delayMs: opts.delayMs, visibleTo: opts.visibleTo });
      return app;
    },
    async untilStatus(id, want, timeoutMs = 20_000) {
      await waitFor(`${id} to be ${want.join('|')}`, () => client.rpc(SchedulerContracts.get, { id }, admin), (i) => want.includes(i.status), timeoutMs);
      return routed(id);
    },
    routed,
    async close() {
      for (const r of replicas.splice(0)) await r.close().catch(() => undefined);
      for (const c of children.splice(0)) await c.stop().catch(() => undefined);
      killLaunchersUnder(dataDir);
      await repo.close().catch(() => undefined);
      await new Promise((r) => bundles.server.close(r));
      bundles.server.closeAllConnections();
      await nats.stop();
      await cluster?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

// ----------------------------------------------------------------------------- process inspection

/** Pids of processes whose environment says they belong to instance `id` (launcher; the app has WHARF_INSTANCE_ID too). */
/**
 * Live processes of an instance: by WHARF_INSTANCE_ID in their environment (cold-started launchers),
 * or by a working folder inside the instance's (standby launchers and interpreters got their
 * environment after exec, which /proc does not show; they work in `work/` and `work/app/`).
 */
export function instancePids(id: string): number[] {
  const out: number[] = [];
  const inside = new RegExp(`/instances/${id}(/|$)`);
  for (const e of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    try {
      const environ = readFileSync(`/proc/${e}/environ`, 'utf8').split('\0');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${e}/cwd`);
      } catch {
        /* not ours to read */
      }
      if (!environ.includes(`WHARF_INSTANCE_ID=${id}`) && !inside.test(cwd)) continue;
      const st = procStat(e);
      if (!st || st.state === 'Z') continue;
      out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The launcher of an instance: its process among the instance's (apps are Python). */
export function launcherOf(id: string): number[] {
  return instancePids(id).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('launcher/dist/main.js');
    } catch {
      return false;
    }
  });
}

export function killLaunchersUnder(dataDir: string): void {
  for (const pid of launcherPids(dataDir)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

/** A minimal websocket client: handshake, one masked text frame out, one frame back. */
export function websocketEcho(address: string, path: string, text: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), host!, () => {
      s.write(
        `GET ${path} HTTP/1.1\r\nHost: ${address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let buf = Buffer.alloc(0);
    let upgraded = false;
    s.setTimeout(5000, () => (s.destroy(), reject(new Error('websocket timeout'))));
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!/^HTTP\/1\.1 101/.test(head)) return reject(new Error(`no upgrade: ${head}`));
        if (!head.includes('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')) return reject(new Error(`bad accept: ${head}`));
        upgraded = true;
        buf = buf.subarray(end + 4);
        const payload = Buffer.from(text);
        const mask = Buffer.from([1, 2, 3, 4]);
        const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
        s.write(frame);
      }
      if (upgraded && buf.length >= 2) {
        const len = buf[1]! & 0x7f;
        if (buf.length < 2 + len) return;
        resolve(buf.subarray(2, 2 + len).toString());
        s.destroy();
      }
    });
  });
}
