import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { AnswerCache, createServiceLogger, jsonAnswer } from '@wharf/nats';
import type { Caller } from '@wharf/contracts';
import { hashToken } from '../tokens/token.service';
import { answerFirst, EarlyCatalogReads } from './early-catalog-reads';

const ALICE = { sub: 'svc:alice', name: 'alice', roles: ['full-access' as const] };
const TOKEN = 'wharf_pat_alice0000000000000000000000000000000000';

describe('EarlyCatalogReads in front of a server', () => {
  let server: http.Server;
  let base = '';
  const lines: Record<string, unknown>[] = [];
  const framework: { method: string; url: string; body: string }[] = [];
  const cache = new AnswerCache(60_000);
  /** The token cache's entry for TOKEN: a new object after every change, as TokenCache's. */
  let tokenEntry: { caller: Caller } = { caller: ALICE };
  let early: EarlyCatalogReads;

  beforeAll(async () => {
    // what stands for Express: records what reached it, body included
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        framework.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString() });
        res.end('framework');
      });
    });
    const logger = createServiceLogger(
      'gateway',
      { LogFormat: 'json' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
          done();
        },
      }),
    );
    const tokens = { authenticateCachedHash: (h: string) => (h === hashToken(TOKEN) ? { caller: tokenEntry.caller, token: tokenEntry as never } : undefined) };
    early = new EarlyCatalogReads({ cache, tokens, sessionCookie: 'wharf_session', logger });
    answerFirst(server, (req, res) => early.answer(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  beforeEach(() => {
    lines.length = 0;
    framework.length = 0;
    cache.invalidate();
  });

  it('answers a cached read itself with one request line (secrets in the query redacted) and its id', async () => {
    await cache.getOrLoad(cache.key(ALICE, 'list', { q: 'x', token: 'oops' }), async () => jsonAnswer({ items: [] }));
    const res = await fetch(`${base}/api/v1/apps?q=x&token=oops`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'req-42' } });
    expect(await res.text()).toBe('{"items":[]}');
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(framework).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', msg: 'request completed', reqId: 'req-42', req: { method: 'GET', url: '/api/v1/apps?q=x&token=[redacted]' }, res: { statusCode: 200 } }),
    ]);
  });

  it('hands everything else to the framework untouched, a request body included', async () => {
    await cache.getOrLoad(cache.key(null, 'get', 'hello'), async () => jsonAnswer({ name: 'hello' }));
    const sent: [string, RequestInit][] = [
      ['/api/v1/apps/hello', { method: 'POST', body: 'a body' }],
      ['/api/v1/apps/hello', { headers: { authorization: 'Bearer wharf_pat_unknown' } }],
      ['/api/v1/apps/hello', { headers: { cookie: 'theme=dark; wharf_session=abc' } }],
      ['/api/v1/apps/other', {}],
      ['/api/v1/apps/hello/versions', {}],
      ['/api/v1/appsx', {}],
    ];
    for (const [p, init] of sent) expect(await (await fetch(`${base}${p}`, init)).text()).toBe('framework');
    expect(framework.map((f) => [f.method, f.url, f.body])).toEqual([
      ['POST', '/api/v1/apps/hello', 'a body'],
      ['GET', '/api/v1/apps/hello', ''],
      ['GET', '/api/v1/apps/hello', ''],
      ['GET', '/api/v1/apps/other', ''],
      ['GET', '/api/v1/apps/hello/versions', ''],
      ['GET', '/api/v1/appsx', ''],
    ]);
    // an anonymous caller with other cookies is still anonymous
    expect(await (await fetch(`${base}/api/v1/apps/hello`, { headers: { cookie: 'theme=dark' } })).json()).toEqual({ name: 'hello' });
    expect(lines.map((l) => l.req)).toEqual([{ method: 'GET', url: '/api/v1/apps/hello' }]);
  });

  it('parses each URL once and keeps a bounded number of them, answering each as on its first read', async () => {
    const long = `/api/v1/apps?q=${'x'.repeat(600)}`;
    await cache.getOrLoad(cache.key(null, 'list', { q: 'x'.repeat(600) }), async () => jsonAnswer({ items: ['long'] }));
    await cache.getOrLoad(cache.key(null, 'list', { limit: '5' }), async () => jsonAnswer({ items: ['five'] }));
    for (let i = 0; i < 3; i++) {
      expect(await (await fetch(`${base}${long}`)).json()).toEqual({ items: ['long'] });
      expect(await (await fetch(`${base}/api/v1/apps?limit=5`)).json()).toEqual({ items: ['five'] });
      expect(await (await fetch(`${base}/api/v1/apps?limit=5%00`)).text()).toBe('framework');
    }
    const reads = (early as unknown as { reads: Map<string, unknown> }).reads;
    expect(reads.has(long)).toBe(false); // too long to keep: parsed on every read
    expect(reads.has('/api/v1/apps?limit=5')).toBe(true);
    // many distinct URLs: the oldest are forgotten, and a forgotten one is parsed again
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const get = (p: string) =>
      new Promise<string>((resolve, reject) => {
        http.get(`${base}${p}`, { agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
    for (let i = 0; i < 1100; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => get(`/api/v1/apps?page=${i + j}`)));
    agent.destroy();
    expect(reads.size).toBeLessThanOrEqual(1000);
    expect(reads.has('/api/v1/apps?limit=5')).toBe(false);
    expect(await (await fetch(`${base}/api/v1/apps?limit=5`)).json()).toEqual({ items: ['five'] });
  });

  it("keys a token's answers by its entry in the token cache: a change of roles never gets the old roles' answer", async () => {
    await cache.getOrLoad(cache.key(ALICE, 'get', 'hello'), async () => jsonAnswer({ for: 'full-access' }));
    const read = () => fetch(`${base}/api/v1/apps/hello`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.text());
    try {
      expect(await read()).toBe('{"for":"full-access"}');
      expect(await read()).toBe('{"for":"full-access"}');
      tokenEntry = { caller: { ...ALICE, roles: ['visitor'] } };
      expect(await read()).toBe('framework');
      await cache.getOrLoad(cache.key(tokenEntry.caller, 'get', 'hello'), async () => jsonAnswer({ for: 'visitor' }));
      expect(await read()).toBe('{"for":"visitor"}');
    } finally {
      tokenEntry = { caller: ALICE };
    }
  });

  it('on one connection, answers each request as its own token: another token, none or a malformed one never gets the last one\'s answer', async () => {
    await cache.getOrLoad(cache.key(ALICE, 'get', 'hello'), async () => jsonAnswer({ for: 'alice' }));
    await cache.getOrLoad(cache.key(null, 'get', 'hello'), async () => jsonAnswer({ for: 'anyone' }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    const get = (authorization?: string) =>
      new Promise<string>((resolve, reject) => {
        const r = http.get(`${base}/api/v1/apps/hello`, { agent, headers: authorization ? { authorization } : {} }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        });
        r.on('socket', (socket) => socket.once('connect', () => ports.add(socket.localPort!)));
        r.on('error', reject);
      });
    try {
      expect(await get(`Bearer ${TOKEN}`)).toBe('{"for":"alice"}');
      expect(await get(`Bearer ${TOKEN}`)).toBe('{"for":"alice"}');
      expect(await get('Bearer wharf_pat_someoneelse000000000000000000000000000000')).toBe('framework');
      expect(await get(`Bearer ${TOKEN}x`)).toBe('framework');
      expect(await get(`Bearer ${TOKEN.replace('wharf_pat_', 'other_')}`)).toBe('framework');
      expect(await get(`Basic ${TOKEN}`)).toBe('framework');
      expect(await get()).toBe('{"for":"anyone"}');
      expect(await get(`bearer   ${TOKEN}`)).toBe('{"for":"alice"}');
      expect(ports.size).toBe(1); // all on one connection
    } finally {
      agent.destroy();
    }
  });

  it('refuses to wrap a server that has no request listener yet', () => {
    expect(() => answerFirst(http.createServer(), () => false)).toThrow(/no request listener yet/);
  });
});
