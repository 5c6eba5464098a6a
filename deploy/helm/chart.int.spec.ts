import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { kubeBinaries, startFakeKubeApiServer, type KubeBinaries } from '@wharf/testing';

/**
 * The Helm chart (deploy/helm/wharf): lint, render, validate every object against the Kubernetes
 * OpenAPI schema (kubernetes-models), check what the chart must agree with elsewhere in the repo
 * (images.json, the scheduler's Role rules, the services' config schemas), install, upgrade and
 * uninstall against the fake API server, the README's values table being current, and
 * values.schema.json: it describes every key of values.yaml, and the real helm refuses wrong values
 * with a message naming the key.
 */
const ROOT = resolve(__dirname, '../..');
const CHART = join(ROOT, 'deploy/helm/wharf');
const PROD = join(CHART, 'ci/production-values.yaml');
const SCHEMA = join(CHART, 'values.schema.json');
const run = promisify(execFile);

// kubernetes-models is a devDependency of apps/scheduler, js-yaml one of @kubernetes/client-node
// (libs/testing): load them from there, as this folder has no package of its own.
const fromScheduler = createRequire(join(ROOT, 'apps/scheduler/package.json'));
const fromClient = createRequire(createRequire(join(ROOT, 'libs/testing/package.json')).resolve('@kubernetes/client-node'));
const yaml = fromClient('js-yaml') as { loadAll(text: string): unknown[]; load(text: string): unknown };
const fromRoot = createRequire(__filename);

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
type Images = {
  registry: string;
  tag: string;
  services: Record<string, { image: string; port: number }>;
  runtimes: Record<string, { image: string; tag: string; default: boolean }>;
};
const images = JSON.parse(readFileSync(join(ROOT, 'deploy/images.json'), 'utf8')) as Images;

/** The kinds the chart may render; anything else fails the spec. */
const KINDS = new Set([
  'v1/ConfigMap',
  'v1/Service',
  'v1/ServiceAccount',
  'apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
]);

function validate(o: KubeObject): void {
  const id = `${o.apiVersion}/${o.kind}`;
  if (!KINDS.has(id)) throw new Error(`${o.kind} ${o.metadata?.name}: unexpected kind ${id}`);
  const mod = fromScheduler(`kubernetes-models/${id}`) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = mod[o.kind];
  if (!Model) throw new Error(`kubernetes-models has no class for ${id}`);
  try {
    new Model(o).validate();
  } catch (e) {
    throw new Error(`${o.kind} ${o.metadata.name} is not valid: ${(e as Error).message}`);
  }
}

let bins: KubeBinaries;
const rendered: Record<'default' | 'production', KubeObject[]> = { default: [], production: [] };

async function template(args: string[]): Promise<KubeObject[]> {
  const { stdout } = await run(bins.helm, ['template', 'wharf', CHART, '--namespace', 'wharf', ...args], { maxBuffer: 16 << 20 });
  return yaml.loadAll(stdout).filter((d): d is KubeObject => !!d);
}
const find = <T = KubeObject>(objs: KubeObject[], kind: string, name?: string): T[] =>
  objs.filter((o) => o.kind === kind && (!name || o.metadata.name === name)) as unknown as T[];

/**
 * A service's settings as it would load them from the rendered wharf.toml (written to `file`), with
 * a well-formed value for every secretKeyRef env of every Deployment.
 */
function settingsOf(objs: KubeObject[], file: string): (path: string, fn: string) => unknown {
  const [cm] = find<{ data: Record<string, string> }>(objs, 'ConfigMap');
  writeFileSync(file, cm!.data['wharf.toml']!);
  const env: NodeJS.ProcessEnv = {};
  const deploys = find<{ spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(objs, 'Deployment');
  for (const d of deploys)
    for (const e of d.spec.template.spec.containers[0]!.env) {
      if (e.value !== undefined) continue;
      env[e.name] = e.name.endsWith('DATABASE_URL') ? 'postgresql://u:p@db:5432/wharf' : e.name.endsWith('ADMIN_TOKEN') ? 'wharf_pat_abcdefghijklmnopqrstuvwxyz' : 'a-long-enough-secret-value-0123456789';
    }
  env.WHARF_CONFIG = file;
  return (path, fn) => (fromRoot(join(ROOT, path)) as Record<string, (env: NodeJS.ProcessEnv) => unknown>)[fn]!(env);
}

beforeAll(async () => {
  bins = await kubeBinaries();
  [rendered.default, rendered.production] = await Promise.all([template([]), template(['-f', PROD])]);
}, 300_000);

describe('the Helm chart', () => {
  it.each([
    ['default values', []],
    ['ci/production-values.yaml', ['-f', PROD]],
  ])('passes helm lint --strict with %s', async (_name, args) => {
    const { stdout } = await run(bins.helm, ['lint', '--strict', CHART, ...args]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it.each(['default', 'production'] as const)('renders only known kinds, each valid against the Kubernetes schema (%s values)', (which) => {
    const objs = rendered[which];
    expect(find(objs, 'Deployment').map((d) => d.metadata.name).sort()).toEqual(['wharf-gateway', 'wharf-repository', 'wharf-router', 'wharf-scheduler']);
    for (const o of objs) validate(o);
    if (which === 'production') expect(find(objs, 'HorizontalPodAutoscaler')).toHaveLength(2);
    expect(find(objs, 'Ingress')).toHaveLength(2);
    expect(find(objs, 'PodDisruptionBudget')).toHaveLength(4);
    expect(find(objs, 'NetworkPolicy')).toHaveLength(4);
  });

  it('takes its image names, tag, ports and runtimes from deploy/images.json', () => {
    const values = yaml.load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as {
      image: { registry: string; tag: string };
      scheduler: { runtimes: { name: string; image: string; tag: string; default: boolean }[] };
    };
    const chart = yaml.load(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(values.image).toMatchObject({ registry: images.registry, tag: images.tag });
    expect(chart.appVersion).toBe(images.tag);
    expect(values.scheduler.runtimes).toEqual(Object.entries(images.runtimes).map(([name, r]) => ({ name, image: r.image, tag: r.tag, default: r.default })));
    for (const service of ['gateway', 'repository', 'scheduler', 'router']) {
      const [deploy] = find<{ spec: { template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } } } }>(rendered.default, 'Deployment', `wharf-${service}`);
      const [container] = deploy!.spec.template.spec.containers;
      expect(container!.image).toBe(`${images.registry}/${images.services[service]!.image}:${images.tag}`);
      expect(container!.ports[0]!.containerPort).toBe(images.services[service]!.port);
      const [svc] = find<{ spec: { ports: { port: number }[] } }>(rendered.default, 'Service', `wharf-${service}`);
      expect(svc!.spec.ports[0]!.port).toBe(images.services[service]!.port);
    }
    expect(find(rendered.default, 'Deployment').some((d) => d.metadata.name.includes('dev-idp'))).toBe(false);
  });

  it("renders the scheduler's Role from files/scheduler-role-rules.json, in the instances' namespace", () => {
    const rules = JSON.parse(readFileSync(join(CHART, 'files/scheduler-role-rules.json'), 'utf8')) as unknown;
    for (const [objs, ns] of [
      [rendered.default, 'wharf'],
      [rendered.production, 'wharf-apps'],
    ] as const) {
      const [role] = find(objs, 'Role');
      expect(role!.rules).toEqual(rules);
      expect(role!.metadata.namespace).toBe(ns);
      const [binding] = find<KubeObject & { subjects: { name: string; namespace: string }[] }>(objs, 'RoleBinding');
      expect(binding!.metadata.namespace).toBe(ns);
      expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'wharf-scheduler', namespace: 'wharf' }]);
    }
  });

  it("renders a wharf.toml every service's config schema accepts (with the secrets as env)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-chart-'));
    try {
      for (const which of ['default', 'production'] as const) {
        const load = settingsOf(rendered[which], join(dir, `${which}.toml`));
        const gateway = load('apps/gateway/src/gateway.config.ts', 'loadGatewaySettings') as { gateway: { PublicUrl: string; AppsPort: number }; platform: Record<string, unknown> };
        const repository = load('apps/repository/src/repository.config.ts', 'loadRepositorySettings') as { repository: { Store: string } };
        const scheduler = load('apps/scheduler/src/scheduler.config.ts', 'loadSchedulerSettings') as { scheduler: Record<string, unknown> };
        const router = load('apps/router/src/router.config.ts', 'loadRouterSettings') as { router: { InstanceNetworks: string[]; Host: string } };
        expect(repository.repository.Store).toBe('s3');
        expect(gateway.platform).toMatchObject({ ShutdownDelaySeconds: 5, ShutdownGraceSeconds: 15, MetricsToken: 'a-long-enough-secret-value-0123456789' });
        expect(gateway.gateway.AppsPort).toBe(443);
        expect(router.router.Host).toBe('0.0.0.0');
        expect(router.router.InstanceNetworks).toEqual([which === 'default' ? '10.96.0.0/12' : '10.43.0.0/16']);
        expect(scheduler.scheduler).toMatchObject({
          Driver: 'kubernetes',
          KubeNamespace: which === 'default' ? 'wharf' : 'wharf-apps',
          internalUrl: 'http://wharf-scheduler.wharf:8083',
          repositoryUrl: 'http://wharf-repository.wharf:8082',
          KubeRouterPodLabels: { 'app.kubernetes.io/name': 'wharf', 'app.kubernetes.io/component': 'router' },
          RoutingMode: 'DOMAIN',
        });
        expect(scheduler.scheduler.RoutingModes).toBeUndefined();
        if (which === 'production') expect(scheduler.scheduler.KubePlatformNamespace).toBe('wharf');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('routing modes', () => {
    type Ingress = {
      spec: {
        tls?: { hosts: string[]; secretName: string }[];
        rules: { host: string; http: { paths: { path: string; pathType: string; backend: { service: { name: string; port: { name: string } } } }[] } }[];
      };
    };
    const ingress = (objs: KubeObject[], service: 'gateway' | 'router') => find<Ingress>(objs, 'Ingress', `wharf-${service}`)[0]!.spec;
    /** Each host of the Ingress with where it sends every path. */
    const routes = (spec: Ingress['spec']) =>
      spec.rules.map((r) => ({ host: r.host, to: r.http.paths.map((p) => `${p.path} ${p.pathType} → ${p.backend.service.name}:${p.backend.service.port.name}`) }));
    const toRouter = ['/ Prefix → wharf-router:http'];
    const BOTH = ['--set', 'scheduler.routingModes={DOMAIN,BASE_URL}'];
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'wharf-chart-routing-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    let files = 0;
    const schedulerOf = (objs: KubeObject[]) =>
      (settingsOf(objs, join(dir, `routing-${++files}.toml`))('apps/scheduler/src/scheduler.config.ts', 'loadSchedulerSettings') as { scheduler: Record<string, unknown> }).scheduler;

    it('serves only the wildcard apps host by default (DOMAIN alone)', () => {
      expect(routes(ingress(rendered.default, 'router'))).toEqual([{ host: '*.apps.example.com', to: toRouter }]);
      expect(ingress(rendered.default, 'router').tls).toBeUndefined();
      expect(routes(ingress(rendered.production, 'router'))).toEqual([{ host: '*.apps.corp.example.com', to: toRouter }]);
      expect(ingress(rendered.production, 'router').tls).toEqual([{ hosts: ['*.apps.corp.example.com'], secretName: 'wharf-apps-wildcard-tls' }]);
    });

    it('routes the bare apps host to the router too when BASE_URL is offered, on the wildcard certificate, and tells the scheduler the modes', async () => {
      const objs = await template(['-f', PROD, ...BOTH]);
      for (const o of objs) validate(o);
      const router = ingress(objs, 'router');
      expect(routes(router)).toEqual([
        { host: '*.apps.corp.example.com', to: toRouter },
        { host: 'apps.corp.example.com', to: toRouter },
      ]);
      expect(router.tls).toEqual([{ hosts: ['*.apps.corp.example.com', 'apps.corp.example.com'], secretName: 'wharf-apps-wildcard-tls' }]);
      // the gateway's host is never the apps host
      expect(ingress(objs, 'gateway')).toEqual(ingress(rendered.production, 'gateway'));
      expect(schedulerOf(objs)).toMatchObject({ RoutingMode: 'DOMAIN', RoutingModes: ['DOMAIN', 'BASE_URL'] });
    });

    it('gives the bare apps host a certificate of its own when named, as a site without a wildcard certificate needs', async () => {
      const objs = await template(['-f', PROD, '--set', 'scheduler.routingMode=BASE_URL', '--set', 'ingress.router.appsDomainTlsSecretName=wharf-apps-tls']);
      for (const o of objs) validate(o);
      expect(ingress(objs, 'router').tls).toEqual([
        { hosts: ['*.apps.corp.example.com'], secretName: 'wharf-apps-wildcard-tls' },
        { hosts: ['apps.corp.example.com'], secretName: 'wharf-apps-tls' },
      ]);
      expect(routes(ingress(objs, 'router')).map((r) => r.host)).toEqual(['*.apps.corp.example.com', 'apps.corp.example.com']);
      const scheduler = schedulerOf(objs);
      expect(scheduler.RoutingMode).toBe('BASE_URL');
      expect(scheduler.RoutingModes).toBeUndefined();
      // a second certificate for a host nobody serves: not rendered while BASE_URL is not offered
      const domainOnly = await template(['-f', PROD, '--set', 'ingress.router.appsDomainTlsSecretName=wharf-apps-tls']);
      expect(ingress(domainOnly, 'router')).toEqual(ingress(rendered.production, 'router'));
    });

    it('follows modes set under config.Scheduler, as the scheduler does', async () => {
      const objs = await template(['--set', 'config.Scheduler.RoutingModes={DOMAIN,BASE_URL}']);
      expect(routes(ingress(objs, 'router')).map((r) => r.host)).toEqual(['*.apps.example.com', 'apps.example.com']);
      expect(schedulerOf(objs)).toMatchObject({ RoutingMode: 'DOMAIN', RoutingModes: ['DOMAIN', 'BASE_URL'] });
    });

    it('refuses routingModes without routingMode, and an unknown mode, naming the values', async () => {
      const without = template(['--set', 'scheduler.routingModes={BASE_URL}']);
      await expect(without).rejects.toMatchObject({ stderr: expect.stringContaining('scheduler.routingModes (BASE_URL) must include scheduler.routingMode (DOMAIN)') });
      const unknown = template(['--set', 'scheduler.routingMode=PATH']);
      await expect(unknown).rejects.toMatchObject({ stderr: expect.stringContaining("at '/scheduler/routingMode': value must be one of 'DOMAIN', 'BASE_URL'") });
    });

    it('passes helm lint --strict with BASE_URL offered, and lists the DNS records each mode needs after installing (NOTES.txt)', async () => {
      const { stdout } = await run(bins.helm, ['lint', '--strict', CHART, '-f', PROD, ...BOTH]);
      expect(stdout).toContain('0 chart(s) failed');
      const dns = async (args: string[]) => {
        const out = (await run(bins.helm, ['install', 'wharf', CHART, '--dry-run=client', '--namespace', 'wharf', ...args], { maxBuffer: 16 << 20 })).stdout;
        return /^2\. DNS\.[^\n]*\n((?: {5}\S[^\n]*\n)+)/m.exec(out.slice(out.indexOf('\nNOTES:')))![1]!.trim().split(/\s*\n\s*/);
      };
      expect(await dns([])).toEqual(['wharf.example.com        (the gateway)', '*.apps.example.com    (a wildcard record: DOMAIN instances are <id>.apps.example.com)']);
      expect(await dns(BOTH)).toEqual([
        'wharf.example.com        (the gateway)',
        '*.apps.example.com    (a wildcard record: DOMAIN instances are <id>.apps.example.com)',
        'apps.example.com    (BASE_URL instances are apps.example.com/instance/<id>/)',
      ]);
      expect(await dns(['--set', 'scheduler.routingMode=BASE_URL'])).toEqual(['wharf.example.com        (the gateway)', 'apps.example.com    (BASE_URL instances are apps.example.com/instance/<id>/)']);
    });
  });

  describe('metrics', () => {
    type SecretRef = { name: string; key: string; optional?: boolean };
    type Deploy = {
      metadata: { name: string };
      spec: { template: { metadata: { annotations: Record<string, string> }; spec: { containers: { env: { name: string; valueFrom?: { secretKeyRef: SecretRef } }[] }[] } } };
    };
    type Monitor = KubeObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string; scheme: string; interval: string; authorization: { type: string; credentials: { name: string; key: string } } }[];
      };
    };
    const services = ['gateway', 'repository', 'scheduler', 'router'];
    const tokenRef = (d: Deploy) => d.spec.template.spec.containers[0]!.env.find((e) => e.name === 'WHARF_PLATFORM_METRICS_TOKEN')?.valueFrom?.secretKeyRef;

    it("gives every service Platform.MetricsToken from the chart's Secret, or the one secrets.metricsToken names; an absent key is no error", async () => {
      for (const [which, secret] of [
        ['default', 'wharf'],
        ['production', 'wharf-secrets'], // its secrets.existingSecret
      ] as const) {
        const deploys = find<Deploy>(rendered[which], 'Deployment');
        expect(deploys).toHaveLength(4);
        for (const d of deploys) expect({ deploy: d.metadata.name, ref: tokenRef(d) }).toEqual({ deploy: d.metadata.name, ref: { name: secret, key: 'metrics-token', optional: true } });
      }
      const other = await template(['--set', 'secrets.metricsToken.name=prometheus-scrape,secrets.metricsToken.key=token']);
      expect(find<Deploy>(other, 'Deployment').map(tokenRef)).toEqual(services.map(() => ({ name: 'prometheus-scrape', key: 'token', optional: true })));
    });

    it('annotates the pods for Prometheus only with metrics.podAnnotations, naming each service\'s port and /metrics', async () => {
      for (const d of find<Deploy>(rendered.default, 'Deployment')) expect(Object.keys(d.spec.template.metadata.annotations).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
      const objs = await template(['--set', 'metrics.podAnnotations=true']);
      for (const service of services) {
        const [d] = find<Deploy>(objs, 'Deployment', `wharf-${service}`);
        expect(d!.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(images.services[service]!.port), 'prometheus.io/path': '/metrics' });
      }
    });

    it('renders a ServiceMonitor per service only with metrics.serviceMonitor.enabled: port http, /metrics, the token from the same Secret', async () => {
      for (const which of ['default', 'production'] as const) expect(find(rendered[which], 'ServiceMonitor')).toEqual([]);
      const objs = await template(['--set', 'metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.interval=15s,metrics.serviceMonitor.labels.release=prom']);
      const monitors = find<Monitor>(objs, 'ServiceMonitor');
      expect(monitors.map((m) => m.metadata.name).sort()).toEqual(services.map((s) => `wharf-${s}`).sort());
      for (const service of services) {
        const [m] = find<Monitor>(objs, 'ServiceMonitor', `wharf-${service}`);
        const [svc] = find<{ metadata: { labels: Record<string, string> }; spec: { ports: { name: string }[] } }>(objs, 'Service', `wharf-${service}`);
        expect(m!.apiVersion).toBe('monitoring.coreos.com/v1');
        expect(m!.metadata).toMatchObject({ namespace: 'wharf', labels: { release: 'prom', 'app.kubernetes.io/component': service } });
        // it selects this service's Service, and only it, by its port's name
        expect(svc!.metadata.labels).toMatchObject(m!.spec.selector.matchLabels);
        for (const other of services.filter((s) => s !== service)) expect(find<{ metadata: { labels: Record<string, string> } }>(objs, 'Service', `wharf-${other}`)[0]!.metadata.labels).not.toMatchObject(m!.spec.selector.matchLabels);
        expect(svc!.spec.ports.map((p) => p.name)).toContain('http');
        expect(m!.spec.namespaceSelector).toEqual({ matchNames: ['wharf'] });
        expect(m!.spec.endpoints).toEqual([
          { port: 'http', path: '/metrics', scheme: 'http', interval: '15s', authorization: { type: 'Bearer', credentials: { name: 'wharf', key: 'metrics-token' } } },
        ]);
      }
      const named = await template(['--set', 'metrics.serviceMonitor.enabled=true,secrets.metricsToken.name=prometheus-scrape,secrets.metricsToken.key=token']);
      for (const m of find<Monitor>(named, 'ServiceMonitor')) expect(m.spec.endpoints[0]!.authorization.credentials).toEqual({ name: 'prometheus-scrape', key: 'token' });
      const stderr = await run(bins.helm, ['template', 'wharf', CHART, '--set', 'metrics.serviceMonitor.interval=often']).then(
        () => '',
        (e: { stderr: string }) => e.stderr,
      );
      expect(stderr).toContain("at '/metrics/serviceMonitor/interval': 'often' does not match pattern");
    });

    it("lets metrics.scrapers reach every service's HTTP port through its NetworkPolicy", async () => {
      type Policy = { metadata: { name: string }; spec: { ingress: { from: unknown[]; ports: { port: number }[] }[] } };
      const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
      const rules = (objs: KubeObject[]) => find<Policy>(objs, 'NetworkPolicy').map((p) => p.spec.ingress);
      for (const ingress of rules(rendered.default)) expect(ingress.some((r) => JSON.stringify(r.from) === JSON.stringify([peer]))).toBe(false);
      const file = join(mkdtempSync(join(tmpdir(), 'wharf-chart-scrapers-')), 'values.yaml');
      writeFileSync(file, `metrics:\n  scrapers:\n    - ${JSON.stringify(peer)}\n`);
      try {
        const objs = await template(['-f', file]);
        for (const p of find<Policy>(objs, 'NetworkPolicy')) {
          const service = p.metadata.name.replace('wharf-', '');
          expect(p.spec.ingress).toContainEqual({ from: [peer], ports: [{ port: images.services[service]!.port, protocol: 'TCP' }] });
          validate(p as unknown as KubeObject);
        }
      } finally {
        rmSync(join(file, '..'), { recursive: true, force: true });
      }
    });
  });

  it('installs, upgrades and uninstalls against an API server', async () => {
    const kube = await startFakeKubeApiServer();
    // The fake API server serves no policy/v1, autoscaling/v2 or Ingress: those kinds are left out here.
    const noUnservedKinds = ['--set', 'ingress.enabled=false,podDisruptionBudget.enabled=false'];
    const helm = (...args: string[]) => run(bins.helm, [...args, '--kubeconfig', kube.kubeconfigPath, '--namespace', kube.namespace]);
    try {
      await helm('install', 'wharf', CHART, ...noUnservedKinds);
      const names = (resource: string) => kube.list(resource, kube.namespace).map((o) => (o as KubeObject).metadata.name).sort();
      expect(names('deployments')).toEqual(['wharf-gateway', 'wharf-repository', 'wharf-router', 'wharf-scheduler']);
      expect(names('services')).toEqual(['wharf-gateway', 'wharf-repository', 'wharf-router', 'wharf-scheduler']);
      expect(names('networkpolicies')).toHaveLength(4);
      expect(names('configmaps')).toContain('wharf-config');
      expect(names('serviceaccounts')).toContain('wharf-scheduler');
      expect(names('roles')).toEqual(['wharf-scheduler']);
      expect(names('rolebindings')).toEqual(['wharf-scheduler']);

      await helm('upgrade', 'wharf', CHART, ...noUnservedKinds, '--set', 'router.replicas=3');
      const routerReplicas = () => (kube.get('deployments', kube.namespace, 'wharf-router') as unknown as { spec: { replicas: number } }).spec.replicas;
      expect(routerReplicas()).toBe(3);

      // values.schema.json holds on upgrade too: nothing is applied.
      const refusedUpgrade = helm('upgrade', 'wharf', CHART, ...noUnservedKinds, '--set-string', 'router.replicas=4');
      await expect(refusedUpgrade).rejects.toMatchObject({ stderr: expect.stringContaining("at '/router/replicas': got string, want integer") });
      expect(routerReplicas()).toBe(3);

      await helm('uninstall', 'wharf');
      for (const r of ['deployments', 'services', 'networkpolicies', 'roles', 'rolebindings'])
        expect(kube.list(r, kube.namespace).filter((o) => (o as KubeObject).metadata.labels?.['app.kubernetes.io/instance'] === 'wharf')).toEqual([]);
      expect(names('configmaps')).not.toContain('wharf-config');
    } finally {
      await kube.stop();
    }
  });

  it("has a current values table in the chart's README", async () => {
    await expect(run(process.execPath, [join(CHART, 'values-table.mjs'), '--check'])).resolves.toBeDefined();
  });

  describe('values.schema.json', () => {
    type Schema = {
      $ref?: string;
      allOf?: Schema[];
      properties?: Record<string, Schema>;
      additionalProperties?: boolean | Schema;
      items?: Schema;
      description?: string;
    };
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Schema & { $schema: string; definitions: Record<string, Schema> };
    /** A node with its $ref and allOf parts folded in (enough to walk properties and items). */
    const fold = (node: Schema): Schema => {
      const parts = [...(node.$ref ? [schema.definitions[node.$ref.replace('#/definitions/', '')]!] : []), ...(node.allOf ?? [])].map(fold);
      const out: Schema = { ...node };
      for (const part of parts) {
        if (part.properties) out.properties = { ...part.properties, ...out.properties };
        out.additionalProperties ??= part.additionalProperties;
        out.items ??= part.items;
        out.description ??= part.description;
      }
      return out;
    };

    it('is JSON Schema draft-07 and describes every key of values.yaml', () => {
      expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
      const values = yaml.load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
      const problems: string[] = [];
      const walk = (value: unknown, raw: Schema, path: string): void => {
        const node = fold(raw);
        if (Array.isArray(value)) {
          if (node.items) value.forEach((v, i) => walk(v, node.items!, `${path}[${i}]`));
          return;
        }
        if (!value || typeof value !== 'object') return;
        for (const [key, v] of Object.entries(value)) {
          const at = path ? `${path}.${key}` : key;
          const declared = node.properties?.[key];
          if (declared) {
            // Leaves and free-form maps document themselves; grouping objects may not.
            const sub = fold(declared);
            if (!sub.properties && !path.includes('[') && !sub.description) problems.push(`${at}: no description`);
            walk(v, declared, at);
          } else if (node.additionalProperties === false) {
            problems.push(`${at}: not in the schema`);
          } // else a free-form map (resources, annotations, config.<Section>, ...)
        }
      };
      walk(values, schema, '');
      expect(problems).toEqual([]);
      // Typos are refused at every level that has fixed keys.
      for (const node of [schema, ...['image', 'secrets', 'gateway', 'ingress', 'networkPolicy'].map((k) => schema.properties![k]!)]) expect(node.additionalProperties).toBe(false);
    });

    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'wharf-chart-values-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    /** `helm template` with these values; its stderr (the render must fail). */
    let files = 0;
    async function refused(values: string | string[]): Promise<string> {
      let args: string[];
      if (typeof values === 'string') {
        const file = join(dir, `values-${++files}.yaml`);
        writeFileSync(file, values);
        args = ['-f', file];
      } else args = values;
      try {
        await run(bins.helm, ['template', 'wharf', CHART, '--namespace', 'wharf', ...args], { maxBuffer: 16 << 20 });
      } catch (e) {
        return (e as { stderr: string }).stderr;
      }
      throw new Error(`helm template accepted ${typeof values === 'string' ? values : values.join(' ')}`);
    }

    it.each<[string, string | string[], string[]]>([
      ['a typo in a top-level key', ['--set', 'serviceCidr=10.43.0.0/16'], ["at '': additional properties 'serviceCidr' not allowed"]],
      ['a typo in a nested key', 'gateway:\n  oidc:\n    issuerUrl: https://keycloak.example.com/realms/wharf\n', ["at '/gateway/oidc': additional properties 'issuerUrl' not allowed"]],
      ['replicas as a string (values file)', 'router:\n  replicas: "3"\n', ["at '/router/replicas': got string, want integer"]],
      ['replicas as a string (--set-string)', ['--set-string', 'gateway.replicas=2'], ["at '/gateway/replicas': got string, want integer"]],
      ['a serviceCIDR without a prefix length', ['--set', 'serviceCIDR=10.96.0.0'], ["at '/serviceCIDR': '10.96.0.0' does not match pattern"]],
      ['a serviceCIDR with a prefix length over 32', ['--set', 'serviceCIDR=10.96.0.0/33'], ["at '/serviceCIDR': '10.96.0.0/33' does not match pattern"]],
      ['a secret reference without key', 'secrets:\n  s3SecretKey: { name: minio, key: null }\n', ["at '/secrets/s3SecretKey': missing property 'key'"]],
      ['a secret reference with an empty key', 'secrets:\n  gatewayDatabaseUrl: { name: wharf-db-app, key: "" }\n', ["at '/secrets/gatewayDatabaseUrl/key': minLength: got 0, want 1"]],
      [
        'NATS credentials with a misnamed key',
        'secrets:\n  nats:\n    router: { name: nats-users, user: router, passwordKey: router-password }\n',
        ["at '/secrets/nats/router': additional properties 'user' not allowed"],
      ],
      ['an instanceEgress outside none/internet', ['--set', 'scheduler.instanceEgress=all'], ["at '/scheduler/instanceEgress': value must be one of 'none', 'internet'"]],
      ['an unknown logLevel', ['--set', 'logLevel=info'], ["at '/logLevel': value must be one of 'error', 'warn', 'log', 'debug', 'verbose'"]],
      ['a host that is not a DNS name', ['--set', 'host=Wharf_Example'], ["at '/host': 'Wharf_Example' does not match pattern"]],
      ['imagePullSecrets as objects', 'imagePullSecrets: [{ name: ghcr-pull }]\n', ["at '/imagePullSecrets/0': got object, want string"]],
      ['a typo in a config section', ['--set', 'config.Sheduler.MaxGpus=1'], ["at '/config': additional properties 'Sheduler' not allowed"]],
      ['a null in config (TOML has none)', 'config:\n  Repository:\n    MaxVersionsPerUser: null\n', ["at '/config/Repository/MaxVersionsPerUser': got null"]],
      [
        'runtimes without a default',
        'scheduler:\n  runtimes:\n    - { name: python-3.12, image: wharf-runtime-python, tag: "3.12" }\n',
        ["at '/scheduler/runtimes': no items match contains schema"],
      ],
      ['an ipBlock without a prefix length', 'networkPolicy:\n  egress:\n    kubeApi: { to: [{ ipBlock: { cidr: 10.43.0.1 } }], ports: [443] }\n', ["at '/networkPolicy/egress/kubeApi/to/0/ipBlock/cidr': '10.43.0.1' does not match pattern"]],
      ['a topologySpread entry with its own labelSelector', 'topologySpread:\n  - { maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {} }\n', ["at '/topologySpread/0': additional properties 'labelSelector' not allowed"]],
      ['an annotation that is not a string', 'ingress:\n  annotations: { nginx.ingress.kubernetes.io/proxy-body-size: 0 }\n', ["at '/ingress/annotations/nginx.ingress.kubernetes.io~1proxy-body-size': got number, want string"]],
    ])('refuses %s, naming the key', async (_what, values, messages) => {
      const stderr = await refused(values);
      expect(stderr).toContain("values don't meet the specifications of the schema(s)");
      for (const m of messages) expect(stderr).toContain(m);
    });

    it('accepts what the templates accept: IPv6 CIDRs, percentages, free-form maps, extra config keys, globals', async () => {
      const objs = await template([
        ...['serviceCIDR=fd00:10:96::/112', 'podDisruptionBudget.maxUnavailable=50%', 'config.Router.AuthCacheMs=100', 'config.Scheduler.KubeLauncherPort=9090'],
        ...['gateway.nodeSelector.disk=ssd', 'ingress.annotations.a=b', 'commonLabels.team=data', 'global.owner=platform', 'image.tag=1'],
      ].flatMap((s) => ['--set', s]));
      const [cm] = find<{ data: Record<string, string> }>(objs, 'ConfigMap');
      expect(cm!.data['wharf.toml']).toContain('InstanceNetworks = ["fd00:10:96::/112"]');
      expect(cm!.data['wharf.toml']).toContain('AuthCacheMs = 100');
      expect(find<{ spec: { maxUnavailable: unknown } }>(objs, 'PodDisruptionBudget')[0]!.spec.maxUnavailable).toBe('50%');
    });

    it("refuses a terminationGracePeriodSeconds shorter than the services' drain", async () => {
      const stderr = await refused(['--set', 'shutdown.graceSeconds=60']);
      expect(stderr).toContain('terminationGracePeriodSeconds (30) must be at least shutdown.delaySeconds + shutdown.graceSeconds + 10 (75)');
      const objs = await template(['--set', 'shutdown.graceSeconds=60', '--set', 'terminationGracePeriodSeconds=75']);
      expect(find<{ spec: { template: { spec: { terminationGracePeriodSeconds: number } } } }>(objs, 'Deployment').map((d) => d.spec.template.spec.terminationGracePeriodSeconds)).toEqual([75, 75, 75, 75]);
      expect(find<{ data: Record<string, string> }>(objs, 'ConfigMap')[0]!.data['wharf.toml']).toContain('ShutdownGraceSeconds = 60');
    });

    it('makes helm lint fail on a wrong value', async () => {
      const lint = run(bins.helm, ['lint', '--strict', CHART, '--set', 'publicPort=0']);
      await expect(lint).rejects.toMatchObject({
        stdout: expect.stringContaining("at '/publicPort': minimum: got 0, want 1"),
        stderr: expect.stringContaining('1 chart(s) failed'),
      });
    });
  });
});
