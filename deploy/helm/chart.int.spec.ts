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
 * uninstall against the fake API server, and the README's values table being current.
 */
const ROOT = resolve(__dirname, '../..');
const CHART = join(ROOT, 'deploy/helm/wharf');
const PROD = join(CHART, 'ci/production-values.yaml');
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
        const [cm] = find<{ data: Record<string, string> }>(rendered[which], 'ConfigMap');
        const file = join(dir, `${which}.toml`);
        writeFileSync(file, cm!.data['wharf.toml']!);
        // Every secretKeyRef env of every Deployment gets a well-formed value.
        const env: NodeJS.ProcessEnv = { WHARF_CONFIG: file };
        const deploys = find<{ spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(rendered[which], 'Deployment');
        for (const d of deploys)
          for (const e of d.spec.template.spec.containers[0]!.env) {
            if (e.value !== undefined) continue;
            env[e.name] = e.name.endsWith('DATABASE_URL') ? 'postgresql://u:p@db:5432/wharf' : e.name.endsWith('ADMIN_TOKEN') ? 'wharf_pat_abcdefghijklmnopqrstuvwxyz' : 'a-long-enough-secret-value-0123456789';
          }
        env.WHARF_CONFIG = file;
        const load = (path: string, fn: string) => (fromRoot(join(ROOT, path)) as Record<string, (env: NodeJS.ProcessEnv) => unknown>)[fn]!(env);
        const gateway = load('apps/gateway/src/gateway.config.ts', 'loadGatewaySettings') as { gateway: { PublicUrl: string; AppsPort: number } };
        const repository = load('apps/repository/src/repository.config.ts', 'loadRepositorySettings') as { repository: { Store: string } };
        const scheduler = load('apps/scheduler/src/scheduler.config.ts', 'loadSchedulerSettings') as { scheduler: Record<string, unknown> };
        const router = load('apps/router/src/router.config.ts', 'loadRouterSettings') as { router: { InstanceNetworks: string[]; Host: string } };
        expect(repository.repository.Store).toBe('s3');
        expect(gateway.gateway.AppsPort).toBe(443);
        expect(router.router.Host).toBe('0.0.0.0');
        expect(router.router.InstanceNetworks).toEqual([which === 'default' ? '10.96.0.0/12' : '10.43.0.0/16']);
        expect(scheduler.scheduler).toMatchObject({
          Driver: 'kubernetes',
          KubeNamespace: which === 'default' ? 'wharf' : 'wharf-apps',
          internalUrl: 'http://wharf-scheduler.wharf:8083',
          repositoryUrl: 'http://wharf-repository.wharf:8082',
          KubeRouterPodLabels: { 'app.kubernetes.io/name': 'wharf', 'app.kubernetes.io/component': 'router' },
        });
        if (which === 'production') expect(scheduler.scheduler.KubePlatformNamespace).toBe('wharf');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
      expect((kube.get('deployments', kube.namespace, 'wharf-router') as unknown as { spec: { replicas: number } }).spec.replicas).toBe(3);

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
});
