import type { AccessToken } from '../generated/prisma/client';
import type { GatewaySettings } from '../gateway.config';
import type { PrismaService } from '../prisma/prisma.service';
import type { RpcClient } from '@wharf/nats';
import { TokenCache } from './token-cache';
import { hashToken, TokenService } from './token.service';

const TOKEN = 'wharf_pat_lookups000000000000000000000000000000000';
const row = (roles: string[]): AccessToken =>
  ({ id: 'tok_1', hash: hashToken(TOKEN), userSub: 'svc:alice', userName: 'alice', roles, expiresAt: null, revokedAt: null, lastUsedAt: new Date() }) as unknown as AccessToken;

/** A database whose token lookups wait until the test answers them. */
function slowDatabase() {
  const pending: ((t: AccessToken | null) => void)[] = [];
  const prisma = {
    accessToken: {
      findUnique: jest.fn(() => new Promise<AccessToken | null>((resolve) => pending.push(resolve))),
      update: jest.fn(async () => undefined),
    },
  };
  const answer = (t: AccessToken | null) => pending.shift()!(t);
  return { prisma, answer, lookups: () => prisma.accessToken.findUnique.mock.calls.length };
}

describe('TokenService.authenticate: database lookups', () => {
  const make = () => {
    const db = slowDatabase();
    const cache = new TokenCache();
    const service = new TokenService(db.prisma as unknown as PrismaService, {} as GatewaySettings, cache, {} as RpcClient);
    return { db, cache, service };
  };
  const flush = () => new Promise((r) => setImmediate(r));

  it('sends one lookup for concurrent requests of one token, then answers from the cache', async () => {
    const { db, service } = make();
    const all = Promise.all([service.authenticate(TOKEN), service.authenticate(TOKEN), service.authenticate(TOKEN)]);
    await flush();
    expect(db.lookups()).toBe(1);
    db.answer(row(['full-access']));
    expect((await all).map((a) => a?.caller.sub)).toEqual(['svc:alice', 'svc:alice', 'svc:alice']);
    expect((await service.authenticate(TOKEN))?.caller.roles).toEqual(['full-access']);
    expect(service.authenticateCachedHash(hashToken(TOKEN))?.caller.sub).toBe('svc:alice');
    expect(db.lookups()).toBe(1);
  });

  it('never hands a lookup begun before a change to a request made after it', async () => {
    const { db, cache, service } = make();
    const before = service.authenticate(TOKEN);
    await flush();
    cache.clear(); // a revocation or a change of roles, here or on another replica
    const after = service.authenticate(TOKEN);
    await flush();
    expect(db.lookups()).toBe(2);
    db.answer(row(['admin'])); // the old answer: its request gets it, the cache does not keep it
    expect((await before)?.caller.roles).toEqual(['admin']);
    expect(service.authenticateCachedHash(hashToken(TOKEN))).toBeUndefined();
    db.answer(null); // revoked meanwhile
    expect(await after).toBeNull();
    expect(service.authenticateCachedHash(hashToken(TOKEN))).toBeUndefined();
  });

  it('looks up a fresh answer on its own (the router’s verification), and a failed lookup is not shared later', async () => {
    const { db, service } = make();
    const shared = service.authenticate(TOKEN);
    const fresh = service.authenticate(TOKEN, { fresh: true });
    await flush();
    expect(db.lookups()).toBe(2);
    db.answer(null);
    db.answer(null);
    expect(await shared).toBeNull();
    expect(await fresh).toBeNull();
    const again = service.authenticate(TOKEN);
    await flush();
    expect(db.lookups()).toBe(3);
    db.answer(row(['full-access']));
    expect((await again)?.caller.sub).toBe('svc:alice');
  });
});
