import type { Caller } from '@wharf/contracts';
import type { InstanceDriver } from '../drivers/instance-driver';
import { SecretHandlers } from './secret.handlers';
import type { SecretStore, SecretSummary, UserSecretStore } from './secret.store';

const admin: Caller = { sub: 'root', name: 'Root', roles: ['admin'] };
const summary = (name: string): SecretSummary => ({ name, keys: ['k'], grants: { apps: [], owners: [] }, updatedAt: '2026-01-01T00:00:00Z' });
const store = { list: async () => ['a', 'b', 'c'].map(summary) } as unknown as SecretStore & UserSecretStore;
const handlers = new SecretHandlers(store, { list: async () => [] } as unknown as InstanceDriver);
const list = (cursor: string | undefined, limit: number) => handlers.list({ caller: admin, body: { cursor, limit } });

describe('SecretHandlers list', () => {
  it('pages by name with opaque cursors', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(cursor, 2);
      names.push(...page.items.map((s) => s.name));
      if (page.nextCursor) expect(page.nextCursor).not.toBe(page.items[page.items.length - 1]!.name);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(names).toEqual(['a', 'b', 'c']);
  });

  it('refuses a cursor it did not give out, naming it', async () => {
    await expect(list('a', 2)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/^cursor is not valid/) });
  });
});
