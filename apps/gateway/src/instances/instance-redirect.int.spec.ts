import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startHarness, type Harness } from '../testing/identity.harness';

jest.setTimeout(60_000);

const INDEX = '<!doctype html><title>Wharf</title><div id="root"></div>';

/** One request as sent (no redirects followed), with any Host header. */
function send(base: string, p: string, opts: { method?: string; host?: string; accept?: string } = {}) {
  return new Promise<{ status: number; location: string | undefined; cacheControl: string | undefined; type: string | undefined; body: string }>((resolve, reject) => {
    http
      .request(`${base}${p}`, { method: opts.method ?? 'GET', headers: { accept: opts.accept ?? 'application/json', ...(opts.host ? { host: opts.host } : {}) } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, location: res.headers.location, cacheControl: res.headers['cache-control'], type: res.headers['content-type'], body }),
        );
      })
      .on('error', reject)
      .end();
  });
}

describe('GET <gateway>/instance/<id>/…: a redirect to the instance under the bare apps domain', () => {
  let h: Harness;
  let web: string;
  beforeAll(async () => {
    web = mkdtempSync(path.join(os.tmpdir(), 'wharf-web-'));
    writeFileSync(path.join(web, 'index.html'), INDEX);
    h = await startHarness({ AppsPort: 8081, WebDir: web }, { idp: false });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(web, { recursive: true, force: true });
  });

  it('sends /instance/<id>, /instance/<id>/ and everything under it, query included, as sent, to the router, never cached', async () => {
    const cases: [string, string][] = [
      ['/instance/abcde12345', 'http://apps.localhost:8081/instance/abcde12345/'],
      ['/instance/abcde12345/', 'http://apps.localhost:8081/instance/abcde12345/'],
      ['/instance/abcde12345?tab=2', 'http://apps.localhost:8081/instance/abcde12345/?tab=2'],
      ['/instance/abcde12345/notes/7?x=1&y=a%26b', 'http://apps.localhost:8081/instance/abcde12345/notes/7?x=1&y=a%26b'],
      ['/instance/abcde12345/a%20b/c%2Fd', 'http://apps.localhost:8081/instance/abcde12345/a%20b/c%2Fd'],
    ];
    for (const [p, want] of cases) {
      for (const method of ['GET', 'HEAD']) {
        const r = await send(h.url, p, { method, accept: 'text/html' });
        expect([method, p, r.status, r.location, r.cacheControl]).toEqual([method, p, 302, want, 'no-store']);
      }
    }
  });

  it('answers a malformed instance id with a JSON 404 that says what an id looks like', async () => {
    for (const p of ['/instance', '/instance/', '/instance/abc', '/instance/ABCDE12345/', '/instance/abcde123456', '/instance/1bcde12345/x', '/instance/%61bcde12345/', '/instance//abcde12345/']) {
      const r = await send(h.url, p);
      expect([p, r.status, r.location]).toEqual([p, 404, undefined]);
      expect(r.type).toMatch(/json/);
      const { error } = JSON.parse(r.body) as { error: { code: string; message: string } };
      expect([p, error.code]).toEqual([p, 'NOT_FOUND']);
      expect(error.message).toContain("is not an instance's address on this gateway: /instance/<instance id>/… takes an instance id (10 characters [a-z0-9] starting with a letter");
    }
  });

  it('leaves the web UI’s pages (/instances/…, plural) and the API alone', async () => {
    for (const p of ['/instances', '/instances/abcde12345', '/instances/abcde12345/logs', '/instancesx', '/']) {
      const r = await send(h.url, p, { accept: 'text/html' });
      expect([p, r.status, r.body]).toEqual([p, 200, INDEX]);
    }
    const api = await send(h.url, '/api/v1/instance/abcde12345');
    expect(api.status).toBe(404);
    expect(api.body).not.toContain(INDEX);
    expect((await send(h.url, '/api/v1/instances/abcde12345')).status).toBe(401);
  });

  it('refuses to redirect a request that reached it at the bare apps host (it would come back)', async () => {
    const r = await send(h.url, '/instance/abcde12345/', { host: 'apps.localhost:8081' });
    expect([r.status, r.location]).toEqual([500, undefined]);
    expect(JSON.parse(r.body).error.message).toContain('this request reached the gateway at apps.localhost:8081, the apps domain where the router serves instances');
  });
});

describe('GET <gateway>/instance/<id> when the gateway is published at the apps domain itself', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PublicUrl: 'https://apps.example.com', AppsDomain: 'apps.example.com', AppsPort: 443 }, { idp: false });
  }, 60_000);
  afterAll(() => h?.close());

  it('says so instead of redirecting to itself', async () => {
    const r = await send(h.url, '/instance/abcde12345/');
    expect([r.status, r.location]).toEqual([500, undefined]);
    expect(JSON.parse(r.body).error.message).toMatch(
      /^the gateway is published at https:\/\/apps\.example\.com \(Gateway\.PublicUrl\), the apps domain itself .* so \/instance\/<id>\/ would redirect to itself/,
    );
  });
});

describe('GET <gateway>/instance/<id> with the router on the scheme’s default port', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ PublicUrl: 'https://wharf.example.com', AppsDomain: 'apps.example.com', AppsPort: 443 }, { idp: false });
  }, 60_000);
  afterAll(() => h?.close());

  it('writes no port, as browsers do', async () => {
    const r = await send(h.url, '/instance/abcde12345/x');
    expect([r.status, r.location]).toEqual([302, 'https://apps.example.com/instance/abcde12345/x']);
  });
});
