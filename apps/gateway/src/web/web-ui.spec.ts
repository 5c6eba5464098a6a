import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { createHash } from 'node:crypto';
import { acceptsGzip, isReserved, preloadLink, UI_CSP, webUi } from './web-ui';

/** The handler on a bare Express app, with the gateway's own 404 after it (as Nest has it). */
async function serve(dir: string) {
  const app = express();
  app.get('/api/v1/me', (_q, res) => void res.json({ me: true }));
  app.use(webUi(dir));
  app.use((_q, res) => void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no route' } }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: (p: string, init?: RequestInit) => fetch(`${base}${p}`, init),
    /** The answer as sent, undecoded (fetch asks for gzip and decodes it on its own). */
    raw: (p: string, headers: Record<string, string> = {}, method = 'GET') =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .request(`${base}${p}`, { method, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject)
          .end();
      }),
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('the web UI handler', () => {
  let dir: string;
  const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    writeFileSync(path.join(dir, 'assets/index-AbC123.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets/index-AbC123.css'), `body{margin:0}${'.card{display:grid}'.repeat(500)}`);
    writeFileSync(path.join(dir, 'assets/logo-AbC123.png'), 'not really a png');
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(dir, '.secret'), 'no');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('knows the gateway’s own paths', () => {
    for (const p of ['/api', '/api/v1/apps', '/api/docs', '/api/docs-json', '/auth/login', '/healthz', '/readyz', '/instance', '/instance/abcde12345/x']) expect([p, isReserved(p)]).toEqual([p, true]);
    // the UI's instance pages are plural; /instance/… is the gateway's redirect to BASE_URL instances
    for (const p of ['/', '/apps/hello', '/instances', '/instances/abc', '/instancesx', '/apiary', '/authors', '/favicon.svg']) expect([p, isReserved(p)]).toEqual([p, false]);
  });

  it('serves index.html at / and at every page path, revalidated, with the strict CSP and nosniff', async () => {
    const s = await serve(dir);
    try {
      for (const p of ['/', '/apps/hello', '/apps/hello%401.0.0', '/instances/abcde12345?x=1']) {
        const res = await s.get(p);
        expect([p, res.status, await res.text()]).toEqual([p, 200, INDEX]);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toBe(UI_CSP);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
      }
      expect(UI_CSP).toContain("default-src 'self'");
      expect(UI_CSP).toContain("script-src 'self'");
      expect(UI_CSP).toContain("frame-ancestors 'none'");
      expect(UI_CSP).not.toContain('unsafe-inline');
      expect(UI_CSP).not.toContain('unsafe-eval');
    } finally {
      await s.close();
    }
  });

  it('sends with each page the preloads the build declares: every page’s, and the catalog’s at / without a query', async () => {
    const link = (urls: string[]) => urls.map((u) => `<${u}>; rel=preload; as=fetch; crossorigin`).join(', ');
    writeFileSync(path.join(dir, 'preload.json'), JSON.stringify({ '*': ['/auth/session'], '/': ['/api/v1/apps?limit=60'] }));
    const s = await serve(dir);
    try {
      expect((await s.get('/')).headers.get('link')).toBe(link(['/auth/session', '/api/v1/apps?limit=60']));
      for (const p of ['/?q=hello', '/apps/hello', '/instances']) expect([p, (await s.get(p)).headers.get('link')]).toEqual([p, link(['/auth/session'])]);
      expect((await s.get('/assets/index-AbC123.js')).headers.get('link')).toBeNull();
      expect((await s.get('/api/v1/me')).headers.get('link')).toBeNull();
    } finally {
      await s.close();
      rmSync(path.join(dir, 'preload.json'));
    }
    expect(preloadLink(dir, '/', false)).toBeNull(); // no file, no preloads
  });

  it('skips a preload that is not a path on this origin, and says so', () => {
    const own = mkdtempSync(path.join(os.tmpdir(), 'wharf-web-'));
    const warnings: string[] = [];
    try {
      writeFileSync(path.join(own, 'preload.json'), JSON.stringify({ '*': ['/ok', '//evil.example/x', 'https://evil.example/', '/a>; rel=x', 7] }));
      expect(preloadLink(own, '/x', false, (m) => warnings.push(m))).toBe('</ok>; rel=preload; as=fetch; crossorigin');
      expect(warnings).toHaveLength(4);
      expect(warnings[0]).toContain('"//evil.example/x" (page *) is not a path on this origin; skipped');
      writeFileSync(path.join(own, 'preload.json'), '{not json');
      expect(preloadLink(own, '/', false, (m) => warnings.push(m))).toBeNull();
      expect(warnings[4]).toMatch(/preload\.json is not JSON .*; no preloads sent$/);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('caches hashed assets for a year, other files not at all; a missing file is a 404, not the page', async () => {
    const s = await serve(dir);
    try {
      const js = await s.get('/assets/index-AbC123.js');
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(js.headers.get('x-content-type-options')).toBe('nosniff');
      const icon = await s.get('/favicon.svg');
      expect(icon.headers.get('cache-control')).toBe('no-cache');
      expect((await s.get('/assets/index-Old999.js')).status).toBe(404);
      expect(await (await s.get('/.secret')).text()).not.toBe('no'); // dot files are never served
      expect((await s.get('/../package.json')).status).toBe(404);
      expect((await s.get('/favicon.ico')).status).toBe(404);
      // no way out of the folder: at most the app's page
      for (const p of ['/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc/passwd', '/..%5c..%5cetc/passwd']) {
        const res = await s.get(p);
        expect([p, await res.text()]).toEqual([p, expect.not.stringContaining('root:')]);
      }
      // the app's pages may hold dots
      expect((await s.get('/apps/wheel.app%401.0.0')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('sends scripts and styles gzip-compressed to browsers that accept it, made once and the same as the file', async () => {
    const s = await serve(dir);
    try {
      const css = `body{margin:0}${'.card{display:grid}'.repeat(500)}`;
      for (const ae of ['gzip, deflate, br', 'br;q=1, gzip;q=0.5', '*']) {
        const res = await s.raw('/assets/index-AbC123.css', { 'accept-encoding': ae });
        expect([ae, res.status, res.headers['content-encoding']]).toEqual([ae, 200, 'gzip']);
        expect(gunzipSync(res.body).toString()).toBe(css);
        expect(Number(res.headers['content-length'])).toBe(res.body.length);
        expect(res.body.length).toBeLessThan(css.length / 10);
        expect(res.headers['content-type']).toMatch(/^text\/css/);
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(res.headers.vary).toMatch(/Accept-Encoding/);
        expect(res.headers['content-security-policy']).toBe(UI_CSP);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
      const js = await s.raw('/assets/index-AbC123.js', { 'accept-encoding': 'gzip' });
      expect([js.headers['content-encoding'], gunzipSync(js.body).toString()]).toEqual(['gzip', 'console.log(1)']);
      expect(js.headers['content-type']).toMatch(/javascript/);
      const head = await s.raw('/assets/index-AbC123.js', { 'accept-encoding': 'gzip' }, 'HEAD');
      expect([head.status, head.headers['content-encoding'], head.body.length]).toEqual([200, 'gzip', 0]);
      // as they are: to a client that does not take gzip, and for files that are compressed already
      for (const ae of ['', 'identity', 'br', 'gzip;q=0', '*;q=0']) {
        const res = await s.raw('/assets/index-AbC123.css', ae ? { 'accept-encoding': ae } : {});
        expect([ae, res.headers['content-encoding'], res.body.toString()]).toEqual([ae, undefined, css]);
        expect(res.headers.vary).toMatch(/Accept-Encoding/);
      }
      const png = await s.raw('/assets/logo-AbC123.png', { 'accept-encoding': 'gzip' });
      expect([png.status, png.headers['content-encoding']]).toEqual([200, undefined]);
      expect((await s.raw('/assets/index-Old999.js', { 'accept-encoding': 'gzip' })).status).toBe(404);
      expect((await s.raw('/assets/..%2f..%2f..%2fetc%2fpasswd.js', { 'accept-encoding': 'gzip' })).body.toString()).not.toContain('root:');
    } finally {
      await s.close();
    }
  });

  it('reads Accept-Encoding as HTTP has it', () => {
    for (const h of ['gzip', 'GZIP', 'deflate, gzip', 'gzip;q=0.1', 'br, *', ' gzip ; q=1.0 ']) expect([h, acceptsGzip(h)]).toEqual([h, true]);
    for (const h of [undefined, '', 'identity', 'br, deflate', 'gzip;q=0', 'gzip; q=0.0', '*;q=0', 'x-gzip2']) expect([h, acceptsGzip(h)]).toEqual([h, false]);
  });

  it('leaves the gateway’s paths and other methods alone: their 404 stays the API’s JSON', async () => {
    const s = await serve(dir);
    try {
      expect(await (await s.get('/api/v1/me')).json()).toEqual({ me: true });
      for (const p of ['/api/v1/nothing', '/api/docs/x', '/auth/nothing', '/healthz/x']) {
        const res = await s.get(p);
        expect([p, res.status, res.headers.get('content-security-policy')]).toEqual([p, 404, null]);
        expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route' } });
      }
      const post = await s.get('/apps/hello', { method: 'POST' });
      expect(post.status).toBe(404);
      expect(post.headers.get('content-type')).toMatch(/json/);
    } finally {
      await s.close();
    }
  });

  it('says how to build the UI when it is not built, on a page whose only style its CSP allows by hash', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'wharf-web-none-'));
    const s = await serve(empty);
    try {
      for (const p of ['/', '/apps/hello']) {
        const res = await s.get(p);
        expect(res.status).toBe(503);
        const body = await res.text();
        expect(body).toContain('The web UI is not built');
        expect(body).toContain('pnpm --filter @wharf/web build');
        expect(body).toContain('Gateway.WebDir');
        expect(body).toContain(empty);
        const style = /<style>([^<]*)<\/style>/.exec(body)![1]!;
        const csp = res.headers.get('content-security-policy')!;
        expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
        expect(csp).toContain("default-src 'none'");
        expect(body).not.toContain('<script');
      }
      expect((await s.get('/api/v1/me')).status).toBe(200);
    } finally {
      await s.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
