import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, isRec, jsonPatch, matchesLabels, mergePatch, parseLabelSelector, PatchError, rec, SelectorError, type Rec, type Requirement } from './json';
import { decodeKubeProtobuf, ProtobufError } from './protobuf';
import { age, groupVersion, qualified, RESOURCE_TYPES, scaleSelector, verbsOf, type KubeObject, type ResourceType } from './resources';

export type { KubeObject, ObjectMeta, OwnerReference, ResourceType } from './resources';

/** One request the fake answered, as RBAC would see it. */
export interface KubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The RBAC verb: get, list, watch, create, update, patch, delete, deletecollection; undefined for discovery and other non-resource URLs. */
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** The HTTP status answered. */
  status?: number;
  /** The request carried the kubeconfig's bearer token (client-node does; kubectl over plain http sends none). */
  authenticated?: boolean;
  /** The server's own time, in ms: from the request's arrival to the end of its response (a watch: its whole life; unset while it is open). */
  ms?: number;
}

export interface FakeKubeOptions {
  /** The namespace created at start and set in the kubeconfig's context (default `wharf`). */
  namespace?: string;
  /** Watch events kept for `resourceVersion` resumption (default 1000); older versions answer 410 Gone. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that ask `allowWatchBookmarks=true` (default 5000 ms; the real server: about a minute). */
  bookmarkIntervalMs?: number;
  /** The version `/version` reports (default v1.35.0). */
  gitVersion?: string;
  /**
   * Where Service cluster IPs come from (default `127.77.0.0/16`: loopback, so the fake kubelet's
   * kube-proxy can listen on them on this machine). Allocation starts at a random address of the
   * range (two fakes in two processes rarely pick the same one) and skips host parts ending in .0,
   * .1 and .255.
   */
  serviceCidr?: string;
}

/** The default `serviceCidr`: on Linux all of 127.0.0.0/8 is routed to the loopback interface. */
export const DEFAULT_SERVICE_CIDR = '127.77.0.0/16';

/** An IPv4 CIDR's addresses as numbers: `[first, last]` (network and broadcast left out). */
function parseCidr(cidr: string): [number, number] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 29) throw new Error(`fake API server: serviceCidr "${cidr}" is not an IPv4 CIDR from /8 to /29 (e.g. 127.77.0.0/16)`);
  const base = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const network = base - (base % size);
  return [network + 1, network + size - 2];
}

const ipString = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

export interface FakeKubeApiServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** A kubeconfig file for `kubectl --kubeconfig` and `KubeConfig.loadFromFile` (removed by `stop()`). */
  kubeconfigPath: string;
  /** The same kubeconfig, as YAML. */
  kubeconfig: string;
  /** The bearer token of the kubeconfig's user; a request with another one gets 401 (one with none is served: kubectl sends none over plain http). */
  token: string;
  namespace: string;
  /** Every request answered, in order. */
  requests: KubeRequest[];
  /** The stored object, or undefined (a copy). */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** All stored objects of a resource (copies), e.g. `list('deployments', 'wharf')`. */
  list(resource: string, namespace?: string): KubeObject[];
  /** Forgets the watch history: a watch from any earlier resourceVersion then answers 410 Gone (as after etcd compaction). */
  compactHistory(): void;
  /** Ends every open watch (informers reconnect), as an API server restart would. */
  closeWatches(): void;
  /** Closes the server and every open connection, removes the kubeconfig. */
  stop(): Promise<void>;
  /** Direct access to the store for in-process controllers (the fake kubelet): writes go through the same validation, events and watches as requests do. */
  controllers: FakeKubeControllerApi;
}

/** What an in-process controller can do with the fake's store. */
export interface FakeKubeControllerApi {
  /** Calls `listener` after every ADDED/MODIFIED/DELETED (synchronously: defer writes). Answers an unsubscribe function. */
  subscribe(listener: (type: 'ADDED' | 'MODIFIED' | 'DELETED', resource: string, object: KubeObject) => void): () => void;
  create(resource: string, namespace: string | undefined, body: KubeObject): KubeObject;
  /** PUT of the whole object (or of `.status` with `subresource: 'status'`); without a resourceVersion in `body` it applies to the current one. */
  update(resource: string, namespace: string | undefined, name: string, body: KubeObject, subresource?: 'status'): KubeObject;
  remove(resource: string, namespace: string | undefined, name: string): void;
  /** Serves `GET /api/v1/namespaces/<ns>/pods/<name>/log` (without a handler: 404). */
  setPodLogHandler(handler: PodLogHandler | undefined): void;
  /** Runs (and awaits) `fn` first thing in `stop()`. */
  onStop(fn: () => Promise<void>): void;
}

export type PodLogHandler = (namespace: string, pod: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse) => void;

/** A Kubernetes `Status` error a controller hook can throw (answered as the real server would). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

type Event = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; rv: number; t: ResourceType; object: KubeObject };

interface Watcher {
  t: ResourceType;
  namespace?: string;
  labels: Requirement[];
  fields: FieldReq[];
  res: ServerResponse;
  /** Events carry a one-row `Table` (kubectl get -w). */
  asTable: boolean;
  close(): void;
}

type FieldReq = { field: string; neg: boolean; value: string };

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Rec,
  ) {
    super(message);
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function nameError(t: ResourceType, name: string): string | undefined {
  if (t.plural === 'namespaces') {
    if (name.length > 63 || !DNS1123_LABEL.test(name))
      return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
  } else if (t.plural === 'services') {
    if (name.length > 63 || !DNS1035_LABEL.test(name))
      return `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`;
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
  }
  return undefined;
}

function statusBody(code: number, reason: string, message: string, details?: Rec): Rec {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** Field selectors: `metadata.name`, `metadata.namespace` and any other dotted path to a scalar (the real server allows a few per kind, e.g. `status.phase` for pods, `involvedObject.name` for events). */
function parseFieldSelector(s: string | undefined): FieldReq[] {
  if (!s) return [];
  return s.split(',').map((term) => {
    const m = /^\s*([a-zA-Z][a-zA-Z0-9.]*)\s*(==|=|!=)\s*([^,]*?)\s*$/.exec(term);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid field selector: "${term}"`);
    return { field: m[1], neg: m[2] === '!=', value: m[3] };
  });
}

function fieldValue(o: KubeObject, path: string): string {
  let cur: unknown = o;
  for (const part of path.split('.')) cur = rec(cur)[part];
  if (path === 'metadata.namespace' && cur === undefined) return '';
  return cur === undefined || cur === null ? '' : String(cur);
}

function matchesFields(reqs: FieldReq[], o: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(o, r.field) === r.value) !== r.neg);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, ko) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', ko);
  });
}

/** What a resource URL names. */
interface Target {
  t: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

/**
 * A fake Kubernetes API server speaking the real REST protocol over plain HTTP on 127.0.0.1,
 * backed by an in-memory store: enough for `@kubernetes/client-node` and the real `kubectl`
 * (discovery, CRUD with real `Status` errors, selectors, patches, watch with resourceVersion
 * resumption and 410 Gone, server-side tables, scale and status subresources, garbage
 * collection through ownerReferences). On its own, no scheduler, kubelet or controllers: a
 * Deployment makes no Pods, and its `.status` changes only through `/status`; `startFakeKubelet`
 * adds them.
 */
export async function startFakeKubeApiServer(options: FakeKubeOptions = {}): Promise<FakeKubeApiServer> {
  const namespace = options.namespace ?? 'wharf';
  const historyLimit = options.historyLimit ?? 1000;
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 5000;
  const gitVersion = options.gitVersion ?? 'v1.35.0';
  const token = randomBytes(24).toString('base64url');
  const requests: KubeRequest[] = [];
  const store = new Map<string, KubeObject>();
  let history: Event[] = [];
  /** The oldest resourceVersion a watch can resume from. */
  let compactedRv = 0;
  let rvCounter = 0;
  const [firstIp, lastIp] = parseCidr(options.serviceCidr ?? DEFAULT_SERVICE_CIDR);
  let nextIp = firstIp + Math.floor(Math.random() * (lastIp - firstIp + 1));
  const watchers = new Set<Watcher>();
  const listeners = new Set<(type: Event['type'], resource: string, object: KubeObject) => void>();
  let podLogHandler: PodLogHandler | undefined;
  const stopHooks: (() => Promise<void>)[] = [];

  const byPath = new Map<string, ResourceType>(RESOURCE_TYPES.map((t) => [`${groupVersion(t)}/${t.plural}`, t]));
  const typeByPlural = (plural: string) => RESOURCE_TYPES.find((t) => t.plural === plural || `${t.plural}.${t.group}` === plural);
  const key = (t: ResourceType, ns: string | undefined, name: string) => `${groupVersion(t)}/${t.plural}/${t.namespaced ? (ns ?? '') : ''}/${name}`;
  const nextRv = () => String(++rvCounter);

  const notFound = (t: ResourceType, name: string) => new ApiError(404, 'NotFound', `${qualified(t)} "${name}" not found`, { name, ...(t.group ? { group: t.group } : {}), kind: t.plural });

  function emit(type: Event['type'], t: ResourceType, object: KubeObject): void {
    const ev: Event = { type, rv: Number(object.metadata.resourceVersion), t, object: clone(object) };
    history.push(ev);
    if (history.length > historyLimit) {
      const dropped = history.splice(0, history.length - historyLimit);
      compactedRv = Math.max(compactedRv, dropped[dropped.length - 1].rv);
    }
    for (const w of watchers) if (watcherWants(w, ev)) sendEvent(w, type, ev.object);
    for (const l of listeners) l(type, t.plural, clone(ev.object));
  }

  function watcherWants(w: Watcher, ev: Event): boolean {
    return w.t === ev.t && (w.namespace === undefined || ev.object.metadata.namespace === w.namespace) && matchesLabels(w.labels, ev.object.metadata.labels) && matchesFields(w.fields, ev.object);
  }

  function sendEvent(w: Watcher, type: string, o: KubeObject): void {
    send(w.res, { type, object: w.asTable ? table(w.t, [o], { resourceVersion: o.metadata.resourceVersion }) : o });
  }

  function send(res: ServerResponse, ev: Rec): void {
    res.write(`${JSON.stringify(ev)}\n`);
  }

  function objectsOf(t: ResourceType, ns?: string): KubeObject[] {
    const prefix = `${groupVersion(t)}/${t.plural}/`;
    const out: KubeObject[] = [];
    for (const [k, o] of store) if (k.startsWith(prefix) && (ns === undefined || o.metadata.namespace === ns)) out.push(o);
    return out.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
  }

  function withKind(t: ResourceType, o: KubeObject): KubeObject {
    return { apiVersion: groupVersion(t), kind: t.kind, ...clone(o) };
  }

  function checkNamespace(t: ResourceType, ns: string | undefined): void {
    if (t.namespaced && ns !== undefined && !store.has(key(nsType, undefined, ns))) throw notFound(nsType, ns);
  }

  function validate(t: ResourceType, body: unknown, ns: string | undefined, urlName?: string): KubeObject {
    if (!isRec(body)) throw new ApiError(400, 'BadRequest', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
    const gv = groupVersion(t);
    if (body.apiVersion !== undefined && body.apiVersion !== gv) throw new ApiError(400, 'BadRequest', `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`);
    if (body.kind !== undefined && body.kind !== t.kind) throw new ApiError(400, 'BadRequest', `the kind in the data (${String(body.kind)}) does not match the expected kind (${t.kind})`);
    const o = clone(body) as KubeObject;
    o.metadata = rec(o.metadata);
    if (t.namespaced) {
      if (o.metadata.namespace !== undefined && o.metadata.namespace !== '' && o.metadata.namespace !== ns)
        throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
      o.metadata.namespace = ns;
    } else delete o.metadata.namespace;
    if (urlName !== undefined && o.metadata.name !== urlName) throw new ApiError(400, 'BadRequest', 'the name of the object (' + String(o.metadata.name) + ') does not match the name on the URL (' + urlName + ')');
    const invalid = (field: string, value: string, what: string, reason = 'FieldValueInvalid') => {
      const kindName = t.group ? `${t.kind}.${t.group}` : t.kind;
      const msg = reason === 'FieldValueRequired' ? `${field}: Required value: ${what}` : `${field}: Invalid value: "${value}": ${what}`;
      return new ApiError(422, 'Invalid', `${kindName} "${value}" is invalid: ${msg}`, { name: value, ...(t.group ? { group: t.group } : {}), kind: t.kind, causes: [{ reason, message: msg.slice(field.length + 2), field }] });
    };
    if (!o.metadata.name && !o.metadata.generateName) throw invalid('metadata.name', '', 'name or generateName is required', 'FieldValueRequired');
    const name = o.metadata.name ?? `${o.metadata.generateName}xxxxx`;
    const err = nameError(t, name);
    if (err) throw invalid(o.metadata.name ? 'metadata.name' : 'metadata.generateName', o.metadata.name ?? String(o.metadata.generateName), err);
    for (const [k, v] of Object.entries(rec(o.metadata.labels))) {
      try {
        parseLabelSelector(`${k}=${String(v)}`);
      } catch {
        throw invalid(`metadata.labels`, `${k}=${String(v)}`, 'invalid label key or value');
      }
    }
    return o;
  }

  function secretStringData(o: KubeObject): void {
    if (isRec(o.stringData)) {
      const data = rec(o.data);
      for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
      o.data = data;
      delete o.stringData;
    }
  }

  function create(t: ResourceType, ns: string | undefined, body: unknown, dryRun: boolean): KubeObject {
    checkNamespace(t, ns);
    const o = validate(t, body, ns);
    if (!o.metadata.name) {
      do o.metadata.name = `${o.metadata.generateName}${randomBytes(4).toString('hex').replace(/[^a-z0-9]/g, 'x').slice(0, 5)}`;
      while (store.has(key(t, ns, o.metadata.name)));
    }
    const name = o.metadata.name;
    if (store.has(key(t, ns, name))) throw new ApiError(409, 'AlreadyExists', `${qualified(t)} "${name}" already exists`, { name, ...(t.group ? { group: t.group } : {}), kind: t.plural });
    delete o.metadata.resourceVersion;
    delete o.metadata.deletionTimestamp;
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (isRec(o.spec) || t.scale) o.metadata.generation = 1;
    else delete o.metadata.generation;
    if (t.plural === 'secrets') secretStringData(o);
    t.defaults?.(o, { nextClusterIp });
    const stored = withKind(t, o);
    if (dryRun) return stored;
    stored.metadata.resourceVersion = nextRv();
    store.set(key(t, ns, name), stored);
    emit('ADDED', t, stored);
    return clone(stored);
  }

  /** The next free cluster IP of the range (a deleted Service's address is reused only after the range wraps). */
  function nextClusterIp(): string {
    const used = new Set(objectsOf(byPath.get('v1/services') as ResourceType).map((svc) => rec(svc.spec).clusterIP));
    for (let tries = lastIp - firstIp + 1; tries > 0; tries--) {
      const n = nextIp;
      nextIp = n >= lastIp ? firstIp : n + 1;
      const ip = ipString(n);
      if (n % 256 > 1 && n % 256 < 255 && !used.has(ip)) return ip;
    }
    throw new ApiError(500, 'InternalError', `Internal error occurred: failed to allocate a serviceIP: range is full`);
  }

  function current(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const o = store.get(key(t, ns, name));
    if (!o) throw notFound(t, name);
    return o;
  }

  /** Stores `next` over the current object (PUT semantics; `subresource` 'status' changes only `.status`). */
  function update(t: ResourceType, ns: string | undefined, name: string, body: unknown, subresource: string | undefined, dryRun: boolean): KubeObject {
    const old = current(t, ns, name);
    const next = validate(t, body, ns, name);
    if (next.metadata.resourceVersion && next.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
        name,
        ...(t.group ? { group: t.group } : {}),
        kind: t.plural,
      });
    let stored: KubeObject;
    if (subresource === 'status') {
      stored = { ...clone(old), status: clone(next.status) };
    } else {
      if (t.plural === 'secrets') secretStringData(next);
      stored = withKind(t, next);
      // Immutable and server-owned fields stay.
      for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'generation'] as const) {
        if (old.metadata[f] === undefined) delete stored.metadata[f];
        else (stored.metadata as Rec)[f] = old.metadata[f];
      }
      if (t.status) stored.status = clone(old.status);
      if (t.plural === 'services' && rec(stored.spec).clusterIP === undefined && rec(old.spec).clusterIP !== undefined) {
        stored.spec = { ...rec(stored.spec), clusterIP: rec(old.spec).clusterIP, clusterIPs: rec(old.spec).clusterIPs };
      }
      if (old.metadata.generation !== undefined && JSON.stringify(stored.spec) !== JSON.stringify(old.spec)) stored.metadata.generation = old.metadata.generation + 1;
    }
    stored.metadata.resourceVersion = old.metadata.resourceVersion;
    if (JSON.stringify(stored) === JSON.stringify(old) || dryRun) return clone(dryRun ? stored : old);
    stored.metadata.resourceVersion = nextRv();
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0) {
      store.delete(key(t, ns, name));
      emit('DELETED', t, stored);
      return clone(stored);
    }
    store.set(key(t, ns, name), stored);
    emit('MODIFIED', t, stored);
    return clone(stored);
  }

  function patchObject(target: unknown, contentType: string, patch: unknown): unknown {
    try {
      if (contentType === 'application/json-patch+json') return jsonPatch(target, patch);
      if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
        if (!isRec(patch)) throw new PatchError('a merge patch is a JSON object');
        return mergePatch(target, patch);
      }
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(422, 'Invalid', e.message);
      throw e;
    }
    if (contentType === 'application/apply-patch+yaml' || contentType === 'application/apply-patch+cbor')
      throw new ApiError(415, 'UnsupportedMediaType', 'the fake API server does not implement server-side apply on subresources');
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
  }

  function toScale(t: ResourceType, o: KubeObject): KubeObject {
    const m = o.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: typeof rec(o.spec).replicas === 'number' ? rec(o.spec).replicas : 0 },
      status: { replicas: typeof rec(o.status).replicas === 'number' ? rec(o.status).replicas : 0, selector: t.scale ? scaleSelector(o) : '' },
    };
  }

  function setScale(t: ResourceType, ns: string | undefined, name: string, scale: unknown, dryRun: boolean): KubeObject {
    const old = current(t, ns, name);
    const s = rec(scale);
    const meta = rec(s.metadata);
    if (meta.resourceVersion && meta.resourceVersion !== old.metadata.resourceVersion)
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: t.group, kind: t.plural });
    const replicas = rec(s.spec).replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
    const next = { ...clone(old), spec: { ...rec(old.spec), replicas } };
    return toScale(t, update(t, ns, name, next, undefined, dryRun));
  }

  /** Deletes an object and, unless orphaned, everything it owns (the garbage collector, done at once). */
  function remove(t: ResourceType, ns: string | undefined, name: string, opts: Rec, dryRun: boolean): KubeObject {
    const o = current(t, ns, name);
    const pre = rec(opts.preconditions);
    if (pre.uid && pre.uid !== o.metadata.uid)
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${o.metadata.uid}`);
    if (pre.resourceVersion && pre.resourceVersion !== o.metadata.resourceVersion)
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${name}": Precondition failed: ResourceVersion in precondition: ${String(pre.resourceVersion)}, ResourceVersion in object meta: ${o.metadata.resourceVersion}`);
    if (dryRun) return clone(o);
    const policy = typeof opts.propagationPolicy === 'string' ? opts.propagationPolicy : opts.orphanDependents === true ? 'Orphan' : 'Background';
    if (!['Background', 'Foreground', 'Orphan'].includes(policy))
      throw new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    if ((o.metadata.finalizers ?? []).length > 0) {
      if (o.metadata.deletionTimestamp) return clone(o);
      const next = clone(o);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      next.metadata.resourceVersion = nextRv();
      store.set(key(t, ns, name), next);
      emit('MODIFIED', t, next);
      return clone(next);
    }
    const uid = o.metadata.uid;
    const dependents = [...store.entries()].filter(([, d]) => (d.metadata.ownerReferences ?? []).some((r) => r.uid === uid));
    const finish = () => {
      store.delete(key(t, ns, name));
      const gone = clone(o);
      gone.metadata.resourceVersion = nextRv();
      emit('DELETED', t, gone);
      return gone;
    };
    if (policy === 'Orphan') {
      for (const [k, d] of dependents) {
        const next = clone(d);
        next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        next.metadata.resourceVersion = nextRv();
        store.set(k, next);
        emit('MODIFIED', typeOfKey(k), next);
      }
      return finish();
    }
    const collect = () => {
      for (const [k, d] of dependents) if (store.has(k)) remove(typeOfKey(k), d.metadata.namespace, d.metadata.name ?? '', { propagationPolicy: policy }, false);
    };
    if (t.plural === 'namespaces') {
      for (const [k, d] of [...store.entries()]) if (d.metadata.namespace === name && store.has(k)) remove(typeOfKey(k), name, d.metadata.name ?? '', { propagationPolicy: 'Background' }, false);
    }
    if (policy === 'Foreground') {
      collect();
      return finish();
    }
    const gone = finish();
    collect();
    return gone;
  }

  function typeOfKey(k: string): ResourceType {
    for (const t of RESOURCE_TYPES) if (k.startsWith(`${groupVersion(t)}/${t.plural}/`)) return t;
    throw new Error(`no resource type for ${k}`);
  }

  const nsType = RESOURCE_TYPES.find((t) => t.plural === 'namespaces') as ResourceType;

  function list(t: ResourceType, ns: string | undefined, q: URLSearchParams): Rec {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
    let items = objectsOf(t, ns).filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
    const rv = String(rvCounter);
    let cont: string | undefined;
    let start = 0;
    const token = q.get('continue');
    if (token) {
      const decoded = rec(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
      start = Number(decoded.start ?? 0);
    }
    const limit = Number(q.get('limit') ?? 0);
    if (limit > 0 && items.length - start > limit) cont = Buffer.from(JSON.stringify({ start: start + limit })).toString('base64url');
    items = items.slice(start, limit > 0 ? start + limit : undefined);
    return {
      kind: `${t.kind}List`,
      apiVersion: groupVersion(t),
      metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) },
      items: items.map((o) => clone(o)),
    };
  }

  function table(t: ResourceType, items: KubeObject[], listMeta: Rec): Rec {
    const now = Date.now();
    const cols: Rec[] = [{ name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 }]
      .concat(t.columns.map((c) => ({ name: c.name, type: typeof c.cell(items[0] ?? { metadata: {} }) === 'number' ? 'integer' : 'string', format: '', description: c.description, priority: 0 })))
      .concat([{ name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 }]);
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: listMeta,
      columnDefinitions: cols,
      rows: items.map((o) => ({
        cells: [o.metadata.name, ...t.columns.map((c) => c.cell(o)), age(o.metadata.creationTimestamp, now)],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: clone(o.metadata) },
      })),
    };
  }

  function wantsTable(req: IncomingMessage): boolean {
    const accept = req.headers.accept ?? '';
    return accept.split(',').some((part) => {
      const params = part.split(';').map((p) => p.trim());
      return params.includes('as=Table') && params.includes('g=meta.k8s.io') && params.includes('v=v1');
    });
  }

  function startWatch(req: IncomingMessage, res: ServerResponse, t: ResourceType, ns: string | undefined, q: URLSearchParams, name?: string): void {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
    if (name !== undefined) fields.push({ field: 'metadata.name', neg: false, value: name });
    const rvParam = q.get('resourceVersion') ?? '';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let bookmark: NodeJS.Timeout | undefined;
    let timeout: NodeJS.Timeout | undefined;
    const w: Watcher = {
      t,
      namespace: t.namespaced ? ns : undefined,
      labels,
      fields,
      res,
      asTable: wantsTable(req),
      close: () => {
        clearInterval(bookmark);
        clearTimeout(timeout);
        watchers.delete(w);
        if (!res.writableEnded) res.end();
      },
    };
    const rv = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (rv !== undefined && (!Number.isInteger(rv) || rv < 0)) {
      send(res, { type: 'ERROR', object: statusBody(400, 'BadRequest', `invalid resource version: ${rvParam}`) });
      return void res.end();
    }
    if (rv !== undefined && rv < compactedRv) {
      send(res, { type: 'ERROR', object: statusBody(410, 'Expired', `too old resource version: ${rv} (${compactedRv + 1})`) });
      return void res.end();
    }
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const bookmarkEvent = (annotations?: Record<string, string>) => ({
      type: 'BOOKMARK',
      object: { kind: t.kind, apiVersion: groupVersion(t), metadata: { resourceVersion: String(rvCounter), ...(annotations ? { annotations } : {}) } },
    });
    // Streaming lists (client-go's WatchListClient): the current state as ADDED events, then a
    // bookmark marking the end of the initial events.
    const initial = q.get('sendInitialEvents') === 'true';
    if (initial && (!bookmarks || q.get('resourceVersionMatch') !== 'NotOlderThan')) {
      send(res, { type: 'ERROR', object: statusBody(422, 'Invalid', 'sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan') });
      return void res.end();
    }
    if (rv === undefined || initial) {
      for (const o of objectsOf(t, w.namespace)) if (matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o)) sendEvent(w, 'ADDED', clone(o));
    } else {
      for (const ev of history) if (ev.rv > rv && watcherWants(w, ev)) sendEvent(w, ev.type, ev.object);
    }
    if (bookmarks) {
      send(res, bookmarkEvent(initial ? { 'k8s.io/initial-events-end': 'true' } : undefined));
      bookmark = setInterval(() => send(res, bookmarkEvent()), bookmarkIntervalMs);
    }
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0);
    if (timeoutSeconds > 0) timeout = setTimeout(w.close, timeoutSeconds * 1000);
    watchers.add(w);
    req.on('close', w.close);
    res.on('close', w.close);
  }

  function resolve(path: string): { gv: string; rest: string[] } | undefined {
    const parts = path.split('/').filter((s) => s !== '');
    if (parts[0] === 'api' && parts[1] === 'v1') return { gv: 'v1', rest: parts.slice(2) };
    if (parts[0] === 'apis' && parts.length >= 3) return { gv: `${parts[1]}/${parts[2]}`, rest: parts.slice(3) };
    return undefined;
  }

  function target(gv: string, rest: string[]): Target | undefined {
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    const typeOf = (plural: string | undefined) => (plural === undefined ? undefined : byPath.get(`${gv}/${plural}`));
    // /namespaces/<ns>/<plural>/... (a namespaced resource), unless it is /namespaces/<name>/status
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && !typeOf(rest[2]))) {
      const t = typeOf(rest[2]);
      if (!t || !t.namespaced || rest.length > 5) return undefined;
      return { t, namespace: rest[1], name: rest[3], subresource: rest[4], watchPath };
    }
    const t = typeOf(rest[0]);
    if (!t || rest.length > 3 || (t.namespaced && rest.length > 1)) return undefined;
    return { t, name: rest[1], subresource: rest[2], watchPath };
  }

  function discovery(path: string, host: string): Rec | undefined {
    if (path === '/version')
      return {
        major: '1',
        minor: gitVersion.replace(/^v1\.(\d+).*$/, '$1'),
        emulationMajor: '1',
        emulationMinor: gitVersion.replace(/^v1\.(\d+).*$/, '$1'),
        minCompatibilityMajor: '1',
        minCompatibilityMinor: String(Number(gitVersion.replace(/^v1\.(\d+).*$/, '$1')) - 1),
        gitVersion,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.25.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
    const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => t.group))].map((g) => ({
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: g,
      versions: [{ groupVersion: `${g}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' },
    }));
    if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(({ kind: _k, apiVersion: _a, ...g }) => g) };
    const group = groups.find((g) => path === `/apis/${g.name}`);
    if (group) return group;
    const gv = path === '/api/v1' ? 'v1' : path.startsWith('/apis/') ? path.slice('/apis/'.length) : undefined;
    const types = RESOURCE_TYPES.filter((t) => groupVersion(t) === gv);
    if (types.length === 0) return undefined;
    const resources: Rec[] = [];
    for (const t of types) {
      resources.push({ name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: verbsOf(t), ...(t.shortNames.length ? { shortNames: t.shortNames } : {}), ...(t.group === 'apps' ? { categories: ['all'] } : t.plural === 'pods' || t.plural === 'services' ? { categories: ['all'] } : {}) });
      if (t.scale) resources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      if (t.status) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
  }

  /**
   * OpenAPI v3: only the paths and operations (with their `fieldValidation` parameter and
   * GVK extension), no schemas. Enough for kubectl to know the server validates fields
   * (so `kubectl apply` validates server-side instead of downloading schemas); `kubectl explain`
   * finds nothing.
   */
  function openapi(path: string): Rec | undefined {
    const gvs = [...new Set(RESOURCE_TYPES.map(groupVersion))];
    const urlOf = (gv: string) => (gv === 'v1' ? 'api/v1' : `apis/${gv}`);
    if (path === '/openapi/v3') return { paths: Object.fromEntries(gvs.map((gv) => [urlOf(gv), { serverRelativeURL: `/openapi/v3/${urlOf(gv)}?hash=${gitVersion}` }])) };
    const gv = gvs.find((g) => path === `/openapi/v3/${urlOf(g)}`);
    if (!gv) return undefined;
    const paths: Rec = {};
    for (const t of RESOURCE_TYPES.filter((x) => groupVersion(x) === gv)) {
      const gvk = { group: t.group, version: t.version, kind: t.kind };
      const op = (action: string, params: string[]) => ({
        operationId: `${action}${t.kind}`,
        parameters: params.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } })),
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': action,
        'x-kubernetes-group-version-kind': gvk,
      });
      const write = ['dryRun', 'fieldManager', 'fieldValidation'];
      const base = `/${urlOf(gv)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
      paths[base] = { get: op('list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch']), post: op('post', write), delete: op('deletecollection', ['labelSelector']) };
      paths[`${base}/{name}`] = { get: op('get', []), put: op('put', write), patch: op('patch', [...write, 'force']), delete: op('delete', ['dryRun', 'propagationPolicy']) };
    }
    return { openapi: '3.0.0', info: { title: 'Kubernetes', version: gitVersion }, paths, components: { schemas: {} } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: KubeRequest): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const json = (code: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    // kubectl (client-go) sends no bearer token over plain http, so a request without one is
    // served (as anonymous would be with RBAC off); a wrong credential is refused.
    record.authenticated = req.headers.authorization === `Bearer ${token}`;
    if (req.headers.authorization !== undefined && !record.authenticated) throw new ApiError(401, 'Unauthorized', 'Unauthorized');

    if (method === 'GET' && /^\/(healthz|livez|readyz)$/.test(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('ok');
    }
    const disc = method === 'GET' ? discovery(url.pathname.replace(/\/$/, ''), req.headers.host ?? '') : undefined;
    if (disc) return json(200, disc);
    const spec = method === 'GET' ? openapi(url.pathname.replace(/\/$/, '')) : undefined;
    if (spec) return json(200, spec);
    if (method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      // `kubectl auth can-i`: everything is allowed (no RBAC enforcement).
      // kubectl sends the review as protobuf, which the fake does not decode: the answer echoes no spec.
      const body = await readBody(req);
      const review = (req.headers['content-type'] ?? '').startsWith('application/json') ? rec(JSON.parse(body.toString('utf8') || '{}')) : {};
      return json(201, { spec: {}, ...review, kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, status: { allowed: true, reason: 'the fake API server enforces no RBAC' } });
    }
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (log) {
      Object.assign(record, { verb: 'get', group: '', resource: 'pods', namespace: log[1], name: log[2], subresource: 'log' });
      if (method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      current(byPath.get('v1/pods') as ResourceType, log[1], log[2]);
      if (!podLogHandler) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource (no kubelet)');
      return podLogHandler(log[1], log[2], q, req, res);
    }
    const r = resolve(url.pathname);
    const tgt = r && target(r.gv, r.rest);
    if (!tgt) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const { t, namespace: ns, name, subresource } = tgt;
    Object.assign(record, { group: t.group, resource: t.plural, namespace: ns, name, subresource });
    if (subresource && !((subresource === 'status' && t.status) || (subresource === 'scale' && t.scale))) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const dryRun = q.get('dryRun') === 'All';
    const isWatch = tgt.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
    const verbOf = (): string => {
      if (method === 'GET') return isWatch ? 'watch' : name ? 'get' : 'list';
      if (method === 'POST') return 'create';
      if (method === 'PUT') return 'update';
      if (method === 'PATCH') return 'patch';
      if (method === 'DELETE') return name ? 'delete' : 'deletecollection';
      return method.toLowerCase();
    };
    record.verb = verbOf();
    const bodyOf = async (): Promise<unknown> => {
      const raw = await readBody(req);
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (raw.length > 0 && type === 'application/vnd.kubernetes.protobuf') {
        try {
          return decodeKubeProtobuf(raw);
        } catch (e) {
          if (e instanceof ProtobufError) throw new ApiError(415, 'UnsupportedMediaType', `${e.message} (kubectl's typed commands such as "kubectl create deployment" send protobuf: use "kubectl create -f" or "kubectl apply -f")`);
          throw e;
        }
      }
      if (raw.length > 0 && (type === 'application/cbor' || type === 'application/yaml'))
        throw new ApiError(415, 'UnsupportedMediaType', `the fake API server reads JSON (and protobuf for a few kinds) bodies only, not ${type}`);
      try {
        return JSON.parse(raw.toString('utf8') || 'null');
      } catch {
        throw new ApiError(400, 'BadRequest', `the body of the request could not be decoded as JSON`);
      }
    };
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    const answer = (code: number, o: KubeObject) => (wantsTable(req) && !subresource ? json(code, table(t, [o], { resourceVersion: o.metadata.resourceVersion })) : json(code, o));

    switch (record.verb) {
      case 'watch':
        if (ns !== undefined) checkNamespace(t, ns);
        return startWatch(req, res, t, ns, q, name);
      case 'list': {
        if (ns !== undefined) checkNamespace(t, ns);
        const l = list(t, ns, q);
        return wantsTable(req) ? json(200, table(t, l.items as KubeObject[], rec(l.metadata))) : json(200, l);
      }
      case 'get': {
        const o = current(t, ns, name ?? '');
        return subresource === 'scale' ? json(200, toScale(t, o)) : answer(200, clone(o));
      }
      case 'create':
        if (name) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
        return answer(201, create(t, ns, await bodyOf(), dryRun));
      case 'update': {
        const body = await bodyOf();
        if (subresource === 'scale') return json(200, setScale(t, ns, name ?? '', body, dryRun));
        return answer(200, update(t, ns, name ?? '', body, subresource, dryRun));
      }
      case 'patch': {
        const body = await bodyOf();
        if (contentType === 'application/apply-patch+yaml' && !subresource) {
          // Server-side apply, approximated: create when absent, else merge the applied
          // configuration into the live object. No managedFields, no field-ownership conflicts,
          // and fields dropped from the configuration are not removed.
          if (!isRec(body)) throw new ApiError(400, 'BadRequest', 'the fake API server reads apply configurations written as JSON only');
          if (!store.has(key(t, ns, name ?? ''))) return answer(201, create(t, ns, { ...body, metadata: { ...rec(body.metadata), name } }, dryRun));
          const live = current(t, ns, name ?? '');
          const merged = rec(mergePatch(clone(live), { ...body, metadata: { ...rec(body.metadata), resourceVersion: rec(body.metadata).resourceVersion ?? live.metadata.resourceVersion } }));
          return answer(200, update(t, ns, name ?? '', merged, undefined, dryRun));
        }
        const old = current(t, ns, name ?? '');
        if (subresource === 'scale') return json(200, setScale(t, ns, name ?? '', patchObject(toScale(t, old), contentType, body), dryRun));
        const patched = rec(patchObject(clone(old), contentType, body));
        // A patch that does not name a resourceVersion applies to the current one.
        const patchedMeta = rec(patched.metadata);
        if (patchedMeta.resourceVersion === undefined || patchedMeta.resourceVersion === null) patched.metadata = { ...patchedMeta, resourceVersion: old.metadata.resourceVersion };
        return answer(200, update(t, ns, name ?? '', patched, subresource, dryRun));
      }
      case 'delete': {
        const raw = method === 'DELETE' ? await bodyOf() : null;
        const opts = { ...rec(raw) };
        if (q.get('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy');
        const gone = remove(t, ns, name ?? '', opts, dryRun || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All')));
        return json(200, gone);
      }
      case 'deletecollection': {
        const raw = await bodyOf();
        const opts = { ...rec(raw) };
        if (q.get('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy');
        const l = list(t, ns, q);
        const items = (l.items as KubeObject[]).map((o) => remove(t, o.metadata.namespace, o.metadata.name ?? '', opts, dryRun));
        return json(200, { ...l, items });
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const arrived = performance.now();
    const record: KubeRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      record.ms = performance.now() - arrived;
    });
    handle(req, res, record).catch((err: unknown) => {
      const e =
        err instanceof ApiError
          ? err
          : err instanceof KubeApiError
            ? new ApiError(err.code, err.reason, err.message)
            : err instanceof SelectorError
            ? new ApiError(400, 'BadRequest', `unable to parse requirement: ${err.message}`)
            : new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
      record.status = e.code;
      if (res.headersSent) return void res.end();
      const text = JSON.stringify(statusBody(e.code, e.reason, e.message, e.details));
      res.writeHead(e.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  create(nsType, undefined, { metadata: { name: 'default' } }, false);
  if (namespace !== 'default') create(nsType, undefined, { metadata: { name: namespace } }, false);

  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: wharf-fake',
    '  cluster:',
    `    server: ${url}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: wharf-fake-user',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: wharf-fake',
    '  context:',
    '    cluster: wharf-fake',
    '    user: wharf-fake-user',
    `    namespace: ${namespace}`,
    'current-context: wharf-fake',
    'preferences: {}',
    '',
  ].join('\n');
  const dir = await mkdtemp(join(tmpdir(), 'wharf-fake-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });

  const resourceType = (resource: string) => {
    const t = typeByPlural(resource);
    if (!t) throw new Error(`fake API server: unknown resource ${resource}`);
    return t;
  };

  return {
    url,
    kubeconfigPath,
    kubeconfig,
    token,
    namespace,
    requests,
    get: (resource, ns, name) => {
      const o = store.get(key(resourceType(resource), ns, name));
      return o && clone(o);
    },
    list: (resource, ns) => objectsOf(resourceType(resource), ns).map((o) => clone(o)),
    compactHistory: () => {
      history = [];
      compactedRv = rvCounter;
    },
    closeWatches: () => {
      for (const w of [...watchers]) w.close();
    },
    controllers: {
      subscribe: (listener) => {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      create: (resource, ns, body) => create(resourceType(resource), ns, body, false),
      update: (resource, ns, name, body, subresource) => {
        const t = resourceType(resource);
        const b = clone(body);
        b.metadata = { ...b.metadata, resourceVersion: b.metadata.resourceVersion ?? current(t, ns, name).metadata.resourceVersion };
        return update(t, ns, name, b, subresource, false);
      },
      remove: (resource, ns, name) => void remove(resourceType(resource), ns, name, {}, false),
      setPodLogHandler: (handler) => (podLogHandler = handler),
      onStop: (fn) => void stopHooks.push(fn),
    },
    stop: async () => {
      await Promise.all(stopHooks.splice(0).map((fn) => fn()));
      listeners.clear();
      for (const w of [...watchers]) w.close();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
