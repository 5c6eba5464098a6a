import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Log, type V1Deployment, type V1NetworkPolicy, type V1PersistentVolumeClaim, type V1Pod, type V1Secret, type V1Service } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { conflict, INSTANCE_ID_PATTERN, notFound } from '@wharf/contracts';
import { currentRequestId } from '@wharf/nats';
import { isLive, type InstanceRecord } from '../../instances/instance.record';
import type { InstanceDriver, LaunchPlan, Mutator, Observation, PlanFor, RecordChange } from '../instance-driver';
import { patched } from '../launcher-outcome';
import { LABELS, MANAGED_SELECTOR, readRecord, recordAnnotations, STARTED_AT_ANNOTATION, STARTED_GENERATION_ANNOTATION } from './instance-metadata';
import { instanceObjects, objectName, ownedBy, type InstanceObjects, type InstanceObjectSettings } from './instance-objects';
import { deploymentEntry, judge, podEntry, type DeploymentEntry, type PodEntry } from './instance-state';
import { isAlreadyExists, isConflict, isNotFound, KubeApi, kubeError, statusOf } from './kube-api';
import { KubeCache, type CachePage } from './kube-cache';

export interface KubernetesDriverOptions {
  api: KubeApi;
  /** How instances look on the cluster (namespace = api.namespace). */
  objects: Omit<InstanceObjectSettings, 'namespace'>;
  /** The Kubernetes Secret and key an admin secret is read from (see secrets/kube-secret.store.ts). */
  secretKeyRef(ref: { secret: string; key: string }): { name: string; key: string };
  maxGpus: number;
  /** Objects per page when a cache (re)fills. */
  pageSize: number;
  /** An object of an instance whose Deployment is gone is deleted once it is this old (a create in flight makes the Deployment first). */
  orphanGraceMs?: number;
  /** A live record whose Deployment was never started for its generation is restarted after this long (another replica may be starting it). */
  unstartedGraceMs?: number;
}

/** A Secret, Service, NetworkPolicy or PVC of an instance, as the cache keeps it. */
interface PartEntry {
  rv: string;
  instance: string;
  createdAt: string;
}

type Part = 'secrets' | 'services' | 'networkpolicies' | 'persistentvolumeclaims';
const PARTS: Part[] = ['secrets', 'services', 'networkpolicies', 'persistentvolumeclaims'];

const message = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e));
const nowIso = () => new Date().toISOString();
const idOf = (name: string): string => name.replace(/^wharf-/, '');
const partEntry = (o: { metadata?: { resourceVersion?: string; labels?: Record<string, string>; creationTimestamp?: Date | string } }): PartEntry => ({
  rv: o.metadata?.resourceVersion ?? '',
  instance: o.metadata?.labels?.[LABELS.instance] ?? '',
  createdAt: o.metadata?.creationTimestamp instanceof Date ? o.metadata.creationTimestamp.toISOString() : String(o.metadata?.creationTimestamp ?? ''),
});

/**
 * Instances as Kubernetes objects (see instance-objects.ts for what they are, and
 * instance-metadata.ts for the labels that find them). The cluster is the only store: each
 * instance's record is an annotation on its Deployment, and a scheduler that restarts rebuilds
 * everything from a list and a watch (kube-cache.ts); reads never reach the API server.
 *
 * Every write of a record names the resourceVersion it was computed from, so with any number of
 * replicas one write wins and the others compute their mutation again from what won. A create
 * makes the Deployment first (0 replicas: nothing runs yet) so that its name decides which create
 * wins and everything else can be owned by it; a failure half-way deletes it, and with it the rest.
 *
 * Status comes from the launcher's own reports (as with every driver) and from the pods, for what
 * a launcher cannot report (instance-state.ts: unschedulable, image pull, crash loop, OOMKilled,
 * timeouts). Reconciliation looks only at instances something happened to (a watch event) and at
 * those still starting (for their timeouts): its cost follows what changed, never the instance count.
 */
export class KubernetesDriver implements InstanceDriver {
  readonly name = 'kubernetes' as const;
  readonly capabilities;
  private readonly log = new Logger('KubernetesDriver');
  private readonly api: KubeApi;
  private readonly ns: string;
  private readonly settings: InstanceObjectSettings;
  private readonly deployments: KubeCache<V1Deployment, DeploymentEntry>;
  private readonly pods: KubeCache<V1Pod, PodEntry>;
  private readonly parts: Record<Part, KubeCache<{ metadata?: { name?: string; resourceVersion?: string } }, PartEntry>>;
  private readonly podsOf = new Map<string, Set<string>>();
  /** Instances to look at in the next reconcile (something about them changed). */
  private readonly dirty = new Set<string>();
  /** Live instances not yet RUNNING: looked at every reconcile, for their timeouts. */
  private readonly starting = new Set<string>();
  /** Records whose Deployment was deleted by someone else, to report. */
  private readonly gone: InstanceRecord[] = [];
  /** Instances this replica is terminating (their deletion is not news). */
  private readonly terminating = new Set<string>();
  /** Unreadable Deployments already reported, by name → resourceVersion. */
  private readonly reported = new Map<string, string>();
  private readonly listeners: (() => void)[] = [];
  private readonly follows = new Set<AbortController>();
  private readonly orphanGraceMs: number;
  private readonly unstartedGraceMs: number;

  constructor(private readonly o: KubernetesDriverOptions) {
    this.api = o.api;
    this.ns = o.api.namespace;
    this.settings = { ...o.objects, namespace: this.ns };
    this.orphanGraceMs = o.orphanGraceMs ?? 60_000;
    this.unstartedGraceMs = o.unstartedGraceMs ?? 30_000;
    this.capabilities = { maxGpus: o.maxGpus, memoryWarning: null };
    const ns = this.ns;
    const selector = `${MANAGED_SELECTOR},${LABELS.instance}`;
    const cache = <O extends { metadata?: { name?: string; resourceVersion?: string } }, E extends { rv: string }>(
      resource: string,
      path: string,
      entry: (o: O) => E,
      changed: (name: string, now: E | null, before: E | null) => void,
    ) =>
      new KubeCache<O, E>({
        api: this.api,
        labelSelector: selector,
        pageSize: o.pageSize,
        resource,
        path,
        list: (limit, cont) => this.api.listJson<CachePage<O>>(path, { labelSelector: selector, limit, continue: cont }),
        entry,
        changed,
      });
    this.deployments = cache('deployments', `/apis/apps/v1/namespaces/${ns}/deployments`, deploymentEntry, (n, now, before) => this.deploymentChanged(n, now, before));
    this.pods = cache('pods', `/api/v1/namespaces/${ns}/pods`, podEntry, (n, now, before) => this.podChanged(n, now, before));
    const part = (resource: Part, path: string) => cache(resource, path, partEntry, (_n, now, before: PartEntry | null) => this.mark((now ?? before)!.instance));
    this.parts = {
      secrets: part('secrets', `/api/v1/namespaces/${ns}/secrets`),
      services: part('services', `/api/v1/namespaces/${ns}/services`),
      networkpolicies: part('networkpolicies', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`),
      persistentvolumeclaims: part('persistentvolumeclaims', `/api/v1/namespaces/${ns}/persistentvolumeclaims`),
    };
  }

  // ---------------------------------------------------------------- cache

  private get caches(): KubeCache<never, { rv: string }>[] {
    return [this.deployments, this.pods, ...Object.values(this.parts)] as unknown as KubeCache<never, { rv: string }>[];
  }

  async init(): Promise<void> {
    try {
      await Promise.all(this.caches.map((c) => c.start()));
    } catch (e) {
      this.close();
      throw kubeError(e, `listing Wharf's objects in namespace ${this.ns}`, this.api);
    }
    this.log.log(`watching ${this.deployments.size} instance(s) in namespace ${this.ns} at ${this.api.server}`);
  }

  close(): Promise<void> {
    for (const c of this.caches) c.close();
    for (const f of this.follows) f.abort();
    return Promise.resolve();
  }

  /** Ready when every watch is working (a cache whose watch fails keeps serving what it had, but the replica is not ready). */
  async ping(): Promise<boolean> {
    return this.caches.every((c) => c.lastError === null && c.lastContact > 0);
  }

  subscribe(onChange: () => void): void {
    this.listeners.push(onChange);
  }

  private mark(id: string): void {
    if (!id) return;
    this.dirty.add(id);
    for (const l of this.listeners) l();
  }

  private deploymentChanged(name: string, now: DeploymentEntry | null, before: DeploymentEntry | null): void {
    const id = idOf(name);
    if (!now && before?.reading.ok && before.reading.record.status !== 'TERMINATED' && !this.terminating.has(id)) {
      // Deleted by someone else (`kubectl delete deploy`): the instance is gone; say so.
      this.gone.push(before.reading.record);
    }
    if (!now) this.starting.delete(id);
    this.mark(id);
  }

  private podChanged(name: string, now: PodEntry | null, before: PodEntry | null): void {
    const id = (now ?? before)!.instance;
    if (now) {
      const set = this.podsOf.get(id) ?? new Set<string>();
      set.add(name);
      this.podsOf.set(id, set);
    } else {
      this.podsOf.get(id)?.delete(name);
      if (this.podsOf.get(id)?.size === 0) this.podsOf.delete(id);
    }
    this.mark(id);
  }

  private entry(id: string): DeploymentEntry | undefined {
    return INSTANCE_ID_PATTERN.test(id) ? this.deployments.get(objectName(id)) : undefined;
  }

  private podsFor(id: string): PodEntry[] {
    return [...(this.podsOf.get(id) ?? [])].flatMap((n) => this.pods.get(n) ?? []);
  }

  /** The pod to read logs from: the newest that is not being deleted. */
  private currentPod(id: string): PodEntry | undefined {
    return this.podsFor(id)
      .filter((p) => !p.deleting)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  }

  // ---------------------------------------------------------------- reads

  async get(id: string): Promise<InstanceRecord | null> {
    await this.deployments.ready;
    const e = this.entry(id);
    return e?.reading.ok && !e.deleting ? e.reading.record : null;
  }

  async list(): Promise<InstanceRecord[]> {
    await this.deployments.ready;
    const out: InstanceRecord[] = [];
    for (const e of this.deployments.values()) if (e.reading.ok && !e.deleting) out.push(e.reading.record);
    return out;
  }

  // ---------------------------------------------------------------- writes

  private objectsFor(record: InstanceRecord, plan: LaunchPlan, running: boolean): InstanceObjects {
    return instanceObjects(
      {
        record,
        credentials: plan.env,
        appEnv: plan.appEnv,
        secretRefs: plan.appSecrets.map((s) => {
          const ref = this.o.secretKeyRef(s);
          return { env: s.env, secret: ref.name, key: ref.key };
        }),
        files: plan.appFiles.map((f) => {
          if (!f.secret) return { path: f.path, value: f.value };
          const ref = this.o.secretKeyRef({ secret: f.secret.name, key: f.secret.key });
          return { path: f.path, secret: ref.name, key: ref.key };
        }),
        running,
        // a start's pod template changes anyway (its generation): the id costs no extra rollout
        requestId: running ? currentRequestId() : undefined,
      },
      this.settings,
    );
  }

  /** GETs the Deployment from the API server (after a lost race) and takes it into the cache. */
  private async fresh(id: string): Promise<DeploymentEntry | undefined> {
    try {
      const d = await this.api.apps.readNamespacedDeployment({ name: objectName(id), namespace: this.ns });
      this.deployments.observe(d);
      return deploymentEntry(d);
    } catch (e) {
      if (isNotFound(e)) {
        this.deployments.forget(objectName(id));
        return undefined;
      }
      throw kubeError(e, `reading the Deployment ${objectName(id)}`, this.api);
    }
  }

  /**
   * One write of an instance's Deployment, computed from its current record and resourceVersion
   * (`step` answers null for "nothing to do"); on a 409 Conflict (another replica wrote first) it
   * reads the Deployment again and computes the write again. Null when the instance is gone.
   */
  private async write<T>(
    id: string,
    what: string,
    step: (e: DeploymentEntry, r: InstanceRecord) => Promise<{ send: () => Promise<V1Deployment>; done: (d: V1Deployment) => T } | { result: T } | null>,
  ): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const e = attempt === 0 ? (this.entry(id) ?? (await this.fresh(id))) : await this.fresh(id);
      if (!e || e.deleting || !e.reading.ok) return null;
      const s = await step(e, e.reading.record);
      if (!s) return null;
      if ('result' in s) return s.result;
      try {
        const d = await s.send();
        this.deployments.observe(d);
        return s.done(d);
      } catch (err) {
        // Lost a race (another replica, or the controller writing status): compute again, after a short random pause.
        if (isConflict(err) && attempt < 30) {
          await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
          continue;
        }
        if (isNotFound(err)) return null;
        throw kubeError(err, `${what} ${objectName(id)}`, this.api);
      }
    }
  }

  private patchDeployment(id: string, rv: string, patch: { annotations?: Record<string, string>; replicas?: number }): Promise<V1Deployment> {
    return this.api.apps.patchNamespacedDeployment(
      {
        name: objectName(id),
        namespace: this.ns,
        body: { metadata: { resourceVersion: rv, ...(patch.annotations ? { annotations: patch.annotations } : {}) }, ...(patch.replicas !== undefined ? { spec: { replicas: patch.replicas } } : {}) },
      },
      KubeApi.mergePatch,
    );
  }

  async update(id: string, mutate: Mutator): Promise<RecordChange | null> {
    return this.write<RecordChange>(id, 'updating the record on', async (e, before) => {
      const after = mutate(before);
      if (!after) return { result: { before, after: before } };
      return { send: () => this.patchDeployment(id, e.rv, { annotations: recordAnnotations(after) }), done: () => ({ before, after }) };
    });
  }

  async stop(id: string, mutate: Mutator): Promise<RecordChange> {
    const change = await this.write<RecordChange>(id, 'scaling to 0', async (e, before) => {
      const after = mutate(before);
      if (!after) return e.replicas === 0 ? { result: { before, after: before } } : { send: () => this.patchDeployment(id, e.rv, { replicas: 0 }), done: () => ({ before, after: before }) };
      return { send: () => this.patchDeployment(id, e.rv, { annotations: recordAnnotations(after), replicas: 0 }), done: () => ({ before, after }) };
    });
    if (!change) throw notFound(`instance ${id} not found`);
    return change;
  }

  async create(record: InstanceRecord, planFor: PlanFor): Promise<InstanceRecord> {
    const id = record.id;
    const name = objectName(id);
    const plan = await planFor(record);
    const objects = this.objectsFor(record, plan, false);
    let dep: V1Deployment;
    try {
      dep = await this.api.apps.createNamespacedDeployment({ namespace: this.ns, body: objects.deployment });
    } catch (e) {
      if (isAlreadyExists(e)) throw conflict(`instance id ${id} is taken`);
      // A timeout may hide a create that happened: it is ours when it holds this very record.
      const there = statusOf(e) === 0 || statusOf(e) >= 500 ? await this.api.apps.readNamespacedDeployment({ name, namespace: this.ns }).catch(() => undefined) : undefined;
      const reading = there ? readRecord(there.metadata ?? {}) : null;
      if (!there || !reading?.ok || reading.record.createdAt !== record.createdAt || reading.record.owner.sub !== record.owner.sub) {
        throw kubeError(e, `creating the Deployment ${name}`, this.api);
      }
      dep = there;
    }
    this.deployments.observe(dep);
    try {
      const change = await this.startWith(id, () => ({ ...record, status: 'PROVISIONING', statusReason: 'Creating the pod' }), async () => plan);
      if (!change) throw notFound(`instance ${id} disappeared while it was being created`);
      return change.after;
    } catch (e) {
      await this.undoCreate(id);
      throw kubeError(e, `creating the objects of instance ${id}`, this.api);
    }
  }

  /** A create that failed half-way: delete its Deployment, which takes whatever it owns with it. */
  private async undoCreate(id: string): Promise<void> {
    this.terminating.add(id);
    // Marked first, so that no replica reports (or starts) an instance that was never announced.
    await this.update(id, (r) => (r.status === 'TERMINATED' ? null : { ...r, status: 'TERMINATED', statusReason: 'terminating' })).catch(() => null);
    try {
      await this.api.apps.deleteNamespacedDeployment({ name: objectName(id), namespace: this.ns, propagationPolicy: 'Background' });
      this.deployments.forget(objectName(id));
    } catch (e) {
      if (isNotFound(e)) return;
      // Left for reconcile, which finishes a termination it finds marked.
      this.log.warn(`could not delete the Deployment of failed create ${id}: ${message(e)}`);
    } finally {
      setTimeout(() => this.terminating.delete(id), 60_000).unref();
    }
  }

  async start(id: string, mutate: Mutator, planFor: PlanFor): Promise<RecordChange> {
    const change = await this.startWith(id, mutate, planFor);
    if (!change) throw notFound(`instance ${id} not found`);
    return change;
  }

  /**
   * (Re)starts: the new record, then its Secret (this start's tokens), Service, NetworkPolicy and
   * volume claim (made when missing, repaired when changed), then the Deployment replaced as one
   * write (pod template, 1 replica, record) with the resourceVersion the record was read at.
   */
  private async startWith(id: string, mutate: Mutator, planFor: PlanFor): Promise<RecordChange | null> {
    return this.write<RecordChange>(id, 'starting', async (e, before) => {
      const next = mutate(before);
      if (!next) return { result: { before, after: before } };
      const plan = await planFor(next);
      const objects = this.objectsFor(next, plan, true);
      const owner = ownedBy({ metadata: { name: e.name, uid: e.uid } });
      const address = await this.ensureParts(objects, owner, true);
      const now = nowIso();
      const after: InstanceRecord = { ...next, address, updatedAt: now, lastActivityAt: now };
      const body: V1Deployment = {
        ...objects.deployment,
        metadata: {
          ...objects.deployment.metadata,
          resourceVersion: e.rv,
          annotations: { ...recordAnnotations(after), [STARTED_GENERATION_ANNOTATION]: String(after.generation), [STARTED_AT_ANNOTATION]: now },
        },
      };
      this.starting.add(id);
      return {
        send: () => this.api.apps.replaceNamespacedDeployment({ name: e.name, namespace: this.ns, body }),
        done: () => ({ before, after }),
      };
    });
  }

  /**
   * Creates or repairs an instance's other objects, owned by its Deployment: the NetworkPolicy
   * first (nothing of the instance may run unconfined), the Secret (replaced when `secret`: a new
   * start's tokens), the Service, the claim (never changed once made: it holds the data).
   * Answers the address the router reaches the instance at: the Service's cluster IP and port.
   */
  private async ensureParts(objects: InstanceObjects, owner: ReturnType<typeof ownedBy>, secret: boolean): Promise<string> {
    const own = <T extends { metadata?: object }>(o: T): T => withOwner(o, owner);
    const { core, networking } = this.api;
    const ns = this.ns;
    const netpol = own(objects.networkPolicy);
    await upsert<V1NetworkPolicy>(
      () => networking.createNamespacedNetworkPolicy({ namespace: ns, body: netpol }),
      (rv) => networking.replaceNamespacedNetworkPolicy({ name: netpol.metadata!.name!, namespace: ns, body: { ...netpol, metadata: { ...netpol.metadata, resourceVersion: rv } } }),
      () => networking.readNamespacedNetworkPolicy({ name: netpol.metadata!.name!, namespace: ns }),
      true,
    );
    const sec = own(objects.secret);
    await upsert<V1Secret>(
      () => core.createNamespacedSecret({ namespace: ns, body: sec }),
      (rv) => core.replaceNamespacedSecret({ name: sec.metadata!.name!, namespace: ns, body: { ...sec, metadata: { ...sec.metadata, resourceVersion: rv } } }),
      () => core.readNamespacedSecret({ name: sec.metadata!.name!, namespace: ns }),
      secret,
    );
    if (objects.pvc) {
      const pvc = own(objects.pvc);
      await upsert<V1PersistentVolumeClaim>(
        () => core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: pvc }),
        null,
        () => core.readNamespacedPersistentVolumeClaim({ name: pvc.metadata!.name!, namespace: ns }),
        false,
      );
    }
    const svc = own(objects.service);
    const service = await upsert<V1Service>(
      () => core.createNamespacedService({ namespace: ns, body: svc }),
      null,
      () => core.readNamespacedService({ name: svc.metadata!.name!, namespace: ns }),
      false,
    );
    const ip = service.spec?.clusterIP;
    const port = service.spec?.ports?.[0]?.port ?? this.settings.launcherPort;
    if (!ip || ip === 'None') throw new Error(`the Service ${svc.metadata!.name!} has no cluster IP`);
    return `${ip}:${port}`;
  }

  async terminate(id: string): Promise<InstanceRecord | null> {
    await this.deployments.ready;
    const marked = await this.update(id, (r) => (r.status === 'TERMINATED' ? null : { ...r, status: 'TERMINATED', statusReason: 'terminating', address: null }));
    if (!marked) return null;
    this.terminating.add(id);
    setTimeout(() => this.terminating.delete(id), 60_000).unref();
    await this.deleteInstance(id);
    const last = marked.before;
    return { ...last, status: 'TERMINATED', statusReason: null, address: null };
  }

  /** Deletes the Deployment; the garbage collector deletes what it owns (pods, Secret, Service, NetworkPolicy, claim). */
  private async deleteInstance(id: string): Promise<void> {
    try {
      await this.api.apps.deleteNamespacedDeployment({ name: objectName(id), namespace: this.ns, propagationPolicy: 'Background' });
    } catch (e) {
      if (!isNotFound(e)) throw kubeError(e, `deleting the Deployment ${objectName(id)}`, this.api);
    }
    this.deployments.forget(objectName(id));
  }

  // ---------------------------------------------------------------- reconcile

  async reconcile(): Promise<Observation[]> {
    await this.deployments.ready;
    const out: Observation[] = [];
    for (const r of this.gone.splice(0)) out.push({ kind: 'terminated', record: r });
    const ids = new Set([...this.dirty, ...this.starting]);
    this.dirty.clear();
    for (const id of ids) {
      try {
        const o = await this.observe(id);
        if (o) out.push(o);
      } catch (e) {
        this.log.warn(`reconcile ${id}: ${message(e)}`);
        this.dirty.add(id); // try again next time
      }
    }
    return out;
  }

  /** Looks at one instance: its record, Deployment, pods and parts; fixes what is off, says what changed. */
  private async observe(id: string): Promise<Observation | null> {
    const e = this.entry(id);
    if (!e) {
      this.starting.delete(id);
      await this.removeOrphans(id);
      return null;
    }
    if (!e.reading.ok) {
      if (this.reported.get(e.name) !== e.rv) {
        this.reported.set(e.name, e.rv);
        this.log.warn(`the Deployment ${e.name} is labelled as Wharf's but ${e.reading.reason}; it is left alone: repair its annotations or delete it (kubectl delete deploy ${e.name})`);
      }
      return null;
    }
    const r = e.reading.record;
    if (e.deleting) return null;
    if (r.status === 'TERMINATED') {
      // An interrupted termination: finish it.
      this.terminating.add(id);
      await this.deleteInstance(id);
      return { kind: 'terminated', record: r };
    }
    if (isLive(r.status) && r.status !== 'RUNNING') this.starting.add(id);
    else this.starting.delete(id);
    if (isLive(r.status) && e.startedGeneration === r.generation) {
      const missing = await this.repairParts(e, r);
      if (missing) return { kind: 'unstarted', record: r };
    }
    const verdict = judge({
      record: r,
      deployment: e,
      pods: this.podsFor(id),
      now: Date.now(),
      startTimeoutSeconds: this.settings.startTimeoutSeconds,
      unstartedGraceMs: this.unstartedGraceMs,
    });
    switch (verdict.kind) {
      case 'none':
        return null;
      case 'unstarted':
        return { kind: 'unstarted', record: r };
      case 'scale-down':
        await this.write<null>(id, 'scaling to 0', async (cur, rec) =>
          isLive(rec.status) || cur.replicas === 0 ? null : { send: () => this.patchDeployment(id, cur.rv, { replicas: 0 }), done: () => null },
        );
        return null;
      case 'change': {
        let patch = verdict.patch;
        if (verdict.logsOf) {
          const lines = await this.podLog(verdict.logsOf, 20, true).catch(() => [] as string[]);
          if (lines.length) patch = { ...patch, statusReason: [patch.statusReason, '--- last log lines ---', ...lines].join('\n').slice(0, 15_000) };
        }
        const change = await this.write<RecordChange>(id, 'recording the status of', async (cur, rec) => {
          if (rec.generation !== r.generation || !isLive(rec.status)) return null;
          const after = patched(rec, patch);
          return {
            send: () => this.patchDeployment(id, cur.rv, { annotations: recordAnnotations(after), ...(verdict.stop ? { replicas: 0 } : {}) }),
            done: () => ({ before: rec, after }),
          };
        });
        return change ? { kind: 'changed', ...change } : null;
      }
    }
  }

  /**
   * A started, live instance must have its parts: a missing NetworkPolicy or Service (deleted by
   * hand) is made again at once. A missing Secret or claim cannot be (the tokens are this start's;
   * the data is gone): answers true, and the instance is started again (a new generation).
   */
  private async repairParts(e: DeploymentEntry, r: InstanceRecord): Promise<boolean> {
    if (!this.caches.every((c) => c.lastError === null)) return false;
    const name = e.name;
    const calls = this.partCalls(name);
    // Not in the cache is not yet gone: a watch may be a moment behind this replica's own writes
    // or another replica's. Gone is what the API server answers 404 for.
    const missing = new Set<Part>();
    for (const p of PARTS) {
      if (this.parts[p].get(name) !== undefined || (p === 'persistentvolumeclaims' && r.launch.volumeMount === null)) continue;
      try {
        await calls[p].read();
      } catch (x) {
        if (!isNotFound(x)) throw x;
        missing.add(p);
      }
    }
    const has = (p: Part) => !missing.has(p);
    if (!has('secrets') || !has('persistentvolumeclaims')) {
      this.log.warn(`instance ${r.id}: its ${has('secrets') ? 'volume claim' : 'Secret'} was deleted; starting it again`);
      return true;
    }
    if (has('networkpolicies') && has('services')) return false;
    const objects = instanceObjects({ record: r, credentials: { WHARF_BUNDLE_URL: '', WHARF_BUNDLE_TOKEN: '', WHARF_STATUS_URL: '', WHARF_STATUS_TOKEN: '', WHARF_IDENTITY_KEY: '' }, appEnv: {}, secretRefs: [], files: [], running: true }, this.settings);
    const owner = ownedBy({ metadata: { name, uid: e.uid } });
    const own = <T extends { metadata?: object }>(o: T): T => withOwner(o, owner);
    if (!has('networkpolicies')) {
      this.log.warn(`instance ${r.id}: its NetworkPolicy was deleted; making it again`);
      await this.api.networking.createNamespacedNetworkPolicy({ namespace: this.ns, body: own(objects.networkPolicy) }).catch((x: unknown) => {
        if (!isAlreadyExists(x)) throw x;
      });
    }
    if (!has('services')) {
      this.log.warn(`instance ${r.id}: its Service was deleted; making it again`);
      const svc = await this.api.core.createNamespacedService({ namespace: this.ns, body: own(objects.service) }).catch((x: unknown) => {
        if (!isAlreadyExists(x)) throw x;
        return null;
      });
      const ip = svc?.spec?.clusterIP;
      if (ip) await this.update(r.id, (cur) => (isLive(cur.status) ? { ...cur, address: `${ip}:${svc.spec?.ports?.[0]?.port ?? this.settings.launcherPort}` } : null));
    }
    return false;
  }

  /** Reading and deleting the part `name` of each kind. */
  private partCalls(name: string): Record<Part, { read: () => Promise<unknown>; remove: () => Promise<unknown> }> {
    const { core, networking } = this.api;
    const q = { name, namespace: this.ns };
    return {
      secrets: { read: () => core.readNamespacedSecret(q), remove: () => core.deleteNamespacedSecret(q) },
      services: { read: () => core.readNamespacedService(q), remove: () => core.deleteNamespacedService(q) },
      networkpolicies: { read: () => networking.readNamespacedNetworkPolicy(q), remove: () => networking.deleteNamespacedNetworkPolicy(q) },
      persistentvolumeclaims: { read: () => core.readNamespacedPersistentVolumeClaim(q), remove: () => core.deleteNamespacedPersistentVolumeClaim(q) },
    };
  }

  /** Objects of an instance whose Deployment is gone (deleted with `--cascade=orphan`, or a create that died): deleted once clearly abandoned. */
  private async removeOrphans(id: string): Promise<void> {
    const name = objectName(id);
    for (const p of PARTS) {
      const part = this.parts[p].get(name);
      if (!part) continue;
      const age = Date.now() - Date.parse(part.createdAt);
      if (age < this.orphanGraceMs) {
        setTimeout(() => this.mark(id), this.orphanGraceMs - age + 100).unref();
        continue;
      }
      this.log.warn(`removing the ${p} object ${name}: it is labelled as instance ${id}'s, whose Deployment is gone`);
      await this.partCalls(name)[p].remove().catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }

  // ---------------------------------------------------------------- logs

  /** The last `tail` lines of one pod's launcher container (`previous`: of the run before its last restart). */
  private async podLog(pod: string, tail: number, previous: boolean): Promise<string[]> {
    const text = await this.api.core.readNamespacedPodLog({ name: pod, namespace: this.ns, container: 'launcher', tailLines: tail, previous });
    const lines = String(text ?? '').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  async readLogs(id: string, tail: number): Promise<string[]> {
    await this.deployments.ready;
    if (!this.entry(id)) throw notFound(`instance ${id} not found`);
    const pod = this.currentPod(id);
    if (!pod) return [];
    const c = pod.container;
    const read = (previous: boolean) =>
      this.podLog(pod.name, tail, previous).catch((e: unknown) => {
        // A container that has not started (or has no earlier run) has no log yet.
        if (statusOf(e) === 400 || isNotFound(e)) return [] as string[];
        throw kubeError(e, `reading the log of pod ${pod.name}`, this.api);
      });
    const current = c && !c.waiting ? await read(false) : [];
    if (!c?.lastTerminated || current.length >= tail) return current.slice(-tail);
    // After a restart, the run before it says why (the kubelet keeps one earlier run).
    const earlier = await read(true);
    const note = `--- the container restarted (exit code ${c.lastTerminated.exitCode}${c.lastTerminated.reason ? `, ${c.lastTerminated.reason}` : ''}); its current run: ---`;
    return [...earlier, note, ...current].slice(-tail);
  }

  followLogs(id: string, tail: number, signal: AbortSignal): AsyncIterable<string> {
    return this.follow(id, tail, signal);
  }

  /**
   * Follows the instance's log through the pod log API, across container restarts and new pods
   * (a resume, an upgrade), until `signal` aborts or the instance is gone.
   */
  private async *follow(id: string, tail: number, signal: AbortSignal): AsyncGenerator<string> {
    await this.deployments.ready;
    if (!this.entry(id)) throw notFound(`instance ${id} not found`);
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort);
    this.follows.add(abort);
    const logApi = new Log(this.api.kc);
    let followed = '';
    let first = true;
    try {
      while (!abort.signal.aborted && this.entry(id)) {
        const pod = this.currentPod(id);
        const key = pod?.container ? `${pod.name}/${pod.container.restartCount}` : '';
        if (!pod || !pod.container || pod.container.waiting || key === followed) {
          await sleep(300, undefined, { signal: abort.signal }).catch(() => undefined);
          continue;
        }
        followed = key;
        const stream = new PassThrough();
        let req: AbortController | null = null;
        try {
          req = await logApi.log(this.ns, pod.name, 'launcher', stream, { follow: true, ...(first ? { tailLines: tail } : {}) });
        } catch {
          followed = '';
          await sleep(300, undefined, { signal: abort.signal }).catch(() => undefined);
          continue;
        }
        first = false;
        // Aborting the request does not end the stream it writes to: end it too.
        const stop = () => {
          req?.abort();
          stream.end();
        };
        abort.signal.addEventListener('abort', stop);
        let partial = '';
        try {
          for await (const chunk of stream) {
            const lines = (partial + (chunk as Buffer).toString('utf8')).split('\n');
            partial = lines.pop() ?? '';
            if (lines.length) yield `${lines.join('\n')}\n`;
          }
        } catch {
          // the stream was cut (pod gone, abort): look for the next run
        } finally {
          abort.signal.removeEventListener('abort', stop);
          stop();
        }
        if (partial) yield `${partial}\n`;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.follows.delete(abort);
    }
  }
}

/** `o` owned by its instance's Deployment (`owner` from ownedBy). */
function withOwner<T extends { metadata?: object }>(o: T, owner: ReturnType<typeof ownedBy>): T {
  return { ...o, metadata: { ...o.metadata, ownerReferences: owner } };
}

/**
 * Creates an object; when it exists, replaces it (`replace` with the live resourceVersion, when
 * `replaceExisting` and a replace is possible) or keeps it. Answers the object as stored.
 */
async function upsert<T extends { metadata?: { resourceVersion?: string } }>(
  create: () => Promise<T>,
  replace: ((rv: string) => Promise<T>) | null,
  read: () => Promise<T>,
  replaceExisting: boolean,
): Promise<T> {
  try {
    return await create();
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  for (let i = 0; ; i++) {
    const live = await read();
    if (!replaceExisting || !replace) return live;
    try {
      return await replace(live.metadata?.resourceVersion ?? '');
    } catch (e) {
      if (!isConflict(e) || i >= 5) throw e;
    }
  }
}
