import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Inject, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import {
  AliasChangedEvent,
  AliasContracts,
  IdentityContracts,
  InstanceActivityEvent,
  RepositoryContracts,
  SchedulerContracts,
  ShareContracts,
  forbidden,
  notFound,
  unauthenticated,
  type AppVersion,
  type Caller,
  type Role,
  type RoutedInstance,
} from '@wharf/contracts';
import { Handle, NatsModule, OnEvent, RpcClient, natsServerOptions, WharfExceptionFilter, type EventOf, type Msg } from '@wharf/nats';
import { freePort, startNatsServer, type NatsServer } from '@wharf/testing';
import { WebSocketServer } from 'ws';
import { startRouter } from '../bootstrap';
import { RouterConfigSchema, type RouterSettings } from '../router.config';

export const SECRET = 'router-test-internal-secret-0123456789';

export const USERS = {
  alice: { sub: 'alice', name: 'alice', roles: ['full-access'] },
  bob: { sub: 'bob', name: 'bob', roles: ['full-access'] },
  admin: { sub: 'root', name: 'root', roles: ['admin'] },
  vic: { sub: 'vic', name: 'vic', roles: ['visitor'] },
} satisfies Record<string, Caller>;

/**
 * The platform services the router asks over NATS, played by the test: the scheduler (instance
 * records, resume), the gateway (tokens, sessions, tickets) and the repository (visitor grants).
 * Real NATS, real Nest handlers with the real contracts; only the answers come from these tables.
 */
export class Platform {
  instances = new Map<string, RoutedInstance>();
  /** token → who it is (readOnly tokens may only read). */
  tokens = new Map<string, { caller: Caller; readOnly: boolean }>();
  sessions = new Map<string, Caller>();
  /** ticket → { host, session } (single use); from a share link: its share, and a guest's caller when there is no session. */
  tickets = new Map<string, { host: string; session: string | null; share?: string; guest?: Caller }>();
  /** share id → what it grants (gone: revoked); `checks` counts gateway.share.check.v1 requests. */
  shares = new Map<string, { instanceId: string; expiresAt: string }>();
  shareChecks = 0;
  /** appVersionId → visitor roles its tags grant. */
  grants = new Map<string, string[]>();
  /** App versions the repository shows everyone (PUBLIC under Repository.AllowPublic), with no tag. */
  publicApps = new Set<string>();
  resumed: string[] = [];
  /** The alias table the scheduler would answer (`setAlias` changes it and publishes the event). */
  aliases = new Map<string, { instanceId: string | null; primary: boolean; seq: number }>();
  aliasSeq = 0;
  aliasLookups = 0;
  /** events.instance.activity.v1 as received. */
  activity: { ids: string[]; at: string }[] = [];
  lookups = 0;
}

const PLATFORM = Symbol('PLATFORM');

@Controller()
class PlatformHandlers {
  constructor(@Inject(PLATFORM) private readonly p: Platform) {}

  @Handle(SchedulerContracts.route)
  route(@Payload() m: Msg<typeof SchedulerContracts.route>) {
    this.p.lookups++;
    return { instances: m.body.ids.map((id) => this.p.instances.get(id)).filter((i): i is RoutedInstance => !!i) };
  }

  @Handle(AliasContracts.route)
  aliasRoute(@Payload() m: Msg<typeof AliasContracts.route>) {
    this.p.aliasLookups++;
    const names = m.body.names ?? [...this.p.aliases.keys()];
    return { seq: this.p.aliasSeq, aliases: names.flatMap((name) => (this.p.aliases.has(name) ? [{ name, ...this.p.aliases.get(name)! }] : [])) };
  }

  @OnEvent(InstanceActivityEvent)
  activity(@Payload() e: EventOf<typeof InstanceActivityEvent>) {
    this.p.activity.push(e);
  }

  @Handle(SchedulerContracts.resume)
  resume(@Payload() m: Msg<typeof SchedulerContracts.resume>) {
    const i = this.p.instances.get(m.body.id);
    if (!i) throw notFound('no such instance');
    if (m.caller?.sub !== i.owner.sub) throw forbidden('only the owner resumes it');
    this.p.resumed.push(i.id);
    // as the scheduler does: coming up at once, at the new launcher's address (which may not listen yet); its event comes later
    const resumed: RoutedInstance = { ...i, status: 'PROVISIONING', statusReason: 'Fetching bundle', address: i.address ?? '127.0.0.1:1' };
    this.p.instances.set(i.id, resumed);
    return resumed;
  }

  @Handle(IdentityContracts.verifyToken)
  verify(@Payload() m: Msg<typeof IdentityContracts.verifyToken>) {
    const t = this.p.tokens.get(m.body.token);
    if (!t) throw unauthenticated('unknown token');
    return { caller: t.caller, kind: 'pat' as const, readOnly: t.readOnly, expiresAt: null };
  }

  @Handle(IdentityContracts.checkSession)
  check(@Payload() m: Msg<typeof IdentityContracts.checkSession>) {
    const c = this.p.sessions.get(m.body.session);
    if (!c) throw unauthenticated('session ended');
    return { caller: c, expiresAt: new Date(Date.now() + 3600_000).toISOString() };
  }

  @Handle(IdentityContracts.redeemTicket)
  redeem(@Payload() m: Msg<typeof IdentityContracts.redeemTicket>) {
    const t = this.p.tickets.get(m.body.ticket);
    if (!t || t.host !== m.body.host) throw unauthenticated('instance ticket refused: bad, used or for another host');
    this.p.tickets.delete(m.body.ticket);
    const caller = t.session ? this.p.sessions.get(t.session) : t.guest;
    if (!caller) throw unauthenticated('session ended');
    const share = t.share ? this.p.shares.get(t.share) : undefined;
    if (t.share && !share) throw unauthenticated('the share link was revoked');
    return {
      caller,
      host: t.host,
      session: t.session,
      expiresAt: share?.expiresAt ?? new Date(Date.now() + 3600_000).toISOString(),
      share: t.share && share ? { id: t.share, instanceId: share.instanceId } : null,
    };
  }

  @Handle(ShareContracts.check)
  checkShare(@Payload() m: Msg<typeof ShareContracts.check>) {
    this.p.shareChecks++;
    const s = this.p.shares.get(m.body.share);
    if (!s || Date.parse(s.expiresAt) <= Date.now()) throw unauthenticated('the share link was revoked or has expired');
    return { instanceId: s.instanceId, expiresAt: s.expiresAt, anonymous: false };
  }

  @Handle(RepositoryContracts.get)
  app(@Payload() m: Msg<typeof RepositoryContracts.get>): AppVersion {
    const roles = this.p.grants.get(m.body.id) ?? [];
    const isPublic = this.p.publicApps.has(m.body.id);
    if (!isPublic && !m.caller?.roles.some((r) => roles.includes(r))) throw notFound(`app version ${m.body.id} not found`);
    return {
      id: m.body.id,
      name: 'echo',
      version: '1.0.0',
      title: 'Echo',
      description: '',
      longDescription: null,
      categories: ['Other'],
      keywords: [],
      owner: { sub: 'alice', name: 'alice' },
      visibility: isPublic ? 'PUBLIC' : 'ALL_USERS',
      tags: roles.length ? [{ name: 'granted', title: 'Granted', color: '#1f6feb', visitorRoles: roles as Role[] }] : [],
      runtime: { module: 'echo', runtimeVersion: null, memoryLimit: null, memoryReservation: null, volumeMount: null, volumeSize: null, gpuCount: 0, gpuType: null, instanceTimeoutMinutes: null, lifecycle: 'ON_DEMAND', linkAddress: null, routingMode: null },
      env: [],
      files: [],
      sha256: '0'.repeat(64),
      size: 1,
      hasIcon: false,
      screenshotCount: 0,
      createdAt: new Date().toISOString(),
    };
  }
}

export interface UpstreamSeen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
}

/**
 * The app behind the router: echoes what it received (method, url, headers, body size and hash)
 * as JSON; `/sse` streams events, `/big?mb=N` streams N MiB, `/slow?ms=N` answers late, `/drop`
 * breaks the connection mid-response, `/toss` tries to plant cookies on the parent domain,
 * `/hop` answers with hop-by-hop headers and closes its side, `/forever` streams until the
 * router hangs up (`openStreams()` counts those still open).
 * Websockets: the first message is the upgrade request's headers, then every message is echoed.
 */
export async function startUpstream(): Promise<{ url: string; port: number; server: http.Server; wss: WebSocketServer; openStreams(): number; stop(): Promise<void> }> {
  let streams = 0;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/forever') {
      streams++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const tick = setInterval(() => res.write('data: tick\n\n'), 20);
      res.once('close', () => {
        clearInterval(tick);
        streams--;
      });
      return;
    }
    if (u.pathname === '/hop') {
      res.writeHead(200, { connection: 'close, x-hop', 'keep-alive': 'timeout=1', 'x-hop': 'for the router only', 'content-type': 'text/plain', 'content-length': '3' });
      return void res.end('hop');
    }
    if (u.pathname === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      setTimeout(() => res.end('data: last\n\n'), Number(u.searchParams.get('gap') ?? 800));
      return;
    }
    if (u.pathname === '/big') {
      const total = Number(u.searchParams.get('mb') ?? 1) * 1024 * 1024;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const n = Math.min(chunk.length, total - sent);
          sent += n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (u.pathname === '/slow') return void setTimeout(() => res.end('late'), Number(u.searchParams.get('ms') ?? 3000));
    if (u.pathname === '/drop') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      return void setTimeout(() => res.socket?.destroy(), 50);
    }
    if (u.pathname === '/toss') {
      res.setHeader('set-cookie', [
        'wharf_instance=forged; Domain=apps.localhost; Path=/',
        'theme=dark; Domain=apps.localhost; Path=/',
        'local=1; Path=/',
        'twice=1; Domain=x.apps.localhost; Path=/; Domain=apps.localhost',
      ]);
      return void res.end('tossed');
    }
    if (u.pathname === '/toss-variants') {
      res.setHeader('set-cookie', [' wharf_instance=forged', 'WHARF_INSTANCE=forged', 'wharf_instance =forged', '=wharf_instance=forged', 'keep=1; Path=/']);
      return void res.end('tossed');
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      const seen: UpstreamSeen = { method: req.method!, url: req.url!, headers: req.headers, bodyBytes: bytes, bodySha256: hash.digest('hex') };
      const body = JSON.stringify(seen);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify({ headers: req.headers }));
    ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    wss,
    openStreams: () => streams,
    stop: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Changes the alias table as the scheduler would (`instanceId` undefined: delete; `primary`: the
 * instance's previous primary becomes a normal alias) and publishes `events.alias.changed.v1`.
 */
export async function setAlias(h: Pick<RouterHarness, 'platform' | 'rpc'>, name: string, instanceId: string | null | undefined, primary = false): Promise<void> {
  const p = h.platform;
  const seq = ++p.aliasSeq;
  const touched: string[] = [];
  if (instanceId === undefined) p.aliases.delete(name);
  else {
    if (primary) {
      for (const [other, a] of p.aliases) {
        if (other !== name && a.primary && a.instanceId === instanceId) {
          p.aliases.set(other, { ...a, primary: false, seq });
          touched.push(other);
        }
      }
    }
    p.aliases.set(name, { instanceId, primary: primary && instanceId !== null, seq });
    touched.push(name);
  }
  await h.rpc.emit(AliasChangedEvent, {
    seq,
    aliases: touched.map((n) => ({ name: n, ...p.aliases.get(n)! })),
    deleted: instanceId === undefined ? [name] : [],
    at: new Date().toISOString(),
  });
}

export interface RouterHarness {
  nats: NatsServer;
  platform: Platform;
  platformApp: INestMicroservice;
  rpc: RpcClient;
  router: INestMicroservice;
  port: number;
  host(id: string): string;
  url(id: string, path?: string): string;
  stop(): Promise<void>;
}

export async function startRouterHarness(router: Partial<Record<keyof RouterSettings['router'], unknown>> = {}): Promise<RouterHarness> {
  const nats = await startNatsServer();
  const platform = new Platform();
  @Module({
    imports: [NatsModule.forService('platform', { NatsUrl: nats.url, RequestTimeoutMs: 3000, InternalSecret: SECRET })],
    controllers: [PlatformHandlers],
    providers: [{ provide: PLATFORM, useValue: platform }],
  })
  class PlatformModule {}
  const servers = [nats.url];
  const platformApp = await NestFactory.createMicroservice(PlatformModule, {
    ...natsServerOptions({ service: 'platform', servers, requestTimeoutMs: 3000 }),
    logger: false,
  });
  platformApp.useGlobalFilters(new WharfExceptionFilter());
  await platformApp.listen();
  const rpc = platformApp.get(RpcClient);
  await rpc.connect();
  const port = await freePort();
  const settings: RouterSettings = {
    platform: { NatsUrl: nats.url, RequestTimeoutMs: 3000, InternalSecret: SECRET, DataDir: '/tmp', LogLevel: 'error', ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 10 },
    router: RouterConfigSchema.parse({ Port: port, GatewayUrl: 'http://gateway.test:8080', ...router }),
  };
  const started = await startRouter(settings);
  return {
    nats,
    platform,
    platformApp,
    rpc,
    router: started.app,
    port: started.port,
    host: (id) => `${id}.apps.localhost:${started.port}`,
    url: (id, path = '/') => `http://${id}.apps.localhost:${started.port}${path}`,
    stop: async () => {
      await started.app.close();
      await platformApp.close();
      await nats.stop();
    },
  };
}
