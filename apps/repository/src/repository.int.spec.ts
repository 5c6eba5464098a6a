import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AppChangedEvent,
  INTERNAL_TOKEN_HEADER,
  RepositoryContracts as C,
  SchedulerContracts,
  signInternalToken,
  WharfError,
  type AppVersion,
  type Caller,
} from '@wharf/contracts';
import { migrate } from '@wharf/db';
import { connectNats, RpcClient } from '@wharf/nats';
import { BAD_BUNDLES, buildBundle, createTestDatabase, startNatsServer, startS3Server, type NatsServer } from '@wharf/testing';
import { Client as MinioClient } from 'minio';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { RepositoryModule } from './app.module';
import { BLOB_STORE, type BlobStore } from './blobs/blob-store';
import { ORPHAN_GRACE_MS, sweepOrphanBlobs } from './bundles/orphan-blobs';
import { AppVersionRepository } from './catalog/app-version.repository';
import { MIGRATIONS_DIR } from './migrations-dir';
import { RepositoryConfigSchema, type RepositorySettings } from './repository.config';

const SECRET = 'test-internal-secret-0123456789';
const alice: Caller = { sub: 'alice', name: 'alice', roles: ['full-access'] };
const bob: Caller = { sub: 'bob', name: 'bob', roles: ['full-access'] };
const admin: Caller = { sub: 'root', name: 'root', roles: ['admin'] };
const visitor: Caller = { sub: 'vic', name: 'vic', roles: ['visitor'] };

describe('repository service (real Postgres, NATS, S3 server, HTTP)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let nats: NatsServer;
  let s3: Awaited<ReturnType<typeof startS3Server>>;
  let app: INestApplication;
  let base: string;
  let rpc: RpcClient;
  let nc: NatsConnection;
  let dataDir: string;
  let minio: MinioClient;
  const events: { change: string; id: string }[] = [];
  const BUCKET = 'wharf-test-bundles';

  beforeAll(async () => {
    [db, nats, s3] = await Promise.all([createTestDatabase('wharf_repo'), startNatsServer(), startS3Server()]);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-repo-'));
    const s3url = new URL(s3.endpoint);
    const settings: RepositorySettings = {
      platform: { NatsUrl: nats.url, RequestTimeoutMs: 3000, InternalSecret: SECRET, DataDir: dataDir, LogLevel: 'error', ShutdownDelaySeconds: 0, ShutdownGraceSeconds: 10 },
      repository: RepositoryConfigSchema.parse({
        DatabaseUrl: db.url,
        Port: 0,
        MaxVersionsPerUser: 4,
        Store: 's3',
        S3Endpoint: s3.endpoint,
        S3AccessKey: s3.accessKey,
        S3SecretKey: s3.secretKey,
        S3Bucket: BUCKET,
      }),
    };
    await migrate({ url: db.url, schema: 'repository', dir: MIGRATIONS_DIR });
    app = await NestFactory.create(RepositoryModule.forRoot(settings), { logger: ['error'], bodyParser: false });
    await connectNats(app);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    rpc = new RpcClient({ service: 'test', servers: [nats.url], requestTimeoutMs: 5000, secret: SECRET });
    await rpc.connect();
    nc = await connect({ servers: nats.url });
    // Nest's NATS transport publishes events as { pattern, data }
    const jc = JSONCodec<{ pattern: string; data: { change: string; id: string } }>();
    const sub = nc.subscribe(AppChangedEvent.subject);
    void (async () => {
      for await (const m of sub) events.push(jc.decode(m.data).data);
    })();
    minio = new MinioClient({ endPoint: s3url.hostname, port: Number(s3url.port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });
  }, 60_000);

  afterAll(async () => {
    await rpc?.onApplicationShutdown();
    await nc?.close();
    await app?.close();
    await Promise.all([nats?.stop(), s3?.stop(), db?.drop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const token = (caller: Caller | null, scope: string) => signInternalToken(SECRET, caller, scope);

  async function upload(caller: Caller, body: Buffer): Promise<{ status: number; json: AppVersion & { error?: { code: string; message: string } } }> {
    const res = await fetch(`${base}/internal/bundles`, {
      method: 'POST',
      headers: { 'content-type': 'application/zip', [INTERNAL_TOKEN_HEADER]: token(caller, 'bundle:import') },
      body: new Uint8Array(body),
    });
    return { status: res.status, json: (await res.json()) as never };
  }

  async function blobKeys(): Promise<string[]> {
    const keys: string[] = [];
    if (!(await minio.bucketExists(BUCKET))) return keys;
    const stream = minio.listObjectsV2(BUCKET, '', true);
    for await (const o of stream as AsyncIterable<{ name: string }>) keys.push(o.name);
    return keys;
  }

  const stagingLeft = () => {
    const dir = path.join(dataDir, 'tmp', 'imports');
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  async function rowCount(): Promise<number> {
    const all = await rpc.rpc(C.list, { allVersions: true, limit: 200 }, admin);
    return all.items.length;
  }

  const errorOf = async (p: Promise<unknown>) => {
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WharfError);
    return e as WharfError;
  };

  let hello: AppVersion;
  let helloZip: Buffer;

  it('imports a bundle: row with manifest, images, sha256, and the blob in S3', async () => {
    helloZip = await buildBundle({ app: { name: 'hello-wave', version: '1.2.0', title: 'Hello Wave' }, icon: true, screenshots: 2 });
    const { status, json } = await upload(alice, helloZip);
    expect(status).toBe(201);
    hello = json;
    expect(hello).toMatchObject({
      name: 'hello-wave',
      version: '1.2.0',
      title: 'Hello Wave',
      visibility: 'PRIVATE',
      owner: { sub: 'alice', name: 'alice' },
      sha256: createHash('sha256').update(helloZip).digest('hex'),
      size: helloZip.length,
      hasIcon: true,
      screenshotCount: 2,
    });
    expect(await blobKeys()).toHaveLength(1);
    expect(stagingLeft()).toEqual([]);
    await expect(rpc.rpc(C.get, { id: hello.id }, alice)).resolves.toMatchObject({ id: hello.id });
    await expect(rpc.rpc(C.get, { id: 'hello-wave@1.2.0' }, alice)).resolves.toMatchObject({ id: hello.id });
    await expect(rpc.rpc(C.get, { id: 'hello-wave' }, alice)).resolves.toMatchObject({ id: hello.id });
    const icon = await rpc.rpc(C.image, { id: hello.id, kind: 'icon', index: 0 }, alice);
    expect(icon.contentType).toBe('image/png');
    expect(Buffer.from(icon.base64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    await expect(rpc.rpc(C.image, { id: hello.id, kind: 'screenshot', index: 1 }, alice)).resolves.toBeTruthy();
    expect((await errorOf(rpc.rpc(C.image, { id: hello.id, kind: 'screenshot', index: 2 }, alice))).code).toBe('NOT_FOUND');
  });

  it('emits events.app.changed.v1 on import', async () => {
    for (let i = 0; i < 50 && !events.some((e) => e.id === hello.id && e.change === 'IMPORTED'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(events).toContainEqual(expect.objectContaining({ id: hello.id, change: 'IMPORTED' }));
  });

  it('refuses a duplicate (name, version) with 409 and leaves no extra blob; the name is the owner\'s (403 for others)', async () => {
    const { status, json } = await upload(alice, helloZip);
    expect(status).toBe(409);
    expect(json.error?.message).toMatch(/hello-wave@1.2.0 already exists/);
    const other = await upload(bob, helloZip);
    expect(other.status).toBe(403);
    expect(other.json.error?.message).toMatch(/the app name hello-wave belongs to another user/);
    expect(await blobKeys()).toHaveLength(1);
  });

  it('applies visibility: PRIVATE for the owner and admins only, ALL_USERS for full access, tags for visitors', async () => {
    expect((await errorOf(rpc.rpc(C.get, { id: hello.id }, bob))).code).toBe('NOT_FOUND');
    expect((await errorOf(rpc.rpc(C.get, { id: hello.id }, null))).code).toBe('NOT_FOUND');
    await expect(rpc.rpc(C.get, { id: hello.id }, admin)).resolves.toBeTruthy();
    expect((await errorOf(rpc.rpc(C.setVisibility, { id: hello.id, visibility: 'ALL_USERS' }, bob))).code).toBe('NOT_FOUND');
    await expect(rpc.rpc(C.setVisibility, { id: hello.id, visibility: 'ALL_USERS' }, alice)).resolves.toMatchObject({ visibility: 'ALL_USERS' });
    await expect(rpc.rpc(C.get, { id: hello.id }, bob)).resolves.toBeTruthy();
    expect((await errorOf(rpc.rpc(C.setVisibility, { id: hello.id, visibility: 'PRIVATE' }, bob))).code).toBe('FORBIDDEN');
    // visitors need a tag granting their role
    expect((await errorOf(rpc.rpc(C.get, { id: hello.id }, visitor))).code).toBe('NOT_FOUND');
    expect((await errorOf(rpc.rpc(C.tagCreate, { name: 'demo', title: 'Demo' }, alice))).code).toBe('FORBIDDEN');
    await rpc.rpc(C.tagCreate, { name: 'demo', title: 'Demo', color: '#1f6feb', visitorRoles: ['visitor'] }, admin);
    expect((await errorOf(rpc.rpc(C.tagCreate, { name: 'demo', title: 'Again' }, admin))).code).toBe('CONFLICT');
    expect((await errorOf(rpc.rpc(C.tagAssign, { id: hello.id, tag: 'demo' }, alice))).code).toBe('FORBIDDEN');
    const tagged = await rpc.rpc(C.tagAssign, { id: hello.id, tag: 'demo' }, admin);
    expect(tagged.tags).toEqual([{ name: 'demo', title: 'Demo', color: '#1f6feb', visitorRoles: ['visitor'] }]);
    await expect(rpc.rpc(C.get, { id: hello.id }, visitor)).resolves.toBeTruthy();
    expect((await rpc.rpc(C.list, { tag: 'demo' }, visitor)).items.map((a) => a.id)).toEqual([hello.id]);
    // a tag that stops granting the role takes the access away
    await rpc.rpc(C.tagUpdate, { name: 'demo', visitorRoles: [] }, admin);
    expect((await errorOf(rpc.rpc(C.get, { id: hello.id }, visitor))).code).toBe('NOT_FOUND');
    expect((await rpc.rpc(C.list, {}, visitor)).items).toEqual([]);
    // PUBLIC needs the admin switch
    const e = await errorOf(rpc.rpc(C.setVisibility, { id: hello.id, visibility: 'PUBLIC' }, alice));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/Repository.AllowPublic/);
  });

  it('lists the latest version per app, all versions on request, with search, filters and cursor pages', async () => {
    for (const [name, version, title, kw] of [
      ['hello-wave', '1.10.0', 'Hello Wave', 'greeting'],
      ['hello-wave', '1.3.0-rc.1', 'Hello Wave', 'greeting'],
      ['stock-chart', '0.1.0', 'Stock Chart', 'finance'],
    ] as const) {
      const r = await upload(alice, await buildBundle({ app: { name, version, title, keywords: [kw], categories: ['Data Science'] } }));
      expect(r.status).toBe(201);
    }
    const latest = await rpc.rpc(C.list, {}, alice);
    expect(latest.items.map((a) => `${a.name}@${a.version}`)).toEqual(['hello-wave@1.10.0', 'stock-chart@0.1.0']);
    const all = await rpc.rpc(C.list, { allVersions: true }, alice);
    expect(all.items.map((a) => a.version)).toEqual(['1.10.0', '1.3.0-rc.1', '1.2.0', '0.1.0']);
    const versions = await rpc.rpc(C.versions, { name: 'hello-wave' }, alice);
    expect(versions.items.map((a) => a.version)).toEqual(['1.10.0', '1.3.0-rc.1', '1.2.0']);
    // bob sees only the ALL_USERS one: its latest visible version
    expect((await rpc.rpc(C.list, {}, bob)).items.map((a) => `${a.name}@${a.version}`)).toEqual(['hello-wave@1.2.0']);
    expect((await rpc.rpc(C.list, { q: 'FINANCE' }, alice)).items.map((a) => a.name)).toEqual(['stock-chart']);
    expect((await rpc.rpc(C.list, { q: 'stock chart' }, alice)).items.map((a) => a.name)).toEqual(['stock-chart']);
    expect((await rpc.rpc(C.list, { q: '100%_' }, alice)).items).toEqual([]);
    expect((await rpc.rpc(C.list, { category: 'Data Science', allVersions: true }, alice)).items).toHaveLength(3);
    expect((await rpc.rpc(C.list, { visibility: 'ALL_USERS', allVersions: true }, alice)).items.map((a) => a.version)).toEqual(['1.2.0']);
    expect((await rpc.rpc(C.list, { owner: 'bob' }, alice)).items).toEqual([]);
    // pages
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rpc.rpc(C.list, { allVersions: true, limit: 1, cursor }, alice);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((a) => a.version));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['1.10.0', '1.3.0-rc.1', '1.2.0', '0.1.0']);
    expect((await errorOf(rpc.rpc(C.list, { cursor: 'garbage' }, alice))).message).toMatch(/cursor/);
  });

  it('enforces the per-user import limit exactly, also under concurrent uploads (429)', async () => {
    // alice has 4 versions, the limit is 4: one more is refused before any byte is stored
    const over = await upload(alice, await buildBundle({ app: { name: 'one-more', version: '1.0.0' } }));
    expect(over.status).toBe(429);
    expect(over.json.error?.message).toMatch(/limit is 4/);
    // bob has none: 7 concurrent uploads give exactly 4
    const zips = await Promise.all(Array.from({ length: 7 }, (_, i) => buildBundle({ app: { name: `bob-app-${i}`, version: '1.0.0' } })));
    const before = (await blobKeys()).length;
    const results = await Promise.all(zips.map((z) => upload(bob, z)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(4);
    expect(results.filter((r) => r.status === 429)).toHaveLength(3);
    expect((await blobKeys()).length).toBe(before + 4);
    expect(stagingLeft()).toEqual([]);
  });

  it('refuses every bad bundle in the corpus with a clear message and persists nothing', async () => {
    const rowsBefore = await rowCount();
    const blobsBefore = (await blobKeys()).length;
    for (const bad of BAD_BUNDLES) {
      const { status, json } = await upload(admin, await bad.build());
      expect({ id: bad.id, status }).toEqual({ id: bad.id, status: 400 });
      expect({ id: bad.id, message: json.error?.message }).toEqual({ id: bad.id, message: expect.stringMatching(bad.expect) });
    }
    expect(await rowCount()).toBe(rowsBefore);
    expect((await blobKeys()).length).toBe(blobsBefore);
    expect(stagingLeft()).toEqual([]);
  });

  it('leaves nothing behind when the client disconnects mid-upload', async () => {
    const rowsBefore = await rowCount();
    const blobsBefore = (await blobKeys()).length;
    const zip = await buildBundle({ app: { name: 'half-way', version: '1.0.0' }, files: { 'big.bin': randomBytes(4 << 20) } });
    await new Promise<void>((resolve) => {
      const req = http.request(`${base}/internal/bundles`, {
        method: 'POST',
        headers: { 'content-type': 'application/zip', 'content-length': zip.length, [INTERNAL_TOKEN_HEADER]: token(admin, 'bundle:import') },
      });
      req.on('error', () => resolve());
      req.write(zip.subarray(0, zip.length >> 1), () => setTimeout(() => req.destroy(), 200));
      req.on('close', () => resolve());
    });
    for (let i = 0; i < 50 && stagingLeft().length; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(await rowCount()).toBe(rowsBefore);
    expect((await blobKeys()).length).toBe(blobsBefore);
    expect(stagingLeft()).toEqual([]);
  });

  it('refuses uploads without a valid internal token, and from visitors', async () => {
    const res = await fetch(`${base}/internal/bundles`, { method: 'POST', body: new Uint8Array(helloZip), headers: { [INTERNAL_TOKEN_HEADER]: 'forged.token' } });
    expect(res.status).toBe(401);
    expect((await upload(visitor, helloZip)).status).toBe(403);
  });

  it('streams downloads with Content-Length, ETag, 304 and Range; instance tokens read without a caller', async () => {
    const url = `${base}/internal/bundles/${hello.id}`;
    const h = { [INTERNAL_TOKEN_HEADER]: token(bob, `bundle:read:${hello.id}`) };
    const full = await fetch(url, { headers: h });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-length')).toBe(String(helloZip.length));
    expect(full.headers.get('etag')).toBe(`"${hello.sha256}"`);
    expect(Buffer.from(await full.arrayBuffer()).equals(helloZip)).toBe(true);
    const part = await fetch(url, { headers: { ...h, range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${helloZip.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(helloZip.subarray(10, 20))).toBe(true);
    expect((await fetch(url, { headers: { ...h, range: `bytes=${helloZip.length}-` } })).status).toBe(416);
    expect((await fetch(url, { headers: { ...h, 'if-none-match': `"${hello.sha256}"` } })).status).toBe(304);
    const inst = await fetch(url, { headers: { [INTERNAL_TOKEN_HEADER]: token(null, `bundle:read:${hello.id}`) } });
    expect(inst.status).toBe(200);
    await inst.arrayBuffer();
    // a token for another id, or a caller who may not see it, gets nothing
    expect((await fetch(url, { headers: { [INTERNAL_TOKEN_HEADER]: token(null, 'bundle:read:other') } })).status).toBe(401);
    const privateOne = (await rpc.rpc(C.list, { q: 'stock' }, alice)).items[0]!;
    const denied = await fetch(`${base}/internal/bundles/${privateOne.id}`, { headers: { [INTERNAL_TOKEN_HEADER]: token(bob, `bundle:read:${privateOne.id}`) } });
    expect(denied.status).toBe(404);
  });

  it('deletes a version (owner or admin): row and blob gone, event emitted; 409 while instances exist', async () => {
    const stock = (await rpc.rpc(C.list, { q: 'stock' }, alice)).items[0]!;
    expect((await errorOf(rpc.rpc(C.delete, { id: stock.id }, bob))).code).toBe('NOT_FOUND');
    // a scheduler that reports live instances blocks the delete
    const sub = nc.subscribe(SchedulerContracts.countInstances.subject, {
      callback: (_e, m) => m.respond(JSONCodec().encode({ response: { count: 2 }, isDisposed: true, id: (JSONCodec().decode(m.data) as { id: string }).id })),
    });
    const busy = await errorOf(rpc.rpc(C.delete, { id: stock.id }, alice));
    expect(busy.code).toBe('CONFLICT');
    expect(busy.message).toMatch(/2 instance/);
    sub.unsubscribe();
    await nc.flush();
    const blobsBefore = (await blobKeys()).length;
    await expect(rpc.rpc(C.delete, { id: stock.id }, alice)).resolves.toEqual({ id: stock.id, deleted: true });
    expect((await errorOf(rpc.rpc(C.get, { id: stock.id }, alice))).code).toBe('NOT_FOUND');
    expect((await blobKeys()).length).toBe(blobsBefore - 1);
    for (let i = 0; i < 50 && !events.some((e) => e.id === stock.id && e.change === 'DELETED'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(events).toContainEqual(expect.objectContaining({ id: stock.id, change: 'DELETED' }));
  });

  /** The sum of a metric's samples whose labels include `labels`, scraped from /metrics (loopback: no token needed). */
  async function scrape(name: string, labels: Record<string, string> = {}): Promise<number> {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    let sum = 0;
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
    }
    return sum;
  }

  it('counts every import attempt once in /metrics: outcome, bytes received and duration', async () => {
    const read = async () => ({
      all: await scrape('wharf_imports_total'),
      ok: await scrape('wharf_imports_total', { outcome: 'ok' }),
      invalid: await scrape('wharf_imports_total', { outcome: 'INVALID' }),
      unauthenticated: await scrape('wharf_imports_total', { outcome: 'UNAUTHENTICATED' }),
      bytes: await scrape('wharf_import_bytes_total'),
      timedOk: await scrape('wharf_import_duration_seconds_count', { outcome: 'ok' }),
      timedInvalid: await scrape('wharf_import_duration_seconds_count', { outcome: 'INVALID' }),
      timedAll: await scrape('wharf_import_duration_seconds_count'),
    });
    const before = await read();
    const good = await buildBundle({ app: { name: 'metered', version: '1.0.0' } });
    expect((await upload(admin, good)).status).toBe(201);
    const bad = Buffer.from('this is not a zip file');
    expect((await upload(admin, bad)).status).toBe(400);
    const forged = await fetch(`${base}/internal/bundles`, { method: 'POST', body: new Uint8Array(good), headers: { [INTERNAL_TOKEN_HEADER]: 'forged.token' } });
    expect(forged.status).toBe(401);
    const after = await read();
    expect({
      all: after.all - before.all,
      ok: after.ok - before.ok,
      invalid: after.invalid - before.invalid,
      unauthenticated: after.unauthenticated - before.unauthenticated,
      bytes: after.bytes - before.bytes,
      timedOk: after.timedOk - before.timedOk,
      timedInvalid: after.timedInvalid - before.timedInvalid,
      timedAll: after.timedAll - before.timedAll,
    }).toEqual({
      all: 3,
      ok: 1,
      invalid: 1,
      unauthenticated: 1,
      // the refused token's body is never read
      bytes: good.length + bad.length,
      timedOk: 1,
      timedInvalid: 1,
      timedAll: 3,
    });
  });

  it('removes bundle blobs no app version names once they are over an hour old, never one a row names or a young one', async () => {
    const store = app.get<BlobStore>(BLOB_STORE);
    const named = new Set(await blobKeys());
    expect(named.size).toBeGreaterThan(0);
    // what a repository killed between writing a bundle and recording it leaves, and one of an import under way
    for (const key of ['bundles/orphan-0001.zip', 'bundles/orphan-0002.zip']) await minio.putObject(BUCKET, key, Buffer.from('PK orphan'));
    const referenced = (keys: string[]) => app.get(AppVersionRepository).referencedBlobKeys(keys);
    // now: both are young
    expect(await sweepOrphanBlobs(store, referenced)).toEqual([]);
    // an hour and a minute later
    const removed = await sweepOrphanBlobs(store, referenced, { now: Date.now() + ORPHAN_GRACE_MS + 60_000 });
    expect(removed.sort()).toEqual(['bundles/orphan-0001.zip', 'bundles/orphan-0002.zip']);
    expect(new Set(await blobKeys())).toEqual(named);
    // the versions still download whole
    const res = await fetch(`${base}/internal/bundles/${hello.id}`, { headers: { [INTERNAL_TOKEN_HEADER]: token(alice, `bundle:read:${hello.id}`) } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(helloZip)).toBe(true);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const r = await fetch(`${base}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ checks: { database: 'ok', nats: 'ok', blobs: 'ok' } });
  });
});
