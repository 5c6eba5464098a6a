import http from 'node:http';
import { instanceRecord } from '@wharf/testing';
import { type Caller, type RoutedInstance } from '@wharf/contracts';
import WebSocket from 'ws';
import { setAlias, startRouterHarness, startUpstream, USERS, type RouterHarness } from './test-support/router-harness';

/**
 * Aliases at the router: `<alias>.<AppsDomain>` serves its instance; an unknown or unassigned
 * alias is the router's 404; an instance's id host and its other aliases send GET/HEAD to its
 * primary alias (302, same path and query), other methods and websockets are served where they
 * were sent; a move published as `events.alias.changed.v1` sends new requests to the new instance.
 * Real NATS, real upstreams; the scheduler's answers come from the harness's tables.
 */
let h: RouterHarness;
let blueUp: Awaited<ReturnType<typeof startUpstream>>;
let greenUp: Awaited<ReturnType<typeof startUpstream>>;
const hits = { blue: 0, green: 0 };
const TOKEN = 'wharf_pat_alice';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function send(host: string, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: h.port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host, authorization: `Bearer ${TOKEN}`, ...opts.headers }, agent: false },
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

function openWs(host: string): Promise<{ ws: WebSocket; first: { headers: Record<string, string> } } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/ws`, { headers: { host, authorization: `Bearer ${TOKEN}` } });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode! });
      res.resume();
      ws.terminate();
    });
    ws.once('message', (m) => resolve({ ws, first: JSON.parse(m.toString()) as { headers: Record<string, string> } }));
    ws.once('error', reject);
  });
}

const host = (label: string) => `${label}.apps.localhost:${h.port}`;
/** Which upstream answered: each counts what it served. */
async function whoServes(label: string): Promise<'blue' | 'green'> {
  const before = { ...hits };
  const r = await send(host(label));
  expect(r.status).toBe(200);
  return hits.blue > before.blue ? 'blue' : 'green';
}

let blue: RoutedInstance;
let green: RoutedInstance;

beforeAll(async () => {
  blueUp = await startUpstream();
  greenUp = await startUpstream();
  blueUp.server.on('request', () => hits.blue++);
  greenUp.server.on('request', () => hits.green++);
  h = await startRouterHarness();
  h.platform.tokens.set(TOKEN, { caller: USERS.alice as Caller, readOnly: false });
  blue = instanceRecord({ address: `127.0.0.1:${blueUp.port}` });
  green = instanceRecord({ address: `127.0.0.1:${greenUp.port}` });
  h.platform.instances.set(blue.id, blue);
  h.platform.instances.set(green.id, green);
}, 60_000);

afterAll(async () => {
  await h?.stop();
  await blueUp?.stop();
  await greenUp?.stop();
});

/** Until the router has applied an event (events are asynchronous; no timing assumed). */
async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

describe('aliases at the router', () => {
  it('serves an alias host from its instance (identity for the instance id), looked up on a miss', async () => {
    // in the table without an event (one the router missed): found by a lookup once "absent" has expired
    h.platform.aliases.set('docs', { instanceId: blue.id, primary: false, seq: 0 });
    await until('docs looked up', async () => (await send(host('docs'))).status === 200);
    const r = await send(host('docs'), { path: '/x?y=1' });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.text) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/x?y=1');
    expect(seen.headers['x-wharf-user']).toBe('alice');
    const claims = JSON.parse(Buffer.from(seen.headers['x-wharf-identity']!.split('.')[1]!, 'base64url').toString()) as { aud: string };
    expect(claims.aud).toBe(blue.id);
    expect(seen.headers['x-forwarded-host']).toBe(host('docs'));
  });

  it("answers the router's 404 for unknown and unassigned aliases, and for names that cannot be aliases", async () => {
    for (const label of ['nosuch', 'www', 'a.b']) {
      const r = await send(host(label), { headers: { accept: 'application/json' } });
      expect([label, r.status]).toEqual([label, 404]);
    }
    await setAlias(h, 'parked', null);
    await until('parked known', async () => (await send(host('parked'), { headers: { accept: 'application/json' } })).text.includes('serves no instance'));
    expect((await send(host('parked'))).status).toBe(404);
    expect(await openWs(host('parked'))).toEqual({ status: 404 });
    expect(await openWs(host('nosuch'))).toEqual({ status: 404 });
  });

  it('sends GET/HEAD on the id host and other aliases to the primary alias (302, same path and query); other methods and websockets are served', async () => {
    await setAlias(h, 'site', blue.id, true);
    await until('site primary', async () => (await send(host(blue.id), { path: '/p' })).status === 302);
    const r = await send(host(blue.id), { path: '/a/b?c=d&e=%20' });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(`http://site.apps.localhost:${h.port}/a/b?c=d&e=%20`);
    expect(r.headers['cache-control']).toBe('no-store');
    const head = await send(host('docs'), { method: 'HEAD', path: '/q' });
    expect([head.status, head.headers.location]).toEqual([302, `http://site.apps.localhost:${h.port}/q`]);
    // the primary itself is served
    expect(await whoServes('site')).toBe('blue');
    // a form post to the old host still works
    const post = await send(host(blue.id), { method: 'POST', path: '/form', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(post.status).toBe(200);
    expect(JSON.parse(post.text)).toMatchObject({ method: 'POST', url: '/form', bodyBytes: 3 });
    // websockets: never redirected, through any of its hosts
    for (const label of ['docs', 'site', blue.id]) {
      const ws = await openWs(host(label));
      expect('ws' in ws).toBe(true);
      if ('ws' in ws) {
        expect(ws.first.headers.host).toBe(host(label));
        ws.ws.close();
      }
    }
    // green has no primary: its id host is served
    expect((await send(host(green.id))).status).toBe(200);
  });

  it('keeps a browser signed in on the id host there (its cookie, e.g. from a share link, is for that host only)', async () => {
    h.platform.sessions.set('sess-alice', USERS.alice as Caller);
    h.platform.tickets.set('t-alias-1', { host: host(blue.id), session: 'sess-alice' });
    const redeemed = await send(host(blue.id), { path: '/.wharf/ticket?t=t-alias-1&next=%2Fhere', headers: { authorization: '' } });
    expect(redeemed.status).toBe(303);
    const cookie = redeemed.headers['set-cookie']![0]!.split(';')[0]!;
    const r = await send(host(blue.id), { path: '/here', headers: { authorization: '', cookie } });
    expect(r.status).toBe(200);
    // the same cookie is nothing on the alias host: sign-in there
    expect((await send(host('site'), { path: '/', headers: { authorization: '', cookie, accept: 'application/json' } })).status).toBe(401);
  });

  it('follows a move at once: new requests go to the new instance, a websocket opened before stays where it was', async () => {
    const before = await openWs(host('site'));
    if (!('ws' in before)) throw new Error(`websocket refused: ${before.status}`);
    await setAlias(h, 'site', green.id, true);
    await until('site on green', async () => (await whoServes('site')) === 'green');
    for (let i = 0; i < 5; i++) expect(await whoServes('site')).toBe('green');
    // blue lost its primary: its id host is served again; green's id host now redirects
    expect((await send(host(blue.id))).status).toBe(200);
    expect((await send(host(green.id))).headers.location).toBe(`http://site.apps.localhost:${h.port}/`);
    // the websocket opened on blue still talks to blue
    const echoed = await new Promise<string>((resolve) => {
      before.ws.once('message', (m) => resolve(m.toString()));
      before.ws.send('still here');
    });
    expect(echoed).toBe('still here');
    before.ws.close();
    // deleted: 404
    await setAlias(h, 'site', undefined);
    await until('site gone', async () => (await send(host('site'))).status === 404);
    expect((await send(host(green.id))).status).toBe(200);
  });
});
