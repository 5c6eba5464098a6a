import { TtlCache } from './ttl-cache';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

describe('TtlCache', () => {
  it('coalesces concurrent misses into one load and answers from memory afterwards', async () => {
    const cache = new TtlCache<string, number>(1000);
    let loads = 0;
    const load = async () => ++loads;
    const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    expect([a, b, loads]).toEqual([1, 1, 1]);
    expect(cache.get('k', load)).toBe(1); // synchronous: a value, not a promise
  });

  it('loads again in the background once an answer is past half its life, answering with the one in hand meanwhile', async () => {
    const cache = new TtlCache<string, string>(1000);
    cache.set('k', 'old');
    const next = deferred<string>();
    let loads = 0;
    const load = () => (loads++, next.promise);
    const t0 = Date.now();
    expect(cache.get('k', load, t0 + 100)).toBe('old');
    expect(loads).toBe(0); // young: no refresh
    expect(cache.get('k', load, t0 + 600)).toBe('old');
    expect(cache.get('k', load, t0 + 700)).toBe('old');
    expect(loads).toBe(1); // one refresh, however often it is asked meanwhile
    next.resolve('new');
    await next.promise;
    await Promise.resolve();
    expect(cache.get('k', load, Date.now())).toBe('new');
  });

  it('never answers past the time to live: an expired answer waits for the load, and a failed refresh changes nothing before', async () => {
    const cache = new TtlCache<string, string>(1000);
    cache.set('k', 'old');
    const t0 = Date.now();
    const failing = deferred<string>();
    expect(cache.get('k', () => failing.promise, t0 + 600)).toBe('old');
    failing.reject(new Error('timed out'));
    await failing.promise.catch(() => undefined);
    await Promise.resolve();
    // still the old answer before its time, while another refresh starts
    expect(cache.get('k', () => Promise.resolve('fresh'), t0 + 900)).toBe('old');
    // past its time: not the old answer but the refresh under way
    const late = cache.get('k', () => Promise.resolve('other'), t0 + 1000);
    expect(late).toBeInstanceOf(Promise);
    await expect(late).resolves.toBe('fresh');
  });

  it('does not store a load that was under way when entries were dropped (a revocation)', async () => {
    const cache = new TtlCache<string, string>(1000);
    const slow = deferred<string>();
    const p = cache.get('token', () => slow.promise);
    cache.dropWhere(() => true); // e.g. the token was revoked while it was being checked
    slow.resolve('valid');
    await p;
    let loads = 0;
    await cache.get('token', async () => (loads++, 'revoked'));
    expect(loads).toBe(1); // asked again, not answered from the stale load
  });
});
