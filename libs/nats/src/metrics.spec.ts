import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpSeries, metricsEndpoint, ServiceMetrics } from './metrics';

/** The endpoint on a real HTTP server, asked from this machine (loopback). */
async function serve(token: string): Promise<{ url: string; close: () => Promise<void>; metrics: ServiceMetrics }> {
  const metrics = new ServiceMetrics('test');
  const answer = metricsEndpoint(metrics, token);
  const server = http.createServer((req, res) => answer(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, metrics, close: () => new Promise((r) => server.close(() => r())) };
}

describe('/metrics', () => {
  it('serves Prometheus text to this machine when no token is set, with the service as a label', async () => {
    const s = await serve('');
    try {
      s.metrics.counter('wharf_test_total', 'a test counter', ['kind']).inc({ kind: 'a' }, 2);
      const r = await fetch(s.url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/plain');
      const text = await r.text();
      expect(text).toContain('wharf_test_total{kind="a",service="test"} 2');
      expect(text).toMatch(/^process_cpu_user_seconds_total\{service="test"\} /m);
    } finally {
      await s.close();
    }
  });

  it('with Platform.MetricsToken, answers only to that bearer token (401 otherwise, saying what to send)', async () => {
    const s = await serve('scrape-me');
    try {
      const none = await fetch(s.url);
      expect(none.status).toBe(401);
      expect(await none.text()).toContain('Authorization: Bearer <Platform.MetricsToken>');
      expect((await fetch(s.url, { headers: { authorization: 'Bearer scrape-mf' } })).status).toBe(401);
      expect((await fetch(s.url, { headers: { authorization: 'Bearer scrape-me' } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('times HTTP requests by route pattern, not by the raw path', async () => {
    const m = new ServiceMetrics('test');
    const mw = m.httpMiddleware();
    const req = Object.assign(new http.IncomingMessage(null as never), { method: 'GET', route: { path: '/apps/:id' }, baseUrl: '/api/v1' });
    const res = new http.ServerResponse(req);
    mw(req, res, () => {});
    res.statusCode = 404;
    res.emit('finish');
    expect(await m.registry.getSingleMetricAsString('wharf_http_request_duration_seconds')).toContain(
      'wharf_http_request_duration_seconds_count{service="test",method="GET",route="/api/v1/apps/:id",status="404"} 1',
    );
  });

  it('counts the observations of an HTTP series as if each were observed on its own, whenever the histogram is read', async () => {
    const bulk = new ServiceMetrics('test');
    const each = new ServiceMetrics('test');
    const series = bulk.httpSeries('GET', '/api/v1/apps', 200);
    expect(bulk.httpSeries('GET', '/api/v1/apps', 200)).toBe(series);
    const text = (m: ServiceMetrics) => m.registry.getSingleMetricAsString('wharf_http_request_duration_seconds');
    const values = Array.from({ length: HttpSeries.BATCH * 2 + 300 }, (_, i) => (i % 97) / 1000 + (i % 7 === 0 ? 0.3 : 0));
    // read before, between and after a full batch: nothing is lost or counted twice
    for (const [from, to] of [[0, 10], [10, HttpSeries.BATCH + 5], [HttpSeries.BATCH + 5, values.length]] as const) {
      for (const v of values.slice(from, to)) {
        series.observe(v);
        each.http.observe({ method: 'GET', route: '/api/v1/apps', status: '200' }, v);
      }
      expect(await text(bulk)).toBe(await text(each));
    }
    expect(await text(bulk)).toContain(`wharf_http_request_duration_seconds_count{service="test",method="GET",route="/api/v1/apps",status="200"} ${values.length}`);
    // and times a response until it finishes
    const res = new http.ServerResponse(new http.IncomingMessage(null as never));
    bulk.httpSeries('GET', '/api/v1/apps/:id', 304).time(res);
    res.emit('finish');
    expect(await text(bulk)).toContain('wharf_http_request_duration_seconds_count{service="test",method="GET",route="/api/v1/apps/:id",status="304"} 1');
  });
});
