import http from 'node:http';
import { freePort, instanceRecord } from '@wharf/testing';
import { guestCaller, InstanceChangedEvent, ShareRevokedEvent, TokenChangedEvent, type Caller, type RoutedInstance } from '@wharf/contracts';
import WebSocket from 'ws';
import { startRouter } from './bootstrap';
import { RouterConfigSchema } from './router.config';
import { SECRET, startRouterHarness, startUpstream, USERS, type RouterHarness, type UpstreamSeen } from './test-support/router-harness';

/**
 * Share links at the router: a principal who came through a share link VIEWS the instance
 * (GET/HEAD/OPTIONS and websockets) even when it is PRIVATE, never manages it, and loses it at once
 * when the share is revoked (on every replica) or expires. Real NATS, a real upstream; the gateway's
 * answers (tickets, sessions, share checks) come from the harness's tables.
 */
let h: RouterHarness;
let up: Awaited<ReturnType<typeof startUpstream>>;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function send(host: string, opts: { method?: string; path?: string; headers?: Record<string, string>; port?: number; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: opts.port ?? h.port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host, ...opts.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function openWs(host: string, headers: Record<string, string>, port = h.port): Promise<{ ws: WebSocket; first: { headers: Record<string, string> } } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host, ...headers } });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode! });
      res.resume();
      ws.terminate();
    });
    ws.once('message', (m) => resolve({ ws, first: JSON.parse(m.toString()) as { headers: Record<string, string> } }));
    ws.once('error', reject);
  });
}

function add(over: Partial<RoutedInstance> = {}): RoutedInstance {
  const i = instanceRecord({ address: `127.0.0.1:${up.port}`, visibility: 'PRIVATE', ...over });
  h.platform.instances.set(i.id, i);
  return i;
}

let seq = 0;
/** A share of `instance` (as the gateway would have made it), valid for `ms`. */
function share(instance: RoutedInstance, ms = 3600_000): string {
  const id = `sh_test${++seq}`;
  h.platform.shares.set(id, { instanceId: instance.id, expiresAt: new Date(Date.now() + ms).toISOString() });
  return id;
}

/** What the browser gets after opening a share link: the gateway's ticket, redeemed at the instance host, as a cookie. */
async function cookieThrough(shareId: string, host: string, who: keyof typeof USERS | 'guest'): Promise<string> {
  const ticket = `ticket-${Math.random().toString(36).slice(2)}`;
  if (who === 'guest') {
    h.platform.tickets.set(ticket, { host, session: null, share: shareId, guest: guestCaller(`use${++seq}`) });
  } else {
    const session = `sess-${who}-${Math.random().toString(36).slice(2)}`;
    h.platform.sessions.set(session, USERS[who] as Caller);
    h.platform.tickets.set(ticket, { host, session, share: shareId });
  }
  const r = await send(host, { path: `/.wharf/ticket?t=${ticket}&next=%2F` });
  expect(r.status).toBe(303);
  return r.headers['set-cookie']![0]!.split(';')[0]!;
}

const seen = (a: Answer) => JSON.parse(a.text) as UpstreamSeen;
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { sub: string; name: string; roles: string[] };
const revoke = (shareId: string, instanceId: string) => {
  h.platform.shares.delete(shareId);
  return h.rpc.emit(ShareRevokedEvent, { shareId, instanceId, reason: 'REVOKED', at: new Date().toISOString() });
};

beforeAll(async () => {
  up = await startUpstream();
  // a long cache: revocation must not wait for it (the event closes and refuses at once)
  h = await startRouterHarness({ AuthCacheMs: 10_000, ResyncSeconds: 1 });
});
afterAll(async () => {
  await h?.stop();
  await up?.stop();
});

describe('viewing through a share link', () => {
  it('lets a signed-in user view a PRIVATE instance as themselves: GET, HEAD, OPTIONS and websockets, never other methods', async () => {
    const i = add();
    const host = h.host(i.id);
    const cookie = await cookieThrough(share(i), host, 'bob');
    const got = await send(host, { path: '/page?x=1', headers: { cookie } });
    expect(got.status).toBe(200);
    expect(seen(got).headers['x-wharf-user']).toBe('bob'); // never the owner's identity
    expect(claims(seen(got).headers['x-wharf-identity'] as string)).toMatchObject({ sub: 'bob', name: 'bob' });
    expect(seen(got).headers.cookie).toBeUndefined();
    expect((await send(host, { method: 'HEAD', headers: { cookie } })).status).toBe(200);
    expect((await send(host, { method: 'OPTIONS', headers: { cookie } })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await send(host, { method, headers: { cookie, 'content-type': 'text/plain', 'content-length': '1' }, body: 'x' });
      expect([method, r.status]).toEqual([method, 403]);
      expect(r.text).toContain('a share link lets you view this instance');
    }
    const ws = await openWs(host, { cookie, origin: `http://${host}` });
    if (!('ws' in ws)) throw new Error(`websocket refused: ${ws.status}`);
    expect(ws.first.headers['x-wharf-user']).toBe('bob');
    ws.ws.close();
    // cross-site websocket hijacking: the share cookie needs the instance's own Origin like any other
    expect(await openWs(host, { cookie })).toEqual({ status: 403 });
    expect(await openWs(host, { cookie, origin: 'http://evil.example' })).toEqual({ status: 403 });
  });

  it('gives anonymous guests a guest identity (guest:<use>, no roles), never anyone else’s', async () => {
    const i = add();
    const host = h.host(i.id);
    const cookie = await cookieThrough(share(i), host, 'guest');
    const got = seen(await send(host, { headers: { cookie } }));
    expect(got.headers['x-wharf-user']).toMatch(/^guest:use\d+$/);
    expect(claims(got.headers['x-wharf-identity'] as string)).toMatchObject({ sub: got.headers['x-wharf-user'], name: 'Guest (share link)', roles: [] });
    expect((await send(host, { method: 'POST', headers: { cookie }, body: 'x' })).status).toBe(403);
  });

  it('grants no management: no Resume on the suspended page, and POST /.wharf/resume is refused', async () => {
    const i = add({ status: 'SUSPENDED', statusReason: 'idle for 30 min', address: null });
    const host = h.host(i.id);
    for (const who of ['bob', 'guest'] as const) {
      const cookie = await cookieThrough(share(i), host, who);
      const page = await send(host, { headers: { cookie, accept: 'text/html' } });
      expect(page.status).toBe(503);
      expect(page.text).not.toContain('/.wharf/resume');
      expect(page.text).not.toContain('idle for 30 min'); // the reason is for those who may read the logs
      const resume = await send(host, { method: 'POST', path: '/.wharf/resume', headers: { cookie, origin: `http://${host}` } });
      expect([who, resume.status]).toEqual([who, 403]);
    }
    expect(h.platform.resumed).not.toContain(i.id);
  });

  it('is worth nothing on another instance, and a share of A redeemed at B opens nothing', async () => {
    const a = add();
    const b = add();
    const shareA = share(a);
    const cookie = await cookieThrough(shareA, h.host(a.id), 'bob');
    expect((await send(h.host(b.id), { headers: { cookie } })).status).toBe(401);
    const atB = await cookieThrough(shareA, h.host(b.id), 'bob');
    expect((await send(h.host(b.id), { headers: { cookie: atB } })).status).toBe(401);
  });

  it('keeps the rights a signed-in user has anyway (an ALL_USERS instance takes their POST)', async () => {
    const i = add({ visibility: 'ALL_USERS' });
    const cookie = await cookieThrough(share(i), h.host(i.id), 'bob');
    expect((await send(h.host(i.id), { method: 'POST', headers: { cookie }, body: 'x' })).status).toBe(200);
  });
});

describe('losing access', () => {
  it('closes the websockets of everyone who came through a revoked link on every router replica, at once, and refuses their cookies', async () => {
    const port = await freePort();
    const second = await startRouter({
      platform: { NatsUrl: h.nats.url, RequestTimeoutMs: 3000, InternalSecret: SECRET, DataDir: '/tmp', LogLevel: 'error', ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 10 },
      router: RouterConfigSchema.parse({ Port: port, PublicPort: h.port, GatewayUrl: 'http://gateway.test:8080', AuthCacheMs: 10_000 }),
    });
    try {
      const i = add();
      const host = h.host(i.id);
      const revoked = share(i);
      const kept = share(i);
      const bob = await cookieThrough(revoked, host, 'bob');
      const guest = await cookieThrough(revoked, host, 'guest');
      const vic = await cookieThrough(kept, host, 'vic');
      const sockets = [await openWs(host, { cookie: bob, origin: `http://${host}` }), await openWs(host, { cookie: guest, origin: `http://${host}` }, port)];
      const other = await openWs(host, { cookie: vic, origin: `http://${host}` }, port);
      if (!sockets.every((s) => 'ws' in s) || !('ws' in other)) throw new Error('not opened');
      const closed = sockets.map((s) => new Promise((r) => (s as { ws: WebSocket }).ws.once('close', r)));
      await revoke(revoked, i.id);
      await Promise.all(closed); // no cache wait: AuthCacheMs is 10 s here
      expect(other.ws.readyState).toBe(WebSocket.OPEN);
      for (const cookie of [bob, guest]) {
        expect((await send(host, { headers: { cookie } })).status).toBe(401);
        expect((await send(host, { headers: { cookie }, port })).status).toBe(401);
      }
      expect((await send(host, { headers: { cookie: vic } })).status).toBe(200);
      other.ws.close();
    } finally {
      await second.app.close();
    }
  });

  it('ends at expiry: the open websocket closes and the cookie stops working, without any event', async () => {
    const i = add();
    const host = h.host(i.id);
    const cookie = await cookieThrough(share(i, 2500), host, 'bob');
    const ws = await openWs(host, { cookie, origin: `http://${host}` });
    if (!('ws' in ws)) throw new Error('not opened');
    await new Promise((r) => ws.ws.once('close', r));
    expect((await send(host, { headers: { cookie } })).status).toBe(401);
  });

  it('ends with the signed-in user’s session, and with the instance (terminated: the status page, websockets closed)', async () => {
    const i = add();
    const host = h.host(i.id);
    const cookie = await cookieThrough(share(i), host, 'bob');
    const ws = await openWs(host, { cookie, origin: `http://${host}` });
    if (!('ws' in ws)) throw new Error('not opened');
    const closed = new Promise((r) => ws.ws.once('close', r));
    const next: RoutedInstance = { ...i, status: 'TERMINATED', statusReason: 'terminated by alice', address: null };
    h.platform.instances.set(i.id, next);
    await h.rpc.emit(InstanceChangedEvent, { instance: next, change: 'STATUS', previousStatus: 'RUNNING', at: new Date().toISOString() });
    await closed;
    const j = add();
    const viaJ = await cookieThrough(share(j), h.host(j.id), 'alice');
    const ws2 = await openWs(h.host(j.id), { cookie: viaJ, origin: `http://${h.host(j.id)}` });
    if (!('ws' in ws2)) throw new Error('not opened');
    const closed2 = new Promise((r) => ws2.ws.once('close', r));
    for (const [s, c] of h.platform.sessions) if (c.sub === 'alice') h.platform.sessions.delete(s);
    // the gateway's word that alice's sign-ins changed drops what the router holds of them; the sweep then asks again
    await h.rpc.emit(TokenChangedEvent, { reason: 'REVOKED', userSub: 'alice', at: new Date().toISOString() });
    await closed2;
    expect((await send(h.host(j.id), { headers: { cookie: viaJ } })).status).toBe(401);
  });
});
