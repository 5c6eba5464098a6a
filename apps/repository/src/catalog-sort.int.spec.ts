import { RepositoryContracts as C, WharfError, type Caller, type RequestOf } from '@wharf/contracts';
import { Client } from 'pg';
import { versionKey } from './catalog/version-key';
import { startRepository, type RepositoryHarness } from './testing/repository-harness';

const alice: Caller = { sub: 'alice', name: 'Alice', roles: ['full-access'] };
const bob: Caller = { sub: 'bob', name: 'Bob', roles: ['full-access'] };

interface Row {
  name: string;
  version: string;
  createdAt: string;
  visibility?: 'PRIVATE' | 'ALL_USERS';
}
const RUNTIME = { module: 'app', runtimeVersion: null, memoryLimit: null, memoryReservation: null, volumeMount: null, volumeSize: null, gpuCount: 0 };
const idOf = (r: { name: string; version: string }) => `${r.name}-${r.version}`;

describe('catalog sort: name and newest, with keyset cursors (real Postgres, NATS)', () => {
  let h: RepositoryHarness;
  beforeAll(async () => {
    h = await startRepository('catalog-sort');
  }, 60_000);
  afterAll(() => h?.stop());

  /** Versions as an import leaves them (alice's), with the import time we choose. */
  async function insert(rows: Row[]) {
    const c = new Client({ connectionString: h.db.url, options: '-c search_path=repository' });
    await c.connect();
    try {
      for (const r of rows) {
        await c.query(
          `INSERT INTO "AppVersion" (id, name, version, "versionKey", title, description, categories, keywords, "ownerSub", "ownerName",
             visibility, runtime, env, "blobKey", sha256, size, "searchText", "createdAt")
           VALUES ($1, $2, $3, $4, $2, 'd', '{}', '{}', 'alice', 'Alice', $5::"Visibility", $7, '[]', $1, repeat('0', 64), 1, $2, $6)`,
          [idOf(r), r.name, r.version, versionKey(r.version), r.visibility ?? 'ALL_USERS', r.createdAt, RUNTIME],
        );
      }
    } finally {
      await c.end();
    }
  }

  const list = async (caller: Caller, req: RequestOf<typeof C.list>) => (await h.rpc.rpc(C.list, req, caller)).items.map((a) => `${a.name}@${a.version}`);
  /** Every page of a list, following nextCursor. */
  async function pages(caller: Caller, req: RequestOf<typeof C.list>) {
    const seen: string[] = [];
    let cursor: string | undefined;
    let n = 0;
    do {
      const page = await h.rpc.rpc(C.list, { ...req, cursor }, caller);
      expect(page.items.length).toBeLessThanOrEqual(Number(req.limit ?? 50));
      seen.push(...page.items.map((a) => `${a.name}@${a.version}`));
      cursor = page.nextCursor ?? undefined;
      expect(++n).toBeLessThan(500);
    } while (cursor);
    return seen;
  }
  const errorOf = async (p: Promise<unknown>) => {
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WharfError);
    return e as WharfError;
  };

  it('orders by newest import: the latest version of each app by when it was imported, and all versions', async () => {
    await insert([
      { name: 'alpha', version: '1.0.0', createdAt: '2026-01-01T00:00:00.000Z' },
      { name: 'alpha', version: '2.0.0', createdAt: '2026-01-05T00:00:00.000Z' },
      { name: 'beta', version: '1.0.0', createdAt: '2026-01-03T00:00:00.000Z' },
      // an older version imported later: all versions show it first, yet beta's latest stays 1.0.0
      { name: 'beta', version: '0.9.0', createdAt: '2026-01-07T00:00:00.000Z' },
      // imported in the same millisecond as alpha@2.0.0: the id breaks the tie (descending)
      { name: 'gamma', version: '1.0.0', createdAt: '2026-01-05T00:00:00.000Z' },
      { name: 'delta', version: '1.0.0', createdAt: '2026-01-02T00:00:00.000Z' },
      { name: 'delta', version: '2.0.0', createdAt: '2026-01-06T00:00:00.000Z', visibility: 'PRIVATE' },
    ]);
    expect(await list(alice, {})).toEqual(['alpha@2.0.0', 'beta@1.0.0', 'delta@2.0.0', 'gamma@1.0.0']);
    expect(await list(alice, { sort: 'name' })).toEqual(['alpha@2.0.0', 'beta@1.0.0', 'delta@2.0.0', 'gamma@1.0.0']);
    // (the answer cache keys on the whole request, sort included: this is not the cached name order)
    expect(await list(alice, { sort: 'newest' })).toEqual(['delta@2.0.0', 'gamma@1.0.0', 'alpha@2.0.0', 'beta@1.0.0']);
    expect(await list(alice, { sort: 'newest', allVersions: true })).toEqual([
      'beta@0.9.0',
      'delta@2.0.0',
      'gamma@1.0.0',
      'alpha@2.0.0',
      'beta@1.0.0',
      'delta@1.0.0',
      'alpha@1.0.0',
    ]);
    // visibility still applies: bob does not see delta@2.0.0, so his latest delta is 1.0.0, the oldest import
    expect(await list(bob, { sort: 'newest' })).toEqual(['gamma@1.0.0', 'alpha@2.0.0', 'beta@1.0.0', 'delta@1.0.0']);
    expect(await list(bob, { sort: 'newest', allVersions: true })).toEqual([
      'beta@0.9.0',
      'gamma@1.0.0',
      'alpha@2.0.0',
      'beta@1.0.0',
      'delta@1.0.0',
      'alpha@1.0.0',
    ]);
    // pages of one
    expect(await pages(bob, { sort: 'newest', limit: 1 })).toEqual(['gamma@1.0.0', 'alpha@2.0.0', 'beta@1.0.0', 'delta@1.0.0']);
    expect(await pages(alice, { sort: 'newest', allVersions: true, limit: 1 })).toEqual(await list(alice, { sort: 'newest', allVersions: true }));
    // filters apply too
    expect(await list(alice, { sort: 'newest', q: 'alpha', allVersions: true })).toEqual(['alpha@2.0.0', 'alpha@1.0.0']);
  });

  it('pages through every row exactly once, in order, with ties on the import time across page ends', async () => {
    const rows: Row[] = [];
    const base = Date.parse('2026-03-01T00:00:00.000Z');
    for (let i = 0; i < 60; i++) {
      const name = `bulk-${String(i).padStart(2, '0')}`;
      for (let j = 0; j <= i % 3; j++) {
        // few distinct times, so many rows share one; a version is not always imported after the previous one
        const at = new Date(base + (((i * 7 + j * 5) % 11) * 1000)).toISOString();
        rows.push({ name, version: `1.${j}.0`, createdAt: at, visibility: (i + j) % 5 === 0 ? 'PRIVATE' : 'ALL_USERS' });
      }
    }
    await insert(rows);
    const newest = (a: Row, b: Row) => b.createdAt.localeCompare(a.createdAt) || (idOf(b) < idOf(a) ? -1 : idOf(b) > idOf(a) ? 1 : 0);
    const label = (r: Row) => `${r.name}@${r.version}`;
    const minor = (r: Row) => Number(r.version.split('.')[1]);
    const latestOf = (visible: Row[]) => {
      const latest = new Map<string, Row>();
      for (const r of visible) if (minor(r) > minor(latest.get(r.name) ?? { ...r, version: '0.-1.0' })) latest.set(r.name, r);
      return [...latest.values()];
    };

    for (const [caller, visible] of [
      [alice, rows],
      [bob, rows.filter((r) => r.visibility === 'ALL_USERS')],
    ] as const) {
      const all = [...visible].sort(newest).map(label);
      const latest = latestOf(visible).sort(newest).map(label);
      for (const limit of [1, 4, 7, 200]) {
        const seenAll = await pages(caller, { q: 'bulk', sort: 'newest', allVersions: true, limit });
        expect(seenAll).toEqual(all);
        expect(new Set(seenAll).size).toBe(seenAll.length);
        expect(await pages(caller, { q: 'bulk', sort: 'newest', limit })).toEqual(latest);
      }
      // the name sort still pages as before
      expect(await pages(caller, { q: 'bulk', limit: 7 })).toEqual(latestOf(visible).map(label).sort());
    }
  });

  it('refuses a cursor made for the other sort, or a malformed one, naming the parameter', async () => {
    const byName = (await h.rpc.rpc(C.list, { limit: 1 }, alice)).nextCursor!;
    const byNewest = (await h.rpc.rpc(C.list, { limit: 1, sort: 'newest' }, alice)).nextCursor!;
    expect(byName).toBeTruthy();
    expect(byNewest).toBeTruthy();
    const wrong = await errorOf(h.rpc.rpc(C.list, { sort: 'newest', cursor: byName }, alice));
    expect(wrong.code).toBe('INVALID');
    expect(wrong.message).toBe(
      'cursor is not valid for sort=newest (it was made for sort=name): pass the nextCursor of a previous page of the same sort unchanged',
    );
    expect(wrong.details).toEqual({ param: 'cursor' });
    // the default sort is name
    expect((await errorOf(h.rpc.rpc(C.list, { cursor: byNewest }, alice))).message).toMatch(/^cursor is not valid for sort=name \(it was made for sort=newest\)/);
    expect((await errorOf(h.rpc.rpc(C.list, { cursor: byNewest, allVersions: true }, alice))).code).toBe('INVALID');
    expect((await errorOf(h.rpc.rpc(C.list, { sort: 'newest', cursor: 'garbage' }, alice))).message).toMatch(/^cursor is not valid/);
    // a cursor of the former shape (name, versionKey) without its sort
    const legacy = Buffer.from(JSON.stringify(['alpha', versionKey('2.0.0')])).toString('base64url');
    expect((await errorOf(h.rpc.rpc(C.list, { cursor: legacy }, alice))).code).toBe('INVALID');
    const badTime = Buffer.from(JSON.stringify(['newest', 'yesterday', 'alpha-2.0.0'])).toString('base64url');
    expect((await errorOf(h.rpc.rpc(C.list, { sort: 'newest', cursor: badTime }, alice))).message).toMatch(/^cursor is not valid for sort=newest:/);
    // an unknown sort is refused by the contract
    const sort = await errorOf(h.rpc.rpc(C.list, { sort: 'oldest' } as never, alice));
    expect(sort.code).toBe('INVALID');
    expect(sort.message).toMatch(/sort: .*"name".*"newest"/);
  });
});
