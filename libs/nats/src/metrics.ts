import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Gauge, Histogram } from 'prom-client';

/**
 * One Prometheus registry per service process: Node's process metrics (CPU, memory, event-loop
 * lag, GC) and what every service has — HTTP requests by route and status, NATS requests by
 * subject and outcome, on both sides — plus what a service makes itself (`counter`, `histogram`, `gauge`).
 * Served at `/metrics` on the service's HTTP port (`metricsEndpoint`).
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  /** HTTP requests this service answered, by method, route (the pattern, never the raw path: ids would explode the series) and status. */
  readonly http: Histogram<'method' | 'route' | 'status'>;
  /** NATS requests this service sent, by subject and outcome (`ok` or the error code). */
  readonly natsSent: Histogram<'subject' | 'outcome'>;
  /** NATS requests this service answered, by subject and outcome. */
  readonly natsHandled: Histogram<'subject' | 'outcome'>;
  private readonly series = new Map<string, HttpSeries>();

  constructor(public service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    const series = this.series;
    this.http = new Histogram({
      name: 'wharf_http_request_duration_seconds',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets,
      registers: [this.registry],
      collect() {
        for (const s of series.values()) s.flush();
      },
    });
    this.natsSent = new Histogram({ name: 'wharf_nats_request_duration_seconds', help: 'NATS requests sent, by subject and outcome (ok or the error code)', labelNames: ['subject', 'outcome'], buckets, registers: [this.registry] });
    this.natsHandled = new Histogram({ name: 'wharf_nats_handled_duration_seconds', help: 'NATS requests answered, by subject and outcome (ok or the error code)', labelNames: ['subject', 'outcome'], buckets, registers: [this.registry] });
  }

  // Each maker replaces a metric of the same name: a process that builds its service again (specs
  // start several routers or schedulers in one process) keeps the newest one's.
  /** `collect`, when given, runs as the counter is read (a scrape): to add counts kept elsewhere. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Counter<L>) => void): Counter<L> {
    this.registry.removeSingleMetric(name);
    return new Counter({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  histogram<L extends string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> {
    this.registry.removeSingleMetric(name);
    return new Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }

  /** A gauge read when scraped: `read` sets its values (async: e.g. counting instances). */
  gauge<L extends string>(name: string, help: string, read: (g: Gauge<L>) => void | Promise<void>, labelNames: readonly L[] = []): Gauge<L> {
    this.registry.removeSingleMetric(name);
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await read(this);
      },
    });
  }

  /**
   * Express-style middleware timing every request: the route is the matched pattern
   * (`req.baseUrl + req.route.path`, e.g. `/api/v1/apps/:id`), else `unmatched`.
   */
  httpMiddleware(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
    return (req, res, next) => {
      this.timeHttp(req, res);
      next();
    };
  }

  /** The HTTP histogram's series of `method`, `route` and `status`, observed in bulk (HttpSeries). */
  httpSeries(method: string, route: string, status: number): HttpSeries {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new HttpSeries(this.http, { method, route, status: String(status) })));
    return s;
  }

  /** Times `req` until its response finishes, under the route pattern Express matched (else `unmatched`). */
  timeHttp(req: IncomingMessage, res: ServerResponse): void {
    // performance.now and one observe, not startTimer's hrtime pairs and label merge; `on`, not
    // `once`: a response finishes once, and its listeners go with it (the catalog's cached reads
    // are answered in ~50 µs, and prom-client's timer was ~5 % of that)
    const start = performance.now();
    res.on('finish', () => {
      const r = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
      const pattern = typeof r.route?.path === 'string' ? `${r.baseUrl ?? ''}${r.route.path}` : 'unmatched';
      this.http.observe({ method: req.method ?? 'GET', route: pattern, status: String(res.statusCode) }, (performance.now() - start) / 1000);
    });
  }
}

/**
 * One series of the HTTP histogram (a method, route and status known before the answer is sent),
 * whose observations are kept in an array and handed to prom-client together: when the histogram
 * is read (a scrape) and every BATCH observations. For answers that take a few tens of µs of CPU
 * (the gateway's early catalog reads), where prom-client's work per observation — the labels'
 * hash, the series and bucket looked up by key — cost ~3 % of one; in a loop it costs a fraction.
 */
export class HttpSeries {
  static readonly BATCH = 1024;
  private readonly values = new Float64Array(HttpSeries.BATCH);
  private count = 0;

  constructor(
    private readonly histogram: Histogram<'method' | 'route' | 'status'>,
    private readonly labels: { method: string; route: string; status: string },
  ) {}

  /** Times `res` until it finishes, as `timeHttp` does. */
  time(res: ServerResponse): void {
    const start = performance.now();
    res.on('finish', () => this.observe((performance.now() - start) / 1000));
  }

  observe(seconds: number): void {
    this.values[this.count++] = seconds;
    if (this.count === HttpSeries.BATCH) this.flush();
  }

  flush(): void {
    const { histogram, labels, values } = this;
    for (let i = 0; i < this.count; i++) histogram.observe(labels, values[i]!);
    this.count = 0;
  }
}

let current: ServiceMetrics | null = null;

/**
 * The metrics of this process's service. Parts made before the service has said its name (Nest
 * builds providers before `connectNats`) use the one registry; the name, once given, labels all.
 */
export function serviceMetrics(service?: string): ServiceMetrics {
  current ??= new ServiceMetrics(service ?? 'wharf');
  if (service && current.service !== service) {
    current.service = service;
    current.registry.setDefaultLabels({ service });
  }
  return current;
}

/** The error code a failed request ends with, as the outcome label (`ok` when it did not fail). */
export const outcomeOf = (e: unknown): string => {
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : null;
  return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code : 'INTERNAL';
};

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * `GET /metrics`: the registry in Prometheus's text format. Who may read it: with
 * `Platform.MetricsToken` set, whoever sends `Authorization: Bearer <token>` (Prometheus's
 * `authorization` setting); without, only callers on this machine (loopback) — never the
 * public behind an ingress. Metrics hold no secrets, but counts and routes are the operator's.
 */
export function metricsEndpoint(metrics: ServiceMetrics, token: string): (req: IncomingMessage, res: ServerResponse) => void {
  const want = token ? Buffer.from(`Bearer ${token}`) : null;
  return (req, res) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    const allowed = want ? given.length === want.length && timingSafeEqual(given, want) : LOOPBACK.test(req.socket.remoteAddress ?? '');
    if (!allowed) {
      const body = want
        ? 'metrics need Authorization: Bearer <Platform.MetricsToken>\n'
        : 'metrics are served to this machine only; set Platform.MetricsToken to let Prometheus scrape them from elsewhere\n';
      res.writeHead(want ? 401 : 403, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
        res.end(text);
      },
      (e: unknown) => {
        const body = `metrics could not be collected: ${e instanceof Error ? e.message : String(e)}\n`;
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
    );
  };
}
