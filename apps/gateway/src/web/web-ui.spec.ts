import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { createHash } from 'node:crypto';
import { isReserved, UI_CSP, webUi } from './web-ui';

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
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(dir, '.secret'), 'no');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('knows the gateway’s own paths', () => {
    for (const p of ['/api', '/api/v1/apps', '/api/docs', '/api/docs-json', '/auth/login', '/healthz', '/readyz']) expect([p, isReserved(p)]).toEqual([p, true]);
    for (const p of ['/', '/apps/hello', '/instances/abc', '/apiary', '/authors', '/favicon.svg']) expect([p, isReserved(p)]).toEqual([p, false]);
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
