import http from 'node:http';
import https from 'node:https';
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions, Watch, type ConfigurationOptions } from '@kubernetes/client-node';
import { conflict, invalid, notFound, unavailable, WharfError } from '@wharf/contracts';

/**
 * The Kubernetes API as the driver uses it: typed clients from `@kubernetes/client-node`, the
 * instances' namespace, and one way to turn the API's failures into Wharf errors that say what
 * went wrong and where (never a dump of HTTP internals).
 *
 * Every call the driver makes goes through here, so the Role it needs (see rbac.ts) can be read
 * off one file.
 */
export class KubeApi {
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly networking: NetworkingV1Api;
  readonly watch: Watch;
  /** The API server's address, for messages. */
  readonly server: string;

  constructor(
    readonly kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.networking = kc.makeApiClient(NetworkingV1Api);
    this.watch = new Watch(kc);
    this.server = kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
  }

  /**
   * The kubeconfig Wharf runs with: `file`, else `KUBECONFIG` or `~/.kube/config`, else the pod's service account
   * (what `loadFromDefault` tries), and the namespace: the configured one, the context's, the pod's.
   */
  static fromEnvironment(namespace: string, file = ''): KubeApi {
    const kc = new KubeConfig();
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
    if (!kc.getCurrentCluster()) {
      throw new Error('Scheduler.Driver = "kubernetes" needs a cluster: set KUBECONFIG to a kubeconfig file, or run the scheduler in a pod with a service account');
    }
    const ns = namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
    return new KubeApi(kc, ns);
  }

  /**
   * One page of a list, as plain JSON (`GET <path>?labelSelector&limit&continue`), with the
   * kubeconfig's credentials and TLS settings. The typed clients turn every object of a page into
   * model classes first, which for the thousands of objects a cache fills with costs more CPU and
   * garbage than everything else the driver does (the watch already reads plain JSON).
   */
  async listJson<T>(path: string, query: { labelSelector: string; limit: number; continue?: string }): Promise<T> {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    url.searchParams.set('labelSelector', query.labelSelector);
    url.searchParams.set('limit', String(query.limit));
    if (query.continue) url.searchParams.set('continue', query.continue);
    const opts: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<T>((resolve, reject) => {
      const req = request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve(JSON.parse(text) as T);
            } catch (e) {
              reject(e instanceof Error ? e : new Error(String(e)));
            }
          } else reject(Object.assign(new Error(`HTTP ${status} listing ${path}`), { code: status, body: text }));
        });
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`no answer listing ${path} within 60 s`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Options for a JSON merge patch (`application/merge-patch+json`). */
  static readonly mergePatch: ConfigurationOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}

/** The HTTP status of a failed API call, or 0 when the API server was not reached at all. */
export function statusOf(e: unknown): number {
  const code = (e as { code?: unknown; statusCode?: unknown } | null)?.code ?? (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : 0;
}

/** The `Status` object's reason (`AlreadyExists`, `Conflict`, `Invalid`, …) and message, when the server sent one. */
export function statusBody(e: unknown): { reason: string; message: string } {
  let body: unknown = (e as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return { reason: '', message: text.trim().slice(0, 300) };
    }
  }
  const b = (body ?? {}) as { reason?: unknown; message?: unknown };
  return { reason: typeof b.reason === 'string' ? b.reason : '', message: typeof b.message === 'string' ? b.message : '' };
}

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;
export const isConflict = (e: unknown): boolean => statusOf(e) === 409 && statusBody(e).reason !== 'AlreadyExists';
export const isAlreadyExists = (e: unknown): boolean => statusOf(e) === 409 && statusBody(e).reason === 'AlreadyExists';

/** A Wharf error for a failed call: `what` says what the driver was doing ("creating the Deployment wharf-x"). */
export function kubeError(e: unknown, what: string, api: Pick<KubeApi, 'server' | 'namespace'>): WharfError {
  if (WharfError.is(e)) return e;
  const status = statusOf(e);
  const { message } = statusBody(e);
  const detail = message || (e instanceof Error ? e.message.split('\n')[0] : String(e));
  if (status === 0) return unavailable(`the Kubernetes API at ${api.server} could not be reached while ${what}: ${detail}`);
  if (status === 401 || status === 403) {
    return unavailable(
      `the Kubernetes API at ${api.server} refused ${what} (${status}): ${detail}. The scheduler's service account needs the Role of the Helm chart in namespace ${api.namespace}`,
    );
  }
  if (status === 404) return notFound(`${what}: not found (${detail})`);
  if (status === 409) return conflict(`${what}: ${detail}`);
  if (status === 422 || status === 400) return invalid(`the Kubernetes API refused ${what}: ${detail}`);
  return unavailable(`the Kubernetes API at ${api.server} failed ${what} (${status}): ${detail}`);
}
