import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { instanceIdentityKey, InstanceChangedEvent, TokenChangedEvent, type Caller, type RoutedInstance, type Visibility } from '@wharf/contracts';
import { freePort, instanceRecord } from '@wharf/testing';
import WebSocket from 'ws';
import { startRouter } from './bootstrap';
import { RouterConfigSchema } from './router.config';
import { SECRET, startRouterHarness, startUpstream, USERS, type RouterHarness, type UpstreamSeen } from './test-support/router-harness';

/**
 * The router against real NATS (a private nats-server), a real upstream app (HTTP + websockets)
 * and the platform's NATS contracts answered by in-test handlers (the e2e spec runs it against
 * the real gateway and scheduler with sample instances).
 */
let h: RouterHarness;
let up: Awaited<ReturnType<typeof startUpstream>>;

const TOKENS = { alice: 'wharf_pat_alice', bob: 'wharf_pat_bob', admin: 'wharf_pat_admin', vic: 'wharf_pat_vic' } as const;
type Who = keyof typeof TOKENS | 'anonymous';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

function send(host: string, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: h.port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host, ...opts.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString() });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const bearer = (who: Who): Record<string, string> => (who === 'anonymous' ? {} : { authorization: `Bearer ${TOKENS[who]}` });

/** Opens a websocket; resolves with the socket (after the upstream's first message) or the refusal status. */
function openWs(host: string, headers: Record<string, string>, path = '/ws'): Promise<{ ws: WebSocket; first: { headers: Record<string, string> } } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}${path}`, { headers: { host, ...headers } });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode! });
      res.resume();
      ws.terminate();
    });
    ws.once('message', (m) => resolve({ ws, first: JSON.parse(m.toString()) as { headers: Record<string, string> } }));
    ws.once('error', (e) => reject(e));
  });
}

function add(over: Partial<RoutedInstance> = {}): RoutedInstance {
  const i = instanceRecord({ address: `127.0.0.1:${up.port}`, ...over });
  h.platform.instances.set(i.id, i);
  return i;
}

async function change(i: RoutedInstance, patch: Partial<RoutedInstance>): Promise<RoutedInstance> {
  const next = { ...i, ...patch };
  h.platform.instances.set(i.id, next);
  await h.rpc.emit(InstanceChangedEvent, { instance: next, change: 'VISIBILITY', previousStatus: i.status, at: new Date().toISOString() });
  return next;
}

const until = async (what: string, ok: () => Promise<boolean> | boolean, ms = 3000) => {
  const end = Date.now() + ms;
  // A request in flight when access is revoked is cut off (revocation applies to open exchanges
  // too): while waiting for a change, that counts as "not yet".
  while (!(await Promise.resolve().then(ok).catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Signs `who` in on `host` as a browser would after the gateway's redirect: the ticket becomes a cookie. */
async function cookieFor(who: keyof typeof USERS, host: string): Promise<string> {
  const session = `sess-${who}-${Math.random().toString(36).slice(2)}`;
  const ticket = `ticket-${Math.random().toString(36).slice(2)}`;
  h.platform.sessions.set(session, USERS[who] as Caller);
  h.platform.tickets.set(ticket, { host, session });
  const r = await send(host, { path: `/.wharf/ticket?t=${ticket}&next=${encodeURIComponent('/after?x=1')}` });
  expect(r.status).toBe(303);
  expect(r.headers.location).toBe('/after?x=1');
  const set = r.headers['set-cookie']![0]!;
  expect(set).toMatch(/^wharf_instance=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/); // host-only: no Domain
  return set.split(';')[0]!;
}

beforeAll(async () => {
  up = await startUpstream();
  h = await startRouterHarness({ AllowPublic: true, AuthCacheMs: 1000, UpstreamTimeoutSeconds: 2, MaxHeaderBytes: 8192, ResyncSeconds: 1, ActivityReportSeconds: 1 });
  for (const [who, token] of Object.entries(TOKENS)) h.platform.tokens.set(token, { caller: USERS[who as keyof typeof USERS] as Caller, readOnly: false });
  h.platform.tokens.set('wharf_pat_alice_ro', { caller: USERS.alice as Caller, readOnly: true });
});
afterAll(async () => {
  await h?.stop();
  await up?.stop();
});

describe('authorization matrix: {owner, other user, admin, anonymous} × {PRIVATE, ALL_USERS, PUBLIC} × {GET, POST with body, websocket}', () => {
  const expected: Record<Visibility, Record<Who, boolean>> = {
    PRIVATE: { alice: true, bob: false, admin: false, anonymous: false, vic: false },
    ALL_USERS: { alice: true, bob: true, admin: true, anonymous: false, vic: false },
    PUBLIC: { alice: true, bob: true, admin: true, anonymous: true, vic: true },
  };
  const refusal = (who: Who) => (who === 'anonymous' ? 401 : 403);
  const body = Buffer.from('x'.repeat(100_000));
  const sha = createHash('sha256').update(body).digest('hex');

  for (const visibility of ['PRIVATE', 'ALL_USERS', 'PUBLIC'] as const) {
    for (const who of ['alice', 'bob', 'admin', 'anonymous'] as const) {
      const allowed = expected[visibility][who];
      it(`${visibility} × ${who === 'alice' ? 'owner' : who}: ${allowed ? 'allowed' : `refused (${refusal(who)})`} on GET, POST and websocket`, async () => {
        const i = add({ visibility });
        const host = h.host(i.id);
        const get = await send(host, { path: '/page?q=1', headers: bearer(who) });
        const post = await send(host, { method: 'POST', path: '/submit', headers: { ...bearer(who), 'content-type': 'application/octet-stream' }, body });
        const ws = await openWs(host, bearer(who));
        if (allowed) {
          expect(get.status).toBe(200);
          expect((JSON.parse(get.text) as UpstreamSeen).url).toBe('/page?q=1');
          expect(post.status).toBe(200);
          expect(JSON.parse(post.text)).toMatchObject({ method: 'POST', bodyBytes: body.length, bodySha256: sha });
          expect('ws' in ws).toBe(true);
          if ('ws' in ws) {
            ws.ws.send('ping');
            const echo = await new Promise<string>((r) => ws.ws.once('message', (m) => r(m.toString())));
            expect(echo).toBe('ping');
            ws.ws.close();
          }
        } else {
          expect(get.status).toBe(refusal(who));
          expect(post.status).toBe(refusal(who));
          expect(ws).toEqual({ status: refusal(who) }); // never a 101
          expect(JSON.parse(get.text).error.code).toBe(who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
        }
      });
    }
  }

  it('admins open PRIVATE instances only with Router.AdminsOpenPrivate', async () => {
    const other = await startRouterHarness({ AdminsOpenPrivate: true });
    try {
      other.platform.tokens.set(TOKENS.admin, { caller: USERS.admin as Caller, readOnly: false });
      const i = instanceRecord({ address: `127.0.0.1:${up.port}`, visibility: 'PRIVATE' });
      other.platform.instances.set(i.id, i);
      const r = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: other.port, path: '/', headers: { host: other.host(i.id), ...bearer('admin') }, agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
          .on('error', reject);
      });
      expect(r).toBe(200);
    } finally {
      await other.stop();
    }
  });

  it("the app version's owner does not open other users' PRIVATE instances of their app", async () => {
    const i = add({ visibility: 'PRIVATE', owner: { sub: 'bob', name: 'bob' }, appOwner: { sub: 'alice', name: 'alice' } });
    expect((await send(h.host(i.id), { headers: bearer('alice') })).status).toBe(403);
    expect(await openWs(h.host(i.id), bearer('alice'))).toEqual({ status: 403 });
    expect((await send(h.host(i.id), { headers: bearer('bob') })).status).toBe(200);
  });

  it('visitors open ALL_USERS instances only where a tag on the app grants their role', async () => {
    const i = add({ visibility: 'ALL_USERS', appVersionId: 'granted-app' });
    const j = add({ visibility: 'ALL_USERS', appVersionId: 'plain-app' });
    h.platform.grants.set('granted-app', ['visitor']);
    expect((await send(h.host(i.id), { headers: bearer('vic') })).status).toBe(200);
    expect((await send(h.host(j.id), { headers: bearer('vic') })).status).toBe(403);
    expect(await openWs(h.host(j.id), bearer('vic'))).toEqual({ status: 403 });
  });

  it('a read-only token reads but does not write or open websockets', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const ro = { authorization: 'Bearer wharf_pat_alice_ro' };
    expect((await send(h.host(i.id), { headers: ro })).status).toBe(200);
    expect((await send(h.host(i.id), { method: 'POST', headers: ro, body: 'x' })).status).toBe(403);
    expect(await openWs(h.host(i.id), ro)).toEqual({ status: 403 });
  });

  it('an unknown or revoked platform token is 401, never forwarded', async () => {
    const i = add({ visibility: 'PUBLIC' });
    const r = await send(h.host(i.id), { headers: { authorization: 'Bearer wharf_pat_nope' } });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="wharf"');
  });
});

describe('browser sign-in: tickets, cookies, redirects', () => {
  it('sends an anonymous browser to the gateway login with the host and path to come back to', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const r = await send(h.host(i.id), { path: '/deep/link?a=1', headers: { accept: 'text/html' } });
    expect(r.status).toBe(302);
    const to = new URL(r.headers.location!);
    expect(to.origin + to.pathname).toBe('http://gateway.test:8080/auth/instance-ticket');
    expect(to.searchParams.get('host')).toBe(h.host(i.id));
    expect(to.searchParams.get('next')).toBe('/deep/link?a=1');
  });

  it('turns a ticket into a host-only cookie that opens the instance over HTTP and websockets', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const host = h.host(i.id);
    const cookie = await cookieFor('alice', host);
    expect((await send(host, { headers: { cookie } })).status).toBe(200);
    const ws = await openWs(host, { cookie, origin: `http://${host}` });
    expect('ws' in ws).toBe(true);
    if ('ws' in ws) ws.ws.close();
    // cross-site websocket hijacking: the cookie rides along, the Origin gives it away
    expect(await openWs(host, { cookie, origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await openWs(host, { cookie })).toEqual({ status: 403 });
  });

  it('refuses a used, forged or foreign-host ticket with a page that offers a fresh sign-in', async () => {
    const i = add();
    const host = h.host(i.id);
    h.platform.sessions.set('s1', USERS.alice as Caller);
    h.platform.tickets.set('once', { host, session: 's1' });
    expect((await send(host, { path: '/.wharf/ticket?t=once' })).status).toBe(303);
    const again = await send(host, { path: '/.wharf/ticket?t=once' });
    expect(again.status).toBe(401);
    expect(again.text).toContain('Sign in again');
    expect(again.headers['set-cookie']).toBeUndefined();
    h.platform.tickets.set('for-a', { host: 'elsewhere.apps.localhost', session: 's1' });
    expect((await send(host, { path: '/.wharf/ticket?t=for-a' })).status).toBe(401);
  });

  it('only returns to paths on the same host after sign-in (no open redirect)', async () => {
    const i = add();
    const host = h.host(i.id);
    for (const next of ['//evil.example/x', 'http://evil.example/', '/\\evil.example']) {
      h.platform.sessions.set('s2', USERS.alice as Caller);
      h.platform.tickets.set('t2', { host, session: 's2' });
      const r = await send(host, { path: `/.wharf/ticket?t=t2&next=${encodeURIComponent(next)}` });
      expect(r.headers.location).toBe('/');
    }
  });

  it('refuses on instance B a cookie issued for instance A', async () => {
    const a = add({ visibility: 'ALL_USERS' });
    const b = add({ visibility: 'ALL_USERS' });
    const cookie = await cookieFor('bob', h.host(a.id));
    expect((await send(h.host(a.id), { headers: { cookie } })).status).toBe(200);
    expect((await send(h.host(b.id), { headers: { cookie } })).status).toBe(401);
    expect(await openWs(h.host(b.id), { cookie, origin: `http://${h.host(b.id)}` })).toEqual({ status: 401 });
  });

  it('ends access when the gateway session ends (within Router.AuthCacheMs)', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const host = h.host(i.id);
    const cookie = await cookieFor('alice', host);
    expect((await send(host, { headers: { cookie } })).status).toBe(200);
    for (const [k, c] of h.platform.sessions) if (c.sub === 'alice') h.platform.sessions.delete(k);
    await until('the ended session to be refused', async () => (await send(host, { headers: { cookie } })).status === 401);
  });

  it('drops cached token answers at once on events.token.changed.v1', async () => {
    const i = add({ visibility: 'PRIVATE', owner: { sub: 'tess', name: 'tess' } });
    h.platform.tokens.set('wharf_pat_tess', { caller: { sub: 'tess', name: 'tess', roles: ['full-access'] }, readOnly: false });
    const auth = { authorization: 'Bearer wharf_pat_tess' };
    expect((await send(h.host(i.id), { headers: auth })).status).toBe(200);
    h.platform.tokens.delete('wharf_pat_tess');
    await h.rpc.emit(TokenChangedEvent, { reason: 'REVOKED', userSub: 'tess', at: new Date().toISOString() });
    await until('the revoked token to be refused', async () => (await send(h.host(i.id), { headers: auth })).status === 401, 800);
  });
});

describe('what reaches the app', () => {
  it('strips the router cookie, platform tokens and X-Wharf-* and adds X-Forwarded-*, X-Wharf-User and a signed identity token', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const host = h.host(i.id);
    const cookie = await cookieFor('alice', host);
    const r = await send(host, {
      headers: {
        cookie: `theme=dark; ${cookie}; lang=en`,
        'x-wharf-user': 'mallory',
        'x-wharf-identity': 'forged',
        'X-Wharf-Anything': '1',
        'x-forwarded-for': '6.6.6.6',
      },
    });
    const seen = (JSON.parse(r.text) as UpstreamSeen).headers;
    expect(seen.cookie).toBe('theme=dark; lang=en');
    expect(seen['x-wharf-user']).toBe('alice');
    expect(seen['x-wharf-anything']).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-host']).toBe(host);
    expect(seen['x-forwarded-proto']).toBe('http');
    // the identity token: HS256 with the instance's key, audience = the instance id
    const [head, body, mac] = (seen['x-wharf-identity'] as string).split('.');
    const key = instanceIdentityKey(SECRET, i.id);
    expect(createHmac('sha256', key).update(`${head}.${body}`).digest('base64url')).toBe(mac);
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: 'wharf-router', aud: i.id, sub: 'alice', name: 'alice', roles: ['full-access'] });
    expect(claims.exp as number).toBeGreaterThan(Date.now() / 1000);
    // another instance's key does not verify it
    expect(createHmac('sha256', instanceIdentityKey(SECRET, 'zzzzzzzzzz')).update(`${head}.${body}`).digest('base64url')).not.toBe(mac);

    const withToken = JSON.parse((await send(host, { headers: bearer('alice') })).text) as UpstreamSeen;
    expect(withToken.headers.authorization).toBeUndefined();
    // an Authorization the platform does not know (the app's own scheme) is the app's business
    const own = JSON.parse((await send(host, { headers: { cookie, authorization: 'Basic YXBwOnNlY3JldA==' } })).text) as UpstreamSeen;
    expect(own.headers.authorization).toBe('Basic YXBwOnNlY3JldA==');
  });

  it('strips the same from websocket upgrades', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const host = h.host(i.id);
    const cookie = await cookieFor('alice', host);
    const ws = await openWs(host, { cookie: `${cookie}; app=1`, origin: `http://${host}`, 'x-wharf-user': 'mallory' });
    if (!('ws' in ws)) throw new Error(`refused: ${ws.status}`);
    expect(ws.first.headers.cookie).toBe('app=1');
    expect(ws.first.headers['x-wharf-user']).toBe('alice');
    expect(ws.first.headers['x-wharf-identity']).toMatch(/^ey/);
    ws.ws.close();
  });

  it('gives a cookie-tossing app nothing: parent-domain cookies become host-only, the router cookie cannot be set or forged', async () => {
    const i = add({ visibility: 'ALL_USERS' });
    const host = h.host(i.id);
    const r = await send(host, { path: '/toss', headers: bearer('bob') });
    // (browsers honour the last Domain attribute: every one goes)
    expect(r.headers['set-cookie']).toEqual(['theme=dark; Path=/', 'local=1; Path=/', 'twice=1; Path=/']);
    // a browser that still holds a tossed router cookie next to its real one keeps its access...
    const cookie = await cookieFor('bob', host);
    expect((await send(host, { headers: { cookie: `wharf_instance=forged; ${cookie}` } })).status).toBe(200);
    // ...and a tossed or hand-made one alone opens nothing
    expect((await send(host, { headers: { cookie: 'wharf_instance=forged' } })).status).toBe(401);
    const [value] = cookie.split('=').slice(1);
    const [claims] = value!.split('.');
    const forged = JSON.parse(Buffer.from(claims!, 'base64url').toString()) as Record<string, unknown>;
    const reSigned = `${Buffer.from(JSON.stringify({ ...forged, h: h.host(add({ visibility: 'PRIVATE' }).id) })).toString('base64url')}.${value!.split('.')[1]}`;
    expect((await send(host, { headers: { cookie: `wharf_instance=${reSigned}` } })).status).toBe(401);
  });
});

describe('revocation of open connections', () => {
  it('closes an open websocket (and streams) within 1 s when visibility changes, keeping the owner’s', async () => {
    const i = add({ visibility: 'ALL_USERS' });
    const host = h.host(i.id);
    const bob = await openWs(host, bearer('bob'));
    const alice = await openWs(host, bearer('alice'));
    if (!('ws' in bob) || !('ws' in alice)) throw new Error('not opened');
    const bobClosed = new Promise<number>((r) => bob.ws.once('close', () => r(Date.now())));
    const t0 = Date.now();
    await change(i, { visibility: 'PRIVATE' });
    expect((await bobClosed) - t0).toBeLessThan(1000);
    expect(alice.ws.readyState).toBe(WebSocket.OPEN);
    alice.ws.send('still here');
    expect(await new Promise<string>((r) => alice.ws.once('message', (m) => r(m.toString())))).toBe('still here');
    expect(await openWs(host, bearer('bob'))).toEqual({ status: 403 });
    alice.ws.close();
  });

  it('closes websockets when the instance is suspended and then shows the suspended page with Resume for its owner', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const host = h.host(i.id);
    const ws = await openWs(host, bearer('alice'));
    if (!('ws' in ws)) throw new Error('not opened');
    const closed = new Promise((r) => ws.ws.once('close', r));
    await change(i, { status: 'SUSPENDED', statusReason: 'idle for 30 min', address: null });
    await closed;
    const page = await send(host, { headers: { ...bearer('alice'), accept: 'text/html' } });
    expect(page.status).toBe(503);
    expect(page.text).toContain('action="/.wharf/resume"');
    expect(page.text).toContain('This instance is suspended (idle for 30 min). Resume it to open it again.');
    const cookie = await cookieFor('alice', host);
    expect((await send(host, { method: 'POST', path: '/.wharf/resume', headers: { cookie, origin: 'http://evil.example' } })).status).toBe(403);
    const resumed = await send(host, { method: 'POST', path: '/.wharf/resume', headers: { cookie, origin: `http://${host}` } });
    expect(resumed.status).toBe(303);
    expect(h.platform.resumed).toContain(i.id);
    // the page it sends the browser back to shows the instance coming up (its launcher does not
    // listen yet), not the suspended page nor "not answering", though no change event came yet
    const back = await send(host, { path: resumed.headers.location as string, headers: { cookie, accept: 'text/html' } });
    expect(back.status).toBe(503);
    expect(back.text).toContain('Fetching bundle');
    expect(back.text).toContain('http-equiv="refresh"');
  });

  it('closes a websocket whose session ends', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const host = h.host(i.id);
    const cookie = await cookieFor('alice', host);
    const ws = await openWs(host, { cookie, origin: `http://${host}` });
    if (!('ws' in ws)) throw new Error('not opened');
    const closed = new Promise((r) => ws.ws.once('close', r));
    const session = [...h.platform.sessions.entries()].filter(([, c]) => c.sub === 'alice').map(([k]) => k);
    for (const s of session) h.platform.sessions.delete(s);
    await closed; // the sweep re-checks sessions every 2 s (AuthCacheMs 1 s here)
  });
});

describe('activity', () => {
  it('reports instances that served requests, and those whose open websockets carry frames, not silent ones', async () => {
    const used = add({ visibility: 'PRIVATE' });
    const idle = add({ visibility: 'PRIVATE' });
    const held = add({ visibility: 'PRIVATE' });
    const reported = (id: string) => h.platform.activity.filter((e) => e.ids.includes(id)).length;
    expect((await send(h.host(used.id), { headers: bearer('alice') })).status).toBe(200);
    const ws = await openWs(h.host(held.id), bearer('alice'));
    if (!('ws' in ws)) throw new Error('not opened');
    await until('a report of the used instance and of the websocket opening', () => reported(used.id) > 0 && reported(held.id) > 0, 2500);
    // the opening (the upgrade, the upstream's greeting) may count in one more report; then silence
    await new Promise((r) => setTimeout(r, 1500));
    const quietFrom = reported(held.id);
    await new Promise((r) => setTimeout(r, 2500)); // two report periods (ActivityReportSeconds = 1)
    expect(reported(held.id)).toBe(quietFrom);
    // a frame each way counts again
    const echoed = new Promise((r) => ws.ws.once('message', r));
    ws.ws.send('still here');
    await echoed;
    await until('the frames to count', () => reported(held.id) > quietFrom, 2500);
    expect(reported(idle.id)).toBe(0);
    ws.ws.close();
  });
});

describe('replicas', () => {
  it('work side by side with nothing shared but NATS: one lookup per host, cookies and events good on both', async () => {
    const port = await freePort();
    const second = await startRouter({
      platform: { NatsUrl: h.nats.url, RequestTimeoutMs: 3000, InternalSecret: SECRET, DataDir: '/tmp', LogLevel: 'error', ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 10 },
      // both replicas are published at the first one's port (as behind a load balancer)
      router: RouterConfigSchema.parse({ Port: port, PublicPort: h.port, GatewayUrl: 'http://gateway.test:8080', AuthCacheMs: 1000 }),
    });
    try {
      const i = add({ visibility: 'ALL_USERS' });
      const before = h.platform.lookups;
      const cookie = await cookieFor('bob', h.host(i.id)); // issued by the first replica
      const viaSecond = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port, path: '/', headers: { host: h.host(i.id), ...headers }, agent: false }, (r) => (r.resume(), resolve(r.statusCode!))).on('error', reject);
        });
      // same host as seen by the browser, the other replica answers: the cookie holds (the host is part of it, the port too)
      for (let n = 0; n < 20; n++) expect(await viaSecond({ cookie })).toBe(200);
      for (let n = 0; n < 20; n++) expect((await send(h.host(i.id), { headers: { cookie } })).status).toBe(200);
      expect(h.platform.lookups - before).toBe(2); // one per replica, then memory
      await change(i, { visibility: 'PRIVATE' });
      await until('both replicas to apply the change', async () => (await viaSecond({ cookie })) === 403 && (await send(h.host(i.id), { headers: { cookie } })).status === 403, 1000);
    } finally {
      await second.app.close();
    }
  });
});

describe('status pages and failures', () => {
  it('404 for unknown instances and hosts that cannot be instances; the router answers health on its own host', async () => {
    expect((await send(h.host('zzzzzzzzz0'))).status).toBe(404);
    expect((await send(`not-an-id.apps.localhost:${h.port}`)).status).toBe(404);
    expect(await openWs(h.host('zzzzzzzzz1'), bearer('alice'))).toEqual({ status: 404 });
    const health = await send(`127.0.0.1:${h.port}`, { path: '/readyz' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', nats: true });
  });

  it('shows a self-refreshing page while starting, the reason when FAILED, 502 when nothing listens', async () => {
    const queued = add({ status: 'QUEUED', address: null, statusReason: 'waiting for a slot' });
    const q = await send(h.host(queued.id), { headers: { ...bearer('alice'), accept: 'text/html' } });
    expect(q.status).toBe(503);
    expect(q.headers['retry-after']).toBe('1');
    expect(q.text).toContain('http-equiv="refresh"');
    const failed = add({ status: 'FAILED', address: null, statusReason: 'the app exited with code 1\nTraceback: <boom>' });
    const f = await send(h.host(failed.id), { headers: { ...bearer('alice'), accept: 'text/html' } });
    expect(f.status).toBe(503);
    expect(f.text).toContain('Traceback: &#60;boom&#62;'); // escaped
    // the reason is for those who may open it
    expect((await send(h.host(failed.id), { headers: bearer('bob') })).status).toBe(403);
    // ...and, of those, only for those who may read its logs (the owner, the app's owner, admins)
    const shared = add({ visibility: 'ALL_USERS', status: 'FAILED', address: null, statusReason: 'exited 1\nTraceback: API_KEY=abc' });
    const other = await send(h.host(shared.id), { headers: { ...bearer('bob'), accept: 'text/html' } });
    expect(other.status).toBe(503);
    expect(other.text).toContain('stopped with an error');
    expect(other.text).not.toContain('Traceback');
    expect((await send(h.host(shared.id), { headers: bearer('bob') })).text).not.toContain('Traceback');
    expect((await send(h.host(shared.id), { headers: { ...bearer('alice'), accept: 'text/html' } })).text).toContain('Traceback');
    const gone = add({ address: '127.0.0.1:1' });
    const g = await send(h.host(gone.id), { headers: bearer('alice') });
    expect(g.status).toBe(502);
    expect(JSON.parse(g.text).error.code).toBe('UNAVAILABLE');
    // resumed (or just run): the record has the launcher's address a moment before it listens;
    // nothing listening then is the starting page that reloads itself, on every path, not a 502
    for (const status of ['PROVISIONING', 'INSTALLING', 'STARTING'] as const) {
      const resuming = add({ status, address: '127.0.0.1:1', statusReason: 'Fetching bundle' });
      for (const path of ['/', '/some/deep/path?x=1']) {
        const r = await send(h.host(resuming.id), { path, headers: { ...bearer('alice'), accept: 'text/html' } });
        expect([status, path, r.status, r.headers['retry-after']]).toEqual([status, path, 503, '1']);
        expect(r.text).toContain('http-equiv="refresh"');
        expect(r.text).toContain('Fetching bundle');
      }
      expect(await openWs(h.host(resuming.id), bearer('alice'))).toEqual({ status: 503 });
    }
  });

  it('applies a status change within 1 s and picks up missed changes at the resync', async () => {
    const i = add({ visibility: 'ALL_USERS' });
    expect((await send(h.host(i.id), { headers: bearer('bob') })).status).toBe(200);
    const t0 = Date.now();
    await change(i, { visibility: 'PRIVATE' });
    await until('the change', async () => (await send(h.host(i.id), { headers: bearer('bob') })).status === 403, 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    // an event that never came: the periodic resync (1 s here) finds it
    h.platform.instances.set(i.id, { ...h.platform.instances.get(i.id)!, visibility: 'ALL_USERS' });
    await until('the resync', async () => (await send(h.host(i.id), { headers: bearer('bob') })).status === 200, 2500);
  });

  it('streams responses without buffering (SSE) and large bodies both ways', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const firstAt = await new Promise<{ first: number; end: number }>((resolve, reject) => {
      const t0 = Date.now();
      let first = 0;
      http
        .get({ host: '127.0.0.1', port: h.port, path: '/sse?gap=800', headers: { host: h.host(i.id), ...bearer('alice') }, agent: false }, (res) => {
          res.on('data', () => (first ||= Date.now() - t0));
          res.on('end', () => resolve({ first, end: Date.now() - t0 }));
        })
        .on('error', reject);
    });
    expect(firstAt.first).toBeLessThan(400);
    expect(firstAt.end).toBeGreaterThanOrEqual(750);
    const big = await send(h.host(i.id), { path: '/big?mb=64', headers: bearer('alice') });
    expect(big.body.length).toBe(64 * 1024 * 1024);
    const upload = Buffer.alloc(32 * 1024 * 1024, 3);
    const seen = JSON.parse((await send(h.host(i.id), { method: 'PUT', headers: bearer('alice'), body: upload })).text) as UpstreamSeen;
    expect(seen.bodyBytes).toBe(upload.length);
    expect(seen.bodySha256).toBe(createHash('sha256').update(upload).digest('hex'));
  });

  it("keeps the app's hop-by-hop headers off the client's connection, which stays open", async () => {
    const i = add({ visibility: 'PRIVATE' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = (path: string) =>
        new Promise<{ headers: http.IncomingHttpHeaders; socket: unknown; body: string }>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: h.port, path, headers: { host: h.host(i.id), ...bearer('alice') }, agent }, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => (body += c));
              res.on('end', () => resolve({ headers: res.headers, socket: res.socket, body }));
            })
            .on('error', reject);
        });
      const hop = await get('/hop');
      expect(hop.body).toBe('hop');
      expect(hop.headers['x-hop']).toBeUndefined(); // named in the app's Connection header
      expect(hop.headers['keep-alive']).not.toBe('timeout=1');
      expect(hop.headers.connection).toBe('keep-alive'); // the app closing its side is not the client's business
      const next = await get('/');
      expect(next.socket).toBe(hop.socket);
    } finally {
      agent.destroy();
    }
  });

  it('hangs up on the app when the client leaves a stream that never ends', async () => {
    const i = add({ visibility: 'PRIVATE' });
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: h.port, path: '/forever', headers: { host: h.host(i.id), ...bearer('alice') }, agent: false }, (res) => {
        res.once('data', () => {
          expect(up.openStreams()).toBe(1);
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    });
    const until = Date.now() + 2000;
    while (up.openStreams() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(up.openStreams()).toBe(0);
  });

  it('answers 504 when the app stays silent past Router.UpstreamTimeoutSeconds, and survives dropped connections', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const slow = await send(h.host(i.id), { path: '/slow?ms=3000', headers: bearer('alice') });
    expect(slow.status).toBe(504);
    await expect(send(h.host(i.id), { path: '/drop', headers: bearer('alice') })).rejects.toThrow();
    expect((await send(h.host(i.id), { headers: bearer('alice') })).status).toBe(200);
  });

  it('refuses request heads over Router.MaxHeaderBytes with 431', async () => {
    const i = add({ visibility: 'PUBLIC' });
    const r = await send(h.host(i.id), { headers: { 'x-big': 'y'.repeat(10_000) } });
    expect(r.status).toBe(431);
    expect((await send(h.host(i.id), { headers: { 'x-big': 'y'.repeat(4000) } })).status).toBe(200);
  });

  it('answers 503 with Retry-After, at once, when NATS is down and the instance is not cached', async () => {
    const other = await startRouterHarness();
    try {
      await other.nats.stop();
      await until('the router to notice', async () => {
        const r = await new Promise<number>((res) => http.get({ host: '127.0.0.1', port: other.port, path: '/readyz', agent: false }, (x) => (x.resume(), res(x.statusCode!))));
        return r === 503;
      });
      const t0 = Date.now();
      const r = await new Promise<http.IncomingMessage>((res, rej) =>
        http.get({ host: '127.0.0.1', port: other.port, headers: { host: other.host('abcdefghij') }, agent: false }, res).on('error', rej),
      );
      r.resume();
      expect(r.statusCode).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      await other.router.close().catch(() => {});
      await other.platformApp.close().catch(() => {});
    }
  });
});

describe('isolation: ports, networks, headers, user names', () => {
  const wrongPort = (id: string, port = h.port + 1) => `${id}.apps.localhost:${port}`;

  it("refuses instance hosts at any port but the router's public one (421): requests, tickets, websockets", async () => {
    const i = add({ visibility: 'ALL_USERS' });
    for (const host of [wrongPort(i.id), wrongPort(i.id, 80), `${i.id}.apps.localhost`]) {
      const r = await send(host, { headers: bearer('bob') });
      expect(r.status).toBe(421);
      expect(JSON.parse(r.text).error.message).toContain(`:${h.port}`);
      expect(await openWs(host, bearer('bob'))).toEqual({ status: 421 });
    }
    // a ticket made out to another port of the host is not redeemed (and stays unused)
    h.platform.sessions.set('s-port', USERS.bob as Caller);
    h.platform.tickets.set('t-port', { host: wrongPort(i.id), session: 's-port' });
    const t = await send(wrongPort(i.id), { path: '/.wharf/ticket?t=t-port&next=/' });
    expect(t.status).toBe(421);
    expect(t.headers['set-cookie']).toBeUndefined();
    expect(h.platform.tickets.has('t-port')).toBe(true);
    // a cookie for the right host does not open it through another port
    const cookie = await cookieFor('bob', h.host(i.id));
    expect((await send(wrongPort(i.id), { headers: { cookie } })).status).toBe(421);
    expect((await send(h.host(i.id), { headers: { cookie } })).status).toBe(200);
    // the router's own endpoints stay on any other host
    expect((await send(`127.0.0.1:${h.port}`, { path: '/healthz' })).status).toBe(200);
  });

  it('proxies only to addresses in Router.InstanceNetworks: any other host answers 502 with a page that does not show it', async () => {
    for (const address of ['192.0.2.10:80', 'example.com:80', `localhost:${up.port}`, '[::1]:80']) {
      const i = add({ visibility: 'ALL_USERS', address });
      const r = await send(h.host(i.id), { headers: bearer('bob') });
      expect(r.status).toBe(502);
      expect(JSON.parse(r.text).error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/outside the networks/) });
      expect(r.text).not.toContain(address);
      const page = await send(h.host(i.id), { headers: { ...bearer('bob'), accept: 'text/html' } });
      expect(page.status).toBe(502);
      expect(page.text).toContain('cannot be reached');
      expect(await openWs(h.host(i.id), bearer('bob'))).toEqual({ status: 502 });
    }
    // a loopback address (what the process driver gives) goes through
    expect((await send(h.host(add({ visibility: 'ALL_USERS' }).id), { headers: bearer('bob') })).status).toBe(200);
  });

  it('proxies to IPv6 and pod-network addresses when configured so', async () => {
    const v6 = await new Promise<{ server: http.Server; port: number }>((resolve) => {
      const server = http.createServer((_req, res) => res.end('v6')).listen(0, '::1', () => resolve({ server, port: (server.address() as { port: number }).port }));
    });
    const other = await startRouterHarness({ InstanceNetworks: ['10.42.0.0/16', '::1/128'] });
    try {
      other.platform.tokens.set(TOKENS.alice, { caller: USERS.alice as Caller, readOnly: false });
      const get = (address: string) => {
        const i = instanceRecord({ address });
        other.platform.instances.set(i.id, i);
        return new Promise<number>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: other.port, path: '/', headers: { host: other.host(i.id), ...bearer('alice') }, agent: false }, (res) => {
              res.resume();
              resolve(res.statusCode!);
            })
            .on('error', reject);
        });
      };
      expect(await get(`127.0.0.1:${up.port}`)).toBe(502); // 127.0.0.0/8 is not in this list
      expect(await get('10.43.0.1:80')).toBe(502);
      expect(await get(`[::1]:${v6.port}`)).toBe(200);
    } finally {
      await other.stop();
      v6.server.close();
    }
    expect(() => RouterConfigSchema.parse({ InstanceNetworks: ['10.0.0.0/33'] })).toThrow(/CIDR/);
    expect(() => RouterConfigSchema.parse({ InstanceNetworks: [] })).toThrow(/at least one/);
  });

  it('strips X-Wharf-* however the client spells it (case, underscores) before the app sees the request', async () => {
    const i = add({ visibility: 'PRIVATE' });
    const r = await send(h.host(i.id), {
      headers: { ...bearer('alice'), X_Wharf_User: 'mallory', 'x-WHARF-user': 'mallory', 'X-Wharf_Identity': 'forged', x_wharf_identity: 'forged', 'X-WHARF_ANY': '1' },
    });
    const seen = (JSON.parse(r.text) as UpstreamSeen).headers;
    const wharf = Object.keys(seen).filter((k) => /^x[-_]wharf[-_]/.test(k));
    expect(wharf.sort()).toEqual(['x-wharf-identity', 'x-wharf-user']);
    expect(seen['x-wharf-user']).toBe('alice');
    expect(String(seen['x-wharf-identity'])).toMatch(/^ey/);
    const ws = await openWs(h.host(i.id), { ...bearer('alice'), X_Wharf_User: 'mallory' });
    if (!('ws' in ws)) throw new Error(`refused: ${ws.status}`);
    expect(Object.keys(ws.first.headers).filter((k) => /^x[-_]wharf[-_]/.test(k)).sort()).toEqual(['x-wharf-identity', 'x-wharf-user']);
    ws.ws.close();
  });

  it('drops an app Set-Cookie for the router cookie however it is spaced or cased', async () => {
    const i = add({ visibility: 'ALL_USERS' });
    const r = await send(h.host(i.id), { path: '/toss-variants', headers: bearer('bob') });
    expect(r.headers['set-cookie']).toEqual(['keep=1; Path=/']);
  });

  it('sends the user\'s stable unique key (sub) as X-Wharf-User, not the display name two users may share', async () => {
    const twins = [
      { sub: 'oidc|1111', name: 'Sam', roles: ['full-access'] },
      { sub: 'oidc|2222', name: 'Sam', roles: ['full-access'] },
    ] satisfies Caller[];
    const i = add({ visibility: 'ALL_USERS' });
    const seen: string[] = [];
    for (const [n, c] of twins.entries()) {
      h.platform.tokens.set(`wharf_pat_sam${n}`, { caller: c, readOnly: false });
      const r = await send(h.host(i.id), { headers: { authorization: `Bearer wharf_pat_sam${n}` } });
      const headers = (JSON.parse(r.text) as UpstreamSeen).headers;
      seen.push(String(headers['x-wharf-user']));
      const claims = JSON.parse(Buffer.from(String(headers['x-wharf-identity']).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims).toMatchObject({ sub: c.sub, name: 'Sam' });
    }
    expect(seen).toEqual(['oidc|1111', 'oidc|2222']);
  });
});
