import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { WharfError } from '@wharf/contracts';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '@wharf/testing';
import { KubeSecretStore } from './kube-secret.store';
import { LocalSecretStore, type SecretGrantee, type SecretRef, type SecretStore, type UserSecretStore } from './secret.store';

jest.setTimeout(60_000);

/**
 * The grant rules of every secret store, one set of cases run against each: the local file and
 * Kubernetes Secrets (the fake API server). The same rules through the whole scheduler (NATS,
 * instances) are in secret-grants.int.spec.ts.
 */
interface StoreUnderTest {
  store: SecretStore & UserSecretStore;
  close(): Promise<void>;
}

const local = async (): Promise<StoreUnderTest> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-secrets-'));
  return { store: new LocalSecretStore(path.join(dir, 'secrets.json')), close: async () => rmSync(dir, { recursive: true, force: true }) };
};

const kube = async (): Promise<StoreUnderTest> => {
  const server: FakeKubeApiServer = await startFakeKubeApiServer();
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig);
  return { store: new KubeSecretStore(kc, server.namespace), close: () => server.stop() };
};

const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WharfError);
const REFUSED = /^the app cannot start: its \[\[Env\]\] API_TOKEN names a secret that it was not granted or that is not set; ask an admin/;

describe.each([
  ['LocalSecretStore (file)', local],
  ['KubeSecretStore (fake Kubernetes API server)', kube],
])('%s', (_label, start) => {
  let t: StoreUnderTest;
  let store: SecretStore;
  const app = (name: string, owner = 'svc:someone', byNameOwner = true): SecretGrantee => ({ app: name, owner, byNameOwner, instanceOwner: 'runner' });
  const ref = (secret: string, key: string, env = 'API_TOKEN'): SecretRef => ({ env, secret, key });

  beforeEach(async () => {
    t = await start();
    store = t.store;
  });

  afterEach(async () => {
    await t?.close();
  });

  it('puts, lists by name, replaces all keys and deletes', async () => {
    expect(await store.list()).toEqual([]);
    const db = await store.put('db', { password: 'pw', user: 'app' });
    expect(db).toEqual({ name: 'db', keys: ['password', 'user'], grants: { apps: [], owners: [] }, updatedAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(db.updatedAt))).toBe(false);
    await store.put('api.example.com', { token: 't' });
    await store.put('a-cache', { url: 'redis://x' });
    expect((await store.list()).map((s) => s.name)).toEqual(['a-cache', 'api.example.com', 'db']);
    const replaced = await store.put('db', { password: 'pw2' });
    expect(replaced.keys).toEqual(['password']);
    expect((await store.list()).find((s) => s.name === 'db')).toEqual(replaced);
    expect(await store.delete('db')).toBe(true);
    expect(await store.delete('db')).toBe(false);
    expect(await store.delete('never-was')).toBe(false);
    expect((await store.list()).map((s) => s.name)).toEqual(['a-cache', 'api.example.com']);
  });

  it('keeps the grants when a put leaves them out, replaces them when it gives them, without duplicates, sorted', async () => {
    const first = await store.put('db', { password: 'pw' }, { apps: ['web', 'api', 'web'], owners: ['u2', 'u1'] });
    expect(first.grants).toEqual({ apps: ['api', 'web'], owners: ['u1', 'u2'] });
    expect((await store.put('db', { password: 'new' })).grants).toEqual({ apps: ['api', 'web'], owners: ['u1', 'u2'] });
    expect((await store.list())[0]!.grants).toEqual({ apps: ['api', 'web'], owners: ['u1', 'u2'] });
    expect((await store.resolve([ref('db', 'password')], app('web'))).API_TOKEN).toBe('new');
    expect((await store.put('db', { password: 'new' }, { apps: [], owners: [] })).grants).toEqual({ apps: [], owners: [] });
    expect((await store.put('db', { password: 'new' })).grants).toEqual({ apps: [], owners: [] });
  });

  it('resolves granted refs by app name or by owner, values as they were put', async () => {
    const value = 'päss wörd\n= with "quotes" and emoji 🔑';
    await store.put('db', { password: value, user: 'app' }, { apps: ['web'], owners: [] });
    await store.put('api', { token: 'tok' }, { apps: [], owners: ['svc:alice'] });
    expect(await store.resolve([], app('nobody'))).toEqual({});
    expect(await store.resolve([ref('db', 'password', 'DB_PASSWORD'), ref('db', 'user', 'DB_USER')], app('web'))).toEqual({ DB_PASSWORD: value, DB_USER: 'app' });
    // the owner grant covers every app of the owner, also a version published before names had owners
    expect(await store.resolve([ref('api', 'token', 'TOKEN')], app('anything', 'svc:alice', false))).toEqual({ TOKEN: 'tok' });
  });

  it('refuses a missing secret, a missing key and a secret not granted with one message naming only env names', async () => {
    await store.put('db', { password: 'pw' }, { apps: ['web'], owners: ['svc:alice'] });
    const cases: [SecretRef[], SecretGrantee][] = [
      [[ref('db', 'password')], app('nosy')], // not granted
      [[ref('db', 'password')], app('web', 'svc:mallory', false)], // the name's grant does not cover a squatter's old version
      [[ref('db', 'no-such-key')], app('web')], // granted, missing key
      [[ref('no-such-secret', 'password')], app('web')], // missing secret
      [[ref('db', 'no-such-key')], app('other', 'svc:alice')], // owner grant covers the secret, not keys it lacks
    ];
    const errors = await Promise.all(cases.map(([refs, who]) => refusal(store.resolve(refs, who))));
    for (const e of errors) {
      expect(e).toBeInstanceOf(WharfError);
      expect(e?.code).toBe('INVALID');
      expect(e?.message).toMatch(REFUSED);
      expect(`${e?.message} ${JSON.stringify(e?.details)}`).not.toMatch(/\bdb\b|password|no-such|web|alice|nosy/);
      expect(e?.details).toEqual({ env: ['API_TOKEN'] });
    }
    expect(new Set(errors.map((e) => `${e?.message}|${JSON.stringify(e?.details)}`)).size).toBe(1);
  });

  it('refuses all or nothing, naming every refused env once', async () => {
    await store.put('db', { password: 'pw' }, { apps: ['web'], owners: [] });
    const e = await refusal(
      store.resolve([ref('db', 'password', 'OK'), ref('db', 'nope', 'A'), ref('gone', 'x', 'B'), ref('gone', 'y', 'A')], app('web')),
    );
    expect(e?.code).toBe('INVALID');
    expect(e?.message).toMatch(/^the app cannot start: its \[\[Env\]\] A, B name secrets that it was not granted or that is not set/);
    expect(e?.details).toEqual({ env: ['A', 'B'] });
  });

  it('refuses a deleted secret as a missing one', async () => {
    await store.put('db', { password: 'pw' }, { apps: ['web'], owners: [] });
    expect(await store.resolve([ref('db', 'password')], app('web'))).toEqual({ API_TOKEN: 'pw' });
    await store.delete('db');
    expect((await refusal(store.resolve([ref('db', 'password')], app('web'))))?.message).toMatch(REFUSED);
    // put again: granted to nobody, as any new secret
    expect((await store.put('db', { password: 'pw' })).grants).toEqual({ apps: [], owners: [] });
    expect((await refusal(store.resolve([ref('db', 'password')], app('web'))))?.message).toMatch(REFUSED);
  });

  it('keeps secrets with the longest names apart', async () => {
    const label = (c: string) => c.repeat(63);
    const long = (last: string) => [label('a'), label('b'), label('c'), last].join('.'); // 253 characters with a 61-character last label
    const a = long('d'.repeat(61));
    const b = long('e'.repeat(61));
    expect(a).toHaveLength(253);
    await store.put(a, { k: 'A' }, { apps: ['web'], owners: [] });
    await store.put(b, { k: 'B' }, { apps: ['web'], owners: [] });
    expect((await store.list()).map((s) => s.name)).toEqual([a, b]);
    expect(await store.resolve([ref(a, 'k', 'A'), ref(b, 'k', 'B')], app('web'))).toEqual({ A: 'A', B: 'B' });
    expect(await store.delete(a)).toBe(true);
    expect((await store.list()).map((s) => s.name)).toEqual([b]);
  });
});

/** User secrets: the same rules in both stores (namespaces per owner, modes, visibility). */
describe.each([
  ['LocalSecretStore (file)', local],
  ['KubeSecretStore (fake Kubernetes API server)', kube],
])('%s, user secrets', (_label, start) => {
  let t: StoreUnderTest;
  let store: SecretStore & UserSecretStore;
  const runBy = (instanceOwner: string, app = 'web', byNameOwner = true): SecretGrantee => ({ app, owner: 'u-author', byNameOwner, instanceOwner });
  const read = (secret: string, who: SecretGrantee) => store.resolve([{ env: 'API_TOKEN', secret, key: 'token' }], who);

  beforeEach(async () => {
    t = await start();
    store = t.store;
  });
  afterEach(() => t.close());

  it("keeps each owner's secrets apart from each other's and from platform secrets of the same name", async () => {
    await store.put('api', { token: 'platform' }, { apps: ['web'], owners: [] });
    for (const [sub, value] of [['u-alice', 'alice'], ['u-bob', 'bob'], ['__proto__', 'proto'], ['oidc|x/y', 'slashed']] as const) {
      expect((await store.putUser({ owner: { sub, name: sub }, name: 'api', data: { token: value }, mode: 'create' })).created).toBe(true);
    }
    expect((await store.listUser(null)).map((s) => s.ref)).toEqual(['__proto__/api', 'oidc|x/y/api', 'u-alice/api', 'u-bob/api']);
    expect((await store.listUser('u-bob')).map((s) => s.ref)).toEqual(['u-bob/api']);
    expect((await store.list()).map((s) => s.name)).toEqual(['api']);
    expect(await read('api', runBy('u-alice'))).toEqual({ API_TOKEN: 'platform' });
    expect(await read('~/api', runBy('u-alice'))).toEqual({ API_TOKEN: 'alice' });
    expect(await read('~/api', runBy('__proto__'))).toEqual({ API_TOKEN: 'proto' });
    expect(await read('oidc|x/y/api', runBy('oidc|x/y'))).toEqual({ API_TOKEN: 'slashed' });
    expect(await store.deleteUser('u-alice', 'api')).toBe(true);
    expect(await store.getUser('u-alice', 'api')).toBeNull();
    expect((await store.getUser('u-bob', 'api'))?.keys).toEqual(['token']);
    expect((await store.list()).map((s) => s.name)).toEqual(['api']);
  });

  it('lets visibility decide which instances read it, with one refusal for all the rest', async () => {
    const owner = { sub: 'u-alice', name: 'alice' };
    await store.putUser({ owner, name: 'api', data: { token: 'v' }, mode: 'upsert' });
    const cases: [string, SecretGrantee, boolean][] = [
      ['PRIVATE', runBy('u-alice'), true],
      ['PRIVATE', runBy('u-bob'), false],
      ['ALL_USERS', runBy('u-bob'), true],
      ['APP', runBy('u-bob', 'reports'), true],
      ['APP', runBy('u-alice', 'web'), false],
      ['APP', runBy('u-bob', 'reports', false), false],
    ];
    for (const [visibility, who, reads] of cases) {
      await store.putUser({ owner, name: 'api', visibility: visibility as 'PRIVATE', ...(visibility === 'APP' ? { apps: ['reports'] } : {}), mode: 'update' });
      const answer = await read('u-alice/api', who).then((v) => v, (e: WharfError) => e.message);
      expect([visibility, who.instanceOwner, who.app, answer]).toEqual([visibility, who.instanceOwner, who.app, reads ? { API_TOKEN: 'v' } : expect.stringMatching(/^the app cannot start: .*a user secret/)]);
    }
    expect((await refusal(store.resolve([{ env: 'API_TOKEN', secret: 'u-alice/api', key: 'nope' }], runBy('u-alice'))))?.code).toBe('INVALID');
  });

  it('creates only once, updates only what exists, keeps values and visibility a put leaves out', async () => {
    const owner = { sub: 'u-alice', name: 'alice' };
    expect((await refusal(store.putUser({ owner, name: 'api', visibility: 'ALL_USERS', mode: 'update' })))?.code).toBe('NOT_FOUND');
    await store.putUser({ owner, name: 'api', data: { token: 'a' }, visibility: 'APP', apps: ['web'], mode: 'create' });
    expect((await refusal(store.putUser({ owner, name: 'api', data: { token: 'b' }, mode: 'create' })))?.code).toBe('CONFLICT');
    const replaced = await store.putUser({ owner: { sub: 'u-alice' }, name: 'api', data: { token: 'b', user: 'u' }, mode: 'upsert' });
    expect(replaced).toMatchObject({ created: false, secret: { owner, keys: ['token', 'user'], visibility: 'APP', apps: ['web'] } });
    expect((await refusal(store.putUser({ owner, name: 'api', visibility: 'PRIVATE', apps: ['web'], mode: 'update' })))?.code).toBe('INVALID');
    expect(await read('u-alice/api', runBy('u-bob', 'web'))).toEqual({ API_TOKEN: 'b' });
    expect((await store.getUser('u-alice', 'api'))?.apps).toEqual(['web']);
  });
});
