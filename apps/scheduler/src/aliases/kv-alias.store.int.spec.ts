import { conflict } from '@wharf/contracts';
import { startNatsServer, type NatsServer } from '@wharf/testing';
import { aliasesOf, KvAliasStore, type AliasTable } from './kv-alias.store';

jest.setTimeout(60_000);

const who = { sub: 'admin', name: 'Admin' };
const alias = (instanceId: string | null, primary: boolean, seq: number) => ({ instanceId, primary, createdBy: who, createdAt: 'now', updatedBy: who, updatedAt: 'now', seq });

/** The invariant every change keeps: at most one primary per instance, never a primary that serves nothing. */
function checkInvariant(t: AliasTable): void {
  const primaries = new Map<string, string>();
  for (const [name, a] of Object.entries(t.aliases)) {
    if (!a.primary) continue;
    expect(a.instanceId).not.toBeNull();
    expect([name, primaries.get(a.instanceId!)]).toEqual([name, undefined]);
    primaries.set(a.instanceId!, name);
  }
}

describe('KvAliasStore: the alias table in a JetStream KV bucket, shared by scheduler replicas', () => {
  let nats: NatsServer;
  let a: KvAliasStore;
  let b: KvAliasStore;

  beforeAll(async () => {
    nats = await startNatsServer();
    a = new KvAliasStore({ servers: nats.url }, 'aliases-test');
    b = new KvAliasStore({ servers: nats.url }, 'aliases-test');
    await a.init();
    await b.init();
  });

  afterAll(async () => {
    await a?.destroy().catch(() => undefined);
    await a?.close();
    await b?.close();
    await nats?.stop();
  });

  it('two replicas adding aliases at once lose none of them (compare-and-set, retried)', async () => {
    const add = (s: KvAliasStore, name: string) =>
      s.modify((t, seq) => {
        t.aliases[name] = alias(null, false, seq);
        return { write: true, result: name };
      });
    await Promise.all(Array.from({ length: 40 }, (_, i) => add(i % 2 ? a : b, `name-${i}`)));
    const t = await a.read();
    expect(Object.keys(t.aliases).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `name-${i}`).sort());
    expect(t.seq).toBe(40);
  });

  it('two replicas making different aliases primary of one instance leave exactly one primary', async () => {
    await a.modify((t, seq) => {
      for (const n of ['blue', 'green', 'red', 'teal']) t.aliases[n] = alias('abcdefghij', false, seq);
      return { write: true, result: null };
    });
    const promote = (s: KvAliasStore, name: string) =>
      s.modify((t, seq) => {
        for (const [n, x] of Object.entries(t.aliases)) if (x.instanceId === 'abcdefghij') Object.assign(x, { primary: n === name, seq });
        return { write: true, result: name };
      });
    await Promise.all([promote(a, 'blue'), promote(b, 'green'), promote(a, 'red'), promote(b, 'teal')]);
    const t = await b.read();
    checkInvariant(t);
    expect(aliasesOf(t, 'abcdefghij').names).toEqual(['blue', 'green', 'red', 'teal']);
    expect(['blue', 'green', 'red', 'teal']).toContain(aliasesOf(t, 'abcdefghij').primary);
  });

  it('a refused change writes nothing, and names such as constructor are ordinary aliases', async () => {
    const before = await a.read();
    await expect(
      a.modify(() => {
        throw conflict('taken');
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await a.read()).seq).toBe(before.seq);
    await b.modify((t, seq) => {
      expect(t.aliases['constructor']).toBeUndefined();
      t.aliases['constructor'] = alias('abcdefghij', false, seq);
      return { write: true, result: null };
    });
    expect((await a.read()).aliases['constructor']).toMatchObject({ instanceId: 'abcdefghij' });
  });

  it("keeps each replica's copy in memory current through the watch (another replica's change shows)", async () => {
    await a.modify((t, seq) => {
      t.aliases['moved'] = alias('bbbbbbbbbb', true, seq);
      return { write: true, result: null };
    });
    for (let i = 0; i < 100 && b.of('bbbbbbbbbb').primary !== 'moved'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(b.of('bbbbbbbbbb')).toEqual({ names: ['moved'], primary: 'moved' });
    expect(b.of('cccccccccc')).toEqual({ names: [], primary: null });
  });
});
