import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { kubeBinaries, startFakeKubeApiServer, type FakeKubeApiServer, type KubeBinaries } from '@wharf/testing';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
// The launcher reads the pod's environment: the spec checks it reads what these objects give it.
import { parseLauncherEnv } from '../../../../launcher/src/launcher.env';
import { instanceRecordFixture } from '../../test-support/instance-record';
import { instanceObjects, ownedBy, type InstanceObjectSettings } from './instance-objects';

jest.setTimeout(120_000);

const SETTINGS: InstanceObjectSettings = {
  namespace: 'wharf',
  launcherCommand: ['node', '/opt/wharf/launcher/main.js'],
  launcherPort: 8080,
  serviceType: 'ClusterIP',
  storageClass: 'fast',
  defaultVolumeSize: '1Gi',
  gpuTypes: [
    { name: 't4', resource: 'nvidia.com/gpu', nodeSelector: { 'wharf.dev/gpu': 't4' }, tolerations: [] },
    { name: 'a100', resource: 'nvidia.com/gpu', nodeSelector: { 'wharf.dev/gpu': 'a100' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] },
  ],
  cpuRequest: '100m',
  cpuLimit: '2',
  runAsUser: 10001,
  platform: {
    namespace: 'wharf-system',
    router: { 'app.kubernetes.io/name': 'wharf-router' },
    repository: { 'app.kubernetes.io/name': 'wharf-repository' },
    scheduler: { 'app.kubernetes.io/name': 'wharf-scheduler' },
  },
  repositoryPort: 8082,
  schedulerPort: 8083,
  egress: 'internet',
  imagePullSecrets: { 'ghcr.io': 'ghcr-pull', 'ghcr.io/acme': 'acme-pull' },
  stopGraceSeconds: 10,
  startTimeoutSeconds: 300,
};

const record = instanceRecordFixture({
  id: 'kubeinst01',
  status: 'PROVISIONING',
  generation: 3,
  routingMode: 'BASE_URL',
  launch: {
    sha256: 'b'.repeat(64),
    image: 'ghcr.io/acme/python:3.11',
    memoryLimitBytes: 536870912,
    memoryReservationBytes: 268435456,
    gpuCount: 1,
    gpuType: 'a100',
    volumeMount: '/data',
    volumeSize: '2Gi',
  },
});

const CREDENTIALS = {
  WHARF_BUNDLE_URL: 'http://wharf-repository.wharf-system:8082/internal/bundles/av_01HZY8',
  WHARF_BUNDLE_TOKEN: 'bundle-token-value',
  WHARF_STATUS_URL: 'http://wharf-scheduler.wharf-system:8083/internal/instances/kubeinst01/status',
  WHARF_STATUS_TOKEN: 'status-token-value',
  WHARF_IDENTITY_KEY: 'identity-key-value',
};

type Json = Record<string, unknown>;

describe("an instance's Kubernetes objects, created through client-node on the fake API server", () => {
  let kube: FakeKubeApiServer;
  let bin: KubeBinaries;
  const stored = (resource: string, name = 'wharf-kubeinst01') => kube.get(resource, 'wharf', name) as unknown as Json;

  beforeAll(async () => {
    [kube, bin] = await Promise.all([startFakeKubeApiServer({ namespace: 'wharf' }), kubeBinaries()]);
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    const objects = instanceObjects(
      {
        record,
        credentials: CREDENTIALS,
        appEnv: { GREETING: 'hi' },
        secretRefs: [{ env: 'API_TOKEN', secret: 'payments', key: 'stripe' }],
        files: [
          { path: '/etc/hello/config.ini', value: '[greeting]\ntext = hi\n' },
          { path: '/srv/hello/key.pem', secret: 'payments', key: 'tls.key' },
        ],
        running: true,
      },
      SETTINGS,
    );
    // The admin-managed Secret an [[Env]] entry names (the driver keeps them as Kubernetes Secrets).
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: 'wharf', body: { metadata: { name: 'payments' }, stringData: { stripe: 'sk_live_x', 'tls.key': 'PRIVATE KEY x' } } });
    const deployment = await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: 'wharf', body: objects.deployment });
    const ownerReferences = ownedBy(deployment);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: 'wharf', body: { ...objects.secret, metadata: { ...objects.secret.metadata, ownerReferences } } });
    await core.createNamespacedService({ namespace: 'wharf', body: { ...objects.service, metadata: { ...objects.service.metadata, ownerReferences } } });
    await core.createNamespacedPersistentVolumeClaim({ namespace: 'wharf', body: { ...objects.pvc!, metadata: { ...objects.pvc!.metadata, ownerReferences } } });
    await kc
      .makeApiClient(NetworkingV1Api)
      .createNamespacedNetworkPolicy({ namespace: 'wharf', body: { ...objects.networkPolicy, metadata: { ...objects.networkPolicy.metadata, ownerReferences } } });
  });

  afterAll(async () => {
    await kube?.stop();
  });

  it('validates every object against the Kubernetes OpenAPI schema', () => {
    expect(() => new Deployment(stored('deployments') as never).validate()).not.toThrow();
    expect(() => new Secret(stored('secrets') as never).validate()).not.toThrow();
    expect(() => new Service(stored('services') as never).validate()).not.toThrow();
    expect(() => new PersistentVolumeClaim(stored('persistentvolumeclaims') as never).validate()).not.toThrow();
    expect(() => new NetworkPolicy(stored('networkpolicies') as never).validate()).not.toThrow();
    // and the schema does refuse what is wrong (the check can fail)
    const broken = { ...stored('deployments'), spec: { replicas: 'one' } };
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('runs the pod locked down: non-root, no privilege escalation, no capabilities, seccomp, no token, no service links', () => {
    const pod = (stored('deployments') as { spec: { template: { spec: Json & { containers: Json[] } } } }).spec.template.spec;
    expect(pod).toMatchObject({
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      imagePullSecrets: [{ name: 'acme-pull' }], // the longest matching registry prefix
      // the GPU type's node and tolerations
      nodeSelector: { 'wharf.dev/gpu': 'a100' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(pod.containers[0]).toMatchObject({
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      resources: {
        requests: { cpu: '100m', memory: '268435456', 'nvidia.com/gpu': '1' },
        limits: { cpu: '2', memory: '536870912', 'nvidia.com/gpu': '1' },
      },
    });
    // Tokens live in the Secret, never in the Deployment an operator reads.
    expect(JSON.stringify(stored('deployments'))).not.toMatch(/bundle-token-value|status-token-value|identity-key-value|sk_live_x/);
  });

  it("gives the launcher, from the pod's environment, exactly its configuration; the app's secret reaches the app only", () => {
    const container = (stored('deployments') as { spec: { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[] }[] } } } })
      .spec.template.spec.containers[0]!;
    const secretData = (name: string) => (stored('secrets', name) as { data: Record<string, string> }).data;
    // What the kubelet would resolve: literal values and secretKeyRefs.
    const env: Record<string, string> = {};
    for (const e of container.env) {
      env[e.name] = e.value ?? Buffer.from(secretData(e.valueFrom!.secretKeyRef.name)[e.valueFrom!.secretKeyRef.key]!, 'base64').toString('utf8');
    }
    const parsed = parseLauncherEnv(env);
    expect(parsed.success).toBe(true);
    expect(parsed.success && parsed.data).toMatchObject({
      PORT: 8080,
      WHARF_INSTANCE_ID: 'kubeinst01',
      WHARF_GENERATION: 3,
      WHARF_BUNDLE_TOKEN: 'bundle-token-value',
      WHARF_STATUS_TOKEN: 'status-token-value',
      WHARF_IDENTITY_KEY: 'identity-key-value',
      WHARF_LISTEN_HOST: '0.0.0.0',
      WHARF_SANDBOX: 'none',
      WHARF_VOLUME_DIR: '/data',
      // served under a path: the app is told where
      WHARF_BASE_PATH: '/instance/kubeinst01/',
      WHARF_APP_ENV: { GREETING: 'hi', API_TOKEN: 'sk_live_x' },
    });
  });

  it('mounts each [[File]] read-only at its path: one item of the start\'s Secret (0444) or of the admin\'s (0440), never copied', () => {
    type Volume = { name: string; secret?: { secretName: string; items: { key: string; path: string }[]; defaultMode: number } };
    type Mount = { name: string; mountPath: string; subPath?: string; readOnly?: boolean };
    const pod = (stored('deployments') as { spec: { template: { spec: { volumes: Volume[]; containers: { volumeMounts: Mount[] }[] } } } }).spec.template.spec;
    const mounts = pod.containers[0]!.volumeMounts.filter((m) => m.name.startsWith('file-'));
    expect(mounts).toEqual([
      { name: 'file-0', mountPath: '/etc/hello/config.ini', subPath: 'file', readOnly: true },
      { name: 'file-1', mountPath: '/srv/hello/key.pem', subPath: 'file', readOnly: true },
    ]);
    // What the kubelet would put at each path, and with which mode.
    const seen = mounts.map((m) => {
      const v = pod.volumes.find((x) => x.name === m.name)!.secret!;
      const item = v.items.find((i) => i.path === m.subPath)!;
      const data = (stored('secrets', v.secretName) as { data: Record<string, string> }).data;
      return { path: m.mountPath, content: Buffer.from(data[item.key]!, 'base64').toString('utf8'), mode: v.defaultMode.toString(8) };
    });
    expect(seen).toEqual([
      { path: '/etc/hello/config.ini', content: '[greeting]\ntext = hi\n', mode: '444' },
      { path: '/srv/hello/key.pem', content: 'PRIVATE KEY x', mode: '440' },
    ]);
    // The pod's group reads the secret one (fsGroup), and the admin's value is in no object of the instance's.
    expect((stored('deployments') as { spec: { template: { spec: { securityContext: Json } } } }).spec.template.spec.securityContext).toMatchObject({ fsGroup: 10001 });
    expect(JSON.stringify(stored('secrets'))).not.toContain(Buffer.from('PRIVATE KEY x').toString('base64'));
  });

  it('lets only the router in, and out only to DNS, the two platform ports and public addresses', () => {
    const spec = (stored('networkpolicies') as { spec: Json }).spec;
    expect(spec).toMatchObject({
      podSelector: { matchLabels: { 'wharf.dev/instance': 'kubeinst01' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'wharf-router' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'wharf-system' } } }], ports: [{ port: 8080 }] }],
    });
    const egress = spec.egress as { ports?: { port: number }[]; to: Json[] }[];
    expect(egress.flatMap((e) => e.ports?.map((p) => p.port) ?? [])).toEqual([53, 53, 8082, 8083]);
    expect(egress[3]!.to).toEqual([{ ipBlock: { cidr: '0.0.0.0/0', except: expect.arrayContaining(['10.0.0.0/8', '169.254.0.0/16']) } }]);
  });

  it('keeps the volume in a claim of the asked size, and deleting the Deployment with kubectl takes every object with it', async () => {
    expect(stored('persistentvolumeclaims')).toMatchObject({ spec: { resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast' } });
    await promisify(execFile)(bin.kubectl, ['--kubeconfig', kube.kubeconfigPath, 'delete', 'deploy', 'wharf-kubeinst01'], { timeout: 30_000 });
    for (const r of ['deployments', 'secrets', 'services', 'persistentvolumeclaims', 'networkpolicies']) expect(stored(r)).toBeUndefined();
    expect(stored('secrets', 'payments')).toBeDefined(); // the admin's Secret is not the instance's
  });
});
