import type { AccessToken } from '../generated/prisma/client';
import { TokenCache } from './token-cache';

const token = (expiresAt: Date | null): AccessToken =>
  ({ id: 't1', hash: 'h', userSub: 'alice', userName: 'alice', roles: ['full-access'], expiresAt }) as unknown as AccessToken;

describe('TokenCache', () => {
  it('answers within the TTL, then forgets', () => {
    const c = new TokenCache();
    c.set('h', token(null), c.currentGeneration, 1000);
    expect(c.get('h', 1000 + TokenCache.TTL_MS - 1)).not.toBeNull();
    expect(c.get('h', 1000 + TokenCache.TTL_MS)).toBeNull();
  });

  it('never outlives the token itself', () => {
    const c = new TokenCache();
    c.set('h', token(new Date(1500)), c.currentGeneration, 1000);
    expect(c.get('h', 1499)).not.toBeNull();
    expect(c.get('h', 1500)).toBeNull();
  });

  it('drops everything on clear, and ignores a lookup that started before the clear', () => {
    const c = new TokenCache();
    c.set('h', token(null), c.currentGeneration);
    const before = c.currentGeneration;
    c.clear();
    expect(c.get('h')).toBeNull();
    c.set('h', token(null), before); // a revocation happened while this lookup ran
    expect(c.get('h')).toBeNull();
  });
});
