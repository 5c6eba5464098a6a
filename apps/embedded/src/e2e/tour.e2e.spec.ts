import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alivePids, BAD_BUNDLES, buildBundle, startWharf, type RunningSystem } from '@wharf/testing';

/**
 * The README's tour, end to end, against Wharf started the way `pnpm start` starts it
 * (own nats-server, embedded PostgreSQL, disk blobs), driven over REST — partly with curl.
 */
describe('Wharf from the README, end to end', () => {
  let sys: RunningSystem;
  let tmp: string;
  const api = (p: string) => `${sys.gateway}/api/v1${p}`;
  const call = async (method: string, p: string, token: string | null, body?: unknown) => {
    const res = await fetch(api(p), {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-tour-'));
    // the README's tour: PostgreSQL too as `npm start` starts it
    sys = await startWharf({}, { embeddedPostgres: true });
  }, 180_000);

  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    if (sys?.proc.exitCode === null) await sys.stop();
  });

  it('prints its endpoints and a one-time admin token', () => {
    expect(sys.gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sys.adminToken).toMatch(/^wharf_pat_[A-Za-z0-9]{40}$/);
  });

  it('knows who the bearer is, and refuses missing or bad tokens with a JSON error', async () => {
    expect(await call('GET', '/me', sys.adminToken)).toMatchObject({ status: 200, body: { name: 'admin', roles: ['admin', 'full-access'] } });
    const anon = await call('GET', '/me', null);
    expect(anon).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    expect((await call('GET', '/me', 'wharf_pat_nope')).status).toBe(401);
  });

  it('lets an admin mint tokens for other users', async () => {
    const a = await call('POST', '/tokens', sys.adminToken, { user: 'alice', roles: ['full-access'], name: 'alice laptop' });
    expect(a.status).toBe(201);
    alice = a.body.token;
    bob = (await call('POST', '/tokens', sys.adminToken, { user: 'bob' })).body.token;
    expect(await call('GET', '/me', alice)).toMatchObject({ body: { name: 'alice', roles: ['full-access'] } });
    expect((await call('POST', '/tokens', alice, { user: 'mallory', roles: ['admin'] })).status).toBe(403);
  });

  let appId: string;
  let zipPath: string;

  it('imports a bundle with curl (raw body) and with a multipart form', async () => {
    zipPath = path.join(tmp, 'hello.zip');
    writeFileSync(zipPath, await buildBundle({ app: { name: 'hello-wave', version: '1.0.0', title: 'Hello Wave', keywords: ['greeting'] }, icon: true }));
    const out = execFileSync('curl', ['-sS', '-X', 'POST', '-H', `Authorization: Bearer ${alice}`, '-H', 'Content-Type: application/zip',
      '--data-binary', `@${zipPath}`, '-w', '\n%{http_code}', api('/bundles')], { encoding: 'utf8' });
    const [json, code] = out.trimEnd().split(/\n(?=\d+$)/);
    expect(code).toBe('201');
    appId = JSON.parse(json!).id;
    const form = path.join(tmp, 'hello2.zip');
    writeFileSync(form, await buildBundle({ app: { name: 'hello-wave', version: '1.1.0', title: 'Hello Wave' } }));
    const out2 = execFileSync('curl', ['-sS', '-H', `Authorization: Bearer ${alice}`, '-F', `bundle=@${form}`, '-w', '\n%{http_code}', api('/bundles')], { encoding: 'utf8' });
    expect(out2.trimEnd().endsWith('201')).toBe(true);
  });

  it('lists and searches the catalog', async () => {
    const list = await call('GET', '/apps', alice);
    expect(list.body.items.map((a: { version: string }) => a.version)).toEqual(['1.1.0']);
    expect(list.body.nextCursor).toBeNull();
    expect((await call('GET', '/apps?allVersions=true', alice)).body.items).toHaveLength(2);
    expect((await call('GET', '/apps?q=greeting&allVersions=true', alice)).body.items.map((a: { id: string }) => a.id)).toEqual([appId]);
    expect((await call('GET', '/apps/hello-wave/versions', alice)).body.items).toHaveLength(2);
    expect((await call('GET', `/apps/${appId}`, alice)).body).toMatchObject({ name: 'hello-wave', version: '1.0.0', hasIcon: true });
    expect((await call('GET', '/apps?limit=0', alice))).toMatchObject({ status: 400, body: { error: { code: 'INVALID' } } });
  });

  it('downloads the bundle byte-identical, with Range', async () => {
    const out = path.join(tmp, 'down.zip');
    execFileSync('curl', ['-sSf', '-H', `Authorization: Bearer ${alice}`, '-o', out, api(`/apps/${appId}/bundle`)]);
    const original = readFileSync(zipPath);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));
    const part = await fetch(api(`/apps/${appId}/bundle`), { headers: { authorization: `Bearer ${alice}`, range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(original.subarray(0, 4));
    const icon = await fetch(api(`/apps/${appId}/icon`), { headers: { authorization: `Bearer ${alice}` } });
    expect(icon.headers.get('content-type')).toBe('image/png');
  });

  it('changes visibility: PRIVATE hides it from bob, ALL_USERS shows it', async () => {
    expect((await call('GET', `/apps/${appId}`, bob)).status).toBe(404);
    expect((await call('PATCH', `/apps/${appId}`, bob, { visibility: 'ALL_USERS' })).status).toBe(404);
    const patched = await call('PATCH', `/apps/${appId}`, alice, { visibility: 'ALL_USERS' });
    expect(patched).toMatchObject({ status: 200, body: { visibility: 'ALL_USERS' } });
    expect((await call('GET', `/apps/${appId}`, bob)).status).toBe(200);
    expect((await call('PATCH', `/apps/${appId}`, alice, { visibility: 'EVERYONE' }))).toMatchObject({ status: 400, body: { error: { code: 'INVALID' } } });
    expect((await call('GET', '/apps', null)).body.items).toEqual([]);
  });

  it('refuses every bad bundle in the corpus over REST, leaving nothing behind', async () => {
    const before = (await call('GET', '/apps?allVersions=true', sys.adminToken)).body.items.length;
    for (const bad of BAD_BUNDLES) {
      const res = await fetch(api('/bundles'), {
        method: 'POST',
        headers: { authorization: `Bearer ${sys.adminToken}`, 'content-type': 'application/zip' },
        body: new Uint8Array(await bad.build()),
      });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ id: bad.id, status: res.status, code: body.error.code }).toEqual({ id: bad.id, status: 400, code: 'INVALID' });
      expect({ id: bad.id, message: body.error.message }).toEqual({ id: bad.id, message: expect.stringMatching(bad.expect) });
    }
    expect((await call('GET', '/apps?allVersions=true', sys.adminToken)).body.items.length).toBe(before);
  });

  it('leaves nothing behind when a client disconnects mid-upload through the gateway', async () => {
    const before = (await call('GET', '/apps?allVersions=true', sys.adminToken)).body.items.length;
    const blobs = () => (existsSync(path.join(sys.dataDir, 'blobs')) ? readdirSync(path.join(sys.dataDir, 'blobs'), { recursive: true }).length : 0);
    const blobsBefore = blobs();
    const zip = await buildBundle({ app: { name: 'half-way', version: '1.0.0' }, files: { 'big.bin': randomBytes(8 << 20) } });
    await new Promise<void>((resolve) => {
      const req = http.request(api('/bundles'), {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/zip', 'content-length': zip.length },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(zip.subarray(0, zip.length >> 1), () => setTimeout(() => req.destroy(), 300));
    });
    const staging = path.join(sys.dataDir, 'tmp', 'imports');
    for (let i = 0; i < 100 && existsSync(staging) && readdirSync(staging).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    expect(blobs()).toBe(blobsBefore);
    expect((await call('GET', '/apps?allVersions=true', sys.adminToken)).body.items.length).toBe(before);
  });

  it('manages tags as an admin', async () => {
    expect((await call('POST', '/tags', alice, { name: 'demo', title: 'Demo' })).status).toBe(403);
    expect((await call('POST', '/tags', sys.adminToken, { name: 'demo', title: 'Demo', visitorRoles: ['visitor'] })).status).toBe(201);
    expect((await call('PUT', `/apps/${appId}/tags/demo`, sys.adminToken)).body.tags).toEqual([expect.objectContaining({ name: 'demo' })]);
    expect((await call('GET', '/apps?tag=demo&allVersions=true', alice)).body.items).toHaveLength(1);
    expect((await call('PATCH', '/tags/demo', sys.adminToken, { color: '#ff0000' })).body.color).toBe('#ff0000');
    expect((await call('DELETE', `/apps/${appId}/tags/demo`, sys.adminToken)).body.tags).toEqual([]);
    expect((await call('DELETE', '/tags/demo', sys.adminToken)).status).toBe(200);
  });

  it('deletes a version (owner only) and serves OpenAPI and health', async () => {
    expect((await call('DELETE', `/apps/${appId}`, bob)).status).toBe(403);
    expect((await call('DELETE', `/apps/${appId}`, alice)).status).toBe(200);
    expect((await call('GET', `/apps/${appId}`, alice)).status).toBe(404);
    const doc = (await (await fetch(`${sys.gateway}/api/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/bundles', '/api/v1/apps', '/api/v1/apps/{id}', '/api/v1/tokens', '/api/v1/me']));
    expect((await fetch(`${sys.gateway}/healthz`)).status).toBe(200);
    expect((await fetch(`${sys.gateway}/readyz`)).status).toBe(200);
  });

  it('stops everything it started on Ctrl-C, each service draining and exiting by itself', async () => {
    const pids = Object.values(sys.pids());
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(await sys.stop()).toBe(130); // 128 + SIGINT, as a shell reports Ctrl-C
    expect(alivePids(pids)).toEqual([]);
    // none had to be killed, and none exited with an error
    expect(sys.output.filter((l) => /did not stop in time|stopped with|exited \(|close failed|closing took/.test(l))).toEqual([]);
  });
});
