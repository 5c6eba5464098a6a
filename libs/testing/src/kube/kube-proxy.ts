import { connect, createServer, type Server, type Socket } from 'node:net';
import { isRec, rec, type Rec } from './json';
import type { FakeKubeApiServer } from './fake-apiserver';

/** One Service port the fake kube-proxy serves (or failed to). */
export interface ServiceProxyState {
  namespace: string;
  /** The Service's name. */
  service: string;
  /** `spec.clusterIP` */
  address: string;
  /** The Service port (`spec.ports[].port`). */
  port: number;
  /** Listening on `address:port` (there is at least one ready endpoint). */
  listening: boolean;
  /** Why `address:port` could not be bound (e.g. `EACCES`: a port below 1024 needs root), until the Service or its endpoints change. */
  error?: string;
}

/**
 * Where a connection to a Service port may go: the loopback ports of the ready endpoints of
 * `selector` in `namespace` for `targetPort` (a number or a container port's name).
 */
export type ServiceBackends = (namespace: string, selector: Record<string, string>, targetPort: number | string) => number[];

export interface FakeKubeProxy {
  /** Brings listeners in step with Services and endpoints (coalesced; call after any change). */
  sync(): void;
  states(): ServiceProxyState[];
  /** Closes every listener and every proxied connection. */
  stop(): Promise<void>;
}

interface Listener {
  id: string;
  namespace: string;
  service: string;
  address: string;
  port: number;
  server?: Server;
  error?: string;
  /** Round-robin position over the endpoints. */
  next: number;
}

interface Desired {
  id: string;
  namespace: string;
  service: string;
  address: string;
  port: number;
  /** At least one ready endpoint. */
  ready: boolean;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function targetPortOf(svc: Rec, port: number): number | string | undefined {
  const p = (Array.isArray(rec(svc.spec).ports) ? (rec(svc.spec).ports as unknown[]).map(rec) : []).find((x) => x.port === port && (x.protocol ?? 'TCP') === 'TCP');
  if (!p) return undefined;
  const t = p.targetPort ?? p.port;
  return typeof t === 'number' || typeof t === 'string' ? t : undefined;
}

/**
 * A kube-proxy for the fake cluster: for every Service with a `selector` and a cluster IP, it
 * listens on `<clusterIP>:<port>` for each TCP port while the Service has at least one ready
 * endpoint, and pipes each accepted connection to one of them (round robin). Without a ready
 * endpoint nothing listens, so a client's connection is refused, as with the real kube-proxy's
 * REJECT rule. Established connections outlive an endpoint turning unready (they end with its
 * process); they are cut when the Service is deleted or the proxy stops.
 */
export function startFakeKubeProxy(kube: FakeKubeApiServer, backends: ServiceBackends): FakeKubeProxy {
  const listeners = new Map<string, Listener>();
  const sockets = new Map<string, Set<Socket>>();
  let stopped = false;
  let dirty = false;
  let loop: Promise<void> | undefined;
  let scheduled = false;

  const selectorOf = (svc: Rec): Record<string, string> | undefined => {
    const sel = rec(svc.spec).selector;
    if (!isRec(sel) || Object.keys(sel).length === 0) return undefined;
    return Object.fromEntries(Object.entries(sel).map(([k, v]) => [k, String(v)]));
  };

  function desired(): Map<string, Desired> {
    const out = new Map<string, Desired>();
    for (const svc of kube.list('services')) {
      const spec = rec(svc.spec);
      const selector = selectorOf(svc);
      const address = spec.clusterIP;
      if (!selector || typeof address !== 'string' || !IPV4.test(address) || svc.metadata.deletionTimestamp) continue;
      const namespace = svc.metadata.namespace ?? '';
      for (const p of Array.isArray(spec.ports) ? (spec.ports as unknown[]).map(rec) : []) {
        if ((p.protocol ?? 'TCP') !== 'TCP' || typeof p.port !== 'number') continue;
        const target = targetPortOf(svc, p.port);
        const id = `${namespace}/${svc.metadata.name ?? ''}/${svc.metadata.uid ?? ''}/${address}:${p.port}`;
        out.set(id, { id, namespace, service: svc.metadata.name ?? '', address, port: p.port, ready: target !== undefined && backends(namespace, selector, target).length > 0 });
      }
    }
    return out;
  }

  function onConnection(l: Listener, client: Socket): void {
    const svc = kube.get('services', l.namespace, l.service);
    const selector = svc && selectorOf(svc);
    const target = svc && targetPortOf(svc, l.port);
    const ports = selector && target !== undefined ? backends(l.namespace, selector, target) : [];
    if (ports.length === 0) return void client.destroy();
    const port = ports[l.next++ % ports.length];
    const open = sockets.get(l.id) ?? new Set<Socket>();
    sockets.set(l.id, open);
    const upstream = connect(port, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  function listen(l: Listener): Promise<void> {
    return new Promise((ok) => {
      const server = createServer((c) => onConnection(l, c));
      server.once('error', (e: NodeJS.ErrnoException) => {
        l.error = e.code === 'EACCES' && l.port < 1024 ? `EACCES: binding ${l.address}:${l.port} needs root (a port below 1024)` : `${e.code ?? 'Error'}: ${e.message}`;
        ok();
      });
      server.listen({ host: l.address, port: l.port }, () => {
        l.server = server;
        ok();
      });
    });
  }

  /** Stops accepting; with `cut`, also ends the connections it proxies. */
  function close(l: Listener, cut: boolean): void {
    l.server?.close();
    l.server = undefined;
    if (!cut) return;
    for (const s of sockets.get(l.id) ?? []) s.destroy();
    sockets.delete(l.id);
  }

  async function syncOnce(): Promise<void> {
    const want = desired();
    for (const [id, l] of listeners) {
      const d = want.get(id);
      if (d && d.ready) continue;
      close(l, !d);
      listeners.delete(id);
      if (!d) sockets.delete(id);
    }
    for (const d of want.values()) {
      if (!d.ready || listeners.has(d.id)) continue;
      const l: Listener = { id: d.id, namespace: d.namespace, service: d.service, address: d.address, port: d.port, next: 0 };
      listeners.set(d.id, l);
      await listen(l);
      if (stopped) close(l, true);
    }
  }

  const sync = () => {
    dirty = true;
    if (scheduled || loop || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (loop || stopped) return;
      loop = (async () => {
        while (dirty && !stopped) {
          dirty = false;
          await syncOnce();
        }
      })().finally(() => {
        loop = undefined;
        if (dirty && !stopped) sync();
      });
    });
  };

  return {
    sync,
    states: () =>
      [...desired().values()].map((d) => {
        const l = listeners.get(d.id);
        return { namespace: d.namespace, service: d.service, address: d.address, port: d.port, listening: l?.server !== undefined, ...(l?.error ? { error: l.error } : {}) };
      }),
    stop: async () => {
      stopped = true;
      await loop;
      for (const l of listeners.values()) close(l, true);
      listeners.clear();
      for (const set of sockets.values()) for (const s of set) s.destroy();
      sockets.clear();
    },
  };
}
