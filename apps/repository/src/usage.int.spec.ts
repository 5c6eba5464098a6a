import { RepositoryContracts as C, WharfError, type Caller } from '@wharf/contracts';
import { startRepository, type RepositoryHarness } from './testing/repository-harness';

const alice: Caller = { sub: 'u-alice', name: 'alice', roles: ['full-access'] };
const bob: Caller = { sub: 'u-bob', name: 'bob', roles: ['full-access'] };
const admin: Caller = { sub: 'u-root', name: 'root', roles: ['admin'] };
const vic: Caller = { sub: 'u-vic', name: 'vic', roles: ['visitor'] };

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: WharfError) => ({ code: e.code, message: e.message }),
  );

/** Imported versions against Repository.MaxVersionsPerUser: what the import check counts and allows (real PostgreSQL and NATS). */
describe('repository usage', () => {
  let h: RepositoryHarness;
  beforeAll(async () => {
    h = await startRepository('repo-usage', { MaxVersionsPerUser: 2 });
  }, 60_000);
  afterAll(() => h?.stop());

  const upload = (caller: Caller, name: string, version: string) => h.upload(caller, { name, version });

  it("reports the caller's versions and limit, and the import is refused exactly when they say the limit is reached", async () => {
    expect(await h.rpc.rpc(C.usage, {}, alice)).toEqual({
      users: [{ sub: alice.sub, name: null, versions: 0, limit: { max: 2, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' } }],
    });
    expect((await upload(alice, 'counted', '1.0.0')).status).toBe(201);
    expect((await upload(alice, 'counted', '1.1.0')).status).toBe(201);
    expect((await h.rpc.rpc(C.usage, {}, alice)).users).toEqual([
      { sub: alice.sub, name: 'alice', versions: 2, limit: { max: 2, setting: 'Repository.MaxVersionsPerUser', reason: 'full-access users' } },
    ]);
    const refused = await upload(alice, 'counted', '1.2.0');
    expect([refused.status, refused.body.error?.code]).toEqual([429, 'LIMIT_EXCEEDED']);
    expect(refused.body.error?.message).toMatch(/you have imported 2 app versions, the limit is 2/);

    const [v] = (await h.rpc.rpc(C.versions, { name: 'counted', limit: 1 }, alice)).items;
    await h.rpc.rpc(C.delete, { id: v!.id }, alice);
    expect((await h.rpc.rpc(C.usage, {}, alice)).users[0]!.versions).toBe(1);
    expect((await upload(alice, 'counted', '1.2.0')).status).toBe(201);
  });

  it('says admins import without a limit and visitors not at all', async () => {
    expect((await h.rpc.rpc(C.usage, {}, admin)).users[0]!.limit).toEqual({ max: null, setting: null, reason: 'admins' });
    expect((await h.rpc.rpc(C.usage, {}, vic)).users[0]!.limit).toEqual({ max: 0, setting: null, reason: 'importing needs the full-access role' });
    expect((await upload(vic, 'vics', '1.0.0')).status).toBe(403);
  });

  it("gives admins everyone's usage: limits for the roles given, unknown for owners whose roles were not given", async () => {
    expect((await upload(bob, 'bobs', '1.0.0')).status).toBe(201);
    const all = await h.rpc.rpc(C.usageList, { users: [{ sub: alice.sub, roles: ['full-access'] }, { sub: vic.sub, roles: ['visitor'] }] }, admin);
    expect(all.users.map((u) => [u.sub, u.name, u.versions, u.limit?.max])).toEqual([
      [alice.sub, 'alice', 2, 2],
      [bob.sub, 'bob', 1, undefined],
      [vic.sub, null, 0, 0],
    ]);
    expect(all.users.find((u) => u.sub === bob.sub)!.limit).toBeNull();
  });

  it('refuses anyone but admins the list, and anonymous callers their own', async () => {
    expect(await refusal(h.rpc.rpc(C.usageList, { users: [] }, alice))).toEqual({ code: 'FORBIDDEN', message: "only admins see other users' usage" });
    expect(await refusal(h.rpc.rpc(C.usage, {}, null))).toEqual({ code: 'UNAUTHENTICATED', message: 'sign in to see your usage' });
  });
});
