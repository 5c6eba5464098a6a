import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { AnswerCache, createServiceLogger, jsonAnswer } from '@wharf/nats';
import { answerFirst, EarlyCatalogReads } from './early-catalog-reads';

const ALICE = { sub: 'svc:alice', name: 'alice', roles: ['full-access' as const] };
const TOKEN = 'wharf_pat_alice0000000000000000000000000000000000';

describe('EarlyCatalogReads in front of a server', () => {
  let server: http.Server;
  let base = '';
  const lines: Record<string, unknown>[] = [];
  const framework: { method: string; url: string; body: string }[] = [];
  const cache = new AnswerCache(60_000);

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
    const tokens = { authenticateCached: (t: string) => (t === TOKEN ? { caller: ALICE, token: {} as never } : undefined) };
    const early = new EarlyCatalogReads({ cache, tokens, sessionCookie: 'wharf_session', logger });
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

  it('refuses to wrap a server that has no request listener yet', () => {
    expect(() => answerFirst(http.createServer(), () => false)).toThrow(/no request listener yet/);
  });
});
