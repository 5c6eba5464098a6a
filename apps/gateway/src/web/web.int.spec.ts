import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { api, startHarness, type Harness } from '../testing/identity.harness';
import { UI_CSP } from './web-ui';

jest.setTimeout(60_000);

/** The gateway serves the web UI at / (Gateway.WebDir) and keeps every path of its own. */
describe('the web UI on the gateway', () => {
  let h: Harness;
  let dir: string;
  const INDEX = '<!doctype html><html><head><title>Wharf</title></head><body><div id="root"></div></body></html>';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-web-int-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    writeFileSync(path.join(dir, 'assets/index-Zz9.css'), 'body{}');
    h = await startHarness({ WebDir: dir }, { idp: false });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps an idle client connection past node’s 5 s default (Gateway.KeepAliveTimeoutSeconds, 65 s): a proxy in front closes first', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; keepAlive: string; reused: boolean }>((resolve, reject) => {
        const req = http.get(`${h.url}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, keepAlive: String(res.headers['keep-alive']), reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    try {
      expect(await get()).toEqual({ status: 200, keepAlive: 'timeout=65', reused: false });
      await new Promise((r) => setTimeout(r, 6000));
      expect(await get()).toEqual({ status: 200, keepAlive: 'timeout=65', reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('answers / and the app’s page paths with index.html under the UI’s CSP', async () => {
    for (const p of ['/', '/apps/hello', '/instances/abcde12345']) {
      const res = await fetch(`${h.url}${p}`);
      expect([p, res.status, await res.text()]).toEqual([p, 200, INDEX]);
      expect(res.headers.get('content-security-policy')).toBe(UI_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
    const css = await fetch(`${h.url}/assets/index-Zz9.css`);
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('keeps the API, sign-in, health and the API docs as they were', async () => {
    const missing = await api(h, 'GET', '/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(missing.headers.get('content-security-policy')).toBeNull();
    expect((await api(h, 'GET', '/api/v1/me')).status).toBe(401);
    expect((await api(h, 'GET', '/api/v1/me', { token: h.adminToken })).body).toMatchObject({ roles: expect.arrayContaining(['admin']) });
    expect((await api(h, 'GET', '/auth/session')).body).toMatchObject({ authenticated: false });
    expect((await api(h, 'GET', '/healthz')).status).toBe(200);
    const docs = await fetch(`${h.url}/api/docs-json`);
    expect(docs.status).toBe(200);
    expect(((await docs.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    const docsUi = await fetch(`${h.url}/api/docs`);
    expect(docsUi.status).toBe(200);
    expect(await docsUi.text()).toContain('swagger');
    expect((await fetch(`${h.url}/auth/nothing`)).status).toBe(404);
  });
});
