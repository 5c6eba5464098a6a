import { AnswerCache } from './answer-cache';
import type { Caller } from '@wharf/contracts';

describe('AnswerCache', () => {
  const alice = { sub: 'alice', name: 'alice', roles: ['full-access' as const] };
  const bob = { sub: 'bob', name: 'bob', roles: ['full-access' as const] };

  it('answers repeated queries of one caller from memory, never across callers', async () => {
    const cache = new AnswerCache();
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.getOrLoad(cache.key(alice, 'list', { q: 'x' }), load)).toBe(1);
    expect(await cache.getOrLoad(cache.key(alice, 'list', { q: 'x' }), load)).toBe(1);
    expect(await cache.getOrLoad(cache.key(bob, 'list', { q: 'x' }), load)).toBe(2);
    expect(await cache.getOrLoad(cache.key(null, 'list', { q: 'x' }), load)).toBe(3);
    expect(await cache.getOrLoad(cache.key(alice, 'list', { q: 'y' }), load)).toBe(4);
  });

  it('builds a key from its parts as key() does: the JSON of [caller, kind, query]', () => {
    const cache = new AnswerCache();
    const queries: unknown[] = [{ q: 'x', limit: '50' }, { q: ['a', 'b'] }, {}, 'app@1.0.0', 'quote " and \\ and \u2028', undefined, null];
    for (const caller of [alice, bob, null]) {
      for (const query of queries) {
        const key = cache.key(caller, 'list', query);
        expect(key).toBe(JSON.stringify([caller ? [caller.sub, caller.roles] : null, 'list', query]));
        expect(AnswerCache.keyOf(AnswerCache.callerPart(caller), 'list', JSON.stringify(query) ?? 'null')).toBe(key);
      }
    }
    // no caller's key is another's, whatever their names hold
    const tricky = { sub: 'a",["x', name: 'n', roles: [] } as Caller;
    expect(cache.key(tricky, 'list', {})).not.toBe(cache.key({ ...tricky, sub: 'a' }, 'list', {}));
  });

  it('drops everything on invalidate, including an answer loaded while the change happened', async () => {
    const cache = new AnswerCache();
    const k = cache.key(alice, 'list', {});
    let release!: () => void;
    const slow = cache.getOrLoad(k, () => new Promise<string>((r) => (release = () => r('stale'))));
    cache.invalidate();
    release();
    expect(await slow).toBe('stale');
    expect(await cache.getOrLoad(k, async () => 'fresh')).toBe('fresh');
  });

  it('peeks without loading: a fresh answer of this generation, else nothing (and nothing with the cache off)', async () => {
    const cache = new AnswerCache();
    const k = cache.key(alice, 'get', 'hello');
    expect(cache.peek(k)).toBeUndefined();
    let release!: () => void;
    const loading = cache.getOrLoad(k, () => new Promise<string>((r) => (release = () => r('loaded'))));
    expect(cache.peek(k)).toBeUndefined(); // a load under way is not an answer yet
    release();
    await loading;
    expect(cache.peek(k)).toBe('loaded');
    expect(cache.peek(cache.key(bob, 'get', 'hello'))).toBeUndefined();
    cache.invalidate();
    expect(cache.peek(k)).toBeUndefined();
    const off = new AnswerCache(0);
    await off.getOrLoad(k, async () => 'x');
    expect(off.peek(k)).toBeUndefined();
  });

  it('expires entries after the TTL', async () => {
    const cache = new AnswerCache();
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000);
    const k = cache.key(alice, 'get', { id: 'a' });
    await cache.getOrLoad(k, async () => 'one');
    now.mockReturnValue(1_000 + AnswerCache.TTL_MS + 1);
    expect(await cache.getOrLoad(k, async () => 'two')).toBe('two');
    now.mockRestore();
  });

  it('loads every time when turned off', async () => {
    const cache = new AnswerCache(0);
    let loads = 0;
    await cache.getOrLoad('k', async () => ++loads);
    expect(await cache.getOrLoad('k', async () => ++loads)).toBe(2);
  });

  it('shares one load among concurrent misses of a key, but not with requests made after a change', async () => {
    const cache = new AnswerCache();
    const k = cache.key(alice, 'list', {});
    let loads = 0;
    const releases: (() => void)[] = [];
    const load = () => new Promise<number>((r) => { const n = ++loads; releases.push(() => r(n)); });
    const first = [cache.getOrLoad(k, load), cache.getOrLoad(k, load), cache.getOrLoad(k, load)];
    expect(loads).toBe(1);
    cache.invalidate(); // a change: what was asked from now on must not get the load begun before it
    const after = cache.getOrLoad(k, load);
    expect(loads).toBe(2);
    releases.forEach((r) => r());
    expect(await Promise.all(first)).toEqual([1, 1, 1]);
    expect(await after).toBe(2);
    expect(await cache.getOrLoad(k, load)).toBe(2); // the second load's answer is the cached one
    // a failed load is not kept: the next miss loads again
    const failing = new AnswerCache();
    await expect(failing.getOrLoad('x', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await failing.getOrLoad('x', async () => 'up')).toBe('up');
  });
});
