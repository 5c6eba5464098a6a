import { genericStatusReason, InstanceSchema, instanceAccess, WharfError, type Caller, type Visibility } from '@wharf/contracts';
import type { AnswerCache, RpcClient } from '@wharf/nats';
import { instanceRecord } from '@wharf/testing';
import { InstanceVisibility } from './instance-visibility';

const callers: Caller[] = [
  { sub: 'o', name: 'Owner', roles: ['full-access'] },
  { sub: 'a', name: 'Author', roles: ['full-access'] },
  { sub: 'x', name: 'Other', roles: ['full-access'] },
  { sub: 'v', name: 'Vic', roles: ['visitor'] },
  { sub: 'n', name: 'No role', roles: [] },
  { sub: 'adm', name: 'Admin', roles: ['admin'] },
  { sub: 'av', name: 'Author visitor', roles: ['visitor'] },
];
const instance = (visibility: Visibility, appOwner = 'a') =>
  InstanceSchema.parse(
    instanceRecord({ address: '127.0.0.1:1', visibility, owner: { sub: 'o', name: 'Owner' }, appOwner: { sub: appOwner, name: 'A' }, status: 'INSTALLING', statusReason: 'Fetching the bundle' }),
  );

/**
 * What the stream decides from memory never disagrees with the rule the scheduler applies to
 * GET /api/v1/instances/:id (instanceAccess), whatever the scheduler's AllowPublicInstances and the
 * visitor's tag grants are; only what depends on those is asked of the scheduler.
 */
describe('InstanceVisibility: the access rule, decided from memory where it can be', () => {
  const visibility = new InstanceVisibility({} as RpcClient, {} as AnswerCache);

  for (const v of ['PRIVATE', 'ALL_USERS', 'PUBLIC'] as const) {
    for (const appOwner of ['a', 'av']) {
      for (const caller of callers) {
        it(`${v} instance (app owner ${appOwner}), ${caller.name}`, () => {
          const i = instance(v, appOwner);
          const settled = visibility.settled(caller, i);
          const outcomes = [false, true].flatMap((allowPublic) =>
            [false, true].map((grant) => instanceAccess(caller, i, grant, { allowPublic, adminsOpenPrivate: false })),
          );
          if (settled === 'ask') {
            // it depends: some settings or grants show it, some do not; never with the logs' reason
            expect(outcomes.some((a) => a.seeStatus)).toBe(true);
            expect(outcomes.some((a) => !a.seeStatus)).toBe(true);
            expect(outcomes.some((a) => a.readLogs)).toBe(false);
          } else if (settled === null) {
            expect(outcomes.some((a) => a.seeStatus)).toBe(false);
          } else {
            expect(outcomes.every((a) => a.seeStatus)).toBe(true);
            const readLogs = outcomes[0]!.readLogs;
            expect(outcomes.every((a) => a.readLogs === readLogs)).toBe(true);
            expect(settled).toEqual(readLogs ? i : { ...i, statusReason: genericStatusReason(i.status) });
          }
        });
      }
    }
  }

  it('asks the scheduler, as the caller, only for what depends on it, and reads its 404 as "not for you"', async () => {
    const asked: { id: string; caller: Caller | null }[] = [];
    let answer: 'ok' | 'NOT_FOUND' | 'UNAVAILABLE' = 'ok';
    const rpc = {
      rpc: async (_c: unknown, body: { id: string }, caller: Caller | null) => {
        asked.push({ id: body.id, caller });
        if (answer === 'ok') return {};
        throw new WharfError(answer, 'no');
      },
    } as unknown as RpcClient;
    const cache = { key: (...parts: unknown[]) => JSON.stringify(parts), getOrLoad: (_k: string, load: () => Promise<unknown>) => load() } as unknown as AnswerCache;
    const v = new InstanceVisibility(rpc, cache);
    const vic = callers[3]!;
    const shared = instance('ALL_USERS');
    expect(await v.view(callers[2]!, shared)).toMatchObject({ statusReason: 'Starting' });
    expect(await v.view(vic, instance('PRIVATE'))).toBeNull();
    expect(asked).toEqual([]);
    expect(await v.view(vic, shared)).toEqual({ ...shared, statusReason: 'Starting' });
    answer = 'NOT_FOUND';
    expect(await v.view(vic, shared)).toBeNull();
    answer = 'UNAVAILABLE';
    await expect(v.view(vic, shared)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(asked).toEqual([1, 2, 3].map(() => ({ id: shared.id, caller: vic })));
  });
});
