import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createServiceLogger, currentRequestId, loggableUrl, requestIdMiddleware, requestLogMiddleware, saneRequestId, withRequestId } from './logging';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('service logs', () => {
  it('writes one JSON object per line with the service, level name, ISO time and pid', () => {
    const out = capture();
    const log = createServiceLogger('gateway', { LogLevel: 'log', LogFormat: 'json' }, out.stream);
    log.info('hello');
    log.debug('not at level log');
    const [line, ...rest] = out.lines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ service: 'gateway', level: 'info', msg: 'hello', pid: process.pid });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it('maps the platform levels (verbose is trace) and stays quiet below them', () => {
    const out = capture();
    const log = createServiceLogger('router', { LogLevel: 'verbose', LogFormat: 'json' }, out.stream);
    log.trace('t');
    const quiet = capture();
    const warnOnly = createServiceLogger('router', { LogLevel: 'warn', LogFormat: 'json' }, quiet.stream);
    warnOnly.info('i');
    warnOnly.error('e');
    expect(out.lines().map((l) => l.level)).toEqual(['trace']);
    expect(quiet.lines().map((l) => l.msg)).toEqual(['e']);
  });

  it('puts the request id on every line written while a request is handled, across awaits', async () => {
    const out = capture();
    const log = createServiceLogger('scheduler', { LogFormat: 'json' }, out.stream);
    log.info('before');
    await withRequestId('req-1', async () => {
      log.info('start');
      await new Promise((r) => setTimeout(r, 5));
      log.info('after a timer');
      expect(currentRequestId()).toBe('req-1');
    });
    log.info('outside');
    expect(out.lines().map((l) => [l.msg, l.reqId])).toEqual([
      ['before', undefined],
      ['start', 'req-1'],
      ['after a timer', 'req-1'],
      ['outside', undefined],
    ]);
  });

  it('writes one line per answered request, with its id once and secrets redacted; none for probes', async () => {
    const out = capture();
    const log = createServiceLogger('gateway', { LogFormat: 'json' }, out.stream);
    const logRequest = requestLogMiddleware(log);
    const server = http.createServer((req, res) =>
      requestIdMiddleware(req, res, () =>
        logRequest(req, res, () => {
          log.info('handling');
          if (req.url?.startsWith('/boom')) return void res.writeHead(503).end();
          if (req.url?.startsWith('/hang')) return; // the client gives up
          res.writeHead(200).end('ok');
        }),
      ),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await fetch(`${base}/api/v1/apps?limit=5&token=wharf_pat_0123456789abcdef`, { headers: { 'x-request-id': 'req-7' } });
      await fetch(`${base}/boom`);
      await fetch(`${base}/healthz`);
      await fetch(`${base}/hang`, { signal: AbortSignal.timeout(200) }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const lines = out.lines();
    const requests = lines.filter((l) => l.req);
    expect(requests.map((l) => [l.level, l.msg, (l.req as { url: string }).url, (l.res as { statusCode: number }).statusCode])).toEqual([
      ['info', 'request completed', '/api/v1/apps?limit=5&token=[redacted]', 200],
      ['error', 'request errored', '/boom', 503],
      ['info', 'request aborted', '/hang', 499],
    ]);
    expect(requests[0]).toMatchObject({ reqId: 'req-7', service: 'gateway' });
    expect(typeof requests[0]!.responseTime).toBe('number');
    expect(JSON.stringify(out.lines()[1]).match(/reqId/g)).toHaveLength(1);
    // the handler's own line carries the same id; the probe got neither a request line nor a lost id
    expect(lines.filter((l) => l.msg === 'handling').map((l) => typeof l.reqId)).toEqual(['string', 'string', 'string', 'string']);
    expect(JSON.stringify(lines)).not.toContain('wharf_pat_');
  });

  it('gives a new id when the caller has none or a bad one', () => {
    const ids = [withRequestId(undefined, () => currentRequestId()), withRequestId(saneRequestId('x\ny'), () => currentRequestId())];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(saneRequestId('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    expect(saneRequestId('a'.repeat(129))).toBeUndefined();
    expect(saneRequestId('<script>')).toBeUndefined();
    expect(saneRequestId(42)).toBeUndefined();
  });

  it('never writes values of secret-named fields', () => {
    const out = capture();
    const log = createServiceLogger('gateway', { LogFormat: 'json' }, out.stream);
    log.info({ token: 'wharf_pat_x', user: { password: 'p4ss' }, req: { headers: { authorization: 'Bearer b', cookie: 'c=1' } }, ok: 1 }, 'm');
    const text = JSON.stringify(out.lines());
    for (const s of ['wharf_pat_x', 'p4ss', 'Bearer b', 'c=1']) expect(text).not.toContain(s);
    expect(text).toContain('"ok":1');
  });

  it('logs URLs with the values of secret-looking query parameters redacted', () => {
    expect(loggableUrl('/auth/callback?code=abc&state=def&iss=https%3A%2F%2Fidp')).toBe('/auth/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fidp');
    expect(loggableUrl('/_wharf/login?wharf_ticket=t.x.y&next=%2Fa')).toBe('/_wharf/login?wharf_ticket=[redacted]&next=%2Fa');
    expect(loggableUrl('/api/v1/apps?limit=5&cursor=abc')).toBe('/api/v1/apps?limit=5&cursor=abc');
    expect(loggableUrl('/x?access%5Ftoken=1&flag')).toBe('/x?access%5Ftoken=[redacted]&flag');
    expect(loggableUrl('/plain')).toBe('/plain');
    // secrets in the path, or inside another parameter's value
    expect(loggableUrl('/share/wsh_AbC-123_xyzXYZ0123')).toBe('/share/[redacted]');
    expect(loggableUrl('/auth/login?next=%2Fshare%2Fwsh_AbC-123_xyzXYZ0123')).toBe('/auth/login?next=%2Fshare%2F[redacted]');
    expect(loggableUrl('/x?q=wharf_pat_0123456789abcdef')).toBe('/x?q=[redacted]');
  });

  it('the HTTP middleware keeps a sane X-Request-Id, replaces a bad one, echoes it and scopes the request', () => {
    const run = (header: string | undefined) => {
      const headers: Record<string, string> = {};
      const req = { headers: header === undefined ? {} : { 'x-request-id': header } } as unknown as IncomingMessage;
      const res = { setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v) } as unknown as ServerResponse;
      let inside: string | undefined;
      requestIdMiddleware(req, res, () => (inside = currentRequestId()));
      return { echoed: headers['x-request-id'], inside, id: (req as IncomingMessage & { id?: string }).id };
    };
    expect(run('client-42')).toEqual({ echoed: 'client-42', inside: 'client-42', id: 'client-42' });
    const bad = run('a b\r\nX-Evil: 1');
    expect(bad.echoed).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.inside).toBe(bad.echoed);
    expect(run(undefined).inside).toMatch(/^[0-9a-f-]{36}$/);
  });
});
