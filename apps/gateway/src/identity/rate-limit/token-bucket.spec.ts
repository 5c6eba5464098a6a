import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses with the seconds to wait, then refills', () => {
    let t = 0;
    const b = new TokenBuckets(() => t);
    for (let i = 0; i < 3; i++) expect(b.take('k', 3, 60_000)).toBe(0);
    expect(b.take('k', 3, 60_000)).toBe(20); // one token per 20 s
    expect(b.take('other', 3, 60_000)).toBe(0); // keys are independent
    t += 20_000;
    expect(b.take('k', 3, 60_000)).toBe(0);
    expect(b.take('k', 3, 60_000)).toBeGreaterThan(0);
    expect(b.peek('k', 3, 60_000)).toBeGreaterThan(0);
    t += 60_000;
    expect(b.peek('k', 3, 60_000)).toBe(0);
  });

  it('bounds its memory', () => {
    const b = new TokenBuckets(Date.now, 100);
    for (let i = 0; i < 1000; i++) b.take(`ip:${i}`, 5, 1000);
    expect(b.size).toBe(100);
  });
});
