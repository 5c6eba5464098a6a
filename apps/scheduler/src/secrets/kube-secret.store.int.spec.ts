import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { SecretNameSchema, WharfError } from '@wharf/contracts';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '@wharf/testing';
import { KubeSecretStore, secretKeyRef, secretObjectName, SECRETS_SELECTOR, USER_SECRETS_SELECTOR, userSecretObjectName } from './kube-secret.store';
import type { SecretGrantee } from './secret.store';

jest.setTimeout(60_000);

/** A DNS-1123 subdomain, as the API server checks object names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const kubeConfig = (text: string): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromString(text);
  return kc;
};
const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WharfError);

describe('secretObjectName', () => {
  it('is wharf-secret-<name> while that is a valid object name', () => {
    expect(secretObjectName('db')).toBe('wharf-secret-db');
    expect(secretObjectName('api.example.com')).toBe('wharf-secret-api.example.com');
    const n239 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(47)}`;
    expect(n239).toHaveLength(239);
    expect(secretObjectName(n239)).toBe(`wharf-secret-${n239}`);
    expect(secretObjectName(n239)).toHaveLength(252);
  });

  it('maps every longer valid name to a valid, distinct object name of 253 characters, deterministically', () => {
    const label = (c: string, n = 63) => c.repeat(n);
    const names = [
      [label('a'), label('b'), label('c'), label('d', 48)].join('.'), // 240: one too long
      [label('a'), label('b'), label('c'), label('d', 61)].join('.'), // 253, the longest
      [label('a'), label('b'), label('c'), label('e', 61)].join('.'), // differs after the cut
      // the cut (after 223 characters) falls on a dot, on a dash, or just after a dot
      `${'x'.repeat(222)}.${'y'.repeat(30)}`,
      `${'x'.repeat(222)}-${'y'.repeat(30)}`,
      `${'x'.repeat(221)}.${'y'.repeat(31)}`,
    ];
    for (const n of names) expect(SecretNameSchema.safeParse(n).success).toBe(true);
    const objects = names.map(secretObjectName);
    for (const o of objects) {
      expect(o).toMatch(DNS_SUBDOMAIN);
      expect(o).toHaveLength(253);
      expect(o.startsWith('wharf-secret-')).toBe(true);
    }
    expect(new Set(objects).size).toBe(names.length);
    expect(names.map(secretObjectName)).toEqual(objects);
    expect(objects[3]).toMatch(/^wharf-secret-x{222}--[0-9a-f]{16}$/);
    expect(objects[4]).toMatch(/^wharf-secret-x{222}--[0-9a-f]{16}$/);
    expect(objects[5]).toMatch(/^wharf-secret-x{221}\.y-[0-9a-f]{16}$/);
  });

  it('is what a pod reads with secretKeyRef', () => {
    expect(secretKeyRef({ secret: 'db', key: 'password' })).toEqual({ name: 'wharf-secret-db', key: 'password' });
  });
});

describe('KubeSecretStore (fake Kubernetes API server)', () => {
  let kube: FakeKubeApiServer;
  let store: KubeSecretStore;
  const secrets = () => kube.list('secrets', kube.namespace);

  beforeEach(async () => {
    kube = await startFakeKubeApiServer();
    store = new KubeSecretStore(kubeConfig(kube.kubeconfig), kube.namespace);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await kube?.stop();
  });

  it('keeps a secret as a labelled, annotated Opaque Secret with base64 data', async () => {
    const put = await store.put('db', { password: 'pw ✓', user: 'app' }, { apps: ['web'], owners: ['svc:alice'] });
    const o = kube.get('secrets', kube.namespace, 'wharf-secret-db') as Record<string, unknown> & { metadata: Record<string, unknown> };
    expect(o.type).toBe('Opaque');
    expect(o.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'wharf', 'wharf.dev/secret': 'db' });
    expect(o.metadata.annotations).toEqual({
      'wharf.dev/secret-name': 'db',
      'wharf.dev/secret-grants': JSON.stringify({ apps: ['web'], owners: ['svc:alice'] }),
      'wharf.dev/updated-at': put.updatedAt,
    });
    expect(o.data).toEqual({ password: Buffer.from('pw ✓').toString('base64'), user: Buffer.from('app').toString('base64') });
    expect(o.stringData).toBeUndefined();
    expect(secrets().map((s) => s.metadata.name)).toEqual(['wharf-secret-db']);
    // a long name gets a label value that is one (at most 63 characters), and the whole name in its annotation
    const long = `${'l'.repeat(63)}.${'m'.repeat(63)}`;
    await store.put(long, { k: 'v' });
    const lo = kube.get('secrets', kube.namespace, secretObjectName(long))!;
    expect(lo.metadata.labels?.['wharf.dev/secret']).toMatch(/^l+-[0-9a-f]{10}$/);
    expect(lo.metadata.labels?.['wharf.dev/secret']!.length).toBeLessThanOrEqual(63);
    expect(lo.metadata.annotations?.['wharf.dev/secret-name']).toBe(long);
  });

  it('creates, then replaces with the resourceVersion it read, and deletes with the uid it read', async () => {
    await store.put('db', { password: 'a' });
    await store.put('db', { password: 'b' });
    await store.delete('db');
    const writes = kube.requests.filter((r) => r.resource === 'secrets' && r.verb !== 'get').map((r) => `${r.verb} ${r.status}`);
    expect(writes).toEqual(['create 201', 'update 200', 'delete 200']);
    expect(secrets()).toEqual([]);
  });

  it('loses no update when two schedulers put the same secret at once (a put read before the other wrote retries)', async () => {
    // store B reaches the API server through a proxy that, before B's first write, lets store A write
    // the secret: B's write then carries a stale resourceVersion.
    const a = store;
    await a.put('db', { password: 'v0' }, { apps: [], owners: [] });
    let raced = false;
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          if (req.method === 'PUT' && !raced) {
            raced = true;
            await a.put('db', { password: 'from-a' }, { apps: ['granted-by-a'], owners: [] });
          }
          const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
          const r = await fetch(`${kube.url}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await r.arrayBuffer()));
        })();
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const b = new KubeSecretStore(kubeConfig(kube.kubeconfig.replaceAll(kube.url, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`)), kube.namespace);
      const put = await b.put('db', { password: 'from-b' }); // grants left out: keeps those A just wrote
      expect(raced).toBe(true);
      expect(put.grants).toEqual({ apps: ['granted-by-a'], owners: [] });
      expect(kube.requests.filter((r) => r.verb === 'update').map((r) => r.status)).toEqual([200, 409, 200]);
      expect(await a.resolve([{ env: 'P', secret: 'db', key: 'password' }], { app: 'granted-by-a', owner: 'x', byNameOwner: true, instanceOwner: 'runner' })).toEqual({ P: 'from-b' });
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('lets many concurrent puts from two stores all succeed, creating once', async () => {
    const b = new KubeSecretStore(kubeConfig(kube.kubeconfig), kube.namespace);
    const puts = Array.from({ length: 12 }, (_, i) => (i % 2 ? store : b).put('db', { n: String(i) }, i === 0 ? { apps: ['web'], owners: [] } : undefined));
    const results = await Promise.all(puts);
    expect(results).toHaveLength(12);
    expect(kube.requests.filter((r) => r.verb === 'create' && r.status === 201)).toHaveLength(1);
    expect(kube.requests.some((r) => r.status === 409)).toBe(true); // there were races, and they were retried
    const [listed] = await store.list();
    expect(listed!.keys).toEqual(['n']);
  });

  it('lists more Secrets than one page, page by page, sorted by name, and only Wharf secrets', async () => {
    const names = Array.from({ length: 230 }, (_, i) => `s${String((i * 7919) % 230).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => store.put(n, { k: n })));
    // an instance's Secret (Wharf's, not a Wharf secret) and someone else's
    kube.controllers.create('secrets', kube.namespace, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wharf-abcdefghij', labels: { 'app.kubernetes.io/managed-by': 'wharf', 'wharf.dev/instance': 'abcdefghij' } }, data: {} } as never);
    kube.controllers.create('secrets', kube.namespace, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wharf-secret-other' }, data: {} } as never);
    kube.requests.length = 0;
    const listed = await store.list();
    expect(listed.map((s) => s.name)).toEqual([...names].sort());
    const lists = kube.requests.filter((r) => r.verb === 'list');
    expect(lists).toHaveLength(3);
    expect(lists.map((r) => [r.query.labelSelector, r.query.limit, r.query.continue !== undefined])).toEqual([
      [SECRETS_SELECTOR, '100', false],
      [SECRETS_SELECTOR, '100', true],
      [SECRETS_SELECTOR, '100', true],
    ]);
  });

  it('leaves out (and logs once) a Wharf-labelled Secret it cannot read; a put of its name repairs it', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await store.put('good', { k: 'v' }, { apps: ['web'], owners: [] });
    kube.controllers.create('secrets', kube.namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'wharf-secret-bad',
        labels: { 'app.kubernetes.io/managed-by': 'wharf', 'wharf.dev/secret': 'bad' },
        annotations: { 'wharf.dev/secret-name': 'bad', 'wharf.dev/secret-grants': '{not json', 'wharf.dev/updated-at': '2026-01-01T00:00:00Z' },
      },
      data: { k: Buffer.from('v').toString('base64') },
    } as never);
    expect((await store.list()).map((s) => s.name)).toEqual(['good']);
    expect((await store.list()).map((s) => s.name)).toEqual(['good']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/wharf-secret-bad .*wharf\.dev\/secret-grants/);
    expect(kube.requests.filter((r) => r.verb === 'list')).toHaveLength(2);
    const e = await failure(store.resolve([{ env: 'X', secret: 'bad', key: 'k' }], { app: 'web', owner: 'o', byNameOwner: true, instanceOwner: 'runner' }));
    expect(e?.code).toBe('INVALID');
    expect(e?.message).toMatch(/^the app cannot start: its \[\[Env\]\] X names a secret/);
    // a put without grants keeps none (there were none it could read); one with grants repairs it
    expect((await store.put('bad', { k: 'v2' })).grants).toEqual({ apps: [], owners: [] });
    await store.put('bad', { k: 'v3' }, { apps: ['web'], owners: [] });
    expect((await store.list()).map((s) => s.name)).toEqual(['bad', 'good']);
    expect(await store.resolve([{ env: 'X', secret: 'bad', key: 'k' }], { app: 'web', owner: 'o', byNameOwner: true, instanceOwner: 'runner' })).toEqual({ X: 'v3' });
  });

  it("never overwrites or deletes a Secret that is not Wharf's", async () => {
    kube.controllers.create('secrets', kube.namespace, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wharf-secret-theirs' }, data: { k: Buffer.from('x').toString('base64') } } as never);
    const e = await failure(store.put('theirs', { k: 'mine' }));
    expect(e?.code).toBe('CONFLICT');
    expect(e?.message).toMatch(/the Kubernetes Secret wharf-secret-theirs in namespace wharf exists and is not Wharf's/);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(await store.delete('theirs')).toBe(false);
    expect(kube.get('secrets', kube.namespace, 'wharf-secret-theirs')?.data).toEqual({ k: Buffer.from('x').toString('base64') });
    expect((await failure(store.resolve([{ env: 'X', secret: 'theirs', key: 'k' }], { app: 'a', owner: 'o', byNameOwner: true, instanceOwner: 'runner' })))?.code).toBe('INVALID');
    expect(warn).not.toHaveBeenCalled(); // not Wharf's: nothing to report
  });

  it('refuses a name that is not a secret name', async () => {
    const e = await failure(store.put('Not A Name', { k: 'v' }));
    expect(e?.code).toBe('INVALID');
    expect((await failure(store.delete('../x')))?.code).toBe('INVALID');
    expect((await failure(store.resolve([{ env: 'X', secret: 'Not A Name', key: 'k' }], { app: 'a', owner: 'o', byNameOwner: true, instanceOwner: 'runner' })))?.message).toMatch(/^the app cannot start/);
  });

  it('says that the Kubernetes API could not be reached, and where, when it is down', async () => {
    const url = kube.url;
    await kube.stop();
    const down = new KubeSecretStore(kubeConfig(kube.kubeconfig), kube.namespace);
    for (const p of [down.put('db', { k: 'v' }), down.list(), down.delete('db'), down.resolve([{ env: 'X', secret: 'db', key: 'k' }], { app: 'a', owner: 'o', byNameOwner: true, instanceOwner: 'runner' })]) {
      const e = await failure(p);
      expect(e).toBeInstanceOf(WharfError);
      expect(e?.code).toBe('UNAVAILABLE');
      expect(e?.message).toContain(`the Kubernetes API could not be reached at ${url} (ECONNREFUSED)`);
      expect(e?.message).not.toMatch(/HTTP-Code|Headers|FetchError|\n/);
    }
    kube = await startFakeKubeApiServer(); // for afterEach
  });

  it('says when the API server refuses its credentials or the namespace does not exist', async () => {
    const wrongToken = new KubeSecretStore(kubeConfig(kube.kubeconfig.replaceAll(kube.token, 'not-the-token')), kube.namespace);
    const e401 = await failure(wrongToken.list());
    expect(e401?.code).toBe('UNAVAILABLE');
    expect(e401?.message).toBe(
      `the Kubernetes API at ${kube.url} did not accept the scheduler's credentials (401 Unauthorized) when it tried to list the Secrets ${SECRETS_SELECTOR} in namespace wharf; check the scheduler's kubeconfig or service account token`,
    );
    const noNamespace = new KubeSecretStore(kubeConfig(kube.kubeconfig), 'no-such-namespace');
    const e404 = await failure(noNamespace.put('db', { k: 'v' }));
    expect(e404?.code).toBe('UNAVAILABLE');
    expect(e404?.message).toMatch(/^the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ could not create the Secret wharf-secret-db in namespace no-such-namespace: .*does the namespace no-such-namespace exist\?$/);
  });
});

describe('KubeSecretStore user secrets (fake Kubernetes API server)', () => {
  let kube: FakeKubeApiServer;
  let store: KubeSecretStore;
  const secrets = () => kube.list('secrets', kube.namespace);
  const alice = { sub: 'oidc|alice/1', name: 'Alice' };
  const bob = { sub: 'u-bob', name: 'Bob' };
  const grantee = (instanceOwner: string, app = 'web', byNameOwner = true): SecretGrantee => ({ app, owner: 'u-author', byNameOwner, instanceOwner });

  beforeEach(async () => {
    kube = await startFakeKubeApiServer();
    store = new KubeSecretStore(kubeConfig(kube.kubeconfig), kube.namespace);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await kube?.stop();
  });

  it("keeps each owner's secret as its own labelled, annotated Secret, never a platform secret's", async () => {
    const put = await store.putUser({ owner: alice, name: 'db', data: { password: 'pw ✓' }, visibility: 'APP', apps: ['web', 'web'], mode: 'create' });
    expect(put).toEqual({
      created: true,
      secret: { owner: alice, name: 'db', ref: 'oidc|alice/1/db', keys: ['password'], visibility: 'APP', apps: ['web'], updatedAt: expect.any(String) },
    });
    const objectName = userSecretObjectName(alice.sub, 'db');
    expect(objectName).toMatch(/^wharf-usecret-[0-9a-f]{16}-db$/);
    expect(objectName).toMatch(DNS_SUBDOMAIN);
    const o = kube.get('secrets', kube.namespace, objectName)!;
    expect(o.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'wharf', 'wharf.dev/user-secret': 'db', 'wharf.dev/secret-owner': objectName.slice(14, 30) });
    expect(o.metadata.annotations).toEqual({
      'wharf.dev/secret-owner': alice.sub,
      'wharf.dev/secret-owner-name': 'Alice',
      'wharf.dev/secret-name': 'db',
      'wharf.dev/secret-visibility': 'APP',
      'wharf.dev/secret-apps': '["web"]',
      'wharf.dev/updated-at': put.secret.updatedAt,
    });
    expect((o as unknown as { data: Record<string, string> }).data).toEqual({ password: Buffer.from('pw ✓').toString('base64') });
    // bob's "db", and a platform "db": three Secrets, each listed where it belongs
    await store.putUser({ owner: bob, name: 'db', data: { password: 'bob' }, mode: 'upsert' });
    await store.put('db', { password: 'platform' });
    expect(secrets().map((s) => s.metadata.name).sort()).toEqual([objectName, userSecretObjectName(bob.sub, 'db'), 'wharf-secret-db'].sort());
    expect((await store.list()).map((s) => s.name)).toEqual(['db']);
    expect((await store.listUser(null)).map((s) => s.ref)).toEqual(['oidc|alice/1/db', 'u-bob/db']);
    expect((await store.listUser(bob.sub)).map((s) => s.ref)).toEqual(['u-bob/db']);
    expect(kube.requests.filter((r) => r.verb === 'list').map((r) => r.query.labelSelector)).toEqual([
      SECRETS_SELECTOR,
      USER_SECRETS_SELECTOR,
      `${USER_SECRETS_SELECTOR},wharf.dev/secret-owner=${userSecretObjectName(bob.sub, 'x').slice(14, 30)}`,
    ]);
    expect(secretKeyRef({ secret: 'oidc|alice/1/db', key: 'password' })).toEqual({ name: objectName, key: 'password' });
    expect(() => secretKeyRef({ secret: '~/db', key: 'password' })).toThrow(/canonicalSecretRef/);
  });

  it('creates, updates (keeping values), replaces and deletes, by the rules of each mode', async () => {
    expect((await failure(store.putUser({ owner: alice, name: 'db', visibility: 'ALL_USERS', mode: 'update' })))?.code).toBe('NOT_FOUND');
    await store.putUser({ owner: alice, name: 'db', data: { password: 'a' }, mode: 'upsert' });
    expect((await failure(store.putUser({ owner: alice, name: 'db', data: { password: 'b' }, mode: 'create' })))?.code).toBe('CONFLICT');
    const updated = await store.putUser({ owner: { sub: alice.sub }, name: 'db', visibility: 'ALL_USERS', mode: 'update' });
    expect(updated).toMatchObject({ created: false, secret: { owner: alice, keys: ['password'], visibility: 'ALL_USERS', apps: [] } });
    expect(await store.resolve([{ env: 'P', secret: `${alice.sub}/db`, key: 'password' }], grantee(bob.sub))).toEqual({ P: 'a' });
    await store.putUser({ owner: alice, name: 'db', data: { user: 'u' }, mode: 'upsert' });
    expect((await store.getUser(alice.sub, 'db'))?.keys).toEqual(['user']);
    expect(await store.getUser(bob.sub, 'db')).toBeNull();
    expect(await store.deleteUser(bob.sub, 'db')).toBe(false);
    expect(await store.deleteUser(alice.sub, 'db')).toBe(true);
    expect(await store.deleteUser(alice.sub, 'db')).toBe(false);
    expect(secrets()).toEqual([]);
    const writes = kube.requests.filter((r) => r.resource === 'secrets' && r.verb !== 'get').map((r) => `${r.verb} ${r.status}`);
    expect(writes).toEqual(['create 201', 'update 200', 'update 200', 'delete 200']);
  });

  it('resolves by visibility: PRIVATE for the owner\'s instances, ALL_USERS for all, APP for the named apps; ~ is the instance owner', async () => {
    await store.putUser({ owner: alice, name: 'db', data: { password: 'alice-pw' }, mode: 'upsert' });
    await store.putUser({ owner: bob, name: 'db', data: { password: 'bob-pw' }, mode: 'upsert' });
    const own = [{ env: 'P', secret: '~/db', key: 'password' }];
    const alices = [{ env: 'P', secret: `${alice.sub}/db`, key: 'password' }];
    expect(await store.resolve(own, grantee(alice.sub))).toEqual({ P: 'alice-pw' });
    expect(await store.resolve(own, grantee(bob.sub))).toEqual({ P: 'bob-pw' });
    expect(await store.resolve(alices, grantee(alice.sub))).toEqual({ P: 'alice-pw' });
    expect((await failure(store.resolve(alices, grantee(bob.sub))))?.message).toMatch(/^the app cannot start: its \[\[Env\]\] P names a secret/);
    await store.putUser({ owner: alice, name: 'db', visibility: 'ALL_USERS', mode: 'update' });
    expect(await store.resolve(alices, grantee(bob.sub))).toEqual({ P: 'alice-pw' });
    await store.putUser({ owner: alice, name: 'db', visibility: 'APP', apps: ['reports'], mode: 'update' });
    expect(await store.resolve(alices, grantee(bob.sub, 'reports'))).toEqual({ P: 'alice-pw' });
    for (const who of [grantee(bob.sub), grantee(alice.sub), grantee(bob.sub, 'reports', false)]) expect((await failure(store.resolve(alices, who)))?.code).toBe('INVALID');
    // a missing key, owner or name: the same refusal
    for (const secret of [`${alice.sub}/nope`, 'nobody/db', `${alice.sub}/Not A Name`, '/db']) {
      expect((await failure(store.resolve([{ env: 'P', secret, key: 'password' }], grantee(alice.sub))))?.code).toBe('INVALID');
    }
  });

  it("leaves out a damaged one (logged once), refuses to take over another's object or a Secret that is not Wharf's", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await store.putUser({ owner: alice, name: 'good', data: { k: 'v' }, mode: 'upsert' });
    const badName = userSecretObjectName(alice.sub, 'bad');
    kube.controllers.create('secrets', kube.namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: badName,
        labels: { 'app.kubernetes.io/managed-by': 'wharf', 'wharf.dev/user-secret': 'bad' },
        annotations: { 'wharf.dev/secret-owner': alice.sub, 'wharf.dev/secret-name': 'bad', 'wharf.dev/secret-visibility': 'EVERYONE', 'wharf.dev/secret-apps': '[]', 'wharf.dev/updated-at': '2026-01-01T00:00:00Z' },
      },
      data: { k: Buffer.from('v').toString('base64') },
    } as never);
    expect((await store.listUser(null)).map((s) => s.name)).toEqual(['good']);
    expect((await store.listUser(null)).map((s) => s.name)).toEqual(['good']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(new RegExp(`${badName} .*wharf\\.dev/secret-visibility`));
    expect((await failure(store.resolve([{ env: 'X', secret: `${alice.sub}/bad`, key: 'k' }], grantee(alice.sub))))?.code).toBe('INVALID');
    // its owner's put repairs it
    expect((await store.putUser({ owner: alice, name: 'bad', data: { k: 'v2' }, mode: 'create' })).created).toBe(true);
    expect(await store.resolve([{ env: 'X', secret: `${alice.sub}/bad`, key: 'k' }], grantee(alice.sub))).toEqual({ X: 'v2' });
    // an object that claims to be bob's under alice's object name is not alice's to write or delete
    const claimed = userSecretObjectName(alice.sub, 'claimed');
    kube.controllers.create('secrets', kube.namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: claimed, labels: { 'app.kubernetes.io/managed-by': 'wharf' }, annotations: { 'wharf.dev/secret-owner': bob.sub, 'wharf.dev/secret-name': 'claimed' } },
      data: {},
    } as never);
    expect((await failure(store.putUser({ owner: alice, name: 'claimed', data: { k: 'v' }, mode: 'upsert' })))?.code).toBe('CONFLICT');
    expect(await store.deleteUser(alice.sub, 'claimed')).toBe(false);
    const theirs = userSecretObjectName(alice.sub, 'theirs');
    kube.controllers.create('secrets', kube.namespace, { apiVersion: 'v1', kind: 'Secret', metadata: { name: theirs }, data: { k: Buffer.from('x').toString('base64') } } as never);
    expect((await failure(store.putUser({ owner: alice, name: 'theirs', data: { k: 'mine' }, mode: 'upsert' })))?.message).toMatch(/exists and is not Wharf's/);
    expect(await store.deleteUser(alice.sub, 'theirs')).toBe(false);
    expect(kube.get('secrets', kube.namespace, theirs)).toBeDefined();
    expect((await failure(store.putUser({ owner: alice, name: 'a'.repeat(64), data: { k: 'v' }, mode: 'upsert' })))?.code).toBe('INVALID');
  });
});
