import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  IDENTITY_TOKEN_HEADER,
  IDENTITY_USER_HEADER,
  hostPortSuffix,
  IdentityContracts,
  INSTANCE_ID_PATTERN,
  INSTANCE_TICKET_PATH,
  isGuestSub,
  safeInstancePath,
  safeSitePath,
  SchedulerContracts,
  WharfError,
  type InstanceAccess,
  type RoutedInstance,
  type RoutingMode,
} from '@wharf/contracts';
import { metricsEndpoint, RpcClient, serviceMetrics, Shutdown, type Counter, type Drain, type Histogram } from '@wharf/nats';
import { createProxyMiddleware, proxyEventsPlugin, type RequestHandler } from 'http-proxy-middleware';
import type { Agent as UndiciAgent } from 'undici';
import { AccessService, decisionOf } from '../auth/access.service';
import { Authenticator, type Identified, type Principal } from '../auth/authenticator.service';
import { IdentityTokens } from '../auth/identity-tokens';
import { setCookieHeader, signCookie, withoutCookie } from '../auth/router-cookie';
import { atOnce } from '../common/at-once';
import { lookup } from '../common/lookup';
import { AliasDirectory } from '../directory/alias.directory';
import { InstanceDirectory, type Upstream } from '../directory/instance.directory';
import { ROUTER_SETTINGS, type RouterSettings } from '../router.config';
import { ActivityReporter } from './activity.reporter';
import { forwardRequest, upstreamAgent } from './forward-request';
import { responseHead } from './forward-response';
import { aliasOf, basePathOf, headerSafe, hostPorts, instanceIdOf, isAppsHost, isPlatformHeader, portAllowed } from './hosts';
import { LiveConnections } from './live-connections';
import { comingUpPage, sendPage, statusPage, type PageOptions } from './pages';

/** What the proxy needs to know about a request it forwards. */
interface Routed extends IncomingMessage {
  wharfTarget?: Upstream;
  wharfTimedOut?: boolean;
  /** the instance it was routed to, and whether the caller may read its logs (for the page shown if the upstream fails) */
  wharfInstance?: { id: string; readLogs: boolean };
}

/**
 * Where a request arrived: an instance or alias host (DOMAIN), or an instance's path on the shared
 * apps host (BASE_URL).
 */
interface Site {
  /** What tickets and the router's cookie are bound to: the host (port included), or `<host>/instance/<id>`. */
  key: string;
  host: string;
  mode: RoutingMode;
  /** The instance's path prefix without its last slash: '' (DOMAIN) or `/instance/<id>` (BASE_URL). */
  prefix: string;
}

const domainSite = (host: string): Site => ({ key: host, host, mode: 'DOMAIN', prefix: '' });
const baseUrlSite = (host: string, id: string): Site => ({ key: `${host}/instance/${id}`, host, mode: 'BASE_URL', prefix: `/instance/${id}` });

/** Connection errors that mean nothing listens (yet) at the instance's address. */
const NOT_LISTENING = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORWARDED = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix', 'forwarded'];
/** Re-check of open websockets and streams against sessions and tokens (revoked ones close). */
const SWEEP_MS = 2000;

/**
 * The router's data path: one node http server for every instance host. Each request is
 * identified (bearer token or host-bound cookie), authorized against the instance's visibility
 * from memory, stripped of platform credentials and forwarded with one shared
 * http-proxy-middleware instance over keep-alive connections. Websocket upgrades take the same
 * path in our own `upgrade` handler (hpm's `ws: true` would answer 101 before any check).
 */
@Injectable()
export class RouterServer implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Router');
  readonly server: http.Server;
  private readonly proxy: RequestHandler<IncomingMessage, ServerResponse>;
  /** Websocket upgrades (http-proxy-middleware). */
  private readonly agent: http.Agent;
  /** Plain HTTP (forwardRequest). */
  private readonly upstream: UndiciAgent;
  private readonly live = new LiveConnections();
  private readonly identity: IdentityTokens;
  private readonly activity: ActivityReporter;
  private readonly cfg: RouterSettings['router'];
  private sweeper?: NodeJS.Timeout;
  /** `Host` ports of instance hosts (Router.PublicPort; set once listening when it follows Port 0). */
  private ports = new Set<string>();
  /** `/metrics` (Platform.MetricsToken, else this machine only) and what the data path counts. */
  private readonly metrics = serviceMetrics('router');
  private readonly metricsAnswer: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly proxied: Counter<'status'>;
  private readonly denied: Counter<'reason'>;
  /** `proxied` by status class (index 1–5: 1xx–5xx), made on first use: no label lookup per response. */
  private readonly proxiedByClass: { inc(): void }[] = [];
  private readonly upstreamSeconds: Histogram;
  private readonly upstreamTimeout: number;
  /** How instance hosts end in URLs: `:<PublicPort>`, or nothing for the scheme's default port. */
  private portSuffix = '';

  constructor(
    @Inject(ROUTER_SETTINGS) private readonly settings: RouterSettings,
    private readonly directory: InstanceDirectory,
    private readonly auth: Authenticator,
    private readonly access: AccessService,
    private readonly rpc: RpcClient,
    private readonly shutdown: Shutdown,
    private readonly aliases: AliasDirectory,
  ) {
    this.cfg = settings.router;
    const m = this.metrics;
    this.metricsAnswer = metricsEndpoint(m, settings.platform.MetricsToken ?? '');
    this.proxied = m.counter('wharf_router_proxied_total', 'Responses of instances the router passed on, by status class (2xx, 3xx, 4xx, 5xx)', ['status']);
    this.denied = m.counter('wharf_router_denied_total', 'Requests and websockets the router refused: unauthenticated (401), forbidden (403), sign_in_redirect (a browser sent to sign in)', ['reason']);
    this.upstreamSeconds = m.histogram('wharf_router_upstream_seconds', "Time from handing a request to an instance to its response's head", [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    m.gauge(
      'wharf_router_open',
      'Connections open through the router now: HTTP requests and streams (http), websockets',
      (g) => {
        const { http, websockets } = this.live.count();
        g.set({ kind: 'http' }, http);
        g.set({ kind: 'websockets' }, websockets);
      },
      ['kind'],
    );
    this.identity = new IdentityTokens(settings.platform.InternalSecret, this.cfg.IdentityTokenTtlSeconds);
    this.activity = new ActivityReporter(rpc, this.cfg.ActivityReportSeconds * 1000, () => this.live.instancesWithTraffic());
    // noDelay: response heads and small frames go out at once (no Nagle wait behind a delayed ACK)
    this.agent = new http.Agent({ keepAlive: true, noDelay: true, maxSockets: this.cfg.UpstreamMaxSockets, maxFreeSockets: 256, scheduling: 'lifo' });
    this.upstream = upstreamAgent(this.cfg.UpstreamMaxSockets);
    this.upstreamTimeout = this.cfg.UpstreamTimeoutSeconds * 1000;
    // Websockets only: plain HTTP goes through forwardRequest (forward-request.ts says why).
    this.proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
      router: (req) => (req as Routed).wharfTarget,
      agent: this.agent,
      xfwd: true,
      ws: false,
      // Only the plugin that wires `on` below: no default logger or error page (we answer errors ourselves).
      ejectPlugins: true,
      plugins: [proxyEventsPlugin],
      on: {
        proxyReqWs: (proxyReq, _req, socket) => {
          proxyReq.on('upgrade', (_res: IncomingMessage, upstream: Socket) => {
            // Either side closing closes the other: no half-open pairs piling up (CHP #388/#434).
            upstream.once('close', () => socket.destroy());
            socket.once('close', () => upstream.destroy());
          });
        },
        error: (err, req, res) => this.upstreamFailed(err as NodeJS.ErrnoException, req as Routed, res as ServerResponse | Socket),
      },
    });
    this.server = http.createServer(
      {
        maxHeaderSize: this.cfg.MaxHeaderBytes,
        noDelay: true,
        headersTimeout: this.cfg.HeadersTimeoutSeconds * 1000,
        requestTimeout: this.cfg.RequestTimeoutSeconds * 1000,
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.keepAliveTimeout = this.cfg.KeepAliveTimeoutSeconds * 1000;
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    directory.watch((id, _before, after) => void this.revalidate(id, after));
    // a share link revoked (on any gateway replica): whatever came through it closes, here and on every other router
    auth.onShareRevoked((share) => {
      for (const c of [...this.live.all()]) if (c.principal.kind === 'share' && c.principal.share === share) c.close();
    });
  }

  /**
   * Listens at module init, before NATS is connected (that happens at bootstrap and may take a
   * while): with NATS down the router still answers — /readyz 503, instances 503 + Retry-After.
   */
  async onModuleInit(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.cfg.Port, this.cfg.Host, () => {
        this.server.off('error', reject);
        this.ports = hostPorts(this.cfg.Scheme, this.cfg.PublicPort || this.port());
        this.portSuffix = hostPortSuffix(this.cfg.Scheme, this.cfg.PublicPort || this.port());
        resolve();
      });
    });
  }

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    this.activity.start();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    this.activity.stop(); // what was not reported yet is lost: at most ActivityReportSeconds of activity
    for (const c of this.live.all()) c.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    this.agent.destroy();
    await this.upstream.destroy();
  }

  /**
   * What a stopping router waits for besides its HTTP requests (see drainHttp): the websockets it
   * proxies. They get the grace period to end by themselves (the app or the user closes them);
   * then they are closed, and the browser's app reconnects through another router replica.
   */
  websocketDrain(): Drain {
    const websockets = () => [...this.live.all()].filter((c) => c.websocket);
    return {
      name: 'websockets',
      stop: () => {},
      busy: () => websockets().length,
      force: () => websockets().forEach((c) => c.close()),
    };
  }

  port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : this.cfg.Port;
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? '').toLowerCase();
    const id = instanceIdOf(host, this.cfg.AppsDomain);
    if (id === null) {
      const base = isAppsHost(host, this.cfg.AppsDomain) ? basePathOf(req.url ?? '/') : null;
      if (base === null) return this.ownEndpoint(req, res);
      if (!portAllowed(host, this.ports)) return this.wrongPort(req, res);
      if (!INSTANCE_ID_PATTERN.test(base.id)) {
        return this.notFound(req, res, `"${base.id.slice(0, 40)}" is no instance id: instances served under a path are at /instance/<instance id>/ (10 lower-case letters and digits, as \`wharf instance list\` shows)`);
      }
      // `/instance/<id>` and `/instance/<id>?q`: the app is served under `/instance/<id>/`
      if (!base.rest.startsWith('/')) return this.redirect(res, 302, `/instance/${base.id}/${base.rest.startsWith('?') ? base.rest : ''}`);
      return void this.route(base.id, null, baseUrlSite(host, base.id), req, res).catch((e: unknown) => this.failed(e, req, res));
    }
    const alias = id === '' ? aliasOf(host, this.cfg.AppsDomain) : null;
    if (id === '' && alias === null) return this.notFound(req, res);
    if (!portAllowed(host, this.ports)) return this.wrongPort(req, res);
    this.route(id || null, alias, domainSite(host), req, res).catch((e: unknown) => this.failed(e, req, res));
  }

  private redirect(res: ServerResponse, status: number, location: string): void {
    res.writeHead(status, { location, 'cache-control': 'no-store', 'content-length': '0' });
    res.end();
  }

  /**
   * A request in the other routing mode's form: the same path, in the form the instance is served
   * in. GET and HEAD get 302; other methods 307, which browsers follow with the same method and body.
   */
  private toOtherForm(id: string, mode: RoutingMode, path: string, req: IncomingMessage, res: ServerResponse): void {
    const base = `${this.cfg.Scheme}://${mode === 'BASE_URL' ? `${this.cfg.AppsDomain}${this.portSuffix}/instance/${id}` : `${id}.${this.cfg.AppsDomain}${this.portSuffix}`}`;
    this.redirect(res, req.method === 'GET' || req.method === 'HEAD' ? 302 : 307, `${base}${path}`);
  }

  /** The instance an alias host serves, or null after answering 404 (no such alias, or it serves nothing now). */
  private async aliasTarget(alias: string): Promise<{ id: string } | { missing: string }> {
    const a = await this.aliases.resolve(alias);
    if (a?.instanceId) return { id: a.instanceId };
    return { missing: a ? `the alias ${alias} serves no instance right now` : `there is no instance or alias ${alias}` };
  }

  private async route(hostId: string | null, alias: string | null, site: Site, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    // the path within the instance: what follows `/instance/<id>` in BASE_URL mode
    const path = site.prefix ? url.slice(site.prefix.length) : url.startsWith('/') ? url : '/';
    let id = hostId!;
    if (alias !== null) {
      const target = await this.aliasTarget(alias);
      if ('missing' in target) return this.notFound(req, res, target.missing);
      id = target.id;
    }
    if (path.startsWith('/.wharf/')) return this.wharfEndpoint(id, site, path, req, res);
    // Each answer below is at hand for nearly every request (cached): awaited only when it is not,
    // so a request whose answers are all cached goes through without a microtask turn.
    let entry = this.directory.lookup(id);
    if (entry instanceof Promise) entry = await entry;
    const instance = entry.instance;
    if (!instance) return this.notFound(req, res);
    const mode = instance.routingMode ?? 'DOMAIN';
    if (mode !== site.mode) return this.toOtherForm(id, mode, path, req, res);
    // An instance with a primary alias is served there: its id host and other aliases send
    // GET/HEAD on (a page's other requests — form posts, API calls — are served where they were
    // sent). A browser already signed in on this host (its cookie here: a share link's, say, which
    // it could not get for the primary host) stays.
    if (site.mode === 'DOMAIN' && (req.method === 'GET' || req.method === 'HEAD') && !req.headers.cookie?.includes(`${this.auth.cookieName}=`)) {
      let primary = this.aliases.primaryOf(id);
      if (primary instanceof Promise) primary = await primary;
      if (primary !== null && primary !== alias) return this.toPrimary(primary, url, res);
    }
    let who = this.auth.identify(req.headers, site.key, id, site.mode === 'BASE_URL');
    if (who instanceof Promise) who = await who;
    let refused = this.refusal(who, instance, req.method ?? 'GET');
    if (refused instanceof Promise) refused = await refused;
    if (refused === 'sign-in') return this.signIn(site, req, res);
    if (refused && 'code' in refused) {
      this.denied.inc({ reason: refused.page.status === 401 ? 'unauthenticated' : 'forbidden' });
      return sendPage(res, req.headers.accept, refused.code, refused.page);
    }
    const principal = (who as Extract<Identified, { ok: true }>).principal;
    const page = statusPage(instance, principal.kind !== 'share' && principal.caller?.sub === instance.owner.sub, refused.access.readLogs);
    if (page) return sendPage(res, req.headers.accept, page.code, page.page);
    if (entry.outside) return sendPage(res, req.headers.accept, 'UNAVAILABLE', outsidePage());
    if (!entry.upstream) return sendPage(res, req.headers.accept, 'UNAVAILABLE', unreachablePage());
    this.forwardHeaders(req, id, who as Extract<Identified, { ok: true }>);
    this.activity.saw(id);
    const client = req.socket;
    const untrack = this.live.add({ instanceId: id, principal, since: Date.now(), websocket: false, close: () => res.destroy(), bytes: () => client.bytesRead + client.bytesWritten });
    res.once('close', untrack);
    const routed = req as Routed;
    routed.wharfInstance = { id, readLogs: refused.access.readLogs };
    const prefix = site.mode === 'BASE_URL' ? site.prefix : null;
    const cookieNames = this.auth.cookieNames;
    const sentAt = performance.now();
    forwardRequest(req, res, entry.upstream, this.upstream, this.upstreamTimeout, (raw) => responseHead(raw, cookieNames, prefix), {
      response: (status) => {
        this.upstreamSeconds.observe((performance.now() - sentAt) / 1000);
        const c = Math.floor(status / 100);
        (this.proxiedByClass[c] ??= this.proxied.labels({ status: `${c}xx` })).inc();
      },
      error: (err, timedOut) => {
        routed.wharfTimedOut = timedOut;
        this.upstreamFailed(err, routed, res);
      },
    });
  }

  /** 302 to the same path and query on the instance's primary alias host. */
  private toPrimary(primary: string, url: string, res: ServerResponse): void {
    const path = url.startsWith('/') ? url : '/';
    this.redirect(res, 302, `${this.cfg.Scheme}://${primary}.${this.cfg.AppsDomain}${this.portSuffix}${path}`);
  }

  /** Why a request may not go through (or, when it may, the caller's access), or 'sign-in' when nobody is signed in. At once when the access is. */
  private refusal(who: Identified, instance: RoutedInstance, method: string): Refusal | Promise<Refusal> {
    if (!who.ok) {
      return {
        code: 'UNAUTHENTICATED',
        page: { status: 401, title: 'Not signed in', message: `${who.message}; use a valid token or open the instance in a browser`, headers: { 'www-authenticate': 'Bearer realm="wharf"' } },
      };
    }
    return atOnce(this.accessOf(who.principal, instance), (a) => refusalFor(who.principal, instance, method, a));
  }

  /**
   * What a principal may do with an instance: the platform's rule, and for one who came through a
   * share link, at least the share's grant — viewing the app's UI (GET, HEAD, OPTIONS and
   * websockets), never status reasons, logs, Resume or management. A signed-in user whom the rule
   * lets in anyway keeps their own rights. At once unless the visitor grant must be asked.
   */
  private accessOf(p: Principal, instance: RoutedInstance): AccessOf | Promise<AccessOf> {
    const guest = p.kind === 'share' && isGuestSub(p.caller.sub);
    return atOnce(this.access.access(guest ? null : p.caller, instance), (a) => withShareGrant(p, instance, a));
  }

  /** Nobody signed in: browsers go to the gateway's login (which returns with a ticket); API clients get 401. */
  private signIn(site: Site, req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' && req.headers.accept?.includes('text/html')) {
      this.denied.inc({ reason: 'sign_in_redirect' });
      return this.redirect(res, 302, this.ticketUrl(site, safeInstancePath(req.url)));
    }
    this.denied.inc({ reason: 'unauthenticated' });
    sendPage(res, req.headers.accept, 'UNAUTHENTICATED', {
      status: 401,
      title: 'Sign in',
      message: 'sign in first: send Authorization: Bearer <personal access token>, or open the instance in a browser',
      headers: { 'www-authenticate': 'Bearer realm="wharf"' },
    });
  }

  /**
   * What the app sees: no router cookie, no platform token, no X-Wharf-* from the client, no
   * client-made X-Forwarded-* (unless trusted); X-Wharf-User and a signed identity token instead.
   */
  private forwardHeaders(req: IncomingMessage, instanceId: string, who: Extract<Identified, { ok: true }>): void {
    const h = req.headers;
    for (const k in h) if (isPlatformHeader(k)) delete h[k];
    if (!this.cfg.TrustForwardedHeaders) for (const k of FORWARDED) if (k in h) delete h[k];
    for (const name of this.auth.cookieNames) {
      if (h.cookie && h.cookie.includes(name)) {
        const rest = withoutCookie(h.cookie, name);
        if (rest) h.cookie = rest;
        else delete h.cookie;
      }
    }
    if (who.platformAuthorization) delete h.authorization;
    const caller = who.principal.caller;
    if (caller) {
      // the user's stable, unique key (their sub), never the display name two users may share
      h[IDENTITY_USER_HEADER] = headerSafe(caller.sub);
      h[IDENTITY_TOKEN_HEADER] = this.identity.for(instanceId, caller);
    }
  }

  private upstreamFailed(err: NodeJS.ErrnoException, req: Routed, res: ServerResponse | Socket): void {
    // an instance still coming up (resumed or just run) whose launcher does not listen yet: the
    // starting page, which reloads itself, rather than "not answering"
    const current = req.wharfInstance && this.directory.peek(req.wharfInstance.id)?.instance;
    const comingUp = current && NOT_LISTENING.has(err.code ?? '') ? comingUpPage(current, req.wharfInstance!.readLogs) : null;
    if (!('writeHead' in res)) {
      if (comingUp && !res.destroyed) return void res.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      // a websocket whose upstream failed before the 101
      if (!res.destroyed) res.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (res.destroyed || res.writableEnded) return;
    if (req.wharfTimedOut) {
      return sendPage(res, req.headers.accept, 'UNAVAILABLE', {
        status: 504,
        title: 'The instance did not answer',
        message: `the app sent nothing for ${this.cfg.UpstreamTimeoutSeconds} s (Router.UpstreamTimeoutSeconds)`,
      });
    }
    if (comingUp) return sendPage(res, req.headers.accept, comingUp.code, comingUp.page);
    sendPage(res, req.headers.accept, 'UNAVAILABLE', { ...unreachablePage(), message: `${unreachablePage().message} (${err.code ?? err.message})` });
  }

  private failed(e: unknown, req: IncomingMessage, res: ServerResponse): void {
    if (WharfError.is(e, 'UNAVAILABLE')) {
      return sendPage(res, req.headers.accept, 'UNAVAILABLE', {
        status: 503,
        title: 'Wharf is busy',
        message: 'the router cannot reach the platform right now; try again in a few seconds',
        retryAfterSeconds: 5,
        refreshSeconds: 5,
      });
    }
    this.log.error(`request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    sendPage(res, req.headers.accept, 'INTERNAL', { status: 500, title: 'Router error', message: 'the router failed to handle this request' });
  }

  /** An instance host with a port this router is not published at (421: not the host's origin). */
  private wrongPort(req: IncomingMessage, res: ServerResponse): void {
    sendPage(res, req.headers.accept, 'NOT_FOUND', {
      status: 421,
      title: 'Wrong port',
      message: `instances are served at ${this.cfg.Scheme}://<instance id or alias>.${this.cfg.AppsDomain}${[...this.ports].find(Boolean) ?? ''}; this host (${req.headers.host ?? 'none'}) names another port`,
    });
  }

  private notFound(req: IncomingMessage, res: ServerResponse, message = `there is no instance at ${req.headers.host ?? 'this host'}`): void {
    sendPage(res, req.headers.accept, 'NOT_FOUND', { status: 404, title: 'No such instance', message });
  }

  /** Requests to the router itself (any host that is not an instance host). */
  private ownEndpoint(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') return this.metricsAnswer(req, res);
    if (path === '/healthz' || path === '/readyz') {
      const ready = path === '/healthz' || (this.rpc.isConnected() && !this.shutdown.draining);
      const body = JSON.stringify({ status: ready ? 'ok' : this.shutdown.draining ? 'draining' : 'unavailable', nats: this.rpc.isConnected(), instances: this.directory.size(), live: this.live.count() });
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    sendPage(res, req.headers.accept, 'NOT_FOUND', {
      status: 404,
      title: 'Not an instance',
      message: `instances are served at http(s)://<instance id or alias>.${this.cfg.AppsDomain}, or under http(s)://${this.cfg.AppsDomain}/instance/<instance id>/; this host (${req.headers.host ?? 'none'}) and path are not one`,
    });
  }

  // ---- /.wharf/* : the router's own paths on every instance host -------------------------------

  private async wharfEndpoint(id: string, site: Site, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(path, 'http://x');
    if (u.pathname === INSTANCE_TICKET_PATH && req.method === 'GET') return this.redeemTicket(site, u, res);
    if (u.pathname === '/.wharf/resume' && req.method === 'POST') return this.resume(id, site, req, res);
    if (u.pathname === '/.wharf/logout' && (req.method === 'GET' || req.method === 'POST')) {
      res.setHeader('set-cookie', this.routerCookie(site, '', 0));
      return sendPage(res, req.headers.accept, 'OK', { status: 200, title: 'Signed out of this instance', message: 'The router forgot your sign-in for this instance.' });
    }
    this.notFound(req, res);
  }

  /** The router's cookie for a site: host-wide on an instance host, on the instance's path on the shared apps host. */
  private routerCookie(site: Site, value: string, maxAgeSeconds: number): string {
    return site.mode === 'BASE_URL'
      ? setCookieHeader(this.auth.pathCookieName, value, { secure: this.auth.secure, maxAgeSeconds, path: `${site.prefix}/` })
      : setCookieHeader(this.auth.cookieName, value, { secure: this.auth.secure, maxAgeSeconds });
  }

  /** The gateway's sign-in for a site, coming back to `next`. */
  private ticketUrl(site: Site, next: string): string {
    return `${this.cfg.GatewayUrl.replace(/\/+$/, '')}/auth/instance-ticket?host=${encodeURIComponent(site.key)}&next=${encodeURIComponent(next)}`;
  }

  /** `/.wharf/ticket?t=…&next=…`: the gateway sent the browser here after login; the ticket becomes our cookie for this site. */
  private async redeemTicket(site: Site, u: URL, res: ServerResponse): Promise<void> {
    const ticket = u.searchParams.get('t') ?? '';
    // on the shared apps host, only back into this instance's own path
    const next = site.prefix ? safeSitePath(u.searchParams.get('next'), `${site.prefix}/`) : safeInstancePath(u.searchParams.get('next'));
    let r;
    try {
      if (!ticket) throw new WharfError('UNAUTHENTICATED', 'the link has no ticket');
      r = await lookup(this.rpc, IdentityContracts.redeemTicket, { ticket, host: site.key }, null, this.cfg.LookupTimeoutMs);
    } catch (e) {
      if (!WharfError.is(e, 'UNAUTHENTICATED') && !WharfError.is(e, 'INVALID')) throw e;
      const again = this.ticketUrl(site, next);
      return sendPage(res, 'text/html', 'UNAUTHENTICATED', {
        status: 401,
        title: 'This sign-in link is not valid',
        message: `${e.message}. Sign-in links work once, for a short time, on the host they were made for.`,
        actions: `<p><a class="button" href="${again.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">Sign in again</a></p>`,
      });
    }
    const exp = Math.floor(new Date(r.expiresAt).getTime() / 1000);
    const value = signCookie(this.auth.cookieSigningKey, {
      s: r.session ?? '',
      h: site.key,
      e: exp,
      ...(r.share ? { sh: r.share.id, ...(r.session ? {} : { g: r.caller.sub }) } : {}),
    });
    if (r.session) this.auth.remember(r.session, r.caller);
    if (r.share) this.auth.rememberShare(r.share.id, r.share.instanceId, r.expiresAt);
    res.writeHead(303, {
      location: next,
      'set-cookie': this.routerCookie(site, value, exp - Date.now() / 1000),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-length': '0',
    });
    res.end();
  }

  /** The Resume button of the suspended page (owner or admin; same-origin form posts only). */
  private async resume(id: string, site: Site, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (req.headers.origin !== `${this.cfg.Scheme}://${site.host}`) {
      return sendPage(res, req.headers.accept, 'FORBIDDEN', { status: 403, title: 'Not resumed', message: 'the Resume form must be sent from the instance page itself' });
    }
    const who = await this.auth.identify(req.headers, site.key, id, site.mode === 'BASE_URL');
    if (!who.ok || !who.principal.caller) return this.signIn(site, req, res);
    if (isGuestSub(who.principal.caller.sub)) {
      return sendPage(res, req.headers.accept, 'FORBIDDEN', { status: 403, title: 'Not resumed', message: `only ${this.directory.peek(id)?.instance?.owner.name ?? 'its owner'} and admins may resume this instance` });
    }
    try {
      await lookup(this.rpc, SchedulerContracts.resume, { id }, who.principal.caller, this.settings.platform.RequestTimeoutMs);
    } catch (e) {
      if (!WharfError.is(e) || e.code === 'UNAVAILABLE' || e.code === 'INTERNAL') throw e;
      return sendPage(res, req.headers.accept, e.code, { status: e.code === 'LIMIT_EXCEEDED' ? 429 : 403, title: 'Not resumed', message: e.message });
    }
    // the page the browser comes back to shows the instance coming up, not the suspended page its change event has not replaced yet
    await this.directory.reload(id).catch((e: Error) => this.log.warn(`instance ${id}: reading it again after resume failed: ${e.message}`));
    this.redirect(res, 303, `${site.prefix}/`);
  }

  // ---- websockets ------------------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.upgrade(req, socket, head).catch((e: unknown) => {
      if (!WharfError.is(e, 'UNAVAILABLE')) this.log.error(`upgrade failed: ${e instanceof Error ? e.message : String(e)}`);
      reject(socket, WharfError.is(e, 'UNAVAILABLE') ? 503 : 500, 'the router cannot reach the platform right now', { 'Retry-After': '5' });
    });
  }

  /** Same decisions as HTTP, plus Origin; only then is the upgrade handed to the proxy. Never a 101 before. */
  private async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const host = (req.headers.host ?? '').toLowerCase();
    const url = req.url ?? '/';
    let hostId = instanceIdOf(host, this.cfg.AppsDomain);
    let site = domainSite(host);
    if (hostId === null && isAppsHost(host, this.cfg.AppsDomain)) {
      const base = basePathOf(url);
      if (base && INSTANCE_ID_PATTERN.test(base.id) && base.rest.startsWith('/')) {
        hostId = base.id;
        site = baseUrlSite(host, base.id);
      }
    }
    const alias = hostId === '' ? aliasOf(host, this.cfg.AppsDomain) : null;
    if ((!hostId && alias === null) || url.slice(site.prefix.length).startsWith('/.wharf/')) return reject(socket, 404, 'no such instance');
    if (!portAllowed(host, this.ports)) return reject(socket, 421, `this router serves instances at another port than ${host}`);
    // websockets are never redirected to the primary alias: served on the host they were opened on
    let id = hostId!;
    if (alias !== null) {
      const target = await this.aliasTarget(alias);
      if ('missing' in target) return reject(socket, 404, target.missing);
      id = target.id;
    }
    const entry = await this.directory.lookup(id);
    const instance = entry.instance;
    if (!instance) return reject(socket, 404, 'no such instance');
    // a websocket cannot follow a redirect: say where the instance is served instead
    if ((instance.routingMode ?? 'DOMAIN') !== site.mode) return reject(socket, 404, `instance ${id} is served at ${instance.url}`);
    const who = await this.auth.identify(req.headers, site.key, id, site.mode === 'BASE_URL');
    const refused = await this.refusal(who, instance, 'GET');
    if (refused === 'sign-in') return reject(socket, 401, 'sign in first (cookie from the browser sign-in, or Authorization: Bearer)');
    if ('code' in refused) {
      this.denied.inc({ reason: refused.page.status === 401 ? 'unauthenticated' : 'forbidden' });
      return reject(socket, refused.page.status, refused.page.message);
    }
    const ok = who as Extract<Identified, { ok: true }>;
    // Cross-site websocket hijacking: a page elsewhere must not ride on the browser's cookie.
    const origin = req.headers.origin;
    if (origin ? origin !== `${this.cfg.Scheme}://${host}` : ok.principal.kind === 'cookie' || ok.principal.kind === 'share') {
      return reject(socket, 403, `websocket from another origin (${origin ?? 'none'}) refused`);
    }
    if (ok.principal.kind === 'bearer' && ok.principal.readOnly) return reject(socket, 403, 'a read-only token may not open websockets');
    if (statusPage(instance, false, false)) return reject(socket, 503, `the instance is ${instance.status.toLowerCase()}`, { 'Retry-After': '1' });
    if (entry.outside) return reject(socket, 502, outsidePage().message);
    if (!entry.upstream) return reject(socket, 503, `the instance is ${instance.status.toLowerCase()}`, { 'Retry-After': '1' });
    if (socket.destroyed) return;
    this.forwardHeaders(req, id, ok);
    this.activity.saw(id);
    const untrack = this.live.add({
      instanceId: id,
      principal: ok.principal,
      since: Date.now(),
      websocket: true,
      close: () => socket.destroy(),
      bytes: () => socket.bytesRead + socket.bytesWritten,
    });
    socket.once('close', untrack);
    (req as Routed).wharfTarget = entry.upstream;
    (req as Routed).wharfInstance = { id, readLogs: false };
    await this.proxy.upgrade(req, socket, head);
  }

  // ---- revocation ------------------------------------------------------------------------------

  /** An instance changed: open connections that lost access (or whose upstream went) are closed. */
  private async revalidate(id: string, after: RoutedInstance | null): Promise<void> {
    const conns = this.live.of(id);
    if (conns.length === 0) return;
    const target = this.directory.upstreamFor(after).upstream;
    for (const c of conns) {
      let keep = !!after && !!target && !statusPage(after, false, false);
      if (keep) {
        try {
          keep = decisionOf(c.principal.caller, (await this.accessOf(c.principal, after!)).access) === 'allow';
        } catch {
          keep = true; // cannot tell now; the sweep asks again
        }
      }
      if (!keep) c.close();
    }
  }

  /** Sessions end and tokens get revoked: connections opened with them close within seconds. */
  private async sweep(): Promise<void> {
    const now = Date.now();
    const checked = new Map<string, Promise<boolean>>();
    for (const c of [...this.live.all()]) {
      if (c.principal.kind === 'anonymous' || now - c.since < SWEEP_MS) continue;
      const key = credentialOf(c.principal);
      let valid = checked.get(key);
      if (valid === undefined) {
        valid = this.auth.stillValid(c.principal).catch(() => true);
        checked.set(key, valid);
      }
      if (!(await valid)) c.close();
    }
  }
}

const credentialOf = (p: Principal): string =>
  p.kind === 'cookie' ? `s:${p.session}` : p.kind === 'bearer' ? `t:${p.token}` : p.kind === 'share' ? `sh:${p.share}\n${p.session ?? p.caller.sub}` : '';

type Refusal = 'sign-in' | { code: string; page: PageOptions } | { access: InstanceAccess };
interface AccessOf {
  access: InstanceAccess;
  viewOnly: boolean;
}

/** A share link's principal: at least view access to its own instance (see accessOf). */
function withShareGrant(p: Principal, instance: RoutedInstance, access: InstanceAccess): AccessOf {
  if (p.kind !== 'share' || access.open || p.instanceId !== instance.id) return { access, viewOnly: false };
  return { access: { seeStatus: true, readLogs: false, open: true, manage: false }, viewOnly: true };
}

/** The refusal for an identified caller with this access, if any (see RouterServer.refusal). */
function refusalFor(principal: Principal, instance: RoutedInstance, method: string, { access, viewOnly }: AccessOf): Refusal {
  const caller = principal.caller;
  const decision = decisionOf(caller, access);
  if (decision === 'sign-in') return 'sign-in';
  if (decision === 'deny') {
    return {
      code: 'FORBIDDEN',
      page: {
        status: 403,
        title: 'No access',
        message: `${caller!.name} may not open this instance: it is ${instance.visibility === 'PRIVATE' ? `private to ${instance.owner.name}` : 'shared with signed-in users whose role the app grants'}.`,
      },
    };
  }
  if (principal.kind === 'bearer' && principal.readOnly && !SAFE_METHODS.has(method)) {
    return { code: 'FORBIDDEN', page: { status: 403, title: 'Read-only token', message: `a read-only token may not send ${method} requests` } };
  }
  if (viewOnly && !SAFE_METHODS.has(method)) {
    return {
      code: 'FORBIDDEN',
      page: { status: 403, title: 'View only', message: `a share link lets you view this instance: ${method} requests are not allowed (ask ${instance.owner.name} for access)` },
    };
  }
  return { access };
}

/** The record names an address outside Router.InstanceNetworks (never shown: it is internal). */
function outsidePage(): PageOptions {
  return {
    status: 502,
    title: 'The instance cannot be reached',
    message: 'the instance is registered at an address outside the networks Wharf runs instances in, so the router does not connect to it; an administrator can find the details in the router log',
  };
}

function unreachablePage(): PageOptions {
  return { status: 502, title: 'The instance is not answering', message: 'the app did not accept the connection; it may be restarting', refreshSeconds: 3 };
}

function reject(socket: Socket, status: number, message: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const text = http.STATUS_CODES[status] ?? 'Error';
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\n${extra}\r\n${message}`);
}
