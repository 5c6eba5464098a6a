import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { startFakeKubeApiServer, startFakeKubelet, type FakeKubeApiServer, type FakeKubelet, type KubeRequest } from '@wharf/testing';
import type { InstanceRecord } from '../../instances/instance.record';
import { KubeSecretStore, secretKeyRef } from '../../secrets/kube-secret.store';
import { instanceRecordFixture } from '../../test-support/instance-record';
import { KUBE_OBJECTS_FIXTURE } from '../../test-support/kube-objects';
import type { LaunchPlan } from '../instance-driver';
import { LABELS, MANAGED_BY } from './instance-metadata';
import { objectName } from './instance-objects';
import { KubeApi } from './kube-api';
import { KubernetesDriver } from './kubernetes.driver';

/**
 * Least privilege: the scheduler's Role lives in one file that the Helm chart renders
 * (deploy/helm/wharf/files/scheduler-role-rules.json). This spec runs every kind of work the
 * Kubernetes driver and the Kubernetes secret store do against the fake API server, whose request
 * log names the RBAC verb of each call, and holds the Role to exactly those calls: a call the Role
 * lacks fails here (it would fail with 403 on a cluster), and so does a rule nothing calls.
 */

jest.setTimeout(60_000);
beforeAll(() => Logger.overrideLogger(['error']));

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
const RULES_FILE = path.resolve(__dirname, '../../../../../deploy/helm/wharf/files/scheduler-role-rules.json');
const rules = JSON.parse(readFileSync(RULES_FILE, 'utf8')) as PolicyRule[];

const NS = 'wharf';
let kube: FakeKubeApiServer;
let kubelet: FakeKubelet;

const plan = async (r: InstanceRecord): Promise<LaunchPlan> => ({
  env: { WHARF_BUNDLE_URL: 'http://r/b', WHARF_BUNDLE_TOKEN: 'b', WHARF_STATUS_URL: `http://s/${r.id}`, WHARF_STATUS_TOKEN: `s${r.generation}`, WHARF_IDENTITY_KEY: 'k' },
  appEnv: {},
  appSecrets: [{ env: 'TOKEN', secret: 'payments', key: 'stripe', value: 'x' }],
  appFiles: [],
});

const kubeConfig = () => {
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig);
  return kc;
};

const newDriver = async () => {
  const d = new KubernetesDriver({
    api: new KubeApi(kubeConfig(), NS),
    objects: KUBE_OBJECTS_FIXTURE,
    secretKeyRef,
    maxGpus: 0,
    pageSize: 100,
    orphanGraceMs: 0,
  });
  await d.init();
  return d;
};

const allowed = (q: KubeRequest) =>
  rules.some(
    (r) =>
      r.apiGroups.includes(q.group ?? '') &&
      r.resources.includes(q.subresource ? `${q.resource}/${q.subresource}` : q.resource!) &&
      r.verbs.includes(q.verb!),
  );

beforeAll(async () => {
  kube = await startFakeKubeApiServer({ namespace: NS });
  kubelet = startFakeKubelet(kube, { startDelayMs: 10 });
});

afterAll(async () => {
  await kubelet?.stop();
  await kube?.stop();
});

describe("the scheduler's Role", () => {
  it('allows exactly the calls the Kubernetes driver and secret store make', async () => {
    const secrets = new KubeSecretStore(kubeConfig(), NS);
    await secrets.put('payments', { stripe: 'sk_1' }, { apps: ['hello'], owners: [] });
    await secrets.put('payments', { stripe: 'sk_2' });
    await secrets.list();
    await secrets.resolve([{ env: 'TOKEN', secret: 'payments', key: 'stripe' }], { app: 'hello', owner: 'x', byNameOwner: true, instanceOwner: 'runner' });

    const [a, b] = [await newDriver(), await newDriver()];
    const r = instanceRecordFixture({ id: 'rbacinst01', status: 'QUEUED', launch: { volumeMount: '/data' } });
    await a.create(r, plan);
    // two replicas racing: the loser reads the Deployment again
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).update(r.id, (cur) => ({ ...cur, warnings: [...cur.warnings, `w${i}`] }))));
    await a.stop(r.id, (cur) => ({ ...cur, status: 'SUSPENDED', address: null }));
    await a.start(r.id, (cur) => ({ ...cur, generation: cur.generation + 1, status: 'PROVISIONING' }), plan);
    const pod = await until(() => kube.list('pods', NS).find((p) => p.metadata.labels?.[LABELS.instance] === r.id && (p.status as { phase?: string }).phase === 'Running'));
    kubelet.appendLog(NS, pod.metadata.name!, 'hello');
    await until(async () => ((await a.readLogs(r.id, 5)).length ? true : undefined));
    const abort = new AbortController();
    for await (const chunk of a.followLogs(r.id, 5, abort.signal)) if (chunk) abort.abort();
    await a.terminate(r.id);

    // parts left behind by a Deployment deleted with --cascade=orphan (made directly in the store: no request)
    const orphan = 'wharf-rbacorph01';
    const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.instance]: 'rbacorph01' };
    kube.controllers.create('secrets', NS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: orphan, labels } });
    kube.controllers.create('services', NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: orphan, labels }, spec: { ports: [{ port: 8080 }] } });
    kube.controllers.create('networkpolicies', NS, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: orphan, labels }, spec: { podSelector: {} } });
    kube.controllers.create('persistentvolumeclaims', NS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: orphan, labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await until(async () => (await a.reconcile(), kube.get('secrets', NS, orphan) || kube.get('persistentvolumeclaims', NS, orphan) ? undefined : true));
    await secrets.delete('payments');
    await a.close();
    await b.close();
    expect(kube.get('deployments', NS, objectName(r.id))).toBeUndefined();

    const calls = kube.requests.filter((q) => q.verb && q.resource && q.namespace === NS);
    const denied = calls.filter((q) => !allowed(q)).map((q) => `${q.verb} ${q.group || 'core'}/${q.resource}${q.subresource ? `/${q.subresource}` : ''}`);
    expect([...new Set(denied)]).toEqual([]);
    const used = new Set(calls.map((q) => `${q.group ?? ''}|${q.subresource ? `${q.resource}/${q.subresource}` : q.resource}|${q.verb}`));
    const granted = rules.flatMap((rule) => rule.apiGroups.flatMap((g) => rule.resources.flatMap((res) => rule.verbs.map((v) => `${g}|${res}|${v}`))));
    expect(granted.filter((g) => !used.has(g))).toEqual([]);
  });
});

async function until<T>(fn: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
