import { SchedulerContracts as C, UserSecretContracts as U, WharfError, type Caller, type EnvSpec } from '@wharf/contracts';
import { buildBundle } from '@wharf/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { admin, alice, bob, startHarness, vera, type Harness } from '../test-support/harness';

jest.setTimeout(90_000);

const rpcError = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WharfError);
const reads = (secret: string, secretKey = 'token'): EnvSpec[] => [{ name: 'GREETING', value: 'hi' }, { name: 'API_TOKEN', secret, secretKey }];
const ALICE_VALUE = 'alice-value-0f1e2d';
const BOB_VALUE = 'bob-value-9a8b7c';
const NOT_GRANTED = /^the app cannot start: its \[\[Env\]\] API_TOKEN names a secret that it was not granted or that is not set; .*a user secret \(<owner id>\/<name>/;

async function appsFor(h: Harness, dir: string): Promise<void> {
  const zip = path.join(dir, 'hello.zip');
  writeFileSync(zip, await buildBundle());
  // ~/api: the secret "api" of whoever runs the instance
  await h.addApp('own-1', zip, { overrides: { name: 'own-app', env: reads('~/api') } });
  // alice's secret "api", by her user id
  await h.addApp('alice-1', zip, { overrides: { name: 'alice-reader', env: reads(`${alice.sub}/api`) } });
  await h.addApp('granted-1', zip, { overrides: { name: 'granted-app', env: reads(`${alice.sub}/api`) } });
  // published under "granted-app" by another user before names had owners: APP grants to the name do not cover it
  await h.addApp('squat-1', zip, { overrides: { name: 'granted-app', version: '9.0.0', byNameOwner: false, env: reads(`${alice.sub}/api`) } });
  await h.addApp('platform-1', zip, { overrides: { name: 'plat-app', env: reads('plat-db', 'password') } });
  // reads the runner's "api" as a file only
  await h.addApp('file-1', zip, { overrides: { name: 'file-app', env: [], files: [{ path: '/etc/file-app/token', secret: '~/api', secretKey: 'token' }] } });
}

/** User secrets over NATS: who manages which, which instances read them, deletes while in use. */
describe('user secrets (real NATS, scheduler replica, file store)', () => {
  let h: Harness;
  let dir: string;
  const put = (c: Caller | null, body: Parameters<typeof h.client.rpc<typeof U.put>>[1]) => h.client.rpc(U.put, body, c);
  const run = (appVersionId: string, c: Caller) => h.client.rpc(C.create, { appVersionId }, c);
  /** Starts and terminates an instance: null when it started, else the refusal. */
  const starts = async (appVersionId: string, c: Caller) => {
    const e = await rpcError(run(appVersionId, c).then((i) => h.client.rpc(C.terminate, { id: i.id }, c)));
    return e === null ? null : e.message;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-user-secrets-'));
    h = await startHarness();
    await appsFor(h, dir);
    await h.startReplica({ WHARF_SCHEDULER_PROCESS_STANDBY_LAUNCHERS: '0', WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '10' });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps each user's secrets in a namespace of their own: owners manage theirs, admins everyone's, visitors none", async () => {
    const created = await put(alice, { name: 'api', data: { token: ALICE_VALUE } });
    expect(created).toEqual({
      created: true,
      secret: { owner: { sub: alice.sub, name: alice.name }, name: 'api', ref: `${alice.sub}/api`, keys: ['token'], visibility: 'PRIVATE', apps: [], updatedAt: expect.any(String) },
    });
    expect((await rpcError(put(alice, { name: 'api', data: { token: 'x' }, mode: 'create' })))?.code).toBe('CONFLICT');
    // bob's "api" is his own, not alice's
    expect(await rpcError(h.client.rpc(U.get, { name: 'api' }, bob))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^you have no secret named api/) });
    expect((await put(bob, { name: 'api', data: { token: BOB_VALUE }, mode: 'create' })).secret.ref).toBe(`${bob.sub}/api`);
    expect((await h.client.rpc(U.get, { name: 'api' }, alice)).updatedAt).toBe(created.secret.updatedAt);
    // nobody but admins touches another user's secret
    for (const attempt of [
      h.client.rpc(U.get, { owner: alice.sub, name: 'api' }, bob),
      put(bob, { owner: alice.sub, name: 'api', data: { token: 'overwritten' } }),
      put(bob, { owner: alice.sub, name: 'api', visibility: 'ALL_USERS', mode: 'update' }),
      h.client.rpc(U.delete, { owner: alice.sub, name: 'api' }, bob),
      h.client.rpc(U.list, { owner: alice.sub }, bob),
      h.client.rpc(U.list, { scope: 'all' }, bob),
    ]) {
      expect((await rpcError(attempt))?.code).toBe('FORBIDDEN');
    }
    for (const attempt of [put(vera, { name: 'mine', data: { k: 'v' } }), h.client.rpc(U.list, {}, vera), h.client.rpc(U.get, { name: 'api' }, vera)]) {
      expect(await rpcError(attempt)).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/^visitors cannot keep secrets/) });
    }
    expect((await rpcError(h.client.rpc(U.list, {}, null)))?.code).toBe('UNAUTHENTICATED');
    expect((await h.client.rpc(U.list, {}, alice)).items.map((s) => s.ref)).toEqual([`${alice.sub}/api`]);
    // admins: every user's, and another's by owner (the owner's name is kept)
    expect((await h.client.rpc(U.list, { scope: 'all' }, admin)).items.map((s) => s.ref)).toEqual([`${alice.sub}/api`, `${bob.sub}/api`]);
    const byAdmin = await put(admin, { owner: alice.sub, name: 'api', visibility: 'ALL_USERS', mode: 'update' });
    expect(byAdmin).toMatchObject({ created: false, secret: { owner: { sub: alice.sub, name: alice.name }, keys: ['token'], visibility: 'ALL_USERS' } });
    // platform secrets are another namespace
    await h.client.rpc(C.secretPut, { name: 'api', data: { token: 'platform-value' } }, admin);
    expect((await h.client.rpc(C.secretList, {}, admin)).items.map((s) => s.name)).toEqual(['api']);
    await h.client.rpc(C.secretDelete, { name: 'api' }, admin);
    expect((await h.client.rpc(U.get, { name: 'api' }, alice)).keys).toEqual(['token']);
    expect((await h.client.rpc(U.list, { scope: 'all' }, admin)).items).toHaveLength(2);
  });

  it('refuses bad puts with what to change, and leaves the secret as it was', async () => {
    const before = await h.client.rpc(U.get, { name: 'api' }, alice);
    const cases: [Parameters<typeof put>[1], RegExp][] = [
      [{ name: 'api', visibility: 'APP', mode: 'update' }, /^visibility APP needs "apps"/],
      [{ name: 'api', visibility: 'PRIVATE', apps: ['granted-app'], mode: 'update' }, /^"apps" is only for visibility APP/],
      [{ name: 'api', apps: ['granted-app'], mode: 'update' }, /^"apps" is only for visibility APP/],
      [{ name: 'api', data: {} }, /^"data" has no keys/],
      [{ name: 'fresh' }, /^the secret fresh is new: give its keys and values in "data"/],
    ];
    for (const [body, message] of cases) expect(await rpcError(put(alice, body))).toMatchObject({ code: 'INVALID', message: expect.stringMatching(message) });
    expect(await rpcError(put(alice, { name: 'fresh', visibility: 'ALL_USERS', mode: 'update' }))).toMatchObject({ code: 'NOT_FOUND' });
    for (const name of ['Not A Name', 'a'.repeat(64), 'a/b']) expect((await rpcError(put(alice, { name, data: { k: 'v' } })))?.code).toBe('INVALID');
    expect(await h.client.rpc(U.get, { name: 'api' }, alice)).toEqual(before);
    expect((await h.client.rpc(U.list, {}, alice)).items.map((s) => s.name)).toEqual(['api']);
  });

  it('lets PRIVATE secrets reach only their owner\'s instances, ALL_USERS every instance, APP the named apps', async () => {
    await put(alice, { name: 'api', visibility: 'PRIVATE', mode: 'update' });
    expect(await starts('own-1', alice)).toBeNull(); // ~/api: alice's own
    expect(await starts('alice-1', alice)).toBeNull(); // u-alice/api in her own instance
    expect(await starts('alice-1', bob)).toMatch(NOT_GRANTED); // PRIVATE: not in bob's
    expect(await starts('own-1', bob)).toBeNull(); // ~/api in bob's instance is bob's own
    await h.client.rpc(U.delete, { name: 'api' }, bob);
    expect(await starts('own-1', bob)).toMatch(NOT_GRANTED); // ... never alice's

    await put(alice, { name: 'api', visibility: 'ALL_USERS', mode: 'update' });
    expect(await starts('alice-1', bob)).toBeNull();
    expect(await starts('own-1', bob)).toMatch(NOT_GRANTED); // ~/api is still bob's (which he has not)

    await put(alice, { name: 'api', visibility: 'APP', apps: ['granted-app'], mode: 'update' });
    expect(await starts('granted-1', bob)).toBeNull();
    expect(await starts('alice-1', bob)).toMatch(NOT_GRANTED);
    expect(await starts('alice-1', alice)).toMatch(NOT_GRANTED); // APP: only the named apps, even for the owner
    expect(await starts('squat-1', bob)).toMatch(NOT_GRANTED);
    // the refusal is the same for a secret that is not there, a key it has not, or one not granted
    const missing = await starts('own-1', bob);
    expect(missing).toBe(await starts('alice-1', bob));
    expect((await h.client.rpc(C.list, { scope: 'all' }, admin)).items.filter((i) => i.status !== 'TERMINATED')).toEqual([]);
  });

  it('refuses to delete a secret an instance that is not terminated reads (409), naming only what the caller may see', async () => {
    await put(alice, { name: 'api', visibility: 'ALL_USERS', mode: 'update' });
    const mine = await run('alice-1', alice);
    const theirs = await run('alice-1', bob);
    const refused = await rpcError(h.client.rpc(U.delete, { name: 'api' }, alice));
    expect(refused).toMatchObject({ code: 'CONFLICT', details: { instances: [mine.id], count: 2 } });
    expect(refused?.message).toMatch(new RegExp(`^the secret api \\(${alice.sub}/api\\) is in use by 2 instances that are not terminated \\(instance ${mine.id} and 1 instance of other users\\): terminate those instances first`));
    expect(refused?.message).toMatch(/make it PRIVATE first/);
    expect(refused?.message).not.toContain(theirs.id);
    const asAdmin = await rpcError(h.client.rpc(U.delete, { owner: alice.sub, name: 'api' }, admin));
    expect(asAdmin).toMatchObject({ code: 'CONFLICT', details: { instances: [mine.id, theirs.id].sort(), count: 2 } });
    // a suspended instance reads it again when it resumes
    await h.client.rpc(C.suspend, { id: mine.id }, alice);
    expect((await rpcError(h.client.rpc(U.delete, { name: 'api' }, alice)))?.details).toEqual({ instances: [mine.id], count: 2 });
    await h.client.rpc(C.terminate, { id: mine.id }, alice);
    // bob's instance could no longer read it once it is PRIVATE: it does not hold the secret then
    expect((await rpcError(h.client.rpc(U.delete, { name: 'api' }, alice)))?.details).toEqual({ instances: [], count: 1 });
    await put(alice, { name: 'api', visibility: 'PRIVATE', mode: 'update' });
    expect(await h.client.rpc(U.delete, { name: 'api' }, alice)).toEqual({ owner: alice.sub, name: 'api', ref: `${alice.sub}/api`, deleted: true });
    expect((await rpcError(h.client.rpc(U.delete, { name: 'api' }, alice)))?.code).toBe('NOT_FOUND');
    await h.client.rpc(C.terminate, { id: theirs.id }, bob);

    // a secret read through [[File]] only holds the same
    await put(alice, { name: 'api', data: { token: ALICE_VALUE } });
    const fileReader = await run('file-1', alice);
    expect(await rpcError(h.client.rpc(U.delete, { name: 'api' }, alice))).toMatchObject({ code: 'CONFLICT', details: { instances: [fileReader.id], count: 1 } });
    await h.client.rpc(C.terminate, { id: fileReader.id }, alice);
    await h.client.rpc(U.delete, { name: 'api' }, alice);

    // platform secrets too
    await h.client.rpc(C.secretPut, { name: 'plat-db', data: { password: 'pw' }, grants: { apps: ['plat-app'], owners: [] } }, admin);
    const platform = await run('platform-1', alice);
    expect(await rpcError(h.client.rpc(C.secretDelete, { name: 'plat-db' }, admin))).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(new RegExp(`^the secret plat-db is in use by an instance that is not terminated \\(instance ${platform.id}\\)`)),
      details: { instances: [platform.id], count: 1 },
    });
    await h.client.rpc(C.terminate, { id: platform.id }, alice);
    expect(await h.client.rpc(C.secretDelete, { name: 'plat-db' }, admin)).toEqual({ name: 'plat-db', deleted: true });
  });
});

/** The scheduler as its own process, every log level on: no answer, error or log line holds a value. */
describe('user secret values (scheduler child process)', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-user-secrets-'));
    h = await startHarness();
    await appsFor(h, dir);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are never in an answer, an error or a log line', async () => {
    // every line the scheduler can write (verbose), none of them with the value
    const child = await h.startChild({ WHARF_SCHEDULER_PROCESS_STANDBY_LAUNCHERS: '0', WHARF_PLATFORM_LOG_LEVEL: 'verbose' });
    try {
      const answers: unknown[] = [];
      const keep = <T>(p: Promise<T>) => p.then((v) => (answers.push(v), v), (e: unknown) => (answers.push(e instanceof WharfError ? { message: e.message, details: e.details } : String(e)), null));
      await keep(h.client.rpc(U.put, { name: 'api', data: { token: ALICE_VALUE } }, alice));
      await keep(h.client.rpc(U.put, { name: 'api', data: { token: ALICE_VALUE }, mode: 'create' }, alice));
      await keep(h.client.rpc(U.put, { name: 'api', data: { token: ALICE_VALUE }, visibility: 'APP' }, alice));
      await keep(h.client.rpc(U.put, { owner: alice.sub, name: 'api', data: { token: ALICE_VALUE } }, bob));
      await keep(h.client.rpc(U.get, { name: 'api' }, alice));
      await keep(h.client.rpc(U.list, { scope: 'all' }, admin));
      const inst = await keep(h.client.rpc(C.create, { appVersionId: 'own-1' }, alice));
      await keep(h.client.rpc(C.create, { appVersionId: 'alice-1' }, bob));
      await keep(h.client.rpc(U.delete, { name: 'api' }, alice));
      if (inst) await keep(h.client.rpc(C.terminate, { id: inst.id }, alice));
      await keep(h.client.rpc(U.delete, { name: 'api' }, alice));
      expect(answers).toHaveLength(11);
      expect(answers.filter((a) => a === null || (a as { message?: string }).message !== undefined).length).toBeGreaterThanOrEqual(5); // refusals were answered
      expect(JSON.stringify(answers)).not.toContain(ALICE_VALUE);
      expect(child.output.join('')).not.toHaveLength(0);
      expect(child.output.join('')).not.toContain(ALICE_VALUE);
    } finally {
      await child.stop();
    }
  });
});
