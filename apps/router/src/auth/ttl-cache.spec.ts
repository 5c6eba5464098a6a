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

  describe('stale if error: the platform unreachable', () => {
    class Unreachable extends Error {}
    type Answer = { who: string; expiresAt: number | null } | null;
    const make = (validUntil?: (v: Answer) => number | null) =>
      new TtlCache<string, Answer>(1000, undefined, { staleIfErrorMs: 5000, staleOn: (e) => e instanceof Unreachable, validUntil });
    const unreachable = () => Promise.reject(new Unreachable('no responders'));

    it('answers with the expired "valid" while the platform cannot be asked, within the window', async () => {
      const cache = make((v) => (v ? v.expiresAt : 0));
      cache.set('k', { who: 'alice', expiresAt: null });
      const t0 = Date.now();
      await expect(cache.get('k', unreachable, t0 + 1500)).resolves.toEqual({ who: 'alice', expiresAt: null });
      // past the time to live and the window: the failure
      await expect(cache.get('k', unreachable, t0 + 6100)).rejects.toBeInstanceOf(Unreachable);
    });

    it('never past the credential’s own expiry, never a "no", never after a drop, never for another failure', async () => {
      const t0 = Date.now();
      const cache = make((v) => (v ? v.expiresAt : 0));
      cache.set('expiring', { who: 'bob', expiresAt: t0 + 1200 });
      cache.set('no', null);
      cache.set('revoked', { who: 'carol', expiresAt: null });
      cache.set('other', { who: 'dave', expiresAt: null });
      await expect(cache.get('expiring', unreachable, t0 + 1100)).resolves.toMatchObject({ who: 'bob' });
      await new Promise((r) => setTimeout(r, 250)); // the token's expiry is now behind us
      await expect(cache.get('expiring', unreachable, t0 + 1300)).rejects.toBeInstanceOf(Unreachable);
      await expect(cache.get('no', unreachable, t0 + 1300)).rejects.toBeInstanceOf(Unreachable);
      cache.dropWhere((v) => v?.who === 'carol');
      await expect(cache.get('revoked', unreachable, t0 + 1300)).rejects.toBeInstanceOf(Unreachable);
      await expect(cache.get('other', () => Promise.reject(new Error('internal')), t0 + 1300)).rejects.toThrow('internal');
    });

    it('takes a definite answer when the platform answers again, even a "no"', async () => {
      const cache = make((v) => (v ? v.expiresAt : 0));
      cache.set('k', { who: 'alice', expiresAt: null });
      const t0 = Date.now();
      await expect(cache.get('k', async () => null, t0 + 1500)).resolves.toBeNull();
      expect(cache.get('k', unreachable, Date.now() + 100)).toBeNull(); // the "no" replaced it, fresh
      await expect(cache.get('k', unreachable, Date.now() + 1500)).rejects.toBeInstanceOf(Unreachable); // and is never used stale
    });

    it('is off without the option (the default)', async () => {
      const cache = new TtlCache<string, string>(1000);
      cache.set('k', 'old');
      await expect(cache.get('k', unreachable, Date.now() + 1500)).rejects.toBeInstanceOf(Unreachable);
    });
  });
});
