import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RepositoryContracts as C, WharfError, type Caller } from '@wharf/contracts';
import { migrate } from '@wharf/db';
import { createTestDatabase } from '@wharf/testing';
import { Client } from 'pg';
import { versionKey } from './catalog/version-key';
import { MIGRATIONS_DIR } from './migrations-dir';
import { startRepository, type RepositoryHarness } from './testing/repository-harness';

const alice: Caller = { sub: 'alice', name: 'Alice', roles: ['full-access'] };
const bob: Caller = { sub: 'bob', name: 'Bob', roles: ['full-access'] };
const admin: Caller = { sub: 'root', name: 'root', roles: ['admin'] };

describe('app names have owners (real Postgres, NATS, disk blobs)', () => {
  let h: RepositoryHarness;
  beforeAll(async () => {
    h = await startRepository('names', { MaxVersionsPerUser: 20 });
  }, 60_000);
  afterAll(() => h?.stop());

  async function upload(caller: Caller, name: string, version: string, visibility?: 'ALL_USERS') {
    const { status, body: json } = await h.upload(caller, { name, version, title: `${name} ${version}` });
    if (visibility && status === 201) await h.rpc.rpc(C.setVisibility, { id: json.id, visibility }, caller);
    return { status, json };
  }
  const files = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name) : [];
  const blobs = () => files(path.join(h.dataDir, 'blobs'));
  const staging = () => files(path.join(h.dataDir, 'tmp', 'imports'));
  const versionsOf = async (name: string) => (await h.rpc.rpc(C.versions, { name, limit: 100 }, admin)).items.map((v) => `${v.version}:${v.owner.sub}`);
  const errorOf = async (p: Promise<unknown>) => {
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WharfError);
    return e as WharfError;
  };

  it("makes the first importer own the name: another user's new version is 403 and leaves no row, no blob", async () => {
    expect((await upload(alice, 'hello', '1.0.0', 'ALL_USERS')).status).toBe(201);
    expect((await upload(alice, 'hello', '1.1.0', 'ALL_USERS')).status).toBe(201);
    const blobsBefore = blobs();
    const squat = await upload(bob, 'hello', '99.0.0');
    expect(squat.status).toBe(403);
    expect(squat.json.error?.message).toMatch(/the app name hello belongs to another user.*choose another Name in app\.toml, or ask an admin to transfer/);
    expect(squat.json.error?.message).not.toMatch(/alice|Alice/);
    expect(await versionsOf('hello')).toEqual(['1.1.0:alice', '1.0.0:alice']);
    expect(blobs()).toEqual(blobsBefore);
    expect(staging()).toEqual([]);
    // "Run hello" and the catalog still answer alice's newest version
    expect(await h.rpc.rpc(C.get, { id: 'hello' }, bob)).toMatchObject({ version: '1.1.0', owner: { sub: 'alice' } });
    // re-sending one of her versions is also the name's business, not a 409 about her versions
    const dup = await upload(bob, 'hello', '1.0.0');
    expect(dup.status).toBe(403);
    expect(dup.json.error?.message).not.toMatch(/already exists/);
    // the owner gets the usual 409
    const own = await upload(alice, 'hello', '1.0.0');
    expect(own.status).toBe(409);
    expect(own.json.error?.message).toMatch(/hello@1\.0\.0 already exists/);
  });

  it('lets admins publish any name (the name keeps its owner) and transfer a name (admins only)', async () => {
    expect((await upload(admin, 'hello', '2.0.0')).status).toBe(201);
    expect((await upload(alice, 'hello', '2.1.0')).status).toBe(201); // still hers
    expect((await errorOf(h.rpc.rpc(C.setOwner, { name: 'hello', owner: 'bob' }, alice))).code).toBe('FORBIDDEN');
    expect((await errorOf(h.rpc.rpc(C.setOwner, { name: 'hello', owner: 'bob' }, null))).code).toBe('UNAUTHENTICATED');
    expect((await errorOf(h.rpc.rpc(C.setOwner, { name: 'no-such-app', owner: 'bob' }, admin))).code).toBe('NOT_FOUND');
    expect((await errorOf(h.rpc.rpc(C.setOwner, { name: 'Bad Name', owner: 'bob' } as never, admin))).code).toBe('INVALID');
    await upload(bob, 'bobs-app', '1.0.0'); // bob's display name is known from his own names
    expect(await h.rpc.rpc(C.setOwner, { name: 'hello', owner: 'bob' }, admin)).toMatchObject({ name: 'hello', owner: { sub: 'bob', name: 'Bob' } });
    expect((await upload(bob, 'hello', '3.0.0')).status).toBe(201);
    expect((await upload(alice, 'hello', '3.1.0')).status).toBe(403);
    // alice keeps managing the versions she imported
    const hers = (await h.rpc.rpc(C.get, { id: 'hello@1.0.0' }, alice)).id;
    await expect(h.rpc.rpc(C.setVisibility, { id: hers, visibility: 'PRIVATE' }, alice)).resolves.toMatchObject({ visibility: 'PRIVATE' });
  });

  it('gives a new name to exactly one of two concurrent first importers', async () => {
    const [a, b] = await Promise.all([upload(alice, 'race', '1.0.0'), upload(bob, 'race', '1.0.1')]);
    expect([a.status, b.status].sort()).toEqual([201, 403]);
    const winner = a.status === 201 ? 'alice' : 'bob';
    expect(await versionsOf('race')).toEqual([expect.stringMatching(new RegExp(`:${winner}$`))]);
    expect(staging()).toEqual([]);
  });

  it("answers a duplicate of a version the importer cannot see without telling it exists", async () => {
    expect((await upload(admin, 'legacy', '1.0.0')).status).toBe(201); // PRIVATE, the admin's
    await h.rpc.rpc(C.setOwner, { name: 'legacy', owner: 'alice' }, admin);
    const before = blobs();
    const dup = await upload(alice, 'legacy', '1.0.0');
    expect(dup.status).toBe(409);
    expect(dup.json.error?.message).toBe('version 1.0.0 of legacy cannot be imported; set another Version in app.toml');
    expect(blobs()).toEqual(before);
    expect((await upload(alice, 'legacy', '1.0.1')).status).toBe(201);
  });

  it("never answers a squatter's older version for the bare name (catalog latest, get by name)", async () => {
    // a version bob published under "hello" before names had owners, as the migration leaves it
    const c = new Client({ connectionString: h.db.url, options: '-c search_path=repository' });
    await c.connect();
    try {
      await c.query(
        `INSERT INTO "AppVersion" (id, name, version, "versionKey", title, description, categories, keywords, "ownerSub", "ownerName",
           visibility, runtime, env, "blobKey", sha256, size, "searchText", "byNameOwner")
         SELECT 'squat99', name, '99.0.0', $1, 'evil', description, categories, keywords, 'bob', 'Bob',
           'ALL_USERS', runtime, env, 'bundles/squat99.zip', sha256, size, "searchText", false
         FROM "AppVersion" WHERE name = 'hello' AND version = '3.0.0'`,
        [versionKey('99.0.0')],
      );
    } finally {
      await c.end();
    }
    const carol: Caller = { sub: 'carol', name: 'Carol', roles: ['full-access'] };
    // the newest version carol may see that the name's owners published (the later ones are PRIVATE)
    expect(await h.rpc.rpc(C.get, { id: 'hello' }, carol)).toMatchObject({ version: '1.1.0', owner: { sub: 'alice' } });
    const latest = (await h.rpc.rpc(C.list, { q: 'hello' }, carol)).items.find((v) => v.name === 'hello');
    expect(latest?.version).toBe('1.1.0');
    // still there for whoever asks for it explicitly
    expect(await h.rpc.rpc(C.get, { id: 'hello@99.0.0' }, carol)).toMatchObject({ id: 'squat99', owner: { sub: 'bob' }, byNameOwner: false });
    expect(await h.rpc.rpc(C.get, { id: 'hello@1.1.0' }, carol)).toMatchObject({ byNameOwner: true });
    expect((await h.rpc.rpc(C.versions, { name: 'hello', limit: 100 }, carol)).items[0]?.version).toBe('99.0.0');
  });

  it("backfills the owners of existing names from each name's oldest version", async () => {
    const old = await createTestDatabase('wharf_names_backfill');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-migrations-'));
    try {
      const all = readdirSync(MIGRATIONS_DIR).filter((n) => /^\d+_/.test(n)).sort();
      const upTo = all.indexOf(all.find((n) => n.endsWith('_app_names'))!); // the versions as they were before names had owners
      for (const n of all.slice(0, upTo)) cpSync(path.join(MIGRATIONS_DIR, n), path.join(dir, n), { recursive: true });
      await migrate({ url: old.url, schema: 'repository', dir });
      const c = new Client({ connectionString: old.url, options: '-c search_path=repository' });
      await c.connect();
      const row = (id: string, name: string, version: string, owner: string, at: string) =>
        c.query(
          `INSERT INTO "AppVersion" (id, name, version, "versionKey", title, description, categories, keywords, "ownerSub", "ownerName",
             runtime, env, "blobKey", sha256, size, "searchText", "createdAt")
           VALUES ($1, $2, $3, $3, 't', 'd', '{}', '{}', $4, $4, '{}', '[]', $1, 'x', 1, 't', $5)`,
          [id, name, version, owner, at],
        );
      await row('v1', 'hello', '99.0.0', 'bob', '2026-01-02T00:00:00Z');
      await row('v2', 'hello', '1.0.0', 'alice', '2026-01-01T00:00:00Z');
      await row('v3', 'other', '1.0.0', 'bob', '2026-01-03T00:00:00Z');
      await migrate({ url: old.url, schema: 'repository', dir: MIGRATIONS_DIR });
      const names = await c.query<{ name: string; ownerSub: string }>(`SELECT name, "ownerSub" FROM "AppName" ORDER BY name`);
      const flags = await c.query<{ id: string; byNameOwner: boolean }>(`SELECT id, "byNameOwner" FROM "AppVersion" ORDER BY id`);
      await c.end();
      expect(names.rows).toEqual([
        { name: 'hello', ownerSub: 'alice' },
        { name: 'other', ownerSub: 'bob' },
      ]);
      // bob's hello@99.0.0 came after alice's hello: it no longer answers for "hello"
      expect(flags.rows).toEqual([
        { id: 'v1', byNameOwner: false },
        { id: 'v2', byNameOwner: true },
        { id: 'v3', byNameOwner: true },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await old.drop();
    }
  });
});
